/*
 * bench.c - helpers the benchmarks share (bench/bench.h): where their data is.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "buf.h"
#include "err.h"
#include "fsutil.h"

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
