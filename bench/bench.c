/*
 * bench.c - helpers the benchmarks share (bench/bench.h): where their data
 * is, and the sentences of its TSV files.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "pipeline/cli.h"

int bench_data(const char *given, const char *probe, struct buf *out)
{
    struct buf p = BUF_INIT, tried = BUF_INIT;
    if (given) {
        fs_join(&p, given, probe);
        int ok = fs_exists(p.data);
        buf_release(&p);
        buf_reset(out);
        if (!ok) return err_set(ERR_NOTFOUND, "--data '%s' has no %s", given, probe);
        return buf_puts(out, given);
    }
    const char *cand[4] = { getenv("SEMINDEX_DATA"), "../shared/data", NULL, NULL };
    char exe[4096];
    struct buf e1 = BUF_INIT, e2 = BUF_INIT;
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        buf_printf(&e1, "%s/../shared/data", exe);
        buf_printf(&e2, "%s/../../shared/data", exe);
        cand[2] = e1.data;
        cand[3] = e2.data;
    }
    int rc = -1;
    for (int i = 0; i < 4 && rc < 0; i++) {
        if (!cand[i] || !*cand[i]) continue;
        fs_join(&p, cand[i], probe);
        if (fs_exists(p.data)) {
            buf_reset(out);
            rc = buf_puts(out, cand[i]);
        } else {
            buf_printf(&tried, "%s%s%s", tried.len ? ", " : "", i == 0 ? "$SEMINDEX_DATA=" : "", cand[i]);
        }
    }
    if (rc < 0)
        rc = err_set(ERR_NOTFOUND, "no benchmark data: %s not found in %s; give the KorSTS/KorNLI folder with --data DIR "
                     "(or set SEMINDEX_DATA)", probe, tried.data ? tried.data : "(nowhere)");
    buf_release(&p);
    buf_release(&tried);
    buf_release(&e1);
    buf_release(&e2);
    return rc;
}

/* tsv_field: field col of a tab-separated line -> *p, *len; 0 if the line
 * has fewer fields */
static int tsv_field(const char *line, int col, const char **p, size_t *len)
{
    for (int c = 0; c < col && line; c++) {
        line = strchr(line, '\t');
        if (line) line++;
    }
    if (!line) return 0;
    *p = line;
    *len = strcspn(line, "\t");
    return 1;
}

int bench_read_sentences(const char *path, struct cli_texts *t)
{
    static const char *const names[2] = { "sentence1", "sentence2" };
    struct cli_texts raw;
    FORWARD_ERR(cli_read_texts(path, CLI_IN_LINES, NULL, &raw));
    int cols[2] = { -1, -1 }, rc = 0;
    const char *p;
    size_t len, n0 = t->n;
    for (int c = 0; raw.n && tsv_field(raw.text[0], c, &p, &len); c++)
        for (int k = 0; k < 2; k++)
            if (cols[k] < 0 && len == strlen(names[k]) && !strncmp(p, names[k], len)) cols[k] = c;
    if (cols[0] < 0 || cols[1] < 0)
        rc = err_set(ERR_FORMAT, "'%s': no sentence1 and sentence2 columns in the header line", path);
    for (int k = 0; k < 2 && rc == 0; k++)
        for (size_t i = 1; i < raw.n && rc == 0; i++)
            if (tsv_field(raw.text[i], cols[k], &p, &len)) rc = cli_texts_push(t, p, len);
    if (rc == 0 && t->n == n0) rc = err_set(ERR_FORMAT, "'%s': no sentences", path);
    cli_texts_release(&raw);
    return rc;
}
