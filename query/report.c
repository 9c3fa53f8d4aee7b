/*
 * report.c - tsv, jsonl and html writers for mining results (report.h).
 *
 * The html report is one file with inline CSS and an inline SVG histogram
 * (no scripts, fonts or images from elsewhere), so it can be mailed or
 * archived next to the nightly log and opened in any browser.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "mem.h"
#include "utf8.h"

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

/* get_text: the text of id into b (sanitized UTF-8); missing = empty */
static int get_text(report_text_fn text, void *ctx, int64_t id, struct buf *b)
{
    buf_reset(b);
    if (!text) return 0;
    int rc = text(ctx, id, b);
    if (rc == ERR_NOTFOUND) { buf_reset(b); return 0; }
    return rc < 0 ? rc : 0;
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

int report_write_tsv(FILE *f, const struct mine_pair *p, size_t n, report_text_fn text, void *ctx)
{
    struct buf ta = BUF_INIT, tb = BUF_INIT, clean = BUF_INIT;
    int rc = 0;
    fputs("score\ta\tb\ttext_a\ttext_b\n", f);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = get_text(text, ctx, p[i].a, &ta)) < 0) break;
        if ((rc = get_text(text, ctx, p[i].b, &tb)) < 0) break;
        fprintf(f, "%.6f\t%lld\t%lld\t", p[i].score, (long long)p[i].a, (long long)p[i].b);
        buf_reset(&clean);
        if ((rc = (int)utf8_sanitize(&clean, ta.data ? ta.data : "", ta.len)) < 0) break;
        report_tsv_field(f, clean.data ? clean.data : "", clean.len);
        putc('\t', f);
        buf_reset(&clean);
        if ((rc = (int)utf8_sanitize(&clean, tb.data ? tb.data : "", tb.len)) < 0) break;
        report_tsv_field(f, clean.data ? clean.data : "", clean.len);
        putc('\n', f);
        rc = 0;
    }
    buf_release(&ta); buf_release(&tb); buf_release(&clean);
    return rc < 0 ? rc : check_stream(f);
}

int report_write_jsonl(FILE *f, const struct mine_pair *p, size_t n, report_text_fn text, void *ctx)
{
    struct buf ta = BUF_INIT, tb = BUF_INIT, line = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = get_text(text, ctx, p[i].a, &ta)) < 0) break;
        if ((rc = get_text(text, ctx, p[i].b, &tb)) < 0) break;
        buf_reset(&line);
        if ((rc = buf_printf(&line, "{\"score\": %.6f, \"a\": %lld, \"b\": %lld, \"text_a\": ", p[i].score,
                             (long long)p[i].a, (long long)p[i].b)) < 0 ||
            (rc = buf_json_str(&line, ta.data ? ta.data : "", ta.len)) < 0 ||
            (rc = buf_puts(&line, ", \"text_b\": ")) < 0 ||
            (rc = buf_json_str(&line, tb.data ? tb.data : "", tb.len)) < 0 ||
            (rc = buf_puts(&line, "}\n")) < 0)
            break;
        fwrite(line.data, 1, line.len, f);
    }
    buf_release(&ta); buf_release(&tb); buf_release(&line);
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

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>semindex mining report</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\n"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;"
    "vertical-align:top;text-align:left}\n"
    "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.summary{width:auto}table.summary th{font-weight:normal}\n"
    "ol.cluster li{margin:.2em 0}.id{color:#888;font-size:.85em}\n"
    "svg text{font-size:11px;fill:#444}\n"
    "</style></head><body>\n";

static void put_text(struct buf *h, report_text_fn text, void *ctx, int64_t id, struct buf *t, int *rc)
{
    if (*rc < 0) return;
    if ((*rc = get_text(text, ctx, id, t)) < 0) return;
    *rc = report_html_escape(h, t->data ? t->data : "", t->len);
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

int report_write_html(FILE *f, const struct report_summary *s, const struct mine_pair *p, size_t n,
                      const struct mine_clusters *clusters, report_text_fn text, void *ctx)
{
    struct buf h = BUF_INIT, t = BUF_INIT;
    size_t shown = s->top_pairs_shown ? s->top_pairs_shown : 200;
    size_t cshown = s->clusters_shown ? s->clusters_shown : 20;
    int rc = buf_puts(&h, html_head);
    rc = rc < 0 ? rc : buf_puts(&h, "<h1>Paraphrase mining: ");
    rc = rc < 0 ? rc : report_html_escape(&h, s->title ? s->title : "", s->title ? strlen(s->title) : 0);
    rc = rc < 0 ? rc : buf_puts(&h, "</h1>\n<table class=\"summary\">\n");
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += p[i].score;
    if (n) mean /= (double)n;
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
    rc = rc < 0 ? rc : buf_printf(&h, "<h2>Top pairs</h2>\n<p>The %zu best of %zu pairs.</p>\n"
                                  "<table>\n<tr><th>score</th><th>text a</th><th>text b</th></tr>\n",
                                  n < shown ? n : shown, n);
    for (size_t i = 0; i < n && i < shown && rc == 0; i++) {
        rc = buf_printf(&h, "<tr><td class=\"num\">%.4f</td><td>", p[i].score);
        put_text(&h, text, ctx, p[i].a, &t, &rc);
        rc = rc < 0 ? rc : buf_printf(&h, " <span class=\"id\">#%lld</span></td><td>", (long long)p[i].a);
        put_text(&h, text, ctx, p[i].b, &t, &rc);
        rc = rc < 0 ? rc : buf_printf(&h, " <span class=\"id\">#%lld</span></td></tr>\n", (long long)p[i].b);
        if (rc == 0 && h.len > (1u << 20)) { /* flush now and then */
            fwrite(h.data, 1, h.len, f);
            buf_reset(&h);
        }
    }
    rc = rc < 0 ? rc : buf_puts(&h, "</table>\n");
    if (clusters && rc == 0) {
        rc = buf_printf(&h, "<h2>Largest clusters</h2>\n<p>%zu clusters; the %zu largest, up to 10 "
                        "members each.</p>\n", clusters->n, clusters->n < cshown ? clusters->n : cshown);
        for (size_t c = 0; c < clusters->n && c < cshown && rc == 0; c++) {
            size_t a = clusters->start[c], b = clusters->start[c + 1];
            rc = buf_printf(&h, "<h3>Cluster %zu: %zu members</h3>\n<ol class=\"cluster\">\n", c + 1, b - a);
            for (size_t m = a; m < b && m < a + 10 && rc == 0; m++) {
                rc = buf_puts(&h, "<li>");
                put_text(&h, text, ctx, clusters->member[m], &t, &rc);
                rc = rc < 0 ? rc : buf_printf(&h, " <span class=\"id\">#%lld</span></li>\n",
                                              (long long)clusters->member[m]);
            }
            rc = rc < 0 ? rc : buf_puts(&h, "</ol>\n");
        }
    }
    rc = rc < 0 ? rc : buf_puts(&h, "<p class=\"id\">Written by semindex " SEMINDEX_VERSION ".</p>\n</body></html>\n");
    if (rc == 0) fwrite(h.data, 1, h.len, f);
    buf_release(&h);
    buf_release(&t);
    return rc < 0 ? rc : check_stream(f);
}

/* ---------------- atomic output file ---------------- */

