/*
 * err.c - per-thread error messages (see err.h).
 */
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_MSG_CAP 1024

static _Thread_local char err_buf[ERR_MSG_CAP];

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK: return "success";
    case ERR_NOMEM: return "out of memory";
    case ERR_IO: return "i/o error";
    case ERR_FORMAT: return "format error";
    case ERR_INVALID: return "invalid argument";
    case ERR_NOTFOUND: return "not found";
    case ERR_UNSUPPORTED: return "unsupported";
    case ERR_STORE: return "store error";
    case ERR_ANN: return "index error";
    case ERR_CODEC: return "codec error";
    case ERR_BUSY: return "busy";
    case ERR_MISMATCH: return "mismatch";
    default: return "unknown error";
    }
}

int err_vset(int code, const char *fmt, va_list ap)
{
    vsnprintf(err_buf, sizeof err_buf, fmt, ap);
    return code;
}

int err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(code, fmt, ap);
    va_end(ap);
    return code;
}

int err_nomem(void)
{
    return err_set(ERR_NOMEM, "out of memory");
}

int err_prefix(int code, const char *fmt, ...)
{
    char old[ERR_MSG_CAP];
    memcpy(old, err_buf, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err_buf, sizeof err_buf, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n + 3 < sizeof err_buf)
        snprintf(err_buf + n, sizeof err_buf - (size_t)n, ": %.*s", (int)(sizeof err_buf - (size_t)n - 3),
                 old[0] ? old : err_str(code));
    return code;
}

const char *err_msg(void)
{
    return err_buf[0] ? err_buf : "unknown error";
}

void err_clear(void)
{
    err_buf[0] = 0;
}

void check_failed(const char *file, int line, const char *cond)
{
    fprintf(stderr, "fatal: %s:%d: CHECK(%s) failed\n", file, line, cond);
    fflush(stderr);
    abort();
}
