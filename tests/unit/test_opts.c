/*
 * test_opts.c - pipeline/opts.c: the option-table driver. A command of two
 * groups (one of them prefixed "ingest-"), short flags, --no-BOOL, a list
 * filled by flags and positional arguments, a size, an enum, defaults left
 * alone, the error line of each bad command line, --help before values, the
 * config hook, one group declared once used twice under two prefixes, a
 * shared group's key, short flag, default and size minimum under a prefix
 * (build's --index as run's --index-type), the help's defaults checked
 * against the struct, and the groups several commands share (pipeline/cli.h:
 * the encoder's and the input's).
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "tests/check.h"

/* a reusable group, as struct ingest_options will be */
struct grp {
    struct opt_list shards;
    char *segment;
    long window;
    uint64_t max_record;
    int strict;
};

#define G(f) offsetof(struct grp, f)
static const struct opt grp_opts[] = {
    OPT("shards", 0, OPT_LIST, G(shards), "GLOB", "shard files (repeatable)"),
    OPT("segment", 0, OPT_STR, G(segment), "MODE", "doc|line", .def = "line"),
    OPT("window", 0, OPT_INT, G(window), "N", "tokens per window", .lo = 1, .hi = 100, .def = "10"),
    OPT("max-record", 0, OPT_SIZE, G(max_record), "SIZE", "longest record"),
    OPT("strict", 0, OPT_BOOL, G(strict), NULL, "fail on a rejected input", .def = "yes"),
};
#undef G

struct tcmd {
    char *store, *config;
    long threads;
    int json, fmt;
    double recall;
    struct grp ing;
};

static const char *const fmts[] = { "jsonl", "lines", NULL };

#define O(f) offsetof(struct tcmd, f)
static const struct opt top_opts[] = {
    OPT("config", 'c', OPT_STR, O(config), "FILE", "settings file", .flags = OPT_CLI_ONLY),
    OPT("store", 's', OPT_STR, O(store), "DIR", "the store", .flags = OPT_REQUIRED),
    OPT("threads", 't', OPT_INT, O(threads), "N", "threads", .hi = 64),
    OPT("json", 0, OPT_FLAG, O(json), NULL, "JSON output"),
    OPT("fmt", 'f', OPT_ENUM, O(fmt), "FMT", "input format", .choices = fmts),
    OPT("recall", 0, OPT_NUM, O(recall), "R", "recall target", .lo = 0.01, .hi = 1),
};
#undef O

static const struct opt_group t_groups[] = {
    OPT_GROUP(top_opts, 0, NULL),
    OPT_GROUP(grp_opts, offsetof(struct tcmd, ing), "ingest-"),
};
static const struct opts_cmd t_cmd = {
    .name = "t", .groups = t_groups, .n_groups = 2, .args = "SHARD...", .args_into = "ingest-shards",
    .flags = OPTS_SHORT_NAMES, .outro = "the end\n",
};

/* the same group twice: a- and b- */
struct two {
    struct grp a, b;
};
static const struct opt_group two_groups[] = {
    OPT_GROUP(grp_opts, offsetof(struct two, a), "a-"),
    OPT_GROUP(grp_opts, offsetof(struct two, b), "b-"),
};
static const struct opts_cmd two_cmd = { .name = "two", .groups = two_groups, .n_groups = 2,
                                         .flags = OPTS_SHORT_NAMES | OPTS_BOOL_VALUES };

/* a command of cli.h's shared groups, as embed and similarity are */
struct shared {
    struct cli_encoder enc;
    struct cli_input in;
};
static const struct opt_group shared_groups[] = {
    CLI_ENCODER_GROUP(offsetof(struct shared, enc)),
    CLI_INPUT_GROUP(offsetof(struct shared, in)),
};
static const struct opts_cmd shared_cmd = { .name = "shared", .groups = shared_groups, .n_groups = 2 };

/* a group whose command spells two settings otherwise than run (build's
 * --index is run's index-type), with a short flag, a size with a minimum,
 * and run's own default for one entry */
struct kgrp {
    char *type;
    double growth;
    uint64_t budget;
};
#define K(f) offsetof(struct kgrp, f)
static const struct opt kgrp_opts[] = {
    OPT("index", 'i', OPT_STR, K(type), "FACTORY", "index type", .key = "type"),
    OPT("growth", 0, OPT_NUM, K(growth), "F", "retrain beyond", .lo = 1, .hi = 10, .def = "2",
        .key = "grow-factor"),
    OPT("budget", 0, OPT_SIZE, K(budget), "SIZE", "memory", .lo = 1),
};
#undef K
static const struct opt_group kcmd_groups[] = { OPT_GROUP(kgrp_opts, 0, NULL) };
static const struct opts_cmd kcmd = { .name = "k", .groups = kcmd_groups, .n_groups = 1 };
static const struct opt_def krun_defs[] = { { "growth", "3" }, { NULL, NULL } };
static const struct opt_group krun_groups[] = {
    { kgrp_opts, sizeof kgrp_opts / sizeof kgrp_opts[0], 0, "index-", krun_defs },
};
static const struct opts_cmd krun = { .name = "krun", .groups = krun_groups, .n_groups = 1,
                                      .flags = OPTS_SHORT_NAMES };

static void t_init(struct tcmd *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 2;
    o->fmt = 1;
    o->recall = 0.5;
    o->ing.window = 10;
    o->ing.strict = 1;
}

/* parse: run opts_apply on a NULL-terminated list of arguments (argv[0]
 * is "t"); *first gets the index of the first positional argument. */
static int parse(const struct opts_cmd *cmd, void *o, int *first, int (*config)(void *, const char *),
                 const char **args)
{
    static char *argv[32];
    int argc = 0;
    argv[argc++] = "t";
    while (*args) argv[argc++] = (char *)*args++;
    argv[argc] = NULL;
    int f = 0;
    int rc = opts_apply(cmd, o, argc, argv, first ? first : &f, config);
    return rc;
}
#define PARSE(o, ...) parse(&t_cmd, o, NULL, NULL, (const char *[]){ __VA_ARGS__, NULL })

static const char *seen_config;
static int fake_config(void *base, const char *path)
{
    struct tcmd *o = base;
    seen_config = path;
    o->threads = 9; /* the file says 9; a flag must win */
    o->ing.window = 50;
    return strcmp(path, "bad.ini") ? 0 : err_set(ERR_FORMAT, "bad.ini:1: broken");
}

int main(void)
{
    struct tcmd o;

    TEST("flags, short flags, prefixed group, --no-BOOL, size, enum, list from flags and positionals") {
        t_init(&o);
        opt_set(&o.ing, &grp_opts[0], "from-config", NULL); /* a config file's list: replaced */
        CHECK_OK(PARSE(&o, "-s", "st", "a", "--ingest-window", "7", "--max-record=2M", "--no-ingest-strict",
                       "--json", "--ingest-shards", "b", "-t4", "-f", "jsonl", "c"));
        CHECK_STR(o.store, "st");
        CHECK_INT(o.threads, 4);
        CHECK_INT(o.json, 1);
        CHECK_INT(o.fmt, 0);
        CHECK_INT(o.ing.window, 7);
        CHECK_INT(o.ing.max_record, 2u << 20);
        CHECK_INT(o.ing.strict, 0);
        CHECK_INT(o.ing.shards.n, 3);
        if (o.ing.shards.n == 3) {
            CHECK_STR(o.ing.shards.v[0], "b"); /* flags first, then positional arguments */
            CHECK_STR(o.ing.shards.v[1], "a");
            CHECK_STR(o.ing.shards.v[2], "c");
        }
        /* not given: the defaults stay */
        CHECK_NEAR(o.recall, 0.5, 0);
        CHECK_TRUE(o.ing.segment == NULL);
        opts_release(&t_cmd, &o);
        CHECK_TRUE(o.store == NULL && o.ing.shards.n == 0);
    }

    TEST("a prefixed name without its prefix (OPTS_SHORT_NAMES); --BOOL=VALUE refused without OPTS_BOOL_VALUES") {
        t_init(&o);
        CHECK_OK(PARSE(&o, "-s", "x", "--window", "3", "--segment", "doc", "--no-strict", "--strict"));
        CHECK_INT(o.ing.window, 3);
        CHECK_STR(o.ing.segment, "doc");
        CHECK_INT(o.ing.strict, 1);
        opts_release(&t_cmd, &o);
        t_init(&o);
        CHECK_INT(PARSE(&o, "-s", "x", "--strict=no"), ERR_INVALID);
        CHECK_STR(err_msg(), "option '--strict' takes no value");
        opts_release(&t_cmd, &o);
    }

    TEST("each bad command line is one message naming the option") {
        static const struct {
            const char *args[5], *msg;
        } bad[] = {
            { { "-s", "x", "--ingest-window", "0" }, "--ingest-window: '0' is not an integer in [1, 100]" },
            { { "-s", "x", "--window", "many" }, "--ingest-window: 'many' is not an integer in [1, 100]" },
            { { "-s", "x", "--max-record", "lots" }, "--ingest-max-record: 'lots' is not a size (e.g. 512M, 4G)" },
            { { "-s", "x", "--fmt", "xml" }, "--fmt: 'xml' is not jsonl or lines" },
            { { "-s", "x", "--recall", "2" }, "--recall: '2' is not a number in [0.01, 1]" },
            { { "-s", "x", "--nope" }, "unknown option '--nope'" },
            { { "-s", "x", "--json=1" }, "option '--json' takes no value" },
            { { "-s", "x", "-Z" }, "unknown option '-Z'" },
            { { "-s" }, "option '-s' needs a value" },
            { { "--threads", "3" }, "--store is required" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            t_init(&o);
            CHECK_INT(parse(&t_cmd, &o, NULL, NULL, (const char **)bad[i].args), ERR_INVALID);
            CHECK_STR(err_msg(), bad[i].msg);
            opts_release(&t_cmd, &o);
        }
    }

    TEST("--help wins over bad values; unexpected arguments when the command takes none") {
        t_init(&o);
        CHECK_INT(PARSE(&o, "--threads", "many", "--help"), OPTS_HELP);
        opts_release(&t_cmd, &o);
        struct two w = { 0 };
        CHECK_INT(parse(&two_cmd, &w, NULL, NULL, (const char *[]){ "extra", NULL }), ERR_INVALID);
        CHECK_STR(err_msg(), "unexpected argument 'extra'");
    }

    TEST("one group under two prefixes: separate fields, the ambiguous short name refused") {
        struct two w = { 0 };
        CHECK_OK(parse(&two_cmd, &w, NULL, NULL, (const char *[]){ "--a-window", "3", "--b-window=4",
                                                                   "--b-strict=yes", NULL }));
        CHECK_INT(w.a.window, 3);
        CHECK_INT(w.b.window, 4);
        CHECK_INT(w.a.strict, 0);
        CHECK_INT(w.b.strict, 1);
        CHECK_INT(parse(&two_cmd, &w, NULL, NULL, (const char *[]){ "--window", "3", NULL }), ERR_INVALID);
        CHECK_STR(err_msg(), "unknown option '--window'");
        opts_release(&two_cmd, &w);
    }

    TEST("a shared group: the key under a prefix, no short flag there, run's own default, a size's minimum") {
        struct kgrp k = { .growth = 2 };
        CHECK_OK(parse(&kcmd, &k, NULL, NULL, (const char *[]){ "-i", "IVF8,Flat", "--growth", "4", NULL }));
        CHECK_STR(k.type, "IVF8,Flat");
        CHECK_NEAR(k.growth, 4, 0);
        CHECK_INT(parse(&kcmd, &k, NULL, NULL, (const char *[]){ "--type", "Flat", NULL }), ERR_INVALID);
        CHECK_STR(err_msg(), "unknown option '--type'");
        CHECK_INT(parse(&kcmd, &k, NULL, NULL, (const char *[]){ "--budget", "0", NULL }), ERR_INVALID);
        CHECK_STR(err_msg(), "--budget: '0' is too small (at least 1)");
        opts_release(&kcmd, &k);
        k = (struct kgrp){ .growth = 3 };
        CHECK_OK(parse(&krun, &k, NULL, NULL, (const char *[]){ "--index-type", "HNSW32", "--grow-factor", "5",
                                                                "--budget=1k", NULL }));
        CHECK_STR(k.type, "HNSW32");
        CHECK_NEAR(k.growth, 5, 0);
        CHECK_INT(k.budget, 1024);
        CHECK_OK(parse(&krun, &k, NULL, NULL, (const char *[]){ "--type", "Flat", NULL }));
        CHECK_STR(k.type, "Flat");
        const char *refused[][2] = { { "-i", "Flat" }, { "--index-index", "Flat" }, { "--growth", "2" } };
        for (size_t i = 0; i < 3; i++)
            CHECK_INT(parse(&krun, &k, NULL, NULL, (const char *[]){ refused[i][0], refused[i][1], NULL }),
                      ERR_INVALID);
        void *fb;
        CHECK_TRUE(opts_find(&krun, &k, "index-grow-factor", &fb) == &kgrp_opts[1]);
        CHECK_TRUE(opts_find(&krun, &k, "index-growth", &fb) == NULL);
        opts_release(&krun, &k);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        opts_usage(&krun, f);
        opts_usage(&kcmd, f);
        fclose(f);
        const char *want[] = { "\n      --index-type FACTORY", "\n      --index-grow-factor F  retrain beyond (default 3)\n",
                               "\n  -i, --index FACTORY", "\n      --growth F       retrain beyond (default 2)\n" };
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            if (!strstr(text, want[i])) T_FAIL("no '%s' in:\n%s", want[i], text);
        free(text);
        k = (struct kgrp){ .growth = 3 };
        opts_check_defaults(&krun, &k); /* run's 3, not the table's 2: no abort */
    }

    TEST("the config hook runs first, flags override it, its error is returned") {
        t_init(&o);
        CHECK_OK(parse(&t_cmd, &o, NULL, fake_config,
                       (const char *[]){ "-s", "x", "--threads", "3", "--config", "a.ini", NULL }));
        CHECK_STR(seen_config, "a.ini");
        CHECK_INT(o.threads, 3);
        CHECK_INT(o.ing.window, 50);
        opts_release(&t_cmd, &o);
        t_init(&o);
        CHECK_INT(parse(&t_cmd, &o, NULL, fake_config, (const char *[]){ "-c", "a.ini", "-c", "b.ini", NULL }),
                  ERR_INVALID);
        CHECK_STR(err_msg(), "--config given twice");
        CHECK_INT(parse(&t_cmd, &o, NULL, fake_config, (const char *[]){ "-c", "bad.ini", NULL }), ERR_FORMAT);
        opts_release(&t_cmd, &o);
    }

    TEST("opts_find: config keys are prefixed names; CLI-only entries have none") {
        void *fb = NULL;
        const struct opt *op = opts_find(&t_cmd, &o, "ingest-segment", &fb);
        CHECK_TRUE(op == &grp_opts[1] && fb == &o.ing);
        CHECK_TRUE(opts_find(&t_cmd, &o, "segment", &fb) == NULL);
        CHECK_TRUE(opts_find(&t_cmd, &o, "config", &fb) == NULL);
    }

    TEST("the usage text comes from the table") {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        opts_usage(&t_cmd, f);
        fclose(f);
        const char *want[] = {
            "usage: semindex t [--config FILE] --store DIR [--threads N] [--json]\n" /* 79 columns */
            "                  [--fmt FMT] [--recall R] [--ingest-shards GLOB]\n",
            " [--[no-]ingest-strict] SHARD...\n\n",
            "\n  -s, --store DIR               the store\n",
            "\n      --[no-]ingest-strict      fail on a rejected input (default yes)\n",
            "\n      --ingest-window N         tokens per window (default 10)\n",
            "\n  -h, --help                    this help\n\nthe end\n",
        };
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            if (!strstr(text, want[i])) T_FAIL("no '%s' in:\n%s", want[i], text);
        free(text);
    }
    TEST("a default shown in the help is checked against the struct") {
        t_init(&o);
        opts_check_defaults(&t_cmd, &o); /* window 10, strict yes: as the help says */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            freopen("/dev/null", "w", stderr);
            o.ing.window = 11; /* the code drifted from the help */
            opts_check_defaults(&t_cmd, &o);
            _exit(0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    }

    TEST("cli.h's shared groups: --model, --threads, --precision, --input, --input-format, --field") {
        struct shared sh = { .in = CLI_INPUT_INIT };
        CHECK_OK(parse(&shared_cmd, &sh, NULL, NULL, (const char *[]){ "-m", "dir", NULL }));
        CHECK_STR(sh.enc.model, "dir");
        CHECK_INT(sh.enc.threads, 0); /* not given: all cores */
        CHECK_INT(sh.enc.precision, ENC_F32);
        CHECK_INT(sh.in.format, CLI_IN_LINES);
        CHECK_TRUE(sh.in.path == NULL && sh.in.field == NULL);
        opts_release(&shared_cmd, &sh);
        CHECK_OK(parse(&shared_cmd, &sh, NULL, NULL, (const char *[]){ "--model", "d", "-t", "3", "--precision",
                                                                       "int8", "-i", "x.jsonl", "-f", "jsonl",
                                                                       "--field", "body", NULL }));
        CHECK_INT(sh.enc.threads, 3);
        CHECK_INT(sh.enc.precision, ENC_INT8);
        CHECK_STR(sh.in.path, "x.jsonl");
        CHECK_INT(sh.in.format, CLI_IN_JSONL);
        CHECK_STR(sh.in.field, "body");
        opts_release(&shared_cmd, &sh);
        static const struct {
            const char *args[5], *msg; /* NULL-terminated */
        } bad[] = {
            { { "-t", "2" }, "--model is required" },
            { { "-m", "d", "--threads", "0" }, "--threads: '0' is not an integer in [1, 4096]" },
            { { "-m", "d", "--precision", "int4" }, "--precision: 'int4' is not f32, bf16 or int8" },
            { { "-m", "d", "--input-format", "xml" }, "--input-format: 'xml' is not jsonl or lines" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct shared b = { .in = CLI_INPUT_INIT };
            CHECK_INT(parse(&shared_cmd, &b, NULL, NULL, (const char **)bad[i].args), ERR_INVALID);
            CHECK_STR(err_msg(), bad[i].msg);
            opts_release(&shared_cmd, &b);
        }
        /* the choices are the encoder's names, in enum enc_precision's order */
        for (int p = ENC_F32; p <= ENC_INT8; p++) CHECK_STR(cli_precisions[p], enc_precision_name(p));
        CHECK_TRUE(cli_precisions[ENC_INT8 + 1] == NULL);
    }

    TEST("cli_input_read: the jsonl field --field names, else \"text\"") {
        char path[] = "/tmp/test_opts-XXXXXX";
        int fd = mkstemp(path);
        CHECK_TRUE(fd >= 0);
        static const char rows[] = "{\"text\": \"no\", \"body\": \"one\"}\n\n{\"body\": \"two\"}\n";
        CHECK_TRUE(write(fd, rows, sizeof rows - 1) == (ssize_t)(sizeof rows - 1));
        close(fd);
        struct cli_input in = { .path = path, .format = CLI_IN_JSONL, .field = "body" };
        struct cli_texts t;
        CHECK_OK(cli_input_read(&in, &t));
        CHECK_INT(t.n, 2);
        if (t.n == 2) {
            CHECK_STR(t.text[0], "one");
            CHECK_STR(t.text[1], "two");
        }
        cli_texts_release(&t);
        in.field = NULL; /* "text": the second row has none */
        CHECK_INT(cli_input_read(&in, &t), ERR_FORMAT);
        unlink(path);
    }
    return test_summary();
}
