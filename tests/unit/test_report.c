/*
 * test_report.c - the tsv, jsonl, duplicate-group and html writers: header
 * and columns, provenance of every chunk, escaping of hostile texts (tabs,
 * newlines, markup, invalid UTF-8), JSON that parses, a self-contained html
 * file with its lang and its duplicate section, atomic output files.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "index/store/store.h"
#include "query/report.h"
#include "query/search.h"
#include "tests/check.h"

static const char *texts[] = {
    "plain text",
    "tab\there and\nnewline \\ backslash",
    "<script>alert('x')</script> & \"quotes\"",
    "bad utf8 \xff\xfe end",
    "한국어 문장입니다.",
};

/* chunk id i comes from doc 100 + i of shard "/s/shard.tar", entry
 * "e\t<i>.jsonl" (a TAB to escape), record i + 1, ext id "x<i>" (none for
 * 0), span [10 i, 10 i + 7); chunk 3 has no doc record (known = 0). */
static int text_of(void *ctx, int64_t id, struct report_src *out)
{
    (void)ctx;
    if (id == 99) return ERR_NOTFOUND;
    if (id == 666) return err_set(ERR_STORE, "store broke on %lld", (long long)id);
    if (id < 0 || id >= 5) return ERR_NOTFOUND;
    out->doc = 100 + (uint64_t)id;
    out->start = 10 * (uint64_t)id;
    out->end = out->start + 7;
    if (id != 3) {
        out->known = 1;
        out->record = (uint64_t)id + 1;
        out->offset = 1000 + (uint64_t)id;
        buf_puts(&out->shard, "/s/shard.tar");
        buf_printf(&out->entry, "e\t%d.jsonl", (int)id);
        if (id) buf_printf(&out->ext_id, "x%d", (int)id);
    }
    return buf_puts(&out->text, texts[id]);
}

static const char *lang;                    /* the html report's --lang */
static const struct mine_clusters *dups;    /* its duplicate groups */

static char *capture(int which, const struct mine_pair *p, size_t n, const struct mine_clusters *c, int *rc)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    struct report_summary s = { .title = "demo <store>", .model = "builtin:ngram", .mode = "exact",
                                .n_vectors = 5, .top_k = 10, .max_pairs = 100, .threshold = 0.5,
                                .seconds = 0.01, .lang = lang, .identical_dropped = 7, .repeated_dropped = 3,
                                .dups_file = "out/p.duplicates.jsonl" };
    if (which == 0) *rc = report_write_tsv(f, p, n, text_of, NULL);
    else if (which == 1) *rc = report_write_jsonl(f, p, n, text_of, NULL);
    else if (which == 3) *rc = report_write_dups_jsonl(f, c, 2, text_of, NULL);
    else *rc = report_write_html(f, &s, p, n, c, dups, text_of, NULL);
    fclose(f);
    return data;
}

/* a store with one shard "/data/s.tar" and one document (entry e.jsonl,
 * record 4, ext id d0) of six chunks whose texts are A B A C B A */
static const char *store_texts[] = { "A text.", "B text!", "A text.", "C text?", "B text!", "A text." };
static uint64_t ord;

static int fill_store(struct store_txn *t, void *ctx)
{
    (void)ctx;
    FORWARD_ERR(store_set_model(t, "builtin:test", "0123456789abcdef0123456789abcdef", 2, STORE_F32));
    FORWARD_ERR(store_next_ordinal(t, "/data/s.tar", &ord));
    struct store_doc d = STORE_DOC_INIT;
    d.id = store_make_id(ord, 0);
    d.record = 4;
    d.offset = 300;
    d.length = 48;
    d.n_chunks = 6;
    buf_puts(&d.shard, "/data/s.tar");
    buf_puts(&d.entry, "e.jsonl");
    buf_puts(&d.ext_id, "d0");
    int rc = store_put_doc(t, &d);
    store_doc_release(&d);
    FORWARD_ERR(rc);
    for (int i = 0; i < 6; i++) {
        struct store_chunk c = { 0 };
        c.id = store_make_id(ord, i);
        c.doc = store_make_id(ord, 0);
        c.start = 8 * (uint64_t)i;
        c.end = c.start + 7;
        c.n_tokens = 3;
        FORWARD_ERR(store_put_chunk(t, &c, store_texts[i], strlen(store_texts[i])));
        float v[2] = { 1, (float)i };
        FORWARD_ERR(store_put_vector(t, c.id, v));
    }
    return 0;
}

/* parse_line: one line of jsonl output as a JSON value (a failed check and
 * NULL when it is not JSON); the caller decrefs it */
static json_t *parse_line(const char *line)
{
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    CHECK_TRUE(j != NULL);
    return j;
}

static char *slurp(const char *path)
{
    struct buf b = BUF_INIT;
    if (fs_read_file(path, &b, 0) < 0) return NULL;
    buf_putc(&b, 0);
    return b.data;
}

int main(void)
{
    struct mine_pair p[] = { { 0.95f, 0, 1 }, { 0.9f, 2, 3 }, { 0.8f, 1, 4 }, { 0.7f, 4, 99 } };
    int rc;

    TEST("tsv: header, columns, escaped texts, provenance of both chunks") {
        char *out = capture(0, p, 4, NULL, &rc);
        CHECK_OK(rc);
        const char *want =
            "score\ta\tb\ttext_a\ttext_b"
            "\tdoc_a\tshard_a\tentry_a\trecord_a\text_id_a\tstart_a\tend_a"
            "\tdoc_b\tshard_b\tentry_b\trecord_b\text_id_b\tstart_b\tend_b\n"
            "0.950000\t0\t1\tplain text\ttab\\there and\\nnewline \\\\ backslash"
            "\t100\t/s/shard.tar\te\\t0.jsonl\t1\t\t0\t7"
            "\t101\t/s/shard.tar\te\\t1.jsonl\t2\tx1\t10\t17\n"
            "0.900000\t2\t3\t<script>alert('x')</script> & \"quotes\"\tbad utf8 \xef\xbf\xbd\xef\xbf\xbd end"
            "\t102\t/s/shard.tar\te\\t2.jsonl\t3\tx2\t20\t27"
            "\t103\t\t\t\t\t30\t37\n"   /* chunk 3: doc and span, no doc record */
            "0.800000\t1\t4\ttab\\there and\\nnewline \\\\ backslash\t한국어 문장입니다."
            "\t101\t/s/shard.tar\te\\t1.jsonl\t2\tx1\t10\t17"
            "\t104\t/s/shard.tar\te\\t4.jsonl\t5\tx4\t40\t47\n"
            "0.700000\t4\t99\t한국어 문장입니다.\t"
            "\t104\t/s/shard.tar\te\\t4.jsonl\t5\tx4\t40\t47"
            "\t\t\t\t\t\t\t\n";
        CHECK_STR(out, want);
        /* every line has the header's 19 columns */
        int lines = 0;
        for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"), lines++) {
            int tabs = 0;
            for (char *q = l; *q; q++) tabs += *q == '\t';
            CHECK_INT(tabs, 18);
        }
        CHECK_INT(lines, 5);
        free(out);
    }

    TEST("jsonl: one parseable object per pair with the contract's keys") {
        char *out = capture(1, p, 4, NULL, &rc);
        CHECK_OK(rc);
        int lines = 0;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
            json_t *j = parse_line(line);
            if (!j) continue;
            CHECK_TRUE(json_is_real(json_object_get(j, "score")));
            CHECK_INT(json_integer_value(json_object_get(j, "a")), p[lines].a);
            CHECK_INT(json_integer_value(json_object_get(j, "b")), p[lines].b);
            const char *ta = json_string_value(json_object_get(j, "text_a"));
            CHECK_TRUE(ta != NULL);
            if (lines == 1) CHECK_STR(ta, texts[2]);
            if (lines == 1) CHECK_STR(json_string_value(json_object_get(j, "text_b")), "bad utf8 \xef\xbf\xbd\xef\xbf\xbd end");
            if (lines == 0) CHECK_STR(json_string_value(json_object_get(j, "text_b")), texts[1]);
            if (lines == 0) {
                CHECK_INT(json_integer_value(json_object_get(j, "doc_a")), 100);
                CHECK_STR(json_string_value(json_object_get(j, "shard_a")), "/s/shard.tar");
                CHECK_STR(json_string_value(json_object_get(j, "entry_b")), "e\t1.jsonl");
                CHECK_INT(json_integer_value(json_object_get(j, "record_b")), 2);
                CHECK_STR(json_string_value(json_object_get(j, "ext_id_a")), "");
                CHECK_STR(json_string_value(json_object_get(j, "ext_id_b")), "x1");
                CHECK_INT(json_integer_value(json_object_get(j, "start_b")), 10);
                CHECK_INT(json_integer_value(json_object_get(j, "end_b")), 17);
            }
            if (lines == 1) { /* chunk 3 has no doc record: null doc-record fields */
                CHECK_TRUE(json_is_null(json_object_get(j, "shard_b")));
                CHECK_TRUE(json_is_null(json_object_get(j, "offset_b")));
                CHECK_INT(json_integer_value(json_object_get(j, "doc_b")), 103);
                CHECK_INT(json_integer_value(json_object_get(j, "end_b")), 37);
                CHECK_INT(json_integer_value(json_object_get(j, "record_a")), 3);
            }
            const char *keys[] = { "doc", "shard", "entry", "record", "offset", "ext_id", "start", "end" };
            for (int k = 0; k < 8; k++) {
                char ka[16], kb[16];
                snprintf(ka, sizeof ka, "%s_a", keys[k]);
                snprintf(kb, sizeof kb, "%s_b", keys[k]);
                CHECK_TRUE(json_object_get(j, ka) != NULL && json_object_get(j, kb) != NULL);
            }
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

    TEST("html: provenance per pair, lang, Korean line breaking, duplicate groups") {
        /* 12 members in one group: 10 listed, "and 2 more" */
        size_t ds[] = { 0, 12, 14 };
        int64_t dm[] = { 0, 1, 2, 4, 0, 1, 2, 4, 0, 1, 2, 4, 1, 4 };
        struct mine_clusters d = { 2, ds, dm };
        dups = &d;
        char *out = capture(2, p, 4, NULL, &rc);
        CHECK_OK(rc);
        CHECK_TRUE(strstr(out, "<html lang=\"en\">") != NULL);  /* mostly Latin letters */
        CHECK_TRUE(strstr(out, "word-break:keep-all") != NULL);
        CHECK_TRUE(strstr(out, "title=\"/s/shard.tar\">shard.tar &#8250; e\t1.jsonl &#183; record 2 &#183; "
                               "id x1 &#183; doc 101 &#183; bytes [10, 17)</span>") != NULL);
        CHECK_TRUE(strstr(out, "Duplicate texts") != NULL);
        CHECK_TRUE(strstr(out, "<tr class=\"dup\"><td class=\"num\">12</td><td>plain text</td>") != NULL);
        CHECK_TRUE(strstr(out, "<li>and 2 more</li>") != NULL);
        CHECK_TRUE(strstr(out, "All groups, up to 100 places each: <code>out/p.duplicates.jsonl</code>") != NULL);
        CHECK_TRUE(strstr(out, "identical-text pairs left out</th><td class=\"num\">7<") != NULL);
        CHECK_TRUE(strstr(out, "repeated text pairs left out</th><td class=\"num\">3<") != NULL);
        CHECK_TRUE(strstr(out, "duplicate groups</th><td class=\"num\">2 (14 chunks)<") != NULL);
        free(out);
        /* only Korean texts: lang ko, guessed; --lang wins */
        dups = NULL;
        struct mine_pair kp[] = { { 0.9f, 4, 4 } };
        out = capture(2, kp, 1, NULL, &rc);
        CHECK_OK(rc);
        CHECK_TRUE(strstr(out, "<html lang=\"ko\">") != NULL);
        free(out);
        lang = "ja";
        out = capture(2, kp, 1, NULL, &rc);
        CHECK_TRUE(strstr(out, "<html lang=\"ja\">") != NULL);
        free(out);
        lang = NULL;
        out = capture(2, p, 4, NULL, &rc);
        CHECK_TRUE(strstr(out, "Duplicate texts") == NULL);       /* no groups given: no section */
        free(out);
        size_t hangul = 0, letters = 0;
        report_lang_count("abc 가나다라", strlen("abc 가나다라"), &hangul, &letters);
        CHECK_INT(hangul, 4);
        CHECK_INT(letters, 7);
        CHECK_STR(report_lang_pick(hangul, letters), "ko");
        CHECK_STR(report_lang_pick(0, 0), "en");
    }

    TEST("duplicate groups: jsonl with the text, count, capped members with provenance") {
        size_t ds[] = { 0, 3, 5 };
        int64_t dm[] = { 1, 2, 3, 4, 99 };
        struct mine_clusters d = { 2, ds, dm };
        char *out = capture(3, NULL, 0, &d, &rc);
        CHECK_OK(rc);
        int lines = 0;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
            json_t *j = parse_line(line);
            if (!j) continue;
            CHECK_INT(json_integer_value(json_object_get(j, "group")), lines);
            json_t *m = json_object_get(j, "members");
            CHECK_INT(json_array_size(m), 2);                    /* capped at 2 */
            if (lines == 0) {
                CHECK_INT(json_integer_value(json_object_get(j, "count")), 3);
                CHECK_INT(json_integer_value(json_object_get(j, "more")), 1);
                CHECK_STR(json_string_value(json_object_get(j, "text")), texts[1]);
                json_t *m1 = json_array_get(m, 1);
                CHECK_INT(json_integer_value(json_object_get(m1, "id")), 2);
                CHECK_INT(json_integer_value(json_object_get(m1, "doc")), 102);
                CHECK_STR(json_string_value(json_object_get(m1, "shard")), "/s/shard.tar");
                CHECK_STR(json_string_value(json_object_get(m1, "entry")), "e\t2.jsonl");
                CHECK_INT(json_integer_value(json_object_get(m1, "record")), 3);
                CHECK_INT(json_integer_value(json_object_get(m1, "offset")), 1002);
                CHECK_STR(json_string_value(json_object_get(m1, "ext_id")), "x2");
                CHECK_INT(json_integer_value(json_object_get(m1, "start")), 20);
                CHECK_INT(json_integer_value(json_object_get(m1, "end")), 27);
            } else {
                CHECK_INT(json_integer_value(json_object_get(j, "more")), 0);
                json_t *m1 = json_array_get(m, 1);                /* id 99: unknown */
                CHECK_TRUE(json_is_null(json_object_get(m1, "shard")));
            }
            json_decref(j);
        }
        CHECK_INT(lines, 2);
        free(out);
    }

    TEST("store-backed: provenance, identical and repeated pairs dropped, duplicate groups, the report files") {
        char dir[512], path[600];
        snprintf(dir, sizeof dir, "%s/st", test_tmpdir());
        struct store *st = NULL;
        struct store_txn *t = NULL;
        CHECK_OK(store_open(dir, STORE_CREATE, &st));
        CHECK_OK(store_write(st, fill_store, NULL));
        CHECK_OK(store_read_begin(st, &t));
#define ID(i) ((int64_t)store_make_id(ord, i))
        /* search_src: the text and all of the provenance */
        struct report_src x = REPORT_SRC_INIT;
        CHECK_OK(search_src(t, ID(3), &x));
        CHECK_TRUE(x.known);
        CHECK_STR(x.text.data, "C text?");
        CHECK_STR(x.shard.data, "/data/s.tar");
        CHECK_STR(x.entry.data, "e.jsonl");
        CHECK_STR(x.ext_id.data, "d0");
        CHECK_INT(x.doc, store_make_id(ord, 0));
        CHECK_INT(x.record, 4);
        CHECK_INT(x.offset, 300);
        CHECK_INT(x.start, 24);
        CHECK_INT(x.end, 31);
        report_src_reset(&x);
        CHECK_INT(search_src(t, ID(77), &x), ERR_NOTFOUND);
        report_src_release(&x);
        /* pairs: A-A, A-B (2,4), A-B (0,1), B-C, C-A, B-A (4,5) */
        struct mine_pair q[] = { { 0.99f, ID(0), ID(2) }, { 0.9f, ID(2), ID(4) }, { 0.9f, ID(0), ID(1) },
                                 { 0.8f, ID(1), ID(3) }, { 0.7f, ID(3), ID(5) }, { 0.6f, ID(4), ID(5) } };
        size_t nq = 6, ident = 0, rep = 0;
        CHECK_OK(search_drop_identical(t, q, &nq, &ident, &rep));
        CHECK_INT(nq, 3);
        CHECK_INT(ident, 1);
        CHECK_INT(rep, 2);
        CHECK_INT(q[0].a, ID(0)); CHECK_INT(q[0].b, ID(1));   /* A-B as its lowest ids */
        CHECK_INT(q[1].a, ID(1)); CHECK_INT(q[1].b, ID(3));
        CHECK_INT(q[2].a, ID(3)); CHECK_INT(q[2].b, ID(5));
        /* groups: A x3 then B x2, members in id order; C is alone */
        struct mine_clusters g;
        CHECK_OK(search_duplicate_groups(t, &g));
        CHECK_INT(g.n, 2);
        CHECK_INT(g.start[1], 3);
        CHECK_INT(g.start[2], 5);
        int64_t want[] = { ID(0), ID(2), ID(5), ID(1), ID(4) };
        for (int i = 0; i < 5; i++) CHECK_INT(g.member[i], want[i]);
        mine_clusters_release(&g);
        /* the whole report: prepare (room for the dropped pairs), write */
        snprintf(path, sizeof path, "%s/pairs.jsonl", test_tmpdir());
        struct search_report o = { path, NULL, 0, 2, 0 };
        size_t mp = 2;
        CHECK_OK(search_report_prepare(t, &o, 10, &mp, &g));
        CHECK_INT(mp, 2 + 5 * 10);
        struct mine_pair r[] = { { 0.99f, ID(0), ID(2) }, { 0.9f, ID(2), ID(4) }, { 0.9f, ID(0), ID(1) },
                                 { 0.8f, ID(1), ID(3) }, { 0.7f, ID(3), ID(5) } };
        size_t nr = 5;
        struct report_summary sm = { .title = "st", .model = "builtin:test", .mode = "exact", .n_vectors = 6,
                                     .top_k = 10, .max_pairs = 2 };
        CHECK_OK(search_write_pairs(t, &o, &sm, r, &nr, NULL, &g));
        CHECK_INT(nr, 2);                                    /* max_pairs counts the reported ones */
        CHECK_INT(sm.identical_dropped, 1);
        CHECK_INT(sm.repeated_dropped, 1);
        char *pj = slurp(path);
        CHECK_TRUE(pj && strstr(pj, "\"text_a\": \"A text.\", \"text_b\": \"B text!\", \"doc_a\": ") != NULL);
        CHECK_TRUE(pj && strstr(pj, "\"entry_b\": \"e.jsonl\", \"record_b\": 4, \"offset_b\": 300, "
                                    "\"ext_id_b\": \"d0\", \"start_b\": 24, \"end_b\": 31}\n") != NULL);
        free(pj);
        snprintf(path, sizeof path, "%s/pairs.duplicates.jsonl", test_tmpdir());
        char *dj = slurp(path);
        const char *dpre = "{\"group\": 0, \"count\": 3, \"text\": \"A text.\", \"members\": [{";
        CHECK_TRUE(dj && strncmp(dj, dpre, strlen(dpre)) == 0);
        free(dj);
        mine_clusters_release(&g);
        /* --include-identical: no groups, pairs as mined */
        snprintf(path, sizeof path, "%s/all.tsv", test_tmpdir());
        struct search_report oi = { path, NULL, 1, 0, 0 };
        mp = 2;
        CHECK_OK(search_report_prepare(t, &oi, 10, &mp, &g));
        CHECK_INT(mp, 2);
        CHECK_INT(g.n, 0);
        struct mine_pair r2[] = { { 0.99f, ID(0), ID(2) } };
        size_t n2 = 1;
        CHECK_OK(search_write_pairs(t, &oi, &sm, r2, &n2, NULL, &g));
        CHECK_INT(n2, 1);
        snprintf(path, sizeof path, "%s/all.duplicates.jsonl", test_tmpdir());
        CHECK_TRUE(access(path, F_OK) != 0);
#undef ID
        store_read_end(t);
        store_close(st);
    }

    TEST("the duplicates file beside a report") {
        struct buf b = BUF_INIT;
        CHECK_OK(search_dups_path(&b, "out/pairs.html")); CHECK_STR(b.data, "out/pairs.duplicates.jsonl");
        CHECK_OK(search_dups_path(&b, "a.b/pairs")); CHECK_STR(b.data, "a.b/pairs.duplicates.jsonl");
        CHECK_OK(search_dups_path(&b, "p.x.tsv")); CHECK_STR(b.data, "p.x.duplicates.jsonl");
        CHECK_OK(search_dups_path(&b, "-")); CHECK_INT(b.len, 0);
        CHECK_OK(search_dups_path(&b, NULL)); CHECK_INT(b.len, 0);
        buf_release(&b);
    }

    TEST("a text callback error stops the writers") {
        struct mine_pair q[] = { { 0.5f, 1, 666 } };
        size_t ds[] = { 0, 2 };
        int64_t dm[] = { 1, 666 };
        struct mine_clusters d = { 1, ds, dm };
        for (int w = 0; w < 4; w++) {
            char *out = capture(w, q, 1, w == 3 ? &d : NULL, &rc);
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
