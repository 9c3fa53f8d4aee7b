/*
 * report.c - tsv, jsonl and html writers for mining results (report.h).
 *
 * The html report is one file with inline CSS and an inline SVG histogram
 * (no scripts, fonts or images from elsewhere), so it can be mailed or
 * archived next to the nightly log and opened in any browser.
 */
#include "query/report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/jsonl.h"
#include "common/mem.h"
#include "common/utf8.h"

int report_format_of(const char *path, enum report_format *out)
{
    if (!path || !strcmp(path, "-")) { *out = REPORT_TSV; return 0; }
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".tsv")) *out = REPORT_TSV;
    else if (dot && !strcmp(dot, ".jsonl")) *out = REPORT_JSONL;
    else if (dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm"))) *out = REPORT_HTML;
    else if (fs_is_stream(path)) *out = REPORT_TSV; /* /dev/null, /dev/fd/3, a FIFO: as stdout */
    else return err_set(ERR_INVALID, "cannot tell the format of '%s' (use .tsv, .jsonl or .html)", path);
    return 0;
}

void report_src_reset(struct report_src *s)
{
    buf_reset(&s->text);
    buf_reset(&s->shard);
    buf_reset(&s->entry);
    buf_reset(&s->ext_id);
    s->known = s->missing = 0;
    s->doc = s->record = s->offset = s->start = s->end = 0;
}

void report_src_release(struct report_src *s)
{
    buf_release(&s->text);
    buf_release(&s->shard);
    buf_release(&s->entry);
    buf_release(&s->ext_id);
}

/* get_src: what the callback knows of id; missing = empty, unknown */
static int get_src(report_src_fn src, void *ctx, int64_t id, struct report_src *b)
{
    report_src_reset(b);
    if (!src) {
        b->missing = 1;
        return 0;
    }
    int rc = src(ctx, id, b);
    if (rc == ERR_NOTFOUND) {
        report_src_reset(b);
        b->missing = 1;
        return 0;
    }
    return rc < 0 ? rc : 0;
}

static const char *bdata(const struct buf *b) { return b->data ? b->data : ""; }

/* tsv_text: one TSV field of s, invalid UTF-8 replaced */
static int tsv_text(FILE *f, const struct buf *s, struct buf *clean)
{
    buf_reset(clean);
    long rc = utf8_sanitize(clean, bdata(s), s->len);
    if (rc < 0) return (int)rc;
    return report_tsv_field(f, bdata(clean), clean->len);
}

/* ---- provenance: one field list, three serializers ---------------------- */

/* The provenance fields in output order. from_doc: read from the doc record,
 * unknown (TSV empty, JSON null) when it is missing (known == 0); the others
 * come from the chunk record and are always written. tsv: a TSV column (the
 * TSV columns are positional and fixed by report.h's contract, which has no
 * offset). */
enum prov_type { PROV_NUM, PROV_STR };
static const struct prov_field {
    const char *name;
    enum prov_type type;
    int from_doc, tsv;
    size_t at;               /* offsetof in struct report_src: uint64_t or struct buf */
} prov[] = {
    { "doc", PROV_NUM, 0, 1, offsetof(struct report_src, doc) },
    { "shard", PROV_STR, 1, 1, offsetof(struct report_src, shard) },
    { "entry", PROV_STR, 1, 1, offsetof(struct report_src, entry) },
    { "record", PROV_NUM, 1, 1, offsetof(struct report_src, record) },
    { "offset", PROV_NUM, 1, 0, offsetof(struct report_src, offset) },
    { "ext_id", PROV_STR, 1, 1, offsetof(struct report_src, ext_id) },
    { "start", PROV_NUM, 0, 1, offsetof(struct report_src, start) },
    { "end", PROV_NUM, 0, 1, offsetof(struct report_src, end) },
};
#define N_PROV (sizeof prov / sizeof *prov)

static uint64_t prov_num(const struct report_src *s, const struct prov_field *f)
{
    return *(const uint64_t *)(const void *)((const char *)s + f->at);
}

static const struct buf *prov_str(const struct report_src *s, const struct prov_field *f)
{
    return (const struct buf *)(const void *)((const char *)s + f->at);
}

static int prov_known(const struct report_src *s, const struct prov_field *f)
{
    return f->from_doc ? s->known : !s->missing;
}

int report_tsv_prov(FILE *f, const struct report_src *s, int with_doc)
{
    struct buf clean = BUF_INIT;
    int rc = 0, first = 1;
    for (size_t i = with_doc ? 0 : 1; i < N_PROV && rc == 0; i++) {
        const struct prov_field *p = &prov[i];
        if (!p->tsv) continue;
        if (!first) putc('\t', f);
        first = 0;
        if (!prov_known(s, p)) continue;
        if (p->type == PROV_NUM) fprintf(f, "%llu", (unsigned long long)prov_num(s, p));
        else rc = tsv_text(f, prov_str(s, p), &clean);
    }
    buf_release(&clean);
    return rc;
}

void report_json_prov(struct jsonl_row *r, const struct report_src *s, const char *suffix, int with_doc)
{
    char name[32];
    for (size_t i = with_doc ? 0 : 1; i < N_PROV; i++) {
        const struct prov_field *p = &prov[i];
        snprintf(name, sizeof name, "%s%s", p->name, suffix);
        if (!prov_known(s, p)) jsonl_null(r, name);
        else if (p->type == PROV_NUM) jsonl_u64(r, name, prov_num(s, p));
        else jsonl_buf(r, name, prov_str(s, p));
    }
}

json_t *report_json_text(const char *s, size_t n)
{
    struct buf clean = BUF_INIT;
    if (utf8_sanitize(&clean, s ? s : "", n) < 0) return NULL;
    json_t *j = json_stringn(bdata(&clean), clean.len);
    buf_release(&clean);
    return j;
}

json_t *report_src_json(int64_t id, const struct report_src *s)
{
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = json_object_set_new(o, "id", json_integer(id));
    for (size_t i = 0; i < N_PROV; i++) {
        const struct prov_field *p = &prov[i];
        json_t *v = !prov_known(s, p) ? json_null()
                    : p->type == PROV_NUM ? json_integer((json_int_t)prov_num(s, p))
                    : report_json_text(prov_str(s, p)->data, prov_str(s, p)->len);
        bad |= json_object_set_new(o, p->name, v);
    }
    if (bad) { json_decref(o); return NULL; }
    return o;
}

int report_tsv_field(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *e = NULL;
        switch (s[i]) {
        case '\\': e = "\\\\"; break;
        case '\t': e = "\\t"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        }
        if (e) fputs(e, f);
        else putc(s[i], f);
    }
    return 0;
}

static int check_stream(FILE *f)
{
    if (ferror(f)) return err_set(ERR_IO, "cannot write the report: %s", strerror(errno));
    return 0;
}

int report_write_tsv(FILE *f, const struct mine_pair *p, size_t n, report_src_fn src, void *ctx)
{
    struct report_src sa = REPORT_SRC_INIT, sb = REPORT_SRC_INIT;
    struct buf clean = BUF_INIT;
    int rc = 0;
    fputs("score\ta\tb\ttext_a\ttext_b"
          "\tdoc_a\tshard_a\tentry_a\trecord_a\text_id_a\tstart_a\tend_a"
          "\tdoc_b\tshard_b\tentry_b\trecord_b\text_id_b\tstart_b\tend_b\n", f);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = get_src(src, ctx, p[i].a, &sa)) < 0) break;
        if ((rc = get_src(src, ctx, p[i].b, &sb)) < 0) break;
        fprintf(f, "%.6f\t%lld\t%lld\t", p[i].score, (long long)p[i].a, (long long)p[i].b);
        if ((rc = tsv_text(f, &sa.text, &clean)) < 0) break;
        putc('\t', f);
        if ((rc = tsv_text(f, &sb.text, &clean)) < 0) break;
        for (int k = 0; k < 2 && rc == 0; k++) {
            putc('\t', f);
            rc = report_tsv_prov(f, k ? &sb : &sa, 1);
        }
        putc('\n', f);
    }
    report_src_release(&sa); report_src_release(&sb); buf_release(&clean);
    return rc < 0 ? rc : check_stream(f);
}

int report_write_jsonl(FILE *f, const struct mine_pair *p, size_t n, report_src_fn src, void *ctx)
{
    struct report_src sa = REPORT_SRC_INIT, sb = REPORT_SRC_INIT;
    struct buf line = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = get_src(src, ctx, p[i].a, &sa)) < 0) break;
        if ((rc = get_src(src, ctx, p[i].b, &sb)) < 0) break;
        buf_reset(&line);
        struct jsonl_row r;
        jsonl_begin(&r, &line);
        jsonl_num(&r, "score", p[i].score, 6);
        jsonl_i64(&r, "a", p[i].a);
        jsonl_i64(&r, "b", p[i].b);
        jsonl_buf(&r, "text_a", &sa.text);
        jsonl_buf(&r, "text_b", &sb.text);
        report_json_prov(&r, &sa, "_a", 1);
        report_json_prov(&r, &sb, "_b", 1);
        if ((rc = jsonl_end(&r)) < 0) break;
        fwrite(line.data, 1, line.len, f);
    }
    report_src_release(&sa); report_src_release(&sb); buf_release(&line);
    return rc < 0 ? rc : check_stream(f);
}

int report_write_dups_jsonl(FILE *f, const struct mine_clusters *dups, size_t cap, report_src_fn src,
                            void *ctx)
{
    struct report_src x = REPORT_SRC_INIT;
    int rc = 0;
    for (size_t g = 0; dups && g < dups->n && rc == 0; g++) {
        size_t a = dups->start[g], b = dups->start[g + 1], m;
        json_t *o = json_object(), *members = json_array();
        if (!o || !members) { json_decref(o); json_decref(members); rc = err_nomem(); break; }
        json_object_set_new(o, "group", json_integer((json_int_t)g));
        json_object_set_new(o, "count", json_integer((json_int_t)(b - a)));
        for (m = a; m < b && (cap == 0 || m < a + cap) && rc == 0; m++) {
            if ((rc = get_src(src, ctx, dups->member[m], &x)) < 0) break;
            if (m == a) json_object_set_new(o, "text", report_json_text(x.text.data, x.text.len));
            json_t *mj = report_src_json(dups->member[m], &x);
            if (!mj || json_array_append_new(members, mj) < 0) rc = err_nomem();
        }
        json_object_set_new(o, "members", members);
        json_object_set_new(o, "more", json_integer((json_int_t)(b - m)));
        if (rc == 0 && (json_dumpf(o, f, JSON_PRESERVE_ORDER) < 0 || putc('\n', f) == EOF))
            rc = err_set(ERR_IO, "cannot write the duplicate groups: %s", strerror(errno));
        json_decref(o);
    }
    report_src_release(&x);
    return rc < 0 ? rc : check_stream(f);
}

int report_write_clusters_jsonl(FILE *f, const struct mine_clusters *cl)
{
    struct buf line = BUF_INIT;
    int rc = 0;
    for (size_t c = 0; c < cl->n && rc == 0; c++) {
        struct jsonl_row r;
        buf_reset(&line);
        jsonl_begin(&r, &line);
        jsonl_u64(&r, "cluster", c);
        jsonl_u64(&r, "size", cl->start[c + 1] - cl->start[c]);
        jsonl_i64s(&r, "ids", cl->member + cl->start[c], cl->start[c + 1] - cl->start[c]);
        if ((rc = jsonl_end(&r)) == 0) fwrite(line.data, 1, line.len, f);
    }
    buf_release(&line);
    return rc < 0 ? rc : check_stream(f);
}

int report_html_escape(struct buf *out, const char *s, size_t n)
{
    struct buf clean = BUF_INIT;
    long bad = utf8_sanitize(&clean, s, n);
    if (bad < 0) return (int)bad;
    int rc = 0;
    for (size_t i = 0; i < clean.len && rc == 0; i++) {
        switch (clean.data[i]) {
        case '&': rc = buf_puts(out, "&amp;"); break;
        case '<': rc = buf_puts(out, "&lt;"); break;
        case '>': rc = buf_puts(out, "&gt;"); break;
        case '"': rc = buf_puts(out, "&quot;"); break;
        case '\'': rc = buf_puts(out, "&#39;"); break;
        default: rc = buf_putc(out, clean.data[i]);
        }
    }
    buf_release(&clean);
    return rc;
}

/* ---------------- html ---------------- */

#define N_BINS 20

/* the head up to <html lang="..."> is written by report_write_html */
static const char html_head[] =
    "<head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>semindex mining report</title>\n<style>\n"
    "body{font-family:system-ui,'Noto Sans CJK KR','Noto Sans KR','Apple SD Gothic Neo','Malgun Gothic',"
    "sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em;line-height:1.5}\n"
    ":lang(ko) td,:lang(ko) li{word-break:keep-all;line-break:strict}\n"
    "td,li{overflow-wrap:anywhere}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\n"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;"
    "vertical-align:top;text-align:left}\n"
    "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.summary{width:auto}table.summary th{font-weight:normal}\n"
    "ol.cluster li{margin:.2em 0}.id{color:#888;font-size:.85em}\n"
    ".src{display:block;color:#777;font-size:.8em;word-break:normal;overflow-wrap:anywhere}\n"
    "ul.where{margin:.2em 0;padding-left:1.2em}\n"
    "svg text{font-size:11px;fill:#444}\n"
    "</style></head><body>\n";

void report_lang_count(const char *s, size_t n, size_t *hangul, size_t *letters)
{
    for (size_t i = 0; i < n;) {
        int32_t cp;
        i += utf8_decode(s + i, n - i, &cp);
        if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F)) {
            (*hangul)++;
            (*letters)++;
        } else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp != 0xFFFD &&
                   !(cp >= 0x2000 && cp <= 0x2BFF) && !(cp >= 0x3000 && cp <= 0x303F) && !(cp >= 0xFF00 && cp <= 0xFF20))) {
            (*letters)++;
        }
    }
}

const char *report_lang_pick(size_t hangul, size_t letters)
{
    return letters && hangul * 2 > letters ? "ko" : "en";
}

/* put_where: " #id" and, on its own line, where chunk id comes from */
static int put_where(struct buf *h, int64_t id, const struct report_src *x)
{
    int rc = buf_printf(h, " <span class=\"id\">#%lld</span>", (long long)id);
    if (rc < 0) return rc;
    if (!x->known && !x->missing) /* the doc record is missing: what the chunk says */
        return buf_printf(h, "<span class=\"src\">doc %llu &#183; bytes [%llu, %llu)</span>",
                          (unsigned long long)x->doc, (unsigned long long)x->start, (unsigned long long)x->end);
    const char *base = strrchr(bdata(&x->shard), '/');
    base = base ? base + 1 : bdata(&x->shard);
    rc = buf_puts(h, "<span class=\"src\" title=\"");
    if (rc == 0) rc = report_html_escape(h, bdata(&x->shard), x->shard.len);
    if (rc == 0) rc = buf_puts(h, "\">");
    if (rc == 0) rc = report_html_escape(h, base, strlen(base));
    if (rc == 0 && x->entry.len) {
        rc = buf_puts(h, " &#8250; ");
        if (rc == 0) rc = report_html_escape(h, bdata(&x->entry), x->entry.len);
    }
    if (rc == 0 && x->record) rc = buf_printf(h, " &#183; record %llu", (unsigned long long)x->record);
    if (rc == 0 && x->ext_id.len) {
        rc = buf_puts(h, " &#183; id ");
        if (rc == 0) rc = report_html_escape(h, bdata(&x->ext_id), x->ext_id.len);
    }
    if (rc == 0)
        rc = buf_printf(h, " &#183; doc %llu &#183; bytes [%llu, %llu)</span>", (unsigned long long)x->doc,
                        (unsigned long long)x->start, (unsigned long long)x->end);
    return rc;
}

/* put_src: the chunk's text, its id and where it comes from */
static void put_src(struct buf *h, report_src_fn src, void *ctx, int64_t id, struct report_src *x, int *rc)
{
    if (*rc < 0) return;
    if ((*rc = get_src(src, ctx, id, x)) < 0) return;
    *rc = report_html_escape(h, bdata(&x->text), x->text.len);
    if (*rc == 0) *rc = put_where(h, id, x);
}

static int histogram_svg(struct buf *h, const struct mine_pair *p, size_t n)
{
    size_t bins[N_BINS] = { 0 };
    float lo = 1, hi = -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i].score < lo) lo = p[i].score;
        if (p[i].score > hi) hi = p[i].score;
    }
    if (n == 0) lo = 0, hi = 1;
    if (hi - lo < 1e-6f) lo = hi - 0.05f, hi = hi + 0.05f;
    double w = (hi - lo) / N_BINS;
    size_t top = 1;
    for (size_t i = 0; i < n; i++) {
        int b = (int)((p[i].score - lo) / w);
        if (b >= N_BINS) b = N_BINS - 1;
        if (b < 0) b = 0;
        if (++bins[b] > top) top = bins[b];
    }
    const int W = 640, H = 220, L = 50, B = 30, T = 10, bw = (W - L - 10) / N_BINS;
    int rc = buf_printf(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"histogram of pair scores\">\n",
                        W, H, W, H);
    rc = rc < 0 ? rc : buf_printf(h, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
                                  L, H - B, W - 10, H - B);
    rc = rc < 0 ? rc : buf_printf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu</text>\n", L - 4, T + 10, top);
    rc = rc < 0 ? rc : buf_printf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", L - 4, H - B);
    for (int b = 0; b < N_BINS && rc == 0; b++) {
        int bh = (int)((double)bins[b] / top * (H - B - T));
        rc = buf_printf(h, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a7bd0\">"
                        "<title>%.3f-%.3f: %zu pairs</title></rect>\n",
                        L + b * bw + 1, H - B - bh, bw - 2, bh, lo + b * w, lo + (b + 1) * w, bins[b]);
        if (rc == 0 && b % 4 == 0)
            rc = buf_printf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.3f</text>\n", L + b * bw,
                            H - B + 15, lo + b * w);
    }
    rc = rc < 0 ? rc : buf_printf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f</text>\n",
                                  L + N_BINS * bw, H - B + 15, (double)hi);
    rc = rc < 0 ? rc : buf_printf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">cosine score</text>\n",
                                  L + N_BINS * bw / 2, H - 2);
    return rc < 0 ? rc : buf_puts(h, "</svg>\n");
}

/* guess_lang: "ko" or "en" from the texts of the pairs and groups shown */
static int guess_lang(const struct mine_pair *p, size_t n, const struct mine_clusters *dups, size_t dshown,
                      report_src_fn src, void *ctx, const char **out)
{
    struct report_src x = REPORT_SRC_INIT;
    size_t hangul = 0, letters = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            if ((rc = get_src(src, ctx, k ? p[i].b : p[i].a, &x)) == 0)
                report_lang_count(bdata(&x.text), x.text.len, &hangul, &letters);
        }
    }
    for (size_t g = 0; dups && g < dups->n && g < dshown && rc == 0; g++)
        if ((rc = get_src(src, ctx, dups->member[dups->start[g]], &x)) == 0)
            report_lang_count(bdata(&x.text), x.text.len, &hangul, &letters);
    report_src_release(&x);
    *out = report_lang_pick(hangul, letters);
    return rc;
}

static void flush_some(FILE *f, struct buf *h)
{
    if (h->len > (1u << 20)) { /* flush now and then */
        fwrite(h->data, 1, h->len, f);
        buf_reset(h);
    }
}

int report_write_html(FILE *f, const struct report_summary *s, const struct mine_pair *p, size_t n,
                      const struct mine_clusters *clusters, const struct mine_clusters *dups,
                      report_src_fn src, void *ctx)
{
    struct buf h = BUF_INIT;
    struct report_src x = REPORT_SRC_INIT;
    size_t shown = s->top_pairs_shown ? s->top_pairs_shown : 200;
    size_t cshown = s->clusters_shown ? s->clusters_shown : 20;
    size_t dshown = s->dups_shown ? s->dups_shown : 50;
    const char *lang = s->lang;
    int rc = 0;
    if (!lang || !*lang) rc = guess_lang(p, n < shown ? n : shown, dups, dshown, src, ctx, &lang);
    rc = rc < 0 ? rc : buf_puts(&h, "<!DOCTYPE html>\n<html lang=\"");
    rc = rc < 0 ? rc : report_html_escape(&h, lang, strlen(lang));
    rc = rc < 0 ? rc : buf_puts(&h, "\">");
    rc = rc < 0 ? rc : buf_puts(&h, html_head);
    rc = rc < 0 ? rc : buf_puts(&h, "<h1>Paraphrase mining: ");
    rc = rc < 0 ? rc : report_html_escape(&h, s->title ? s->title : "", s->title ? strlen(s->title) : 0);
    rc = rc < 0 ? rc : buf_puts(&h, "</h1>\n<table class=\"summary\">\n");
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += p[i].score;
    if (n) mean /= (double)n;
    size_t dchunks = 0;
    if (dups) dchunks = dups->start[dups->n];
#define ROW(name, ...)                                                                     \
    do {                                                                                   \
        if (rc == 0) rc = buf_printf(&h, "<tr><th>%s</th><td class=\"num\">", name);      \
        if (rc == 0) rc = buf_printf(&h, __VA_ARGS__);                                     \
        if (rc == 0) rc = buf_puts(&h, "</td></tr>\n");                                   \
    } while (0)
    if (rc == 0) rc = buf_puts(&h, "<tr><th>model</th><td>");
    if (rc == 0 && s->model) rc = report_html_escape(&h, s->model, strlen(s->model));
    if (rc == 0) rc = buf_puts(&h, "</td></tr>\n");
    ROW("mode", "%s", s->mode ? s->mode : "");
    ROW("vectors", "%zu", s->n_vectors);
    ROW("top_k", "%d", s->top_k);
    ROW("max_pairs", "%zu", s->max_pairs);
    ROW("threshold", "%.4f", s->threshold);
    ROW("pairs", "%zu", n);
    if (s->identical_included) {
        ROW("identical texts", "%s", "kept in the pairs (--include-identical)");
    } else {
        ROW("identical-text pairs left out", "%zu", s->identical_dropped);
        ROW("repeated text pairs left out", "%zu", s->repeated_dropped);
    }
    if (dups) ROW("duplicate groups", "%zu (%zu chunks)", dups->n, dchunks);
    if (n) {
        ROW("best score", "%.4f", (double)p[0].score);
        ROW("lowest score", "%.4f", (double)p[n - 1].score);
        ROW("mean score", "%.4f", mean);
    }
    ROW("clusters", "%zu", clusters ? clusters->n : (size_t)0);
    ROW("mining time", "%.2f s", s->seconds);
#undef ROW
    rc = rc < 0 ? rc : buf_puts(&h, "</table>\n<h2>Scores</h2>\n");
    rc = rc < 0 ? rc : histogram_svg(&h, p, n);
    rc = rc < 0 ? rc : buf_printf(&h, "<h2 id=\"pairs\">Top pairs</h2>\n<p>The %zu best of %zu pairs%s.</p>\n"
                                  "<table class=\"pairs\">\n<tr><th>score</th><th>text a</th><th>text b</th></tr>\n",
                                  n < shown ? n : shown, n,
                                  s->identical_included ? "" : " between distinct texts, each pair of texts once");
    for (size_t i = 0; i < n && i < shown && rc == 0; i++) {
        rc = buf_printf(&h, "<tr><td class=\"num\">%.4f</td><td>", p[i].score);
        put_src(&h, src, ctx, p[i].a, &x, &rc);
        rc = rc < 0 ? rc : buf_puts(&h, "</td><td>");
        put_src(&h, src, ctx, p[i].b, &x, &rc);
        rc = rc < 0 ? rc : buf_puts(&h, "</td></tr>\n");
        if (rc == 0) flush_some(f, &h);
    }
    rc = rc < 0 ? rc : buf_puts(&h, "</table>\n");
    if (dups && rc == 0) {
        rc = buf_printf(&h, "<h2 id=\"duplicates\">Duplicate texts</h2>\n<p>%zu texts occur more than once "
                        "(%zu chunks); the %zu most frequent, up to 10 places each. They are left out of the "
                        "pairs above.", dups->n, dchunks, dups->n < dshown ? dups->n : dshown);
        if (rc == 0 && s->dups_file) {
            rc = buf_puts(&h, " All groups, up to 100 places each: <code>");
            if (rc == 0) rc = report_html_escape(&h, s->dups_file, strlen(s->dups_file));
            if (rc == 0) rc = buf_puts(&h, "</code>.");
        }
        rc = rc < 0 ? rc : buf_puts(&h, "</p>\n<table class=\"duplicates\">\n<tr><th>count</th><th>text</th>"
                                    "<th>where</th></tr>\n");
        for (size_t g = 0; g < dups->n && g < dshown && rc == 0; g++) {
            size_t a = dups->start[g], b = dups->start[g + 1];
            rc = buf_printf(&h, "<tr class=\"dup\"><td class=\"num\">%zu</td><td>", b - a);
            if (rc == 0 && (rc = get_src(src, ctx, dups->member[a], &x)) == 0)
                rc = report_html_escape(&h, bdata(&x.text), x.text.len);
            rc = rc < 0 ? rc : buf_puts(&h, "</td><td><ul class=\"where\">");
            for (size_t m = a; m < b && m < a + 10 && rc == 0; m++) {
                /* the text is in the row already: the id and the source only */
                rc = buf_puts(&h, "<li>");
                if (rc == 0) rc = get_src(src, ctx, dups->member[m], &x);
                if (rc == 0) rc = put_where(&h, dups->member[m], &x);
                rc = rc < 0 ? rc : buf_puts(&h, "</li>");
            }
            if (rc == 0 && b - a > 10) rc = buf_printf(&h, "<li>and %zu more</li>", b - a - 10);
            rc = rc < 0 ? rc : buf_puts(&h, "</ul></td></tr>\n");
            if (rc == 0) flush_some(f, &h);
        }
        rc = rc < 0 ? rc : buf_puts(&h, "</table>\n");
    }
    if (clusters && rc == 0) {
        rc = buf_printf(&h, "<h2 id=\"clusters\">Largest clusters</h2>\n<p>%zu clusters; the %zu largest, up to 10 "
                        "members each.</p>\n", clusters->n, clusters->n < cshown ? clusters->n : cshown);
        for (size_t c = 0; c < clusters->n && c < cshown && rc == 0; c++) {
            size_t a = clusters->start[c], b = clusters->start[c + 1];
            rc = buf_printf(&h, "<h3>Cluster %zu: %zu members</h3>\n<ol class=\"cluster\">\n", c + 1, b - a);
            for (size_t m = a; m < b && m < a + 10 && rc == 0; m++) {
                rc = buf_puts(&h, "<li>");
                put_src(&h, src, ctx, clusters->member[m], &x, &rc);
                rc = rc < 0 ? rc : buf_puts(&h, "</li>\n");
            }
            rc = rc < 0 ? rc : buf_puts(&h, "</ol>\n");
            if (rc == 0) flush_some(f, &h);
        }
    }
    rc = rc < 0 ? rc : buf_puts(&h, "<p class=\"id\">Written by semindex " SEMINDEX_VERSION ".</p>\n</body></html>\n");
    if (rc == 0) fwrite(h.data, 1, h.len, f);
    buf_release(&h);
    report_src_release(&x);
    return rc < 0 ? rc : check_stream(f);
}

/* ---------------- atomic output file ---------------- */

