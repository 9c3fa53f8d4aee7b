/*
 * source.c - shard readers through libarchive, record splitters for txt, jsonl,
 * tsv and csv, and the error policy of source.h.
 *
 * Data flows as blocks (<= 64 KiB) from libarchive or read(2) into one entry
 * state machine: the first 8 KiB are held back to decide "binary or text",
 * then bytes are split into records (lines; csv records may span lines inside
 * quotes) that are held up to max_record bytes; a longer record is dropped
 * while it streams past, so a 200 MB line never sits in memory. Each record is
 * made valid UTF-8 without NUL (U+FFFD) before parsing.
 *
 * Does not: guess encodings (UTF-16 files look binary and are skipped),
 * follow symbolic links inside archives, or decrypt zip entries.
 */
#include "ingest/source/source.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fswalk.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/utf8.h"

#define BLOCK (64 * 1024)
#define SNIFF 8192

enum shard_mode { MODE_PLAIN, MODE_ARCHIVE, MODE_COMPRESSED };
enum rec_kind { REC_NONE, REC_TXT, REC_JSONL, REC_TSV, REC_CSV };

struct rd {
    const char *shard;
    const struct src_options *o;
    uint64_t max_entry, max_shard;
    size_t max_record;
    src_doc_fn on_doc;
    void *ctx;
    struct src_stats *st;
    uint64_t shard_bytes;
    int shard_capped;
    int err;                  /* < 0: stop (strict failure or on_doc error) */
    struct buf clean, id;     /* scratch */
    unsigned long n_notes;    /* note() warnings so far (capped) */
};

struct entry {
    const char *name;
    enum rec_kind kind;
    uint64_t bytes;           /* bytes of the entry seen so far */
    int capped, broken, binary_checked;
    struct buf sniff;
    struct buf rec;           /* the current record */
    uint64_t rec_off, rec_line, line;  /* record start offset and line, current line (1-based) */
    int overlong, in_quotes, header_done;
    long col;                 /* 0-based column for tsv/csv, -1 unknown */
    long n_cols;              /* fields in the tsv/csv header line */
    uint64_t replaced, nul, first_bad_line;
};

static const struct { const char *ext; enum shard_mode mode; } shard_exts[] = {
    { ".tar", MODE_ARCHIVE }, { ".tar.gz", MODE_ARCHIVE }, { ".tgz", MODE_ARCHIVE },
    { ".tar.zst", MODE_ARCHIVE }, { ".tzst", MODE_ARCHIVE }, { ".tar.xz", MODE_ARCHIVE },
    { ".txz", MODE_ARCHIVE }, { ".tar.bz2", MODE_ARCHIVE }, { ".zip", MODE_ARCHIVE },
    { ".7z", MODE_ARCHIVE }, { ".gz", MODE_COMPRESSED }, { ".zst", MODE_COMPRESSED },
    { ".xz", MODE_COMPRESSED }, { ".bz2", MODE_COMPRESSED },
};

static int ends_with(const char *s, const char *ext)
{
    size_t n = strlen(s), m = strlen(ext);
    return n > m && !strcasecmp(s + n - m, ext);
}

static enum shard_mode shard_mode(const char *name, size_t *suffix)
{
    for (size_t i = 0; i < sizeof shard_exts / sizeof shard_exts[0]; i++)
        if (ends_with(name, shard_exts[i].ext)) {
            *suffix = strlen(shard_exts[i].ext);
            return shard_exts[i].mode;
        }
    *suffix = 0;
    return MODE_PLAIN;
}

static enum rec_kind rec_kind(const char *name)
{
    if (ends_with(name, ".txt") || ends_with(name, ".md")) return REC_TXT;
    if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson")) return REC_JSONL;
    if (ends_with(name, ".tsv")) return REC_TSV;
    if (ends_with(name, ".csv")) return REC_CSV;
    return REC_NONE;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

#define NOTES_MAX 10
/* shard_warn: the per-record warnings of a shard (note and reject alike):
 * the first NOTES_MAX are shown, the rest only counted, and notes_end says
 * how many were not shown in one line. */
static void shard_warn(struct rd *r, const char *entry, const char *msg)
{
    if (++r->n_notes > NOTES_MAX) return;
    if (entry) log_warn("shard '%s': entry '%s': %s", r->shard, entry, msg);
    else log_warn("shard '%s': %s", r->shard, msg);
}

static void notes_end(struct rd *r)
{
    if (r->n_notes > NOTES_MAX)
        log_warn("shard '%s': %lu more warnings not shown (at most %d per shard)", r->shard,
                 r->n_notes - NOTES_MAX, NOTES_MAX);
}

/* vwarn: format the message into msg (cap bytes) and warn with it (shard_warn) */
static void vwarn(struct rd *r, const char *entry, char *msg, size_t cap, const char *fmt, va_list ap)
{
    vsnprintf(msg, cap, fmt, ap);
    shard_warn(r, entry, msg);
}

/* note: a warning about a record that is still used (an id field that is not
 * an id, extra columns); capped as shard_warn. */
static void note(struct rd *r, const char *entry, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct rd *r, const char *entry, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vwarn(r, entry, msg, sizeof msg, fmt, ap);
    va_end(ap);
}

/* reject: message and count; with strict, the read stops. */
static int reject(struct rd *r, const char *entry, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int reject(struct rd *r, const char *entry, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vwarn(r, entry, msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->st->n_rejected++;
    if (r->o->on_reject) {
        uint64_t rec = !strncmp(msg, "line ", 5) ? strtoull(msg + 5, NULL, 10) : 0;
        r->o->on_reject(r->o->reject_ctx, r->shard, entry, rec, msg);
    }
    if (r->o->strict && r->err == 0) {
        if (entry) r->err = err_set(ERR_FORMAT, "shard '%s': entry '%s': %s (--strict)", r->shard, entry, msg);
        else r->err = err_set(ERR_FORMAT, "shard '%s': %s (--strict)", r->shard, msg);
    }
    return r->err;
}

/* ---- text cleaning ---------------------------------------------------------- */

/* clean: valid UTF-8 without NUL; returns s itself when it already is, else
 * r->clean's data. Counts into e. */
static const char *clean(struct rd *r, struct entry *e, const char *s, size_t n, size_t *out_n)
{
    int bad = 0;
    if (memchr(s, 0, n) || !utf8_valid(s, n)) bad = 1;
    if (!bad) {
        *out_n = n;
        return s;
    }
    buf_reset(&r->clean);
    if (buf_reserve(&r->clean, n + n / 2 + 16) < 0) return NULL;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (cp <= 0) {
            if (cp < 0) e->replaced++;
            else e->nul++;
            if (!e->first_bad_line) e->first_bad_line = e->rec_line ? e->rec_line : 1;
            if (buf_append(&r->clean, "\xEF\xBF\xBD", 3) < 0) return NULL;
        } else if (buf_append(&r->clean, s + i, k) < 0) {
            return NULL;
        }
        i += k;
    }
    *out_n = r->clean.len;
    return r->clean.data;
}

/* ---- records --------------------------------------------------------------- */

static int emit(struct rd *r, struct entry *e, const char *text, size_t len, uint64_t line, uint64_t off,
                const char *id, size_t id_len)
{
    size_t sl;
    py_strip(text, len, &sl);
    if (sl == 0) {
        r->st->n_empty++;
        return 0;
    }
    struct src_doc d = { e->name, line, off, text, len, id, id_len };
    r->st->docs++;
    int rc = r->on_doc(r->ctx, &d);
    if (rc < 0 && r->err == 0) r->err = rc;
    return r->err;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* ---- big jsonl records: the text decoded in place ---------------------------
 *
 * jansson copies a string value while lexing it (a growing buffer, then a
 * copy of that), so a 30 MB text line would cost about four times its size.
 * For a line of at least big_record bytes the text field's string token is
 * located by a structural scan, checked (escapes, surrogate pairs, no raw
 * control characters), and the line with that token replaced by "" is what
 * jansson parses: it still validates everything and gives the id field. Then
 * the string is unescaped in place (never longer than its escaped form). Any
 * doubt (an escaped key, the field not a plain string token, jansson
 * disagreeing) falls back to the full parse of the untouched line, so
 * results and messages are the same either way (tests/unit/test_source.c
 * compares both paths; fuzz_records drives this path too). */

static size_t js_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* js_str_end: s[i] is '"'; the index of the closing quote, or n. */
static size_t js_str_end(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '"') return i;
        if (s[i] == '\\') i++;
    }
    return n;
}

/* js_skip: the index just after the value at i (n when it does not end). */
static size_t js_skip(const char *s, size_t n, size_t i)
{
    if (i >= n) return n;
    if (s[i] == '"') {
        size_t e = js_str_end(s, n, i);
        return e < n ? e + 1 : n;
    }
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        for (; i < n; i++) {
            char c = s[i];
            if (c == '"') {
                if ((i = js_str_end(s, n, i)) >= n) return n;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
           s[i] != '\r')
        i++;
    return i;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* js_unescape: the content s[0..n) of a JSON string token decoded into w
 * (w may be s: the output never outruns the input); with w NULL only
 * checks. Returns the decoded length, or -1 for anything jansson rejects. */
static long js_unescape(char *w, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) return -1;
        if (c != '\\') {
            if (w) w[o] = (char)c;
            o++, i++;
            continue;
        }
        if (i + 1 >= n) return -1;
        char x = s[i + 1], d;
        switch (x) {
        case '"': d = '"'; break;
        case '\\': d = '\\'; break;
        case '/': d = '/'; break;
        case 'b': d = '\b'; break;
        case 'f': d = '\f'; break;
        case 'n': d = '\n'; break;
        case 'r': d = '\r'; break;
        case 't': d = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (i + 6 > n || hex4(s + i + 2, &cp) < 0) return -1;
            size_t used = 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' || hex4(s + i + 8, &lo) < 0 || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                used = 12;
            }
            char tmp[4];
            size_t k = utf8_encode((int32_t)cp, tmp);
            if (w) memcpy(w + o, tmp, k);
            o += k;
            i += used;
            continue;
        }
        default: return -1;
        }
        if (w) w[o] = d;
        o++;
        i += 2;
    }
    return (long)o;
}

/* big_text: find the last top-level member named text_field whose value is a
 * string token; *a, *b = its quotes. 0 found, -1 not (or unsure). */
static int big_text(const char *s, size_t n, const char *field, size_t *a, size_t *b)
{
    size_t fl = strlen(field), i = js_ws(s, n, 0);
    int found = 0;
    if (i >= n || s[i] != '{') return -1;
    i = js_ws(s, n, i + 1);
    if (i < n && s[i] == '}') return -1;
    for (;;) {
        if (i >= n || s[i] != '"') return -1;
        size_t ke = js_str_end(s, n, i);
        if (ke >= n || memchr(s + i + 1, '\\', ke - i - 1)) return -1; /* escaped keys: the full parse */
        int is_text = ke - i - 1 == fl && !memcmp(s + i + 1, field, fl);
        i = js_ws(s, n, ke + 1);
        if (i >= n || s[i] != ':') return -1;
        i = js_ws(s, n, i + 1);
        size_t v = i;
        i = js_skip(s, n, i);
        if (i >= n) return -1;
        if (is_text) {
            if (s[v] != '"') return -1;
            *a = v;
            *b = i - 1;
            found = 1;
        }
        i = js_ws(s, n, i);
        if (i < n && s[i] == '}') break;
        if (i >= n || s[i] != ',') return -1;
        i = js_ws(s, n, i + 1);
    }
    return found ? 0 : -1;
}

static int record_jsonl_doc(struct rd *r, struct entry *e, json_t *j, const char *text, size_t len);

/* record_jsonl_big: 1 when the record was handled here, 0 to take the full parse. */
static int record_jsonl_big(struct rd *r, struct entry *e, char *s, size_t n, int *rc)
{
    size_t a, b;
    if (r->o->id_field && !strcmp(r->o->id_field, r->o->text_field)) return 0;
    if (big_text(s, n, r->o->text_field, &a, &b) < 0 || js_unescape(NULL, s + a + 1, b - a - 1) < 0) return 0;
    struct buf small = BUF_INIT;
    if (buf_reserve(&small, n - (b - a) + 2) < 0) {
        *rc = r->err = err_nomem();
        return 1;
    }
    buf_append(&small, s, a);
    buf_append(&small, "\"\"", 2);
    buf_append(&small, s + b + 1, n - b - 1);
    json_t *j = json_loadb(small.data, small.len, JSON_ALLOW_NUL, NULL);
    buf_release(&small);
    json_t *t = json_is_object(j) ? json_object_get(j, r->o->text_field) : NULL;
    if (!t || !json_is_string(t) || json_string_length(t) != 0) {
        json_decref(j);
        return 0;
    }
    long len = js_unescape(s + a + 1, s + a + 1, b - a - 1);
    *rc = record_jsonl_doc(r, e, j, s + a + 1, (size_t)len);
    json_decref(j);
    return 1;
}

static int record_jsonl(struct rd *r, struct entry *e, char *s, size_t n)
{
    if (is_blank(s, n)) return 0;
    size_t big = r->o->big_record ? r->o->big_record : 1u << 20;
    int brc = 0;
    if (n >= big && record_jsonl_big(r, e, s, n, &brc)) return brc;
    json_error_t je;
    json_t *j = json_loadb(s, n, JSON_ALLOW_NUL, &je);
    if (!j) return reject(r, e->name, "line %llu: malformed JSON at column %d: %s", (unsigned long long)e->rec_line,
                          je.column, je.text);
    int rc = 0;
    json_t *t = json_is_object(j) ? json_object_get(j, r->o->text_field) : NULL;
    if (!t || !json_is_string(t))
        rc = reject(r, e->name, "line %llu: no string field '%s'", (unsigned long long)e->rec_line, r->o->text_field);
    else
        rc = record_jsonl_doc(r, e, j, json_string_value(t), json_string_length(t));
    json_decref(j);
    return rc;
}

/* record_jsonl_doc: the id field of j, the text cleaned, one document. */
static int record_jsonl_doc(struct rd *r, struct entry *e, json_t *j, const char *text, size_t len)
{
    int rc = 0;
    const char *id = NULL;
    size_t id_len = 0;
    if (r->o->id_field) {
        json_t *jid = json_object_get(j, r->o->id_field);
        buf_reset(&r->id);
        int br = 0;
        if (json_is_string(jid)) br = buf_append(&r->id, json_string_value(jid), json_string_length(jid));
        else if (json_is_integer(jid)) br = buf_printf(&r->id, "%lld", (long long)json_integer_value(jid));
        else if (jid && !json_is_null(jid))
            note(r, e->name, "line %llu: field '%s' is %s, not a string or an integer: the record gets no id",
                 (unsigned long long)e->rec_line, r->o->id_field,
                 json_is_object(jid) ? "an object" : json_is_array(jid) ? "an array"
                 : json_is_real(jid) ? "a float" : "a boolean");
        if (br < 0) return r->err = err_nomem();
        if (r->id.len) {
            /* ids are short labels: NUL would cut them; replace it */
            for (size_t i = 0; i < r->id.len; i++)
                if (!r->id.data[i]) r->id.data[i] = '?';
            id = r->id.data;
            id_len = r->id.len;
        }
    }
    size_t tn;
    const char *tx = clean(r, e, text, len, &tn);
    if (!tx) return r->err = err_nomem();
    rc = emit(r, e, tx, tn, e->rec_line, e->rec_off, id, id_len);
    return rc;
}

/* field: the idx-th field (0-based) of a tsv/csv record into out; 1 found,
 * 0 not, ERR_NOMEM. */
static int field(const char *s, size_t n, long idx, int csv, struct buf *out)
{
    buf_reset(out);
    if (buf_reserve(out, n + 1) < 0) return err_nomem(); /* putc never grows */
    long f = 0;
    size_t i = 0;
    for (;;) {
        int quoted = csv && i < n && s[i] == '"';
        if (quoted) i++;
        for (; i < n; i++) {
            char c = s[i];
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        if (f == idx) buf_putc(out, '"');
                        i++;
                        continue;
                    }
                    quoted = 0;
                    continue;
                }
            } else if (c == (csv ? ',' : '\t')) {
                break;
            }
            if (f == idx) buf_putc(out, c);
        }
        if (f == idx) {
            return 1;
        }
        if (i >= n) return 0;
        i++; /* the separator */
        f++;
    }
}

/* count_fields: the number of fields of a tsv/csv record (as field() splits) */
static long count_fields(const char *s, size_t n, int csv)
{
    long f = 1;
    int quoted = 0, start = 1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (csv && start && c == '"') { quoted = 1; start = 0; continue; }
        start = 0;
        if (quoted) {
            if (c == '"') {
                if (i + 1 < n && s[i + 1] == '"') i++;
                else quoted = 0;
            }
        } else if (c == (csv ? ',' : '\t')) {
            f++;
            start = 1;
        }
    }
    return f;
}

static int record_table(struct rd *r, struct entry *e, const char *s, size_t n)
{
    int csv = e->kind == REC_CSV;
    if (!e->header_done) {
        e->header_done = 1;
        e->n_cols = count_fields(s, n, csv);
        char *end;
        long num = strtol(r->o->column, &end, 10);
        if (!*end && num >= 1) {
            e->col = num - 1;
            return 0;
        }
        if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3, n -= 3;
        int fr;
        for (long i = 0; (fr = field(s, n, i, csv, &r->id)) == 1; i++)
            if (!strcmp(r->id.data, r->o->column)) {
                e->col = i;
                return 0;
            }
        if (fr < 0) return r->err = fr;
        e->col = -1;
        e->broken = 1; /* no such column: reject the entry once */
        return reject(r, e->name, "line 1: no column '%s' in the header", r->o->column);
    }
    if (e->col < 0 || is_blank(s, n)) return 0;
    int fr = field(s, n, e->col, csv, &r->id);
    if (fr < 0) return r->err = fr;
    if (!fr)
        return reject(r, e->name, "line %llu: no column %ld", (unsigned long long)e->rec_line, e->col + 1);
    long nf = count_fields(s, n, csv);
    if (e->n_cols && nf > e->n_cols)
        note(r, e->name, "line %llu: %ld fields, the header has %ld: the extra ones are ignored",
             (unsigned long long)e->rec_line, nf, e->n_cols);
    size_t tn;
    const char *tx = clean(r, e, r->id.data, r->id.len, &tn); /* r->id holds the field */
    if (!tx) return r->err = err_nomem();
    return emit(r, e, tx, tn, e->rec_line, e->rec_off, NULL, 0);
}

/* record_end: a complete line-record (without its newline) is in e->rec. */
static int record_end(struct rd *r, struct entry *e)
{
    int rc = 0;
    if (e->overlong) {
        rc = reject(r, e->name, "line %llu: record of more than %zu bytes skipped", (unsigned long long)e->rec_line,
                    r->max_record);
    } else if (e->kind != REC_TXT) {
        size_t n = e->rec.len;
        if (n && e->rec.data[n - 1] == '\r') n--;
        size_t cn;
        const char *s = e->rec.data ? e->rec.data : "";
        if (e->kind == REC_JSONL) {
            /* jansson needs valid UTF-8: repair first (NUL bytes raw in a line are repaired too) */
            s = clean(r, e, s, n, &cn);
            if (!s) return r->err = err_nomem();
            if (s == r->clean.data) {
                struct buf keep = r->clean;  /* record_jsonl reuses r->clean */
                r->clean = (struct buf)BUF_INIT;
                rc = record_jsonl(r, e, keep.data, cn);
                buf_release(&r->clean);
                r->clean = keep;
            } else {
                rc = record_jsonl(r, e, (char *)s, cn); /* e->rec's bytes: ours to rewrite */
            }
        } else {
            rc = record_table(r, e, s, n);
        }
    }
    if (e->rec.cap > (4u << 20)) buf_release(&e->rec); /* a huge record does not pin its buffer */
    else buf_reset(&e->rec);
    e->overlong = 0;
    return rc;
}

/* split: feed bytes into the record splitter. */
static int split(struct rd *r, struct entry *e, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && r->err == 0) {
        if (e->rec.len == 0 && !e->overlong) {
            e->rec_off = e->bytes - n + i;
            e->rec_line = e->line;
        }
        size_t j = i;
        int end = 0;
        if (e->kind == REC_TXT) {
            j = n;
        } else {
            for (; j < n; j++) {
                char c = p[j];
                if (c == '"' && e->kind == REC_CSV) e->in_quotes = !e->in_quotes;
                if (c == '\n') {
                    e->line++;
                    if (!e->in_quotes) { end = 1; break; }
                }
            }
        }
        size_t seg = j - i;
        if (!e->overlong) {
            if (e->rec.len + seg > r->max_record) {
                e->overlong = 1;
                buf_release(&e->rec);
            } else if (buf_append(&e->rec, p + i, seg) < 0) {
                return r->err = err_nomem();
            }
        }
        i = j + end;
        if (end) FORWARD_ERR(record_end(r, e));
    }
    return r->err;
}

static int binary(const char *p, size_t n, int at_end)
{
    if (memchr(p, 0, n)) return 1;
    size_t m = at_end || n < 4 ? n : n - 3, bad = 0;
    for (size_t i = 0; i < m;) {
        int32_t cp;
        size_t k = utf8_decode(p + i, m - i, &cp);
        if (cp < 0) bad += k;
        i += k;
    }
    return m && bad * 10 > m * 3;
}

static int sniffed(struct rd *r, struct entry *e, int at_end)
{
    e->binary_checked = 1;
    if (e->sniff.len && binary(e->sniff.data, e->sniff.len, at_end)) {
        r->st->n_binary++;
        e->broken = 1;
        reject(r, e->name, "binary data (NUL or invalid UTF-8 in the first %zu bytes), skipped", e->sniff.len);
        return r->err;
    }
    /* bytes counted so far include the sniff; split computes offsets from e->bytes */
    return split(r, e, e->sniff.data ? e->sniff.data : "", e->sniff.len);
}

/* feed: one block of entry data. Returns < 0 to stop the shard; sets e->capped
 * or e->broken to stop the entry. */
static int feed(struct rd *r, struct entry *e, const char *p, size_t n)
{
    if (e->capped || e->broken) return r->err;
    if (e->bytes + n > r->max_entry) {
        n = (size_t)(r->max_entry - e->bytes);
        e->capped = 1;
    }
    if (r->shard_bytes + n > r->max_shard) {
        n = (size_t)(r->max_shard - r->shard_bytes);
        r->shard_capped = 1;
        e->capped = 1;
    }
    r->shard_bytes += n;
    r->st->bytes += n;
    while (n && !e->binary_checked && !e->broken) {
        size_t k = SNIFF - e->sniff.len < n ? SNIFF - e->sniff.len : n;
        if (buf_append(&e->sniff, p, k) < 0) return r->err = err_nomem();
        e->bytes += k;
        p += k;
        n -= k;
        if (e->sniff.len == SNIFF && sniffed(r, e, 0) < 0) return r->err;
    }
    if (n && !e->broken) {
        e->bytes += n;
        split(r, e, p, n);
    }
    if (e->capped && !e->broken) {
        e->broken = 1;
        if (r->shard_capped)
            reject(r, e->name, "shard exceeds %llu bytes decompressed (archive bomb?); rest of the shard skipped",
                   (unsigned long long)r->max_shard);
        else
            reject(r, e->name, "entry exceeds %llu bytes decompressed (archive bomb?); rest skipped",
                   (unsigned long long)r->max_entry);
    }
    return r->err;
}

static void entry_init(struct entry *e, const char *name, enum rec_kind kind)
{
    memset(e, 0, sizeof *e);
    e->name = name;
    e->kind = kind;
    e->line = 1;
    e->col = -1;
}

/* entry_finish: flush the last record, report repairs, free. */
static int entry_finish(struct rd *r, struct entry *e)
{
    if (!e->broken && r->err == 0) {
        if (!e->binary_checked) sniffed(r, e, 1);
        if (!e->broken && r->err == 0) {
            if (e->bytes == 0) {
                r->st->n_empty++;
                log_info("shard '%s': entry '%s': empty, skipped", r->shard, e->name);
            } else if (e->kind == REC_TXT) {
                if (e->overlong) reject(r, e->name, "document of more than %zu bytes skipped", r->max_record);
                else {
                    size_t cn;
                    const char *s = clean(r, e, e->rec.data ? e->rec.data : "", e->rec.len, &cn);
                    if (!s) r->err = err_nomem();
                    else emit(r, e, s, cn, 0, 0, NULL, 0);
                }
            } else if (e->rec.len || e->overlong) {
                record_end(r, e);
            }
        }
    }
    if (e->replaced || e->nul)
        log_warn("shard '%s': entry '%s': %llu invalid UTF-8 sequences and %llu NUL bytes replaced by U+FFFD "
                 "(first at line %llu)", r->shard, e->name, (unsigned long long)e->replaced,
                 (unsigned long long)e->nul, (unsigned long long)e->first_bad_line);
    r->st->n_replaced += e->replaced;
    r->st->n_nul += e->nul;
    buf_release(&e->sniff);
    buf_release(&e->rec);
    return r->err;
}

/* ---- shards ---------------------------------------------------------------- */

static const char *file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory" : "not a regular file";
}

/* open_shard_file: open path for reading without ever blocking in open(2)
 * (O_NONBLOCK: a FIFO without a writer), and refuse what is not a regular
 * file (a FIFO, /dev/zero, a socket would block or never end) unless
 * allow_streams. Returns the fd (blocking again), or -1 with errno set and
 * *why naming the refusal (NULL for an open error). */
static int open_shard_file(const char *path, int allow_streams, const char **why)
{
    *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(sb.st_mode) && !allow_streams) {
        *why = file_kind(sb.st_mode);
        close(fd);
        errno = EINVAL;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

#define NOT_REGULAR "is %s, not a regular file (--allow-streams reads streams)"

/* read_archive: path through libarchive, or mem[0..mem_n) when mem is set
 * (path then only names it). */
static int read_archive(struct rd *r, const char *path, const char *prefix, enum shard_mode mode, size_t suffix,
                        const void *mem, size_t mem_n)
{
    struct archive *a = archive_read_new();
    if (!a) return r->err = err_nomem();
    archive_read_support_filter_all(a);
    if (mode == MODE_ARCHIVE) archive_read_support_format_all(a);
    else archive_read_support_format_raw(a);
    char *buf = mem_alloc(BLOCK);
    struct buf name = BUF_INIT;
    int afd = -1;
    if (!buf) { r->err = err_nomem(); goto out; }
    const char *why;
    int fd = -1;
    if (mem) {
        if (archive_read_open_memory(a, mem, mem_n) != ARCHIVE_OK) {
            r->st->n_unread++;
            reject(r, prefix, "cannot open '%s': %s", path, archive_error_string(a));
            goto out;
        }
    } else if ((fd = open_shard_file(path, r->o->allow_streams, &why)) < 0) {
        r->st->n_unread++;
        if (why) reject(r, prefix, "'%s' " NOT_REGULAR, path, why);
        else reject(r, prefix, "cannot open '%s': %s", path, strerror(errno));
        goto out;
    } else if (archive_read_open_fd(a, fd, BLOCK) != ARCHIVE_OK) {
        r->st->n_unread++;
        reject(r, prefix, "cannot open '%s': %s", path, archive_error_string(a));
        close(fd);
        goto out;
    }
    afd = fd;
    struct archive_entry *ae;
    int retries = 0;
    const char *last = "(start)";
    struct buf lastb = BUF_INIT;
    for (;;) {
        int h = archive_read_next_header(a, &ae);
        if (h == ARCHIVE_EOF) break;
        if (h == ARCHIVE_RETRY && ++retries < 3) continue;
        if (h == ARCHIVE_WARN) log_warn("shard '%s': %s", r->shard, archive_error_string(a));
        else if (h != ARCHIVE_OK) {
            r->st->n_unread++;
            reject(r, prefix, "corrupt or truncated archive after entry '%s': %s", last,
                   archive_error_string(a) ? archive_error_string(a) : "unknown error");
            break;
        }
        retries = 0;
        if (mode == MODE_COMPRESSED && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
            r->st->n_unread++;
            reject(r, prefix, "'%s' is not compressed as its name says", base_name(path));
            break;
        }
        buf_reset(&name);
        int br = 0;
        if (prefix && mode == MODE_ARCHIVE) br = buf_printf(&name, "%s/", prefix);
        if (mode == MODE_COMPRESSED) {
            const char *b = prefix ? prefix : base_name(path);
            if (br == 0) br = buf_append(&name, b, strlen(b) - (prefix ? 0 : suffix));
        } else {
            const char *pn = archive_entry_pathname(ae);
            if (br == 0) br = buf_puts(&name, pn ? pn : "(no name)");
        }
        buf_reset(&lastb);
        if (br == 0) br = buf_puts(&lastb, name.data);
        if (br < 0) {
            r->err = err_nomem();
            break;
        }
        last = lastb.data;
        r->st->entries++;
        if (mode == MODE_ARCHIVE && archive_entry_filetype(ae) != AE_IFREG) {
            if (archive_entry_filetype(ae) != AE_IFDIR) r->st->n_skipped++;
            continue;
        }
        enum rec_kind kind = rec_kind(name.data);
        if (kind == REC_NONE) {
            r->st->n_skipped++;
            log_debug("shard '%s': entry '%s': no record format for this name, skipped", r->shard, name.data);
            continue;
        }
        struct entry e;
        entry_init(&e, name.data, kind);
        r->st->n_formatted++;
        int fatal = 0;
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf, BLOCK);
            if (n == 0) break;
            if (n < 0) {
                e.broken = 1;
                r->st->n_unread++;
                reject(r, e.name, "read error at offset %llu: %s", (unsigned long long)e.bytes,
                       archive_error_string(a) ? archive_error_string(a) : "unknown error");
                fatal = n == ARCHIVE_FATAL;
                break;
            }
            if (feed(r, &e, buf, (size_t)n) < 0 || e.capped || e.broken) break;
        }
        entry_finish(r, &e);
        if (fatal || r->err || r->shard_capped) break;
    }
    buf_release(&lastb);
out:
    buf_release(&name);
    mem_free(buf);
    archive_read_free(a);
    if (afd >= 0) close(afd); /* archive_read_open_fd leaves the fd open */
    return r->err;
}

static int read_plain(struct rd *r, const char *path, const char *entry)
{
    enum rec_kind kind = rec_kind(entry);
    r->st->entries++;
    if (kind == REC_NONE) {
        r->st->n_skipped++;
        log_debug("shard '%s': '%s' has no record format (.txt .md .jsonl .ndjson .tsv .csv), skipped", r->shard,
                  entry);
        return 0;
    }
    const char *why;
    int fd = open_shard_file(path, r->o->allow_streams, &why);
    if (fd < 0) r->st->n_unread++;
    if (fd < 0 && why) return reject(r, entry, "'%s' " NOT_REGULAR, path, why);
    if (fd < 0) return reject(r, entry, "cannot open '%s': %s", path, strerror(errno));
    char *buf = mem_alloc(BLOCK);
    if (!buf) {
        close(fd);
        return r->err = err_nomem();
    }
    struct entry e;
    entry_init(&e, entry, kind);
    r->st->n_formatted++;
    for (;;) {
        ssize_t n = read(fd, buf, BLOCK);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            e.broken = 1;
            r->st->n_unread++;
            reject(r, entry, "read error at offset %llu: %s", (unsigned long long)e.bytes, strerror(errno));
            break;
        }
        if (feed(r, &e, buf, (size_t)n) < 0 || e.capped || e.broken) break;
    }
    entry_finish(r, &e);
    close(fd);
    mem_free(buf);
    return r->err;
}

static int read_file(struct rd *r, const char *path, const char *rel)
{
    size_t suffix;
    enum shard_mode m = shard_mode(rel ? rel : base_name(path), &suffix);
    if (m == MODE_PLAIN) return read_plain(r, path, rel ? rel : base_name(path));
    if (m == MODE_COMPRESSED && rel) {
        struct buf nm = BUF_INIT;
        if (buf_append(&nm, rel, strlen(rel) - suffix) < 0) return r->err = err_nomem();
        int rc = read_archive(r, path, nm.data, m, suffix, NULL, 0);
        buf_release(&nm);
        return rc;
    }
    return read_archive(r, path, rel, m, suffix, NULL, 0);
}

struct walk {
    int (*visit)(void *ctx, const char *path, const char *rel, int err);
    void *ctx;
};

/* walk_entry: one entry of fs_walk as visit(path, rel, err): regular files
 * (err 0), unreadable entries and dangling links to follow (-errno); files
 * reached before, links not followed, loops and other kinds are skipped */
static int walk_entry(void *ctx, const struct fs_walk_entry *e)
{
    struct walk *w = ctx;
    switch (e->kind) {
    case FS_WALK_FILE:
        return w->visit(w->ctx, e->path, e->rel, 0);
    case FS_WALK_ERROR:
        return w->visit(w->ctx, e->path, e->rel, -e->err);
    case FS_WALK_DANGLING:
        return w->visit(w->ctx, e->path, e->rel, -ENOENT);
    case FS_WALK_SAME:
        log_info("'%s': the same file as one read before (link), skipped", e->path);
        return 0;
    case FS_WALK_SYMLINK:
        log_debug("'%s': symbolic link not followed (--follow-symlinks)", e->path);
        return 0;
    default:
        return 0; /* FIFOs, devices, sockets: never read inside a directory; loops (warned) */
    }
}

/* walk: visit(path, rel, err) for every regular file under dir in byte order
 * of names (fs_walk: hidden names skipped, symbolic links not followed unless
 * follow, a loop reported and skipped, a file reached twice visited once) */
static int walk(const char *dir, int follow, int (*visit)(void *, const char *, const char *, int), void *ctx)
{
    struct walk w = { visit, ctx };
    struct fs_seen seen = FS_SEEN_INIT;
    int rc = fs_walk(dir, follow, 0, &seen, walk_entry, &w);
    fs_seen_release(&seen);
    return rc;
}

static int visit_read(void *ctx, const char *path, const char *rel, int err)
{
    struct rd *r = ctx;
    if (err) {
        r->st->n_unread++;
        return reject(r, rel, "cannot read '%s': %s", path, strerror(-err));
    }
    return read_file(r, path, rel);
}

/* rd_init: a reader over one shard with opt's caps (0 = the defaults) */
static int rd_init(struct rd *r, const char *shard, const struct src_options *opt, src_doc_fn on_doc, void *ctx,
                   struct src_stats *st)
{
    RETURN_ERR_IF(!opt->text_field || !opt->column, ERR_INVALID, "source options need a text field and a column");
    memset(r, 0, sizeof *r);
    r->shard = shard;
    r->o = opt;
    r->max_entry = opt->max_entry ? opt->max_entry : 4ull << 30;
    r->max_shard = opt->max_shard ? opt->max_shard : 64ull << 30;
    r->max_record = opt->max_record ? opt->max_record : 32u << 20;
    r->on_doc = on_doc;
    r->ctx = ctx;
    r->st = st;
    return 0;
}

int src_read(const char *path, const struct src_options *opt, src_doc_fn on_doc, void *ctx,
             struct src_stats *st)
{
    struct src_options defaults = SRC_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    struct rd r;
    FORWARD_ERR(rd_init(&r, path, opt, on_doc, ctx, st));
    struct stat sb;
    if (stat(path, &sb) != 0) {
        st->n_unread++;
        reject(&r, NULL, "cannot read: %s", strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        int wr = walk(path, opt->follow_symlinks, visit_read, &r);
        if (wr < 0 && r.err == 0) r.err = wr;
    } else {
        read_file(&r, path, NULL);
    }
    notes_end(&r);
    buf_release(&r.clean);
    buf_release(&r.id);
    return r.err;
}

int src_read_mem(const char *name, const void *data, size_t size, size_t block, const struct src_options *opt,
                 src_doc_fn on_doc, void *ctx, struct src_stats *st)
{
    struct src_options defaults = SRC_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    struct rd r;
    FORWARD_ERR(rd_init(&r, name, opt, on_doc, ctx, st));
    if (!block || block > BLOCK) block = BLOCK;
    size_t suffix;
    enum shard_mode m = shard_mode(base_name(name), &suffix);
    if (m != MODE_PLAIN) {
        read_archive(&r, name, NULL, m, suffix, data ? data : "", size);
    } else {
        const char *entry = base_name(name);
        enum rec_kind kind = rec_kind(entry);
        st->entries++;
        if (kind == REC_NONE) {
            st->n_skipped++;
        } else {
            struct entry e;
            entry_init(&e, entry, kind);
            for (size_t i = 0; i < size; i += block) {
                size_t n = size - i < block ? size - i : block;
                if (feed(&r, &e, (const char *)data + i, n) < 0 || e.capped || e.broken) break;
            }
            entry_finish(&r, &e);
        }
    }
    notes_end(&r);
    buf_release(&r.clean);
    buf_release(&r.id);
    return r.err;
}

/* ---- content hash ---------------------------------------------------------- */

static int hash_file(struct hash_stream *h, const char *path, uint64_t *bytes)
{
    const char *why;
    int fd = open_shard_file(path, 0, &why);
    if (fd < 0 && why) return err_set(ERR_IO, "'%s' " NOT_REGULAR, path, why);
    if (fd < 0) return err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    char *buf = mem_alloc(1 << 20);
    if (!buf) {
        close(fd);
        return err_nomem();
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        hash_stream_update(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    mem_free(buf);
    close(fd);
    return rc;
}

struct hash_ctx {
    struct hash_stream *h;
    uint64_t *bytes;
};

static int visit_hash(void *ctx, const char *path, const char *rel, int err)
{
    struct hash_ctx *c = ctx;
    /* an unreadable file is part of the content: its name and errno go in */
    hash_stream_update(c->h, rel, strlen(rel) + 1);
    if (err) {
        hash_stream_update(c->h, &err, sizeof err);
        return 0;
    }
    struct stat st;
    uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    hash_stream_update(c->h, &size, sizeof size);
    int rc = hash_file(c->h, path, c->bytes);
    if (rc < 0) {
        int e = ERR_IO;
        hash_stream_update(c->h, &e, sizeof e);
    }
    return 0;
}

int src_hash(const char *path, struct hash128 *out, uint64_t *bytes)
{
    return src_hash_opt(path, NULL, out, bytes);
}

int src_hash_opt(const char *path, const struct src_options *opt, struct hash128 *out, uint64_t *bytes)
{
    *bytes = 0;
    struct hash_stream *h = hash_stream_create();
    if (!h) return err_nomem();
    struct stat sb;
    int rc = 0;
    if (stat(path, &sb) != 0) rc = err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    else if (S_ISDIR(sb.st_mode)) {
        struct hash_ctx c = { h, bytes };
        hash_stream_update(h, "dir", 4);
        rc = walk(path, opt && opt->follow_symlinks, visit_hash, &c);
    } else if (!S_ISREG(sb.st_mode) && opt && opt->allow_streams) {
        /* a stream cannot be read twice: its "content" is new on every run */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        hash_stream_update(h, "stream", 7);
        hash_stream_update(h, path, strlen(path) + 1);
        hash_stream_update(h, &ts, sizeof ts);
    } else if (!S_ISREG(sb.st_mode)) {
        rc = err_set(ERR_IO, "'%s' " NOT_REGULAR, path, file_kind(sb.st_mode));
    } else {
        rc = hash_file(h, path, bytes);
    }
    *out = hash_stream_digest(h);
    hash_stream_free(h);
    return rc;
}
