/*
 * err.h - one error convention for all of semindex.
 *
 * Library functions return int: 0 on success or a negative enum err_code.
 * Counting functions return the count (>= 0) or an error. The human detail is
 * a per-thread message set where the problem is found ("cannot read 'x': ..."),
 * in git's wording: lower case, no full stop, subject quoted, numbers given.
 * The CLI adds the "error: " prefix; library code never prints it.
 *
 *     int rc = st_open(&st, path);          // fails with ERR_FORMAT
 *     if (rc < 0)
 *         log_error("%s", err_msg());       // "cannot read 'm.safetensors': ..."
 *
 * Bugs are not data errors: CHECK(cond) is always on and aborts with file:line.
 * Thread-safety: the message buffer is thread-local.
 */
#ifndef SEMINDEX_ERR_H
#define SEMINDEX_ERR_H

#include <stdarg.h>

enum err_code {
    ERR_OK = 0,
    ERR_NOMEM = -1,       /* allocation failed */
    ERR_IO = -2,          /* read/write/open/mmap failed (errno text in message) */
    ERR_FORMAT = -3,      /* bad input file or record */
    ERR_INVALID = -4,     /* bad argument or option value */
    ERR_NOTFOUND = -5,    /* key, file, tensor absent */
    ERR_UNSUPPORTED = -6, /* a feature or component we do not implement */
    ERR_STORE = -7,       /* LMDB failure */
    ERR_ANN = -8,         /* FAISS failure */
    ERR_CODEC = -9,       /* zstd / libarchive failure */
    ERR_BUSY = -10,       /* lock held by another live process */
    ERR_MISMATCH = -11,   /* artifacts disagree (model fingerprint, manifest) */
};

/* err_str: a constant name for a code ("format error"), like mdb_strerror. */
const char *err_str(int code);

/* err_set: record a formatted message for this thread and return code, so a
 * call site can be `return err_set(ERR_FORMAT, "...", ...)`. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_vset(int code, const char *fmt, va_list ap);

/* err_nomem: err_set(ERR_NOMEM, "out of memory"): the one way an allocation
 * failure is reported, so err_msg() never shows an older, unrelated message. */
int err_nomem(void);

/* err_prefix: prepend "prefix: " to the current message (for adding context,
 * such as the file name, as an error travels up). Returns code. */
int err_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* err_msg: the last message set on this thread; borrowed, valid until the next
 * err_set on this thread. Never NULL. */
const char *err_msg(void);

/* err_clear: forget the message. */
void err_clear(void);

#define RETURN_ERR_IF(cond, code, ...)              \
    do {                                            \
        if (cond) return err_set((code), __VA_ARGS__); \
    } while (0)

#define FORWARD_ERR(expr)                           \
    do {                                            \
        int fwd_rc_ = (expr);                       \
        if (fwd_rc_ < 0) return fwd_rc_;            \
    } while (0)

void check_failed(const char *file, int line, const char *cond) __attribute__((noreturn));
#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond)) check_failed(__FILE__, __LINE__, #cond);       \
    } while (0)

#endif
