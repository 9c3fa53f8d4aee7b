/*
 * cmd_slurm.c - `semindex slurm`: the nightly run as a Slurm array job.
 *
 * Writes, in the job directory (default <store>.slurm, on the shared
 * filesystem):
 *   ingest.sbatch  an array job of N tasks; task I runs `semindex run` with
 *                  --part I/N into parts/part-I with the index and mining off
 *                  (a requeued or resubmitted task redoes only what its part
 *                  store lacks)
 *   merge.sbatch   merges parts/part-0..N-1 into the store, then `semindex run`
 *                  on the store: its ingest finds every shard merged, then the
 *                  index, mining and the run report of the whole job
 *   submit.sh      the two sbatch calls, the merge after the array (afterok)
 *   logs/          one log per task and one per merge job
 * and with --submit runs submit.sh's sbatch calls and prints both job ids.
 *
 * Exit: 0 written (and submitted); 1 failure (sbatch failed, unwritable
 * directory); 2 usage.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "pipeline/run_opts.h"

struct slurm_options {
    char *config, *dir, *sbatch_args;
    long tasks, cpus;
    int submit;
};

#define O(f) offsetof(struct slurm_options, f)
static const struct opt slurm_opts[] = {
    OPT("config", 0, OPT_STR, O(config), "FILE", "the run's settings (semindex run --help); its store\n"
      "gets the result", .flags = OPT_REQUIRED),
    OPT("tasks", 0, OPT_INT, O(tasks), "N", "array tasks, each ingesting 1/N of the shards",
        .lo = 1, .hi = 65536, .def = "4"),
    OPT("cpus-per-task", 0, OPT_INT, O(cpus), "C", "CPUs (and encoder threads) per task",
        .lo = 1, .hi = 4096, .def = "1"),
    OPT("dir", 0, OPT_STR, O(dir), "DIR", "job directory on the shared filesystem: scripts, part\n"
      "stores, logs (default <store>.slurm)"),
    OPT("sbatch-args", 0, OPT_STR, O(sbatch_args), "ARGS", "extra sbatch options written into both scripts\n"
      "(e.g. \"--partition=cpu --time=4:00:00\")"),
    OPT("submit", 0, OPT_FLAG, O(submit), NULL, "submit the array job and the merge job (sbatch)"),
};
#undef O
static const struct opt_group slurm_groups[] = { OPT_GROUP(slurm_opts, 0, NULL) };
static const struct opts_cmd slurm_cmd = {
    .name = "slurm", .groups = slurm_groups, .n_groups = 1, .synopsis = "--config FILE [options]",
    .outro = "A task that failed or was cancelled is run again with `sbatch --array=I DIR/ingest.sbatch`;\n"
             "then `sbatch DIR/merge.sbatch` (merging again adds only what is new). See docs/operations.md.\n",
};

/* abs_of: path made absolute against the current directory (it may not exist yet). */
static int abs_of(const char *path, struct buf *out)
{
    buf_reset(out);
    if (path[0] == '/') return buf_puts(out, path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return err_set(ERR_IO, "getcwd failed");
    return buf_printf(out, "%s/%s", cwd, path);
}

/* sh_quote: a single-quoted shell word. */
static void sh_quote(struct buf *b, const char *s)
{
    buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'') buf_puts(b, "'\\''");
        else buf_putc(b, *s);
    }
    buf_putc(b, '\'');
}

static int write_script(const char *dir, const char *name, const struct buf *b)
{
    struct buf p = BUF_INIT;
    int rc = fs_join(&p, dir, name);
    if (rc == 0) rc = fs_write_atomic(p.data, b->data, b->len);
    if (rc == 0 && chmod(p.data, 0755) < 0) rc = err_set(ERR_IO, "chmod '%s' failed", p.data);
    buf_release(&p);
    return rc;
}

/* sbatch: run "sbatch --parsable ARGS" and return the job id. */
static int sbatch(const char *args, char *id, size_t cap)
{
    struct buf cmd = BUF_INIT;
    buf_printf(&cmd, "sbatch --parsable %s", args);
    log_debug("slurm: %s", cmd.data);
    FILE *f = popen(cmd.data, "r");
    int rc = 0;
    if (!f) rc = err_set(ERR_IO, "cannot run '%s'", cmd.data);
    else {
        if (!fgets(id, (int)cap, f)) id[0] = 0;
        int st = pclose(f);
        id[strcspn(id, ";\n")] = 0;
        if (st != 0 || !id[0])
            rc = err_set(ERR_IO, "'%s' failed (exit %d; is Slurm reachable? SLURM_CONF, sinfo)", cmd.data,
                         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    buf_release(&cmd);
    return rc;
}

/* slurm: write (and submit) the job of c; the exit status. */
static int slurm(const struct slurm_options *c)
{
    const char *config = c->config, *dir = c->dir, *extra = c->sbatch_args;
    long tasks = c->tasks, cpus = c->cpus;
    /* the config must parse and name a store: the tasks would fail later otherwise */
    struct run_options o;
    run_options_init(&o);
    char *rargv[] = { "run", "--config", (char *)config, NULL };
    int rc = run_options_parse(&o, 3, rargv);
    if (rc == 0 && !o.store) rc = err_set(ERR_INVALID, "%s: no store", config);
    if (rc == 0 && o.shards.n == 0) rc = err_set(ERR_INVALID, "%s: no shards", config);
    if (rc < 0) {
        run_options_release(&o);
        return cli_fail(NULL);
    }
    struct buf cfg = BUF_INIT, store = BUF_INIT, jd = BUF_INIT, bin = BUF_INIT, s = BUF_INIT, p = BUF_INIT;
    char exe[PATH_MAX];
    ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[en > 0 ? en : 0] = 0;
    abs_of(config, &cfg);
    abs_of(o.store, &store);
    if (dir) abs_of(dir, &jd);
    else buf_printf(&jd, "%s.slurm", store.data);
    buf_puts(&bin, exe[0] ? exe : "semindex");
    int ex = EXIT_FAIL;
    buf_printf(&p, "%s/logs", jd.data);
    if (fs_mkdir_p(p.data) < 0) goto fail;
    buf_reset(&p);
    buf_printf(&p, "%s/parts", jd.data);
    if (fs_mkdir_p(p.data) < 0) goto fail;

    /* ingest.sbatch */
    buf_printf(&s, "#!/bin/sh\n# semindex slurm: one part of the corpus per array task (written by semindex slurm)\n");
    buf_printf(&s, "#SBATCH --job-name=semindex-ingest\n#SBATCH --array=0-%ld\n#SBATCH --cpus-per-task=%ld\n", tasks - 1,
               cpus);
    buf_printf(&s, "#SBATCH --requeue\n#SBATCH --open-mode=append\n#SBATCH --output=%s/logs/ingest-%%a.log\n", jd.data);
    if (extra) buf_printf(&s, "#SBATCH %s\n", extra);
    buf_puts(&s, "# I/N is explicit (not --part slurm) so that `sbatch --array=I` of this file redoes task I\n");
    buf_puts(&s, "i=${SLURM_ARRAY_TASK_ID:?not an array task}\nexec ");
    sh_quote(&s, bin.data);
    buf_puts(&s, " run --config ");
    sh_quote(&s, cfg.data);
    buf_printf(&s, " --store \"$(printf '%%s/parts/part-%%s' ");
    sh_quote(&s, jd.data);
    buf_printf(&s, " \"$i\")\" --part \"$i/%ld\" --threads %ld --no-index-enabled --no-mine-enabled --report "
                   "\"$(printf '%%s/logs/ingest-%%s.json' ",
               tasks, cpus);
    sh_quote(&s, jd.data);
    buf_puts(&s, " \"$i\")\"\n");
    if (write_script(jd.data, "ingest.sbatch", &s) < 0) goto fail;

    /* merge.sbatch */
    buf_reset(&s);
    buf_printf(&s, "#!/bin/sh\n# semindex slurm: merge the parts, then index, mine and report (written by semindex slurm)\n");
    buf_printf(&s, "#SBATCH --job-name=semindex-merge\n#SBATCH --cpus-per-task=%ld\n#SBATCH --requeue\n", cpus);
    buf_printf(&s, "#SBATCH --open-mode=append\n#SBATCH --output=%s/logs/merge-%%j.log\n", jd.data);
    if (extra) buf_printf(&s, "#SBATCH %s\n", extra);
    buf_puts(&s, "set -e\n");
    sh_quote(&s, bin.data);
    buf_puts(&s, " merge --store ");
    sh_quote(&s, store.data);
    buf_puts(&s, " --stats-json ");
    buf_reset(&p);
    buf_printf(&p, "%s/logs/merge.json", jd.data);
    sh_quote(&s, p.data);
    for (long i = 0; i < tasks; i++) {
        buf_reset(&p);
        buf_printf(&p, "%s/parts/part-%ld", jd.data, i);
        buf_puts(&s, " \\\n    ");
        sh_quote(&s, p.data);
    }
    buf_puts(&s, "\n# the run stages on the merged store: every shard is found merged, then index, mine, report\nexec ");
    sh_quote(&s, bin.data);
    buf_printf(&s, " run --config ");
    sh_quote(&s, cfg.data);
    buf_printf(&s, " --threads %ld\n", cpus);
    if (write_script(jd.data, "merge.sbatch", &s) < 0) goto fail;

    /* submit.sh */
    buf_reset(&s);
    buf_puts(&s, "#!/bin/sh\n# submit the array job, then the merge job after it succeeded\nset -e\ncd ");
    sh_quote(&s, jd.data);
    buf_puts(&s, "\nj=$(sbatch --parsable ingest.sbatch)\nj=${j%%;*}\nm=$(sbatch --parsable "
                 "--dependency=afterok:$j merge.sbatch)\necho \"ingest job $j, merge job ${m%%;*}\"\n");
    if (write_script(jd.data, "submit.sh", &s) < 0) goto fail;
    log_info("slurm: wrote %s/{ingest.sbatch,merge.sbatch,submit.sh} (%ld tasks x %ld CPUs)", jd.data, tasks, cpus);

    if (c->submit) {
        char j[64], m[64];
        buf_reset(&p);
        buf_printf(&p, "%s/ingest.sbatch", jd.data);
        buf_reset(&s);
        sh_quote(&s, p.data);
        if (sbatch(s.data, j, sizeof j) < 0) goto fail;
        buf_reset(&p);
        buf_printf(&p, "%s/merge.sbatch", jd.data);
        buf_reset(&s);
        buf_printf(&s, "--dependency=afterok:%s ", j);
        sh_quote(&s, p.data);
        if (sbatch(s.data, m, sizeof m) < 0) goto fail;
        log_info("slurm: submitted ingest array job %s (%ld tasks) and merge job %s", j, tasks, m);
        printf("%s %s\n", j, m);
    }
    ex = EXIT_OK;
    goto out;
fail:
    ex = cli_fail(NULL);
out:
    buf_release(&cfg);
    buf_release(&store);
    buf_release(&jd);
    buf_release(&bin);
    buf_release(&s);
    buf_release(&p);
    run_options_release(&o);
    return ex;
}

int cmd_slurm(int argc, char **argv)
{
    struct slurm_options o = { .tasks = 4, .cpus = 1 };
    int first, rc = opts_parse(&slurm_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = slurm(&o);
    opts_release(&slurm_cmd, &o);
    return rc;
}
