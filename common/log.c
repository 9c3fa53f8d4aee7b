/*
 * log.c - stderr diagnostics and progress lines (see log.h).
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int log_level = LOG_INFO;

static void vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
    if (level > log_level) return;
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "%s%s\n", prefix, line);
}

#define DEFINE_LOG(name, level, prefix)        \
    void name(const char *fmt, ...)            \
    {                                          \
        va_list ap;                            \
        va_start(ap, fmt);                     \
        vlog(level, prefix, fmt, ap);          \
        va_end(ap);                            \
    }

DEFINE_LOG(log_error, LOG_ERROR, "error: ")
DEFINE_LOG(log_warn, LOG_WARN, "warning: ")
DEFINE_LOG(log_info, LOG_INFO, "")
DEFINE_LOG(log_debug, LOG_DEBUG, "debug: ")

double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(struct progress *p, const char *what, uint64_t total)
{
    p->what = what;
    p->total = total;
    p->t_start = p->t_last = now_sec();
    p->interval = 10.0;
    const char *iv = getenv("SEMINDEX_PROGRESS_INTERVAL"); /* seconds, when stderr is not a tty */
    if (iv && *iv) {
        char *end;
        double v = strtod(iv, &end);
        if (!*end && v >= 0) p->interval = v;
    }
    p->tty = isatty(2);
    p->shown = 0;
}

void progress_update(struct progress *p, uint64_t done, const char *fmt, ...)
{
    if (log_level < LOG_INFO) return;
    double t = now_sec();
    double gap = p->tty ? 0.125 : p->interval;
    if (t - p->t_last < gap) return;
    p->t_last = t;

    char extra[256] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(extra, sizeof extra, fmt, ap);
        va_end(ap);
    }
    double el = t - p->t_start;
    char eta[64] = "";
    if (p->total && done > 0 && done <= p->total) {
        double left = el * (double)(p->total - done) / (double)done;
        snprintf(eta, sizeof eta, ", ETA %dm%02ds", (int)(left / 60), (int)left % 60);
    }
    double rate = el > 0 ? (double)done / el : 0;
    if (p->total)
        fprintf(stderr, "%s%s: %llu/%llu (%.0f%%) %s [%.0fs, %.0f/s%s]%s", p->tty ? "\r" : "", p->what,
                (unsigned long long)done, (unsigned long long)p->total,
                100.0 * (double)done / (double)p->total, extra, el, rate, eta, p->tty ? "\033[K" : "\n");
    else
        fprintf(stderr, "%s%s: %llu %s [%.0fs, %.0f/s]%s", p->tty ? "\r" : "", p->what,
                (unsigned long long)done, extra, el, rate, p->tty ? "\033[K" : "\n");
    p->shown = 1;
}

void progress_done(struct progress *p)
{
    if (p->shown && p->tty && log_level >= LOG_INFO) fputc('\n', stderr);
    p->shown = 0;
}
