/*
 * test_report.c - the tsv, jsonl and html writers: header and columns,
 * escaping of hostile texts (tabs, newlines, markup, invalid UTF-8), JSON
 * that parses, a self-contained html file, atomic output files.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "fsutil.h"
#include "query/report.h"

static const char *texts[] = {
    "plain text",
    "tab\there and\nnewline \\ backslash",
    "<script>alert('x')</script> & \"quotes\"",
    "bad utf8 \xff\xfe end",
    "한국어 문장입니다.",
};

static int text_of(void *ctx, int64_t id, struct buf *out)
{
    (void)ctx;
    if (id == 99) return ERR_NOTFOUND;
    if (id == 666) return err_set(ERR_STORE, "store broke on %lld", (long long)id);
    if (id < 0 || id >= 5) return ERR_NOTFOUND;
    return buf_puts(out, texts[id]);
}

static char *capture(int which, const struct mine_pair *p, size_t n, const struct mine_clusters *c, int *rc)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    struct report_summary s = { "demo <store>", "builtin:ngram", "exact", 5, 10, 100, 0.5, 0.01, 0, 0 };
    if (which == 0) *rc = report_write_tsv(f, p, n, text_of, NULL);
    else if (which == 1) *rc = report_write_jsonl(f, p, n, text_of, NULL);
    else *rc = report_write_html(f, &s, p, n, c, text_of, NULL);
    fclose(f);
    return data;
}

int main(void)
{
    struct mine_pair p[] = { { 0.95f, 0, 1 }, { 0.9f, 2, 3 }, { 0.8f, 1, 4 }, { 0.7f, 4, 99 } };
    int rc;

    TEST("tsv: header, columns, escaped texts") {
        char *out = capture(0, p, 4, NULL, &rc);
        CHECK_OK(rc);
        const char *want =
            "score\ta\tb\ttext_a\ttext_b\n"
            "0.950000\t0\t1\tplain text\ttab\\there and\\nnewline \\\\ backslash\n"
            "0.900000\t2\t3\t<script>alert('x')</script> & \"quotes\"\tbad utf8 \xef\xbf\xbd\xef\xbf\xbd end\n"
            "0.800000\t1\t4\ttab\\there and\\nnewline \\\\ backslash\t한국어 문장입니다.\n"
            "0.700000\t4\t99\t한국어 문장입니다.\t\n";
        CHECK_STR(out, want);
        free(out);
    }

    TEST("jsonl: one parseable object per pair with the contract's keys") {
        char *out = capture(1, p, 4, NULL, &rc);
        CHECK_OK(rc);
        int lines = 0;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
            json_error_t je;
            json_t *j = json_loads(line, 0, &je);
            CHECK_TRUE(j != NULL);
            if (!j) continue;
            CHECK_TRUE(json_is_real(json_object_get(j, "score")));
            CHECK_INT(json_integer_value(json_object_get(j, "a")), p[lines].a);
            CHECK_INT(json_integer_value(json_object_get(j, "b")), p[lines].b);
            const char *ta = json_string_value(json_object_get(j, "text_a"));
            CHECK_TRUE(ta != NULL);
            if (lines == 1) CHECK_STR(ta, texts[2]);
            if (lines == 1) CHECK_STR(json_string_value(json_object_get(j, "text_b")), "bad utf8 \xef\xbf\xbd\xef\xbf\xbd end");
            if (lines == 0) CHECK_STR(json_string_value(json_object_get(j, "text_b")), texts[1]);
            json_decref(j);
        }
        CHECK_INT(lines, 4);
        free(out);
    }

    TEST("html: self-contained, escaped, with histogram, pairs and clusters") {
        size_t start[] = { 0, 3, 5 };
        int64_t member[] = { 0, 1, 2, 3, 4 };
        struct mine_clusters c = { 2, start, member };
        char *out = capture(2, p, 4, &c, &rc);
        CHECK_OK(rc);
        CHECK_TRUE(strncmp(out, "<!DOCTYPE html>", 15) == 0);
        CHECK_TRUE(strstr(out, "<svg") != NULL && strstr(out, "</svg>") != NULL);
        CHECK_TRUE(strstr(out, "<script") == NULL);                 /* escaped, never live */
        CHECK_TRUE(strstr(out, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;") != NULL);
        CHECK_TRUE(strstr(out, "demo &lt;store&gt;") != NULL);
        CHECK_TRUE(strstr(out, "\xef\xbf\xbd") != NULL);            /* invalid UTF-8 replaced */
        CHECK_TRUE(strstr(out, "\xff") == NULL);
        CHECK_TRUE(strstr(out, "Cluster 2: 2 members") != NULL);
        CHECK_TRUE(strstr(out, "0.9500") != NULL);
        /* no external resources: the only URL is the SVG namespace */
        char *u = out;
        int urls = 0;
        while ((u = strstr(u, "http")) != NULL) { urls++; u++; }
        CHECK_INT(urls, 1);
        CHECK_TRUE(strstr(out, "</body></html>") != NULL);
        free(out);
        out = capture(2, p, 0, NULL, &rc); /* no pairs at all */
        CHECK_OK(rc);
        CHECK_TRUE(strstr(out, "<svg") != NULL);
        free(out);
    }

    TEST("a text callback error stops the writers") {
        struct mine_pair q[] = { { 0.5f, 1, 666 } };
        for (int w = 0; w < 3; w++) {
            char *out = capture(w, q, 1, NULL, &rc);
            CHECK_INT(rc, ERR_STORE);
            free(out);
        }
    }

    TEST("format by extension") {
        enum report_format f;
        CHECK_OK(report_format_of("x.tsv", &f)); CHECK_INT(f, REPORT_TSV);
        CHECK_OK(report_format_of("a/b.jsonl", &f)); CHECK_INT(f, REPORT_JSONL);
        CHECK_OK(report_format_of("r.html", &f)); CHECK_INT(f, REPORT_HTML);
        CHECK_OK(report_format_of(NULL, &f)); CHECK_INT(f, REPORT_TSV);
        CHECK_INT(report_format_of("x.csv", &f), ERR_INVALID);
        CHECK_INT(report_format_of("noext", &f), ERR_INVALID);
    }

    TEST("output files are replaced atomically") {
        char path[512], tmp[600];
        snprintf(path, sizeof path, "%s/pairs.tsv", test_tmpdir());
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        struct fs_atomic rf;
        CHECK_OK(fs_atomic_open(&rf, path));
        fputs("old\n", rf.f);
        CHECK_OK(fs_atomic_commit(&rf));
        CHECK_OK(fs_atomic_open(&rf, path));
        fputs("new but aborted\n", rf.f);
        CHECK_TRUE(access(tmp, F_OK) == 0);
        fs_atomic_abort(&rf);
        CHECK_TRUE(access(tmp, F_OK) != 0);
        struct buf b = BUF_INIT;
        CHECK_OK(fs_read_file(path, &b, 0));
        CHECK_STR(b.data, "old\n");
        buf_release(&b);
        char bad[600];
        snprintf(bad, sizeof bad, "%s/no/dir/x.tsv", test_tmpdir());
        CHECK_INT(fs_atomic_open(&rf, bad), ERR_IO);
    }
    return test_summary();
}
