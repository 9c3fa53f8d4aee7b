/*
 * log.h - diagnostics to stderr, and progress for long work.
 *
 * Levels follow zstd's display levels: -q sets LOG_ERROR, the default is
 * LOG_INFO, -v sets LOG_DEBUG. Results never go through here (they go to
 * stdout); everything here goes to stderr.
 *
 * Progress: on a terminal, one line rewritten in place (\r) at most ~8 times a
 * second; otherwise (cron logs) a plain line every `interval` seconds. The
 * caller owns the struct; nothing is allocated.
 *
 *     struct progress p;
 *     progress_init(&p, "ingest", total_docs);
 *     for (...) progress_update(&p, done, "%lu chunks", n_chunks);
 *     progress_done(&p);
 *
 * Thread-safety: log_* may be called from any thread (one fprintf each);
 * a progress struct belongs to one thread.
 */
#ifndef SEMINDEX_LOG_H
#define SEMINDEX_LOG_H

#include <stdint.h>

enum log_level { LOG_QUIET = 0, LOG_ERROR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4 };

extern int log_level;

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* now_sec: monotonic clock in seconds. */
double now_sec(void);

struct progress {
    const char *what;
    uint64_t total;      /* 0 when unknown */
    double t_start, t_last;
    double interval;     /* seconds between plain lines when not a tty */
    int tty;
    int shown;
};

void progress_init(struct progress *p, const char *what, uint64_t total);
void progress_update(struct progress *p, uint64_t done, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void progress_done(struct progress *p);

#endif
