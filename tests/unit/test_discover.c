/* test_discover.c - shard discovery: globs, directory walks, order, dedup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "ingest/discover.h"
#include "tests/check.h"

static void touch(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* n_found: how many shards discover_shards finds for the n patterns (its
 * stats into st) */
static long n_found(const char **pat, size_t n, int follow, struct discover_stats *st)
{
    struct shard_list l = { 0 };
    memset(st, 0, sizeof *st);
    CHECK_OK(discover_shards(pat, n, follow, &l, st));
    long found = (long)l.n;
    shard_list_release(&l);
    return found;
}

int main(void)
{
    log_level = LOG_ERROR;
    const char *tmp = test_tmpdir();
    char root[1024], sub[1100], hid[1100];
    snprintf(root, sizeof root, "%s/discover", tmp);
    snprintf(sub, sizeof sub, "%s/b-sub", root);
    snprintf(hid, sizeof hid, "%s/.hidden", root);
    mkdir(root, 0755);
    mkdir(sub, 0755);
    mkdir(hid, 0755);
    touch(root, "night-2.tar.zst");
    touch(root, "night-1.tar.zst");
    touch(root, "notes.pdf");
    touch(root, ".partial.jsonl");
    touch(sub, "a.jsonl");
    touch(sub, "c.TSV");
    touch(hid, "x.txt");

    TEST("shard extensions") {
        CHECK_TRUE(shard_ext_known("a.tar.zst"));
        CHECK_TRUE(shard_ext_known("A.JSONL"));
        CHECK_TRUE(shard_ext_known("x.7z"));
        CHECK_TRUE(!shard_ext_known("x.pdf"));
        CHECK_TRUE(!shard_ext_known(".zst"));
    }

    TEST("directory walk: sorted, recursive, hidden and unknown files skipped") {
        struct shard_list l = { 0 };
        struct discover_stats st = { 0 };
        const char *pat[] = { root };
        CHECK_OK(discover_shards(pat, 1, 0, &l, &st));
        CHECK_INT(l.n, 4);
        if (l.n == 4) {
            CHECK_TRUE(ends_with(l.path[0], "/b-sub/a.jsonl"));
            CHECK_TRUE(ends_with(l.path[1], "/b-sub/c.TSV"));
            CHECK_TRUE(ends_with(l.path[2], "/night-1.tar.zst"));
            CHECK_TRUE(ends_with(l.path[3], "/night-2.tar.zst"));
        }
        CHECK_INT(st.skipped_files, 1);
        CHECK_INT(st.empty_patterns, 0);
        shard_list_release(&l);
    }

    TEST("globs, braces and duplicates through two patterns") {
        char g1[1200], g2[1200], g3[1200];
        snprintf(g1, sizeof g1, "%s/night-*.tar.zst", root);
        snprintf(g2, sizeof g2, "%s/b-sub/../night-1.tar.zst", root);
        snprintf(g3, sizeof g3, "%s/{b-sub,nowhere}", root);
        const char *pat[] = { g1, g2, g3 };
        struct discover_stats st;
        CHECK_INT(n_found(pat, 3, 0, &st), 4);
        CHECK_INT(st.patterns, 3);
    }

    TEST("a pattern matching nothing is counted, not an error") {
        char g[1200];
        snprintf(g, sizeof g, "%s/missing-*.zip", root);
        const char *pat[] = { g };
        struct discover_stats st;
        CHECK_INT(n_found(pat, 1, 0, &st), 0);
        CHECK_INT(st.empty_patterns, 1);
    }
    TEST("symlink loops and links: each file once, never a hang") {
        char d[900], p1[1000], p2[1000];
        snprintf(d, sizeof d, "%s/loops", tmp);
        mkdir(d, 0755);
        touch(d, "a.jsonl");
        snprintf(p1, sizeof p1, "%s/a.jsonl", d);
        snprintf(p2, sizeof p2, "%s/hard.jsonl", d);
        CHECK_TRUE(link(p1, p2) == 0);
        snprintf(p2, sizeof p2, "%s/self", d);
        CHECK_TRUE(symlink(".", p2) == 0);
        snprintf(p2, sizeof p2, "%s/soft.jsonl", d);
        CHECK_TRUE(symlink("a.jsonl", p2) == 0);
        for (int follow = 0; follow < 2; follow++) {
            struct shard_list l = { 0 };
            struct discover_stats st = { 0 };
            const char *pat[] = { d, p1 };
            CHECK_OK(discover_shards(pat, 2, follow, &l, &st));
            CHECK_INT(l.n, 1);
            if (l.n == 1) CHECK_TRUE(ends_with(l.path[0], "/a.jsonl") || ends_with(l.path[0], "/hard.jsonl"));
            shard_list_release(&l);
        }
    }
    return test_summary();
}
