/*
 * test_source.c - shard readers against real archives written here with
 * libarchive's write API (tar, tar.gz, tar.zst, tar.xz, zip, 7z, single .zst
 * and .gz files), plain files and directories; every record format; and the
 * hostile inputs of source.h: truncated and corrupt archives, bombs, binary
 * entries, invalid UTF-8, NUL bytes, empty files, a 200 MB line, unreadable
 * files, malformed JSON lines, --strict.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/source/source.h"
#include "tests/check.h"

struct ent {
    const char *name;
    const char *data;
    size_t len; /* 0 = strlen */
};

/* write_archive: format "tar" "zip" "7z" "raw"; filter "none" "gzip" "zstd" "xz". */
static int write_archive(const char *path, const char *format, const char *filter, const struct ent *e, int n)
{
    struct archive *a = archive_write_new();
    if (!strcmp(format, "tar")) archive_write_set_format_pax_restricted(a);
    else if (!strcmp(format, "zip")) archive_write_set_format_zip(a);
    else if (!strcmp(format, "7z")) archive_write_set_format_7zip(a);
    else archive_write_set_format_raw(a);
    if (!strcmp(filter, "gzip")) archive_write_add_filter_gzip(a);
    else if (!strcmp(filter, "zstd")) archive_write_add_filter_zstd(a);
    else if (!strcmp(filter, "xz")) archive_write_add_filter_xz(a);
    if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
        printf("  cannot write %s: %s\n", path, archive_error_string(a));
        archive_write_free(a);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        size_t len = e[i].len ? e[i].len : strlen(e[i].data);
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_size(ae, (la_int64_t)len);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_write_header(a, ae);
        archive_write_data(a, e[i].data, len);
        archive_entry_free(ae);
    }
    int rc = archive_write_close(a);
    archive_write_free(a);
    return rc == ARCHIVE_OK ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fwrite(data, 1, n, f);
    fclose(f);
}

static const char *base_name_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const char *tmp(const char *name)
{
    static char p[8][600];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", test_tmpdir(), name);
    return p[k];
}

/* collected documents */
struct docs {
    int n;
    char text[64][512];
    char entry[64][256];
    char id[64][64];
    uint64_t record[64], offset[64];
    size_t len[64];
};

static int on_doc(void *ctx, const struct src_doc *d)
{
    struct docs *c = ctx;
    if (c->n < 64) {
        snprintf(c->text[c->n], sizeof c->text[0], "%.*s", (int)(d->len < 500 ? d->len : 500), d->text);
        snprintf(c->entry[c->n], sizeof c->entry[0], "%s", d->entry);
        snprintf(c->id[c->n], sizeof c->id[0], "%.*s", (int)d->ext_id_len, d->ext_id ? d->ext_id : "");
        c->record[c->n] = d->record;
        c->offset[c->n] = d->offset;
    }
    c->len[c->n < 64 ? c->n : 63] = d->len;
    c->n++;
    return 0;
}

static const char jsonl[] =
    "{\"id\": \"a1\", \"text\": \"첫 번째 문서입니다.\"}\n"
    "\n"
    "{\"id\": 7, \"text\": \"두 번째 문서. 3.14는 숫자다.\", \"title\": \"x\"}\r\n"
    "{\"text\": \"세 번째\"}";
static const char tsv[] = "id\ttext\n1\t가나다 라마바\n2\t사아자\n";
static const char csv[] = "id,text,n\n1,\"쉼표, 그리고 \"\"따옴표\"\"\n줄바꿈\",3\n2,평범한 줄,4\n";
static const char txt[] = "마크다운이 아닌 텍스트 문서.\n두 줄.\n";

static const struct ent corpus[] = {
    { "docs/a.jsonl", jsonl, 0 }, { "docs/b.tsv", tsv, 0 }, { "c.csv", csv, 0 },
    { "d.txt", txt, 0 }, { "e.png", "\x89PNG\r\n\x1a\n\0\0\0", 11 }, { "notes.md", "# 제목\n본문", 0 },
};
#define N_CORPUS (int)(sizeof corpus / sizeof corpus[0])

static void check_corpus(struct docs *d, struct src_stats *st, const char *prefix)
{
    CHECK_INT(d->n, 9);
    CHECK_INT(st->n_rejected, 0);
    CHECK_INT(st->n_skipped, 1); /* e.png */
    char want[256];
    snprintf(want, sizeof want, "%sdocs/a.jsonl", prefix);
    CHECK_STR(d->entry[0], want);
    CHECK_STR(d->text[0], "첫 번째 문서입니다.");
    CHECK_STR(d->id[0], "a1");
    CHECK_INT(d->record[0], 1);
    CHECK_STR(d->id[1], "7");
    CHECK_INT(d->record[1], 3);
    CHECK_INT(d->offset[1], strchr(jsonl, '\n') - jsonl + 2);
    CHECK_STR(d->text[2], "세 번째");
    CHECK_INT(d->record[2], 4);
    CHECK_STR(d->text[3], "가나다 라마바");
    CHECK_STR(d->text[4], "사아자");
    CHECK_STR(d->text[5], "쉼표, 그리고 \"따옴표\"\n줄바꿈");
    CHECK_INT(d->record[5], 2);
    CHECK_STR(d->text[6], "평범한 줄");
    CHECK_INT(d->record[6], 4);
    CHECK_STR(d->text[7], txt);
    CHECK_INT(d->record[7], 0);
    CHECK_STR(d->text[8], "# 제목\n본문");
}

/* lines for the in-place jsonl path: valid, malformed and tricky, each read
 * through both paths (big_record 1 and the default) */
static const char *const tricky[] = {
    "{\"text\": \"plain\"}",
    "{\"id\": \"x\", \"text\": \"esc \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 \\u0000 end\"}",
    "  {\"text\" : \"ws\" , \"id\" : 12 }  ",
    "{\"text\": \"first\", \"text\": \"second wins\"}",
    "{\"meta\": {\"text\": \"nested\", \"a\": [1, {\"b\": \"]}\"}]}, \"text\": \"top\"}",
    "{\"te\\u0078t\": \"escaped key\"}",
    "{\"text\": 5}",
    "{\"text\": \"lone \\ud800 surrogate\"}",
    "{\"text\": \"low \\udc00 first\"}",
    "{\"text\": \"bad \\x escape\"}",
    "{\"text\": \"short \\u12\"}",
    "{\"text\": \"raw \t tab\"}",
    "{\"text\": \"unterminated}",
    "{\"text\": \"ok\" \"junk\": 1}",
    "{\"text\": \"ok\",}",
    "{\"a\": {], \"text\": \"x\"}",
    "{\"text\": \"ok\"} trailing",
    "[\"text\", \"array\"]",
    "{}",
    "{\"text\": \"\"}",
    "{\"text\": \"tail\", \"n\": -1.5e3, \"t\": true, \"f\": null, \"arr\": [\"s\", 2]}",
    "{\"text\": \"한국어 텍스트\", \"id\": \"\\u0000id\"}",
};

static void test_big_path(void)
{
    struct buf all = BUF_INIT;
    for (size_t i = 0; i < sizeof tricky / sizeof *tricky; i++) buf_printf(&all, "%s\n", tricky[i]);
    for (int withid = 0; withid < 2; withid++) {
        struct src_options o1 = SRC_OPTIONS_INIT, o2 = SRC_OPTIONS_INIT;
        if (withid) o1.id_field = o2.id_field = "id";
        o2.big_record = 1;
        struct docs *d1 = calloc(1, sizeof *d1), *d2 = calloc(1, sizeof *d2);
        struct src_stats s1 = { 0 }, s2 = { 0 };
        CHECK_OK(src_read_mem("t.jsonl", all.data, all.len, 7, &o1, on_doc, d1, &s1));
        CHECK_OK(src_read_mem("t.jsonl", all.data, all.len, 7, &o2, on_doc, d2, &s2));
        CHECK_INT(d1->n, d2->n);
        CHECK_INT((int)s1.n_rejected, (int)s2.n_rejected);
        CHECK_INT((int)s1.n_nul, (int)s2.n_nul);
        CHECK_INT(d1->n, 8);
        CHECK_INT((int)s1.n_rejected, 13);
        for (int k = 0; k < d1->n && k < d2->n && k < 64; k++) {
            CHECK_STR(d1->text[k], d2->text[k]);
            CHECK_STR(d1->id[k], d2->id[k]);
            CHECK_INT((int)d1->len[k], (int)d2->len[k]);
            CHECK_INT((int)d1->record[k], (int)d2->record[k]);
        }
        free(d1);
        free(d2);
    }
    buf_release(&all);
}

int main(void)
{
    TEST("jsonl: the in-place path for big lines gives what the full parse gives") test_big_path();
    log_level = LOG_ERROR; /* the hostile cases warn by design */
    struct src_options o = SRC_OPTIONS_INIT;
    o.id_field = "id";

    const struct { const char *name, *format, *filter; } kinds[] = {
        { "c.tar", "tar", "none" }, { "c.tar.gz", "tar", "gzip" }, { "c.tar.zst", "tar", "zstd" },
        { "c.tar.xz", "tar", "xz" }, { "c.zip", "zip", "none" }, { "c.7z", "7z", "none" },
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "every record format in %s", kinds[k].name);
        TEST(name) {
            const char *p = tmp(kinds[k].name);
            CHECK_INT(write_archive(p, kinds[k].format, kinds[k].filter, corpus, N_CORPUS), 0);
            struct docs d = { 0 };
            struct src_stats st = { 0 };
            CHECK_OK(src_read(p, &o, on_doc, &d, &st));
            check_corpus(&d, &st, "");
        }
    }

    TEST("single .zst and .gz files") {
        struct ent one = { "x", jsonl, 0 };
        const char *names[] = { "one.jsonl.zst", "one.jsonl.gz" };
        const char *filters[] = { "zstd", "gzip" };
        for (int i = 0; i < 2; i++) {
            const char *p = tmp(names[i]);
            CHECK_INT(write_archive(p, "raw", filters[i], &one, 1), 0);
            struct docs d = { 0 };
            struct src_stats st = { 0 };
            CHECK_OK(src_read(p, &o, on_doc, &d, &st));
            CHECK_INT(d.n, 3);
            CHECK_STR(d.entry[0], "one.jsonl");
            CHECK_STR(d.text[1], "두 번째 문서. 3.14는 숫자다.");
        }
        const char *p = tmp("fake.jsonl.gz");
        write_file(p, jsonl, strlen(jsonl));
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        CHECK_INT(st.n_rejected, 1);
        CHECK_INT(d.n, 0);
    }

    TEST("plain files and a directory of mixed shards") {
        char dir[600];
        snprintf(dir, sizeof dir, "%s", tmp("dir"));
        mkdir(dir, 0755);
        char sub[700], p[800];
        snprintf(sub, sizeof sub, "%s/sub", dir);
        mkdir(sub, 0755);
        for (int i = 0; i < N_CORPUS; i++) {
            snprintf(p, sizeof p, "%s/%s", dir, base_name_of(corpus[i].name));
            write_file(p, corpus[i].data, corpus[i].len ? corpus[i].len : strlen(corpus[i].data));
        }
        struct ent one = { "x", tsv, 0 };
        snprintf(p, sizeof p, "%s/z.tsv.zst", sub);
        CHECK_INT(write_archive(p, "raw", "zstd", &one, 1), 0);
        snprintf(p, sizeof p, "%s/y.tar", sub);
        CHECK_INT(write_archive(p, "tar", "none", corpus, 2), 0);
        snprintf(p, sizeof p, "%s/.hidden.txt", dir);
        write_file(p, "hidden", 6);
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(dir, &o, on_doc, &d, &st));
        /* a.jsonl 3, b.tsv 2, c.csv 2, d.txt 1, notes.md 1, sub/y.tar 3+2, sub/z.tsv 2 */
        CHECK_INT(d.n, 16);
        CHECK_STR(d.entry[0], "a.jsonl");
        CHECK_STR(d.entry[9], "sub/y.tar/docs/a.jsonl");
        CHECK_STR(d.entry[14], "sub/z.tsv");
        CHECK_INT(st.n_rejected, 0);
        struct hash128 h1, h2;
        uint64_t b1, b2;
        CHECK_OK(src_hash(dir, &h1, &b1));
        CHECK_OK(src_hash(dir, &h2, &b2));
        CHECK_TRUE(h1.lo == h2.lo && h1.hi == h2.hi && b1 == b2 && b1 > 0);
        snprintf(p, sizeof p, "%s/d.txt", dir);
        write_file(p, "changed", 7);
        CHECK_OK(src_hash(dir, &h2, &b2));
        CHECK_TRUE(h1.lo != h2.lo || h1.hi != h2.hi);
        /* a plain .jsonl file is a shard too */
        snprintf(p, sizeof p, "%s/a.jsonl", dir);
        struct docs d2 = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d2, &st));
        CHECK_INT(d2.n, 3);
        CHECK_STR(d2.entry[0], "a.jsonl");
        CHECK_INT(st.n_unread, 0);
        /* a file of no record format: read, nothing of a format in it */
        snprintf(p, sizeof p, "%s/a.json", dir);
        write_file(p, "{\"text\": \"x\"}\n", 14);
        struct src_stats st3 = { 0 };
        struct docs d3 = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d3, &st3));
        CHECK_INT(d3.n, 0);
        CHECK_INT(st3.n_formatted, 0);
        CHECK_INT(st3.n_unread, 0);
        CHECK_INT(st3.n_skipped, 1);
    }

    TEST("jsonl: malformed lines, missing fields, other text field; the rest goes on") {
        const char *p = tmp("bad.jsonl");
        const char *s = "{\"text\": \"좋음\"}\n{\"text\": \"깨짐\"\n[1,2]\n{\"body\": \"다른 필드\"}\n"
                        "{\"text\": 5}\n{\"text\": \"끝\"}\n";
        write_file(p, s, strlen(s));
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        CHECK_INT(d.n, 2);
        CHECK_INT(st.n_rejected, 4);
        CHECK_STR(d.text[1], "끝");
        CHECK_INT(d.record[1], 6);
        struct src_options o2 = o;
        o2.text_field = "body";
        struct docs d2 = { 0 };
        struct src_stats st2 = { 0 };
        CHECK_OK(src_read(p, &o2, on_doc, &d2, &st2));
        CHECK_INT(d2.n, 1);
        CHECK_STR(d2.text[0], "다른 필드");
        struct src_options o3 = o;
        o3.strict = 1;
        struct docs d3 = { 0 };
        struct src_stats st3 = { 0 };
        CHECK_INT(src_read(p, &o3, on_doc, &d3, &st3), ERR_FORMAT);
        CHECK_TRUE(strstr(err_msg(), "line 2") != NULL);
        CHECK_INT(d3.n, 1);
    }

    TEST("tsv/csv: column by number, missing column") {
        const char *p = tmp("t.tsv");
        write_file(p, tsv, strlen(tsv));
        struct src_options o2 = o;
        o2.column = "1";
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o2, on_doc, &d, &st));
        CHECK_INT(d.n, 2);
        CHECK_STR(d.text[0], "1");
        o2.column = "body";
        struct docs d2 = { 0 };
        CHECK_OK(src_read(p, &o2, on_doc, &d2, &st));
        CHECK_INT(d2.n, 0);
        CHECK_INT(st.n_rejected, 1);
    }

    TEST("invalid UTF-8 and NUL bytes are replaced and counted; binary entries skipped") {
        const char *p = tmp("u.jsonl");
        /* an invalid byte inside a JSON string, raw */
        const char s[] = "{\"text\": \"a\xff" "b\xed\xa0\x80" "c\"}\n";
        write_file(p, s, sizeof s - 1);
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        CHECK_INT(d.n, 1);
        CHECK_STR(d.text[0], "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "c");
        CHECK_INT(st.n_replaced, 4);
        /* NUL after the first 8 KiB of a txt: replaced */
        static char big[10000];
        memset(big, 'x', sizeof big);
        big[9000] = 0;
        p = tmp("n.txt");
        write_file(p, big, sizeof big);
        struct docs d2 = { 0 };
        struct src_stats st2 = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d2, &st2));
        CHECK_INT(d2.n, 1);
        CHECK_INT(d2.len[0], sizeof big + 2);
        CHECK_INT(st2.n_nul, 1);
        /* NUL early: binary, rejected */
        big[9000] = 'x';
        big[10] = 0;
        write_file(p, big, sizeof big);
        struct docs d3 = { 0 };
        struct src_stats st3 = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d3, &st3));
        CHECK_INT(d3.n, 0);
        CHECK_INT(st3.n_binary, 1);
        CHECK_INT(st3.n_rejected, 1);
        /* mostly invalid UTF-8: binary */
        for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(0x80 + i % 64);
        write_file(p, big, sizeof big);
        struct docs d4 = { 0 };
        struct src_stats st4 = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d4, &st4));
        CHECK_INT(st4.n_binary, 1);
    }

    TEST("empty files and blank texts are counted, not rejected") {
        const char *p = tmp("empty.txt");
        write_file(p, "", 0);
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        p = tmp("blank.jsonl");
        write_file(p, "{\"text\": \"  \"}\n", 15);
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        CHECK_INT(d.n, 0);
        CHECK_INT(st.n_empty, 2);
        CHECK_INT(st.n_rejected, 0);
    }

    TEST("a 200 MB single line is skipped without holding it; the next line is read") {
        const char *p = tmp("long.jsonl");
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK_TRUE(fd >= 0);
        static char blk[1 << 20];
        memset(blk, 'a', sizeof blk);
        CHECK_TRUE(write(fd, "{\"text\": \"", 10) == 10);
        for (int i = 0; i < 200; i++) CHECK_TRUE(write(fd, blk, sizeof blk) == (ssize_t)sizeof blk);
        const char *tail = "\"}\n{\"text\": \"다음 줄\"}\n";
        CHECK_TRUE(write(fd, tail, strlen(tail)) == (ssize_t)strlen(tail));
        close(fd);
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        CHECK_INT(d.n, 1);
        CHECK_STR(d.text[0], "다음 줄");
        CHECK_INT(d.record[0], 2);
        CHECK_INT(st.n_rejected, 1);
        unlink(p);
    }

    TEST("truncated and corrupt archives: message, count, no crash") {
        static char big[200000];
        for (size_t i = 0; i < sizeof big; i++) big[i] = "가나다라 마바사\n"[i % 22];
        struct ent es[] = { { "a.txt", "앞 문서", 0 }, { "b.txt", big, sizeof big }, { "c.txt", "뒤 문서", 0 } };
        const char *names[] = { "t.tar.zst", "t.tar.gz", "t.zip", "t.tar.xz", "t.7z" };
        const char *fmts[] = { "tar", "tar", "zip", "tar", "7z" };
        const char *filt[] = { "zstd", "gzip", "none", "xz", "none" };
        for (int k = 0; k < 5; k++) {
            const char *p = tmp(names[k]);
            CHECK_INT(write_archive(p, fmts[k], filt[k], es, 3), 0);
            FILE *f = fopen(p, "rb");
            static char raw[400000];
            size_t n = fread(raw, 1, sizeof raw, f);
            fclose(f);
            /* truncated at 60% */
            write_file(p, raw, n * 6 / 10);
            struct docs d = { 0 };
            struct src_stats st = { 0 };
            CHECK_OK(src_read(p, &o, on_doc, &d, &st));
            if (st.n_rejected < 1) printf("  %s truncated: not rejected\n", names[k]);
            CHECK_TRUE(st.n_rejected >= 1);
            /* and counted as not read to its end (ingest: never recorded done) */
            if (st.n_unread < 1) printf("  %s truncated: not counted unread\n", names[k]);
            CHECK_TRUE(st.n_unread >= 1 && st.n_unread <= st.n_rejected);
            /* corrupt: bytes flipped in the middle */
            for (size_t i = n / 3; i < n / 3 + 64 && i < n; i++) raw[i] ^= 0x5a;
            write_file(p, raw, n);
            struct docs d2 = { 0 };
            struct src_stats st2 = { 0 };
            CHECK_OK(src_read(p, &o, on_doc, &d2, &st2));
            if (st2.n_rejected < 1) printf("  %s corrupt: not rejected\n", names[k]);
            CHECK_TRUE(st2.n_rejected >= 1);
            if (st2.n_unread < 1) printf("  %s corrupt: not counted unread\n", names[k]);
        }
        const char *p = tmp("garbage.tar.zst");
        write_file(p, "not an archive at all", 21);
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o, on_doc, &d, &st));
        CHECK_INT(st.n_rejected, 1);
        CHECK_INT(st.n_unread, 1);
        CHECK_INT(st.n_formatted, 0);
    }

    TEST("archive bombs: caps on entry and shard bytes") {
        size_t n = 20u << 20;
        char *z = malloc(n);
        for (size_t i = 0; i < n; i++) z[i] = (i % 64 == 63) ? '\n' : 'a';
        struct ent es[] = { { "a.txt", "작은 문서", 0 }, { "bomb.txt", z, n }, { "c.txt", "다음", 0 },
                            { "bomb2.txt", z, n }, { "d.txt", "끝", 0 } };
        const char *p = tmp("bomb.tar.zst");
        CHECK_INT(write_archive(p, "tar", "zstd", es, 5), 0);
        free(z);
        struct stat sb;
        stat(p, &sb);
        CHECK_TRUE(sb.st_size < 100000); /* it is a bomb: 40 MB in < 100 KB */
        struct src_options o2 = o;
        o2.max_entry = 1 << 20;
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(p, &o2, on_doc, &d, &st));
        CHECK_INT(d.n, 3);
        CHECK_INT(st.n_rejected, 2);
        CHECK_TRUE(st.bytes < (3u << 20));
        o2.max_entry = 0;
        o2.max_shard = 5 << 20;
        struct docs d2 = { 0 };
        struct src_stats st2 = { 0 };
        CHECK_OK(src_read(p, &o2, on_doc, &d2, &st2));
        CHECK_INT(d2.n, 1);
        CHECK_INT(st2.n_rejected, 1);
        CHECK_TRUE(st2.bytes <= (5u << 20));
    }

    TEST("unreadable files: a missing shard, a dangling link in a directory") {
        struct docs d = { 0 };
        struct src_stats st = { 0 };
        CHECK_OK(src_read(tmp("no-such.tar"), &o, on_doc, &d, &st));
        CHECK_INT(st.n_rejected, 1);
        char dir[600], p[700];
        snprintf(dir, sizeof dir, "%s", tmp("dir2"));
        mkdir(dir, 0755);
        snprintf(p, sizeof p, "%s/a.txt", dir);
        write_file(p, "읽힌다", strlen("읽힌다"));
        snprintf(p, sizeof p, "%s/b.txt", dir);
        CHECK_TRUE(symlink("/nonexistent/file.txt", p) == 0);
        snprintf(p, sizeof p, "%s/c.txt", dir);
        write_file(p, "이것도", strlen("이것도"));
        struct docs d2 = { 0 };
        struct src_stats st2 = { 0 };
        CHECK_OK(src_read(dir, &o, on_doc, &d2, &st2));
        CHECK_INT(d2.n, 2);
        CHECK_INT(st2.n_rejected, 0); /* symbolic links are not followed by default */
        struct src_options o3 = o;
        o3.follow_symlinks = 1;
        struct docs d4 = { 0 };
        struct src_stats st4 = { 0 };
        CHECK_OK(src_read(dir, &o3, on_doc, &d4, &st4));
        CHECK_INT(d4.n, 2);
        CHECK_INT(st4.n_rejected, 1); /* followed, the dangling one is unreadable */
        o3.strict = 1;
        struct docs d3 = { 0 };
        struct src_stats st3 = { 0 };
        CHECK_INT(src_read(dir, &o3, on_doc, &d3, &st3), ERR_FORMAT);
        CHECK_TRUE(strstr(err_msg(), "b.txt") != NULL);
    }

    TEST("out of memory at every allocation: ERR_NOMEM or success, never a crash") {
        /* the "plain files and a directory" test left a directory with every
         * format, nested archives and compressed files */
        const char *dir = tmp("dir");
        long points = 0, nomem = 0;
        for (long n = 0; n < 100000; n++) {
            struct docs d = { 0 };
            struct src_stats st = { 0 };
            mem_fail_after(n);
            int rc = src_read(dir, &o, on_doc, &d, &st);
            long used = mem_fail_after(-1);
            if (rc != 0 && rc != ERR_NOMEM) T_FAIL("allocation %ld: rc %d (%s)", n, rc, err_msg());
            nomem += rc == ERR_NOMEM;
            points++;
            if (used <= n) {
                CHECK_INT(rc, 0);
                CHECK_INT(d.n, 16);
                break;
            }
        }
        printf("  %ld allocation points, %ld gave ERR_NOMEM\n", points, nomem);
        CHECK_TRUE(nomem > 0);
    }

    return test_summary();
}
