/*
 * fsutil.c - whole-file reads, read-only maps, atomic replace, pid locks.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "mem.h"

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
    if (!dup) return err_set(ERR_NOMEM, "out of memory");
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

int fs_atomic_open(struct fs_atomic *rf, const char *path)
{
    memset(rf, 0, sizeof *rf);
    if (!path || !strcmp(path, "-")) {
        rf->f = stdout;
        return 0;
    }
    struct buf t = BUF_INIT;
    if (buf_printf(&t, "%s.tmp", path) < 0) return err_set(ERR_NOMEM, "out of memory");
    rf->tmp = buf_detach(&t, NULL);
    rf->path = mem_strdup(path);
    if (!rf->path || !rf->tmp) {
        fs_atomic_abort(rf);
        return err_set(ERR_NOMEM, "out of memory");
    }
    rf->f = fopen(rf->tmp, "wb");
    if (!rf->f) {
        int rc = err_set(ERR_IO, "cannot create '%s': %s", rf->tmp, strerror(errno));
        fs_atomic_abort(rf);
        return rc;
    }
    return 0;
}

int fs_atomic_commit(struct fs_atomic *rf)
{
    if (rf->f == stdout) {
        rf->f = NULL;
        if (fflush(stdout) != 0) return err_set(ERR_IO, "cannot write to stdout: %s", strerror(errno));
        return 0;
    }
    int rc = 0;
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
    if (rf->f && rf->f != stdout) {
        fclose(rf->f);
        unlink(rf->tmp);
    }
    mem_free(rf->tmp);
    mem_free(rf->path);
    memset(rf, 0, sizeof *rf);
}

int fs_write_atomic(const char *path, const void *data, size_t n)
{
    struct fs_atomic a;
    FORWARD_ERR(fs_atomic_open(&a, path));
    if (n && fwrite(data, 1, n, a.f) != n) {
        int rc = err_set(ERR_IO, "cannot write '%s': %s", a.tmp, strerror(errno));
        fs_atomic_abort(&a);
        return rc;
    }
    return fs_atomic_commit(&a);
}

int fs_mkdir_p(const char *dir)
{
    char *d = mem_strdup(dir);
    if (!d) return err_set(ERR_NOMEM, "out of memory");
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

int fs_join(struct buf *out, const char *dir, const char *name)
{
    buf_reset(out);
    size_t n = strlen(dir);
    if (n && dir[n - 1] == '/') return buf_printf(out, "%s%s", dir, name);
    return buf_printf(out, "%s/%s", dir, name);
}

static int write_pid(int fd)
{
    char s[32];
    int n = snprintf(s, sizeof s, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, s, (size_t)n, 0) != n) return -1;
    return fsync(fd);
}

int fs_lock_acquire(struct fs_lock *l, const char *path, int *stale)
{
    l->fd = -1;
    l->path = NULL;
    if (stale) *stale = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            if (write_pid(fd) < 0) {
                close(fd);
                unlink(path);
                return err_set(ERR_IO, "cannot write lock '%s': %s", path, strerror(errno));
            }
            l->fd = fd;
            l->path = mem_strdup(path);
            if (!l->path) { close(fd); unlink(path); return err_set(ERR_NOMEM, "out of memory"); }
            return 0;
        }
        if (errno != EEXIST) return err_set(ERR_IO, "cannot create lock '%s': %s", path, strerror(errno));
        struct buf b = BUF_INIT;
        long pid = 0;
        if (fs_read_file(path, &b, 64) == 0 && b.data) pid = strtol(b.data, NULL, 10);
        buf_release(&b);
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM) && pid != (long)getpid())
            return err_set(ERR_BUSY, "'%s' is held by running process %ld", path, pid);
        /* Stale (owner gone, or unreadable/empty lock left by a crash mid-write):
         * remove and retry the exclusive create, so two racing takers cannot
         * both win. */
        if (stale) *stale = 1;
        unlink(path);
    }
    return err_set(ERR_BUSY, "cannot take over lock '%s'", path);
}

void fs_lock_release(struct fs_lock *l)
{
    if (!l || l->fd < 0) return;
    unlink(l->path);
    close(l->fd);
    mem_free(l->path);
    l->fd = -1;
    l->path = NULL;
}
