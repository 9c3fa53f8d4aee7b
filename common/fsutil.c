/*
 * fsutil.c - whole-file reads, read-only maps, atomic replace, flock(2) locks.
 */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

int fs_read_file(const char *path, struct buf *out, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return err_set(ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return err_set(ERR_IO, "cannot read '%s': is a directory", path);
    }
    if (max && (size_t)st.st_size > max) {
        close(fd);
        return err_set(ERR_FORMAT, "cannot read '%s': %lld bytes exceeds the limit of %zu", path,
                       (long long)st.st_size, max);
    }
    int rc = buf_reserve(out, (size_t)st.st_size);
    for (;;) {
        if (rc < 0) break;
        rc = buf_reserve(out, 65536);
        if (rc < 0) break;
        ssize_t k = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (k < 0) {
            if (errno == EINTR) continue;
            rc = err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (k == 0) break;
        out->len += (size_t)k;
        out->data[out->len] = 0;
        if (max && out->len > max) {
            rc = err_set(ERR_FORMAT, "cannot read '%s': more than %zu bytes", path, max);
            break;
        }
    }
    close(fd);
    return rc;
}

int fs_map_open(struct fs_map *m, const char *path)
{
    m->data = NULL;
    m->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(ERR_IO, "cannot map '%s': not a regular file", path);
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return err_set(ERR_IO, "cannot map '%s': %s", path, strerror(errno));
        }
        m->data = p;
        m->size = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

void fs_map_close(struct fs_map *m)
{
    if (m && m->data) munmap(m->data, m->size);
    if (m) { m->data = NULL; m->size = 0; }
}

int fs_fsync_dir(const char *path)
{
    char *dup = mem_strdup(path);
    if (!dup) return err_nomem();
    char *slash = strrchr(dup, '/');
    const char *dir = ".";
    if (slash == dup) dir = "/";
    else if (slash) { *slash = 0; dir = dup; }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd >= 0) {
        if (fsync(fd) < 0 && errno != EINVAL) rc = err_set(ERR_IO, "cannot fsync '%s': %s", dir, strerror(errno));
        close(fd);
    }
    mem_free(dup);
    return rc;
}

/* An output path that names an open descriptor: "-", /dev/stdout, /dev/stderr,
 * /dev/fd/N, /proc/self/fd/N. Returns the fd, or -1. */
static int named_fd(const char *path)
{
    if (!path || !strcmp(path, "-") || !strcmp(path, "/dev/stdout")) return 1;
    if (!strcmp(path, "/dev/stderr")) return 2;
    const char *n = NULL;
    if (!strncmp(path, "/dev/fd/", 8)) n = path + 8;
    else if (!strncmp(path, "/proc/self/fd/", 14)) n = path + 14;
    if (!n || !*n) return -1;
    char *end;
    long fd = strtol(n, &end, 10);
    return *end || fd < 0 || fd > 1 << 20 ? -1 : (int)fd;
}

/* resolve_link: follow path while it is a symlink (relative targets are
 * relative to the link's directory), up to 40 hops like the kernel. The
 * result may not exist (a dangling link names the file to create). realpath
 * is not enough: it fails on a dangling link. */
static int resolve_link(const char *path, char **out)
{
    char *cur = mem_strdup(path);
    if (!cur) return err_nomem();
    for (int hop = 0; hop < 40; hop++) {
        struct stat st;
        if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
            *out = cur;
            return 0;
        }
        char *real = realpath(cur, NULL);
        if (real) { /* the whole chain resolves to an existing file */
            mem_free(cur);
            *out = mem_strdup(real);
            free(real);
            return *out ? 0 : err_nomem();
        }
        char target[4096];
        ssize_t k = readlink(cur, target, sizeof target - 1);
        if (k < 0) {
            int rc = err_set(ERR_IO, "cannot read link '%s': %s", cur, strerror(errno));
            mem_free(cur);
            return rc;
        }
        target[k] = 0;
        struct buf next = BUF_INIT;
        const char *slash = strrchr(cur, '/');
        if (target[0] == '/' || !slash) buf_puts(&next, target);
        else buf_printf(&next, "%.*s/%s", (int)(slash - cur), cur, target);
        mem_free(cur);
        cur = buf_detach(&next, NULL);
        if (!cur) return err_nomem();
    }
    int rc = err_set(ERR_IO, "cannot write '%s': too many levels of symbolic links", path);
    mem_free(cur);
    return rc;
}

int fs_is_stream(const char *path)
{
    if (named_fd(path) >= 0) return 1;
    struct stat st;
    return stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static int open_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        fd = -1;
    }
    return fd;
}

/* open_stream: write straight through to a device, FIFO, socket or an fd
 * named by the path; no temporary file, no rename. */
static int open_stream(struct fs_atomic *rf, const char *path, const struct stat *st)
{
    rf->stream = 1;
    int nfd = st ? -1 : named_fd(path);
    if (nfd == 1) {
        rf->f = stdout;
        return 0;
    }
    int fd;
    if (nfd >= 0) fd = fcntl(nfd, F_DUPFD_CLOEXEC, 3);
    else if (S_ISSOCK(st->st_mode)) fd = open_socket(path);
    else fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || !(rf->f = fdopen(fd, "wb"))) {
        int rc = err_set(ERR_IO, "cannot open '%s' for writing: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return rc;
    }
    return 0;
}

int fs_atomic_open(struct fs_atomic *rf, const char *path)
{
    memset(rf, 0, sizeof *rf);
    if (path && !*path) return err_set(ERR_INVALID, "empty output path");
    if (named_fd(path) >= 0) {
        rf->path = mem_strdup(path ? path : "-");
        if (!rf->path) return err_nomem();
        int rc = open_stream(rf, path, NULL);
        if (rc < 0) fs_atomic_abort(rf);
        return rc;
    }
    char *target = NULL;
    FORWARD_ERR(resolve_link(path, &target));
    rf->path = target;
    struct stat st;
    int exists = stat(target, &st) == 0;
    if (!exists && errno != ENOENT) {
        int rc = err_set(ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        fs_atomic_abort(rf);
        return rc;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        int rc;
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) rc = open_stream(rf, target, &st);
        else
            rc = err_set(ERR_INVALID, "cannot write '%s': it is %s, not a file", path,
                         S_ISDIR(st.st_mode) ? "a directory" : S_ISBLK(st.st_mode) ? "a block device" : "not a regular file");
        if (rc < 0) fs_atomic_abort(rf);
        return rc;
    }
    struct buf t = BUF_INIT;
    if (buf_printf(&t, "%s.tmp", target) < 0) {
        fs_atomic_abort(rf);
        return err_nomem();
    }
    rf->tmp = buf_detach(&t, NULL);
    if (!rf->tmp) {
        fs_atomic_abort(rf);
        return err_nomem();
    }
    /* A leftover "<path>.tmp" (a killed run, or something planted: a symlink
     * to elsewhere) is removed, never followed: O_EXCL|O_NOFOLLOW. */
    if (unlink(rf->tmp) < 0 && errno != ENOENT) {
        int rc = err_set(ERR_IO, "cannot remove the leftover '%s': %s", rf->tmp, strerror(errno));
        mem_free(rf->tmp);
        rf->tmp = NULL;
        fs_atomic_abort(rf);
        return rc;
    }
    int fd = open(rf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        int rc = err_set(ERR_IO, "cannot create '%s': %s", rf->tmp, strerror(errno));
        mem_free(rf->tmp);
        rf->tmp = NULL;
        fs_atomic_abort(rf);
        return rc;
    }
    /* the replacement keeps the old file's permissions (and owner, if we may) */
    if (exists) {
        if (geteuid() == 0 && (st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) < 0)
            log_warn("cannot keep the owner of '%s': %s", target, strerror(errno));
        if (fchmod(fd, st.st_mode & 07777) < 0) log_warn("cannot keep the mode of '%s': %s", target, strerror(errno));
    }
    if (!(rf->f = fdopen(fd, "wb"))) {
        int rc = err_set(ERR_IO, "cannot open '%s': %s", rf->tmp, strerror(errno));
        close(fd);
        fs_atomic_abort(rf);
        return rc;
    }
    return 0;
}

int fs_atomic_commit(struct fs_atomic *rf)
{
    int rc = 0;
    if (rf->stream) {
        if (fflush(rf->f) != 0 || ferror(rf->f)) rc = err_set(ERR_IO, "cannot write '%s': %s", rf->path, strerror(errno));
        if (rf->f != stdout && fclose(rf->f) != 0 && rc == 0)
            rc = err_set(ERR_IO, "cannot close '%s': %s", rf->path, strerror(errno));
        rf->f = NULL;
        fs_atomic_abort(rf);
        return rc;
    }
    if (fflush(rf->f) != 0 || ferror(rf->f) || fsync(fileno(rf->f)) != 0)
        rc = err_set(ERR_IO, "cannot write '%s': %s", rf->tmp, strerror(errno));
    if (fclose(rf->f) != 0 && rc == 0) rc = err_set(ERR_IO, "cannot close '%s': %s", rf->tmp, strerror(errno));
    rf->f = NULL;
    if (rc == 0 && rename(rf->tmp, rf->path) != 0)
        rc = err_set(ERR_IO, "cannot rename '%s' to '%s': %s", rf->tmp, rf->path, strerror(errno));
    if (rc == 0) rc = fs_fsync_dir(rf->path);
    if (rc < 0) unlink(rf->tmp);
    mem_free(rf->tmp);
    mem_free(rf->path);
    memset(rf, 0, sizeof *rf);
    return rc;
}

void fs_atomic_abort(struct fs_atomic *rf)
{
    if (rf->f && rf->f != stdout) fclose(rf->f);
    if (rf->f && !rf->stream && rf->tmp) unlink(rf->tmp);
    mem_free(rf->tmp);
    mem_free(rf->path);
    memset(rf, 0, sizeof *rf);
}

int fs_write_atomic(const char *path, const void *data, size_t n)
{
    struct fs_atomic a;
    FORWARD_ERR(fs_atomic_open(&a, path));
    if (n && fwrite(data, 1, n, a.f) != n) {
        int rc = err_set(ERR_IO, "cannot write '%s': %s", a.tmp ? a.tmp : a.path, strerror(errno));
        fs_atomic_abort(&a);
        return rc;
    }
    return fs_atomic_commit(&a);
}

int fs_mkdir_p(const char *dir)
{
    char *d = mem_strdup(dir);
    if (!d) return err_nomem();
    int rc = 0;
    for (char *p = d + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(d, 0755) < 0 && errno != EEXIST) {
                rc = err_set(ERR_IO, "cannot create directory '%s': %s", d, strerror(errno));
                break;
            }
            *p = c;
            if (!c) break;
        }
    }
    mem_free(d);
    if (rc == 0 && !fs_is_dir(dir)) rc = err_set(ERR_IO, "'%s' exists and is not a directory", dir);
    return rc;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    if (type == FTW_NS && errno == ENOENT) return 0; /* gone meanwhile */
    if (remove(path) == 0 || errno == ENOENT) return 0;
    return err_set(ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
}

int fs_remove_tree(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) < 0 && errno == ENOENT) return 0;
    int rc = nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == -1) return err_set(ERR_IO, "cannot remove '%s': %s", dir, strerror(errno));
    return rc;
}

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_check_output(const char *path)
{
    if (!path || !strcmp(path, "-") || fs_is_stream(path)) return 0;
    RETURN_ERR_IF(fs_is_dir(path), ERR_IO, "cannot write '%s': it is a directory", path);
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    RETURN_ERR_IF(!dir, ERR_NOMEM, "out of memory");
    int rc = 0;
    struct stat st;
    if (stat(dir, &st) < 0)
        rc = err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot write '%s': directory '%s': %s", path, dir,
                     strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = err_set(ERR_IO, "cannot write '%s': '%s' is not a directory", path, dir);
    else if (access(dir, W_OK | X_OK) < 0)
        rc = err_set(ERR_IO, "cannot write '%s': directory '%s': %s", path, dir, strerror(errno));
    free(dir);
    return rc;
}

int fs_join(struct buf *out, const char *dir, const char *name)
{
    buf_reset(out);
    size_t n = strlen(dir);
    if (n && dir[n - 1] == '/') return buf_printf(out, "%s%s", dir, name);
    return buf_printf(out, "%s/%s", dir, name);
}

/* Locks held by this process, by file identity: flock(2) locks belong to an
 * open file description, so a second open + flock of the same file in the
 * same process would conflict with itself. A nested acquire (run holding the
 * store lock, then ingest_run taking it again) shares the first one. */
struct held_lock {
    dev_t dev;
    ino_t ino;
    pid_t pid;  /* a forked child inherits the table but is another holder */
    int fd, refs;
};
static struct held_lock held[8];
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;

static long lock_holder(int fd)
{
    char s[32];
    ssize_t k = pread(fd, s, sizeof s - 1, 0);
    if (k <= 0) return 0;
    s[k] = 0;
    long pid = strtol(s, NULL, 10);
    return pid > 0 ? pid : 0;
}

int fs_lock_acquire(struct fs_lock *l, const char *path)
{
    l->fd = -1;
    l->path = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return err_set(ERR_IO, "cannot open lock file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return err_set(ERR_IO, "cannot stat lock file '%s': %s", path, strerror(e));
    }
    pthread_mutex_lock(&held_mu);
    for (size_t i = 0; i < sizeof held / sizeof *held; i++)
        if (held[i].refs > 0 && held[i].dev == st.st_dev && held[i].ino == st.st_ino && held[i].pid == getpid()) {
            held[i].refs++;
            pthread_mutex_unlock(&held_mu);
            close(fd);
            l->fd = held[i].fd;
            l->path = mem_strdup(path);
            return 0;
        }
    int rc = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) {
            long pid = lock_holder(fd);
            if (pid) rc = err_set(ERR_BUSY, "'%s' is locked by pid %ld", path, pid);
            else rc = err_set(ERR_BUSY, "'%s' is locked by another process", path);
        } else {
            rc = err_set(ERR_IO, "cannot lock '%s': %s", path, strerror(errno));
        }
        break;
    }
    size_t slot = sizeof held / sizeof *held;
    for (size_t i = 0; rc == 0 && i < sizeof held / sizeof *held; i++)
        if (held[i].refs == 0 || held[i].pid != getpid()) { slot = i; break; }
    if (rc == 0 && slot == sizeof held / sizeof *held) rc = err_set(ERR_BUSY, "too many locks held ('%s')", path);
    if (rc == 0) {
        /* the pid only names the holder in another process's message */
        char s[32];
        int n = snprintf(s, sizeof s, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, s, (size_t)n, 0) != n)
            log_debug("cannot write pid into lock '%s': %s", path, strerror(errno));
        held[slot] = (struct held_lock){ st.st_dev, st.st_ino, getpid(), fd, 1 };
    }
    pthread_mutex_unlock(&held_mu);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    l->fd = fd;
    l->path = mem_strdup(path);
    return 0;
}

void fs_lock_release(struct fs_lock *l)
{
    if (!l || l->fd < 0) return;
    pthread_mutex_lock(&held_mu);
    for (size_t i = 0; i < sizeof held / sizeof *held; i++)
        if (held[i].refs > 0 && held[i].fd == l->fd && held[i].pid == getpid()) {
            if (--held[i].refs == 0) {
                /* never unlinked: unlink + create would let two processes hold
                 * "the" lock on two different files */
                if (ftruncate(l->fd, 0) < 0) log_debug("cannot truncate lock '%s'", l->path ? l->path : "");
                close(l->fd); /* releases the flock */
            }
            break;
        }
    pthread_mutex_unlock(&held_mu);
    mem_free(l->path);
    l->fd = -1;
    l->path = NULL;
}
