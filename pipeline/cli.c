/*
 * cli.c - shared command-line helpers (see cli.h).
 */
#include "pipeline/cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/encoder/encoder.h"

/* the command a usage text is for: "usage: semindex bench mine ..." ->
 * "bench mine", "usage: semindex query ..." -> "query". */
static void usage_command(const char *usage, char *out, size_t size)
{
    static const char pre[] = "usage: semindex ";
    snprintf(out, size, "%s", "semindex");
    if (!usage || strncmp(usage, pre, sizeof pre - 1)) return;
    const char *p = usage + sizeof pre - 1;
    size_t n = strcspn(p, " \n");
    if (n == 5 && !strncmp(p, "bench", 5) && p[5] == ' ' && p[6] != '<') n += 1 + strcspn(p + 6, " \n");
    snprintf(out, size, "semindex %.*s", (int)n, p);
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    char cmd[64];
    usage_command(usage, cmd, sizeof cmd);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see '%s --help')\n", cmd);
    return EXIT_USAGE;
}

int cli_option_error(int c, char **argv)
{
    const char *a = argv[optind - 1];
    if (!strncmp(a, "--", 2)) {
        int n = (int)strcspn(a, "=");
        if (c == ':') return err_set(ERR_INVALID, "option '%.*s' needs a value", n, a);
        if (optopt && a[n] == '=') return err_set(ERR_INVALID, "option '%.*s' takes no value", n, a);
        return err_set(ERR_INVALID, "unknown option '%.*s'", n, a);
    }
    if (c == ':') return err_set(ERR_INVALID, "option '-%c' needs a value", optopt);
    if (optopt > ' ' && optopt < 127) return err_set(ERR_INVALID, "unknown option '-%c'", optopt);
    return err_set(ERR_INVALID, "unknown option '%s'", a);
}

int cli_fail(const char *context)
{
    if (context) fprintf(stderr, "error: %s: %s\n", context, err_msg());
    else fprintf(stderr, "error: %s\n", err_msg());
    return EXIT_FAIL;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0) return err_set(ERR_INVALID, "'%s' is not a size", s);
    double mul = 1;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: return err_set(ERR_INVALID, "'%s' is not a size (use K, M, G or T)", s);
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return err_set(ERR_INVALID, "'%s' is not a size", s);
    *out = (uint64_t)(v * mul);
    return 0;
}

uint64_t cli_default_memory_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize / 2 : 0;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno) return err_set(ERR_INVALID, "'%s' is not an integer", s);
    if (v < lo || v > hi) return err_set(ERR_INVALID, "%ld is out of range [%ld, %ld]", v, lo, hi);
    *out = v;
    return 0;
}

const char *const cli_input_formats[] = { "jsonl", "lines", NULL };

void cli_precision_warn(int precision)
{
    static int warned;
    if (precision == ENC_F32 || warned) return;
    /* bf16 on an Intel CPU without AMX: oneDNN's bf16 GEMMs measured slower than f32 ones
     * (docs/encoder.md, "int8 scheme"); int8 then keeps its high-precision
     * GEMMs in f32 and is not concerned */
    int native = enc_precision_native(precision), slow = precision == ENC_BF16 && !enc_bf16_faster();
    if (native && !slow) return;
    warned = 1;
    if (!native)
        log_warn("precision %s: this CPU (oneDNN ISA %s) has no native %s instructions; it will be correct but slower%s",
                 enc_precision_name(precision), enc_isa(), precision == ENC_BF16 ? "AVX512_BF16" : "VNNI int8",
                 slow ? ", and bf16 GEMMs are not faster than f32 on this CPU" : "");
    else
        log_warn("precision %s: this CPU (oneDNN ISA %s) has no AMX; its bf16 GEMMs are not faster than f32 ones",
                 enc_precision_name(precision), enc_isa());
}

int cli_precision(const char *s, int *out)
{
    FORWARD_ERR(enc_precision_parse(s, out));
    cli_precision_warn(*out);
    return 0;
}

int cli_texts_push(struct cli_texts *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        size_t cap = mem_next_cap(t->cap, t->n + 1);
        FORWARD_ERR(MEM_RESIZE(t->text, cap));
        FORWARD_ERR(MEM_RESIZE(t->len, cap));
        t->cap = cap;
    }
    struct buf b = BUF_INIT;
    long bad = utf8_sanitize(&b, s, n);
    if (bad < 0) { buf_release(&b); return (int)bad; }
    t->n_replaced += bad;
    size_t len;
    char *d = buf_detach(&b, &len);
    if (!d) return err_set(ERR_NOMEM, "out of memory reading texts");
    t->text[t->n] = d;
    t->len[t->n] = len;
    t->n++;
    return 0;
}

int cli_read_texts(const char *path, enum cli_input_format fmt, const char *field,
                   struct cli_texts *out)
{
    memset(out, 0, sizeof *out);
    int is_stdin = !path || !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    if (!field) field = "text";
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        if (fmt == CLI_IN_LINES) {
            if (len && line[len - 1] == '\r') len--;
            if ((rc = cli_texts_push(out, line, len)) < 0) break;
            continue;
        }
        /* jsonl: skip blank lines, require an object with a string field */
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
        if (k == len) continue;
        json_error_t je;
        json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, &je);
        if (!j) {
            rc = err_set(ERR_FORMAT, "'%s' line %ld: invalid JSON: %s (column %d)", name, lineno,
                         je.text, je.column);
            break;
        }
        json_t *v = json_is_object(j) ? json_object_get(j, field) : NULL;
        if (!v || !json_is_string(v)) {
            json_decref(j);
            rc = err_set(ERR_FORMAT, "'%s' line %ld: expected an object with a string \"%s\"", name,
                         lineno, field);
            break;
        }
        rc = cli_texts_push(out, json_string_value(v), json_string_length(v));
        json_decref(j);
        if (rc < 0) break;
    }
    if (rc == 0 && ferror(f)) rc = err_set(ERR_IO, "cannot read '%s': %s", name, strerror(errno));
    free(line);
    if (!is_stdin) fclose(f);
    if (rc < 0) cli_texts_release(out);
    return rc;
}

void cli_texts_release(struct cli_texts *t)
{
    for (size_t i = 0; i < t->n; i++) mem_free(t->text[i]);
    mem_free(t->text);
    mem_free(t->len);
    memset(t, 0, sizeof *t);
}

/* ---- options several commands share ------------------------------------ */

const char *const cli_precisions[] = { "f32", "bf16", "int8", NULL };

#define O(f) offsetof(struct cli_encoder, f)
const struct opt cli_encoder_opts[3] = {
    OPT("model", 'm', OPT_STR, O(model), "DIR", "sentence-transformers model directory\n"
      "or builtin:ngram", .flags = OPT_REQUIRED),
    CLI_OPT_THREADS(O(threads)),
    OPT("precision", 0, OPT_ENUM, O(precision), "f32|bf16|int8", "precision of the transformer's Linear\n"
      "layers: int8 is faster than f32, bf16\nwith AMX or on AMD Zen 4; not exact\n(docs/encoder.md)", .def = "f32",
        .choices = cli_precisions),
};
#undef O

int cli_encoder_create(const struct cli_encoder *c, const struct enc_options *eo, struct enc **out)
{
    struct enc_options o = ENC_OPTIONS_INIT;
    if (eo) o = *eo;
    o.n_threads = (int)c->threads;
    o.precision = c->precision;
    cli_precision_warn(c->precision);
    return enc_create(c->model, &o, out);
}

#define O(f) offsetof(struct cli_input, f)
const struct opt cli_input_opts[3] = {
    OPT("input", 'i', OPT_STR, O(path), "FILE", "input texts (default: stdin)"),
    OPT("input-format", 'f', OPT_ENUM, O(format), "lines|jsonl", "lines: a text per line; jsonl: a JSON\n"
      "object per line with --field", .def = "lines", .choices = cli_input_formats),
    OPT("field", 0, OPT_STR, O(field), "NAME", "jsonl field holding the text", .def = "text"),
};
#undef O

int cli_input_read(const struct cli_input *in, struct cli_texts *out)
{
    FORWARD_ERR(cli_read_texts(in->path, in->format, in->field, out));
    if (out->n_replaced) log_warn("%ld invalid UTF-8 sequences replaced by U+FFFD", out->n_replaced);
    return 0;
}

int cli_common_opt(int c)
{
    if (c == 'q') { log_level = LOG_ERROR; return 1; }
    if (c == 'v') { log_level = log_level < LOG_INFO ? LOG_INFO : LOG_DEBUG; return 1; }
    return 0;
}

/* status_mb: the "<key> N kB" line of /proc/self/status in MiB, -1 if absent */
static double status_mb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(key);
    double kb = -1024;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':') kb = atof(line + n + 1);
    if (f) fclose(f);
    return kb / 1024;
}

double cli_peak_rss_mb(void)
{
    return status_mb("VmHWM");
}

double cli_rss_mb(void)
{
    return status_mb("VmRSS");
}

void cli_peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}
