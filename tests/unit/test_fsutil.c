/*
 * test_fsutil.c - the one output writer (fs_atomic, issue 18): regular files
 * are replaced atomically with their mode kept, a planted .tmp is never
 * followed, symlinks are kept and their targets replaced, devices, FIFOs,
 * sockets and /dev/fd/N are written straight through, directories refused.
 * The directory walk (fs_walk): byte order, hidden names skipped, hard links
 * and loops reported once, links followed only when asked; the (device,
 * inode) set over many entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/fswalk.h"
#include "tests/check.h"

static const char *tpath(struct buf *b, const char *name)
{
    fs_join(b, test_tmpdir(), name);
    return b->data;
}

static int read_text(const char *path, struct buf *out)
{
    buf_reset(out);
    return fs_read_file(path, out, 0);
}

/* walk_log: each entry as "<kind>:<rel>;" */
/* check_through: fs_write_atomic(path, text) arrives, whole, on the
 * descriptor rd (a FIFO's or a pipe's read end) */
static void check_through(const char *path, int rd, const char *text)
{
    CHECK_OK(fs_write_atomic(path, text, strlen(text)));
    char got[16] = { 0 };
    CHECK_INT(read(rd, got, sizeof got - 1), strlen(text));
    CHECK_STR(got, text);
}

/* check_fifo: with a reader open on the FIFO fifo, text written to path
 * (the FIFO or a link to it) comes through */
static void check_fifo(const char *path, const char *fifo, const char *text)
{
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    CHECK_TRUE(rd >= 0);
    check_through(path, rd, text);
    close(rd);
}

static int walk_log(void *ctx, const struct fs_walk_entry *e)
{
    static const char *const kind[] = { "file", "same", "symlink", "dangling", "other", "loop", "deep", "error" };
    buf_printf(ctx, "%s:%s;", kind[e->kind], e->rel);
    return 0;
}

static int walk_stop(void *ctx, const struct fs_walk_entry *e)
{
    (*(int *)ctx)++;
    return ERR_INVALID;
}

int main(void)
{
    struct buf p = BUF_INIT, q = BUF_INIT, r = BUF_INIT;

    TEST("a regular file is replaced and keeps its mode") {
        tpath(&p, "mode.txt");
        CHECK_OK(fs_write_atomic(p.data, "one", 3));
        CHECK_OK(chmod(p.data, 0640));
        struct stat st0, st1;
        CHECK_OK(stat(p.data, &st0));
        CHECK_OK(fs_write_atomic(p.data, "two!", 4));
        CHECK_OK(stat(p.data, &st1));
        CHECK_INT(st1.st_mode & 07777, 0640);
        CHECK_TRUE(st0.st_ino != st1.st_ino); /* renamed over, not rewritten in place */
        CHECK_OK(read_text(p.data, &r));
        CHECK_STR(r.data, "two!");
        buf_printf(&p, ".tmp");
        CHECK_TRUE(!fs_exists(p.data));
    }
    TEST("a planted .tmp symlink is removed, not followed") {
        tpath(&q, "victim.txt");
        CHECK_OK(fs_write_atomic(q.data, "precious", 8));
        tpath(&p, "out.txt.tmp");
        CHECK_OK(symlink(q.data, p.data));
        tpath(&p, "out.txt");
        CHECK_OK(fs_write_atomic(p.data, "report", 6));
        CHECK_OK(read_text(q.data, &r));
        CHECK_STR(r.data, "precious");
        CHECK_OK(read_text(p.data, &r));
        CHECK_STR(r.data, "report");
        struct stat st;
        CHECK_TRUE(lstat(tpath(&p, "out.txt.tmp"), &st) < 0 && errno == ENOENT);
    }
    TEST("a symlink is kept and its target replaced in the target's directory") {
        tpath(&q, "sub");
        CHECK_OK(fs_mkdir_p(q.data));
        tpath(&q, "sub/real.html");
        CHECK_OK(fs_write_atomic(q.data, "old", 3));
        tpath(&p, "link.html");
        CHECK_OK(symlink("sub/real.html", p.data)); /* relative to the link's directory */
        CHECK_OK(fs_write_atomic(p.data, "new", 3));
        struct stat st;
        CHECK_OK(lstat(p.data, &st));
        CHECK_TRUE(S_ISLNK(st.st_mode));
        CHECK_OK(read_text(q.data, &r));
        CHECK_STR(r.data, "new");
        CHECK_TRUE(!fs_exists(tpath(&q, "sub/real.html.tmp")));
        CHECK_TRUE(!fs_exists(tpath(&q, "link.html.tmp")));
    }
    TEST("a dangling symlink creates its target") {
        tpath(&p, "dangling");
        CHECK_OK(symlink("made-by-write.txt", p.data));
        CHECK_OK(fs_write_atomic(p.data, "hi", 2));
        struct stat st;
        CHECK_OK(lstat(p.data, &st));
        CHECK_TRUE(S_ISLNK(st.st_mode));
        CHECK_OK(read_text(tpath(&q, "made-by-write.txt"), &r));
        CHECK_STR(r.data, "hi");
    }
    TEST("/dev/null stays a character device") {
        CHECK_OK(fs_write_atomic("/dev/null", "vectors", 7));
        struct stat st;
        CHECK_OK(stat("/dev/null", &st));
        CHECK_TRUE(S_ISCHR(st.st_mode));
        CHECK_TRUE(!fs_exists("/dev/null.tmp"));
        CHECK_INT(fs_is_stream("/dev/null"), 1);
    }
    TEST("a FIFO is written straight through") {
        tpath(&p, "fifo");
        CHECK_OK(mkfifo(p.data, 0600));
        CHECK_INT(fs_is_stream(p.data), 1);
        check_fifo(p.data, p.data, "through");
        struct stat st;
        CHECK_OK(lstat(p.data, &st));
        CHECK_TRUE(S_ISFIFO(st.st_mode));
    }
    TEST("/dev/fd/N writes to that descriptor") {
        int fds[2];
        CHECK_OK(pipe(fds));
        char name[32];
        snprintf(name, sizeof name, "/dev/fd/%d", fds[1]);
        CHECK_INT(fs_is_stream(name), 1);
        check_through(name, fds[0], "fd!");
        close(fds[1]);
        close(fds[0]);
        CHECK_INT(fs_is_stream("-"), 1);
        CHECK_INT(fs_is_stream("/dev/stdout"), 1);
    }
    TEST("a unix socket is connected to and written") {
        tpath(&p, "sock");
        int ls = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p.data);
        if (strlen(p.data) >= sizeof sa.sun_path) {
            SKIP("temp path too long for a socket");
        } else {
            CHECK_OK(bind(ls, (struct sockaddr *)&sa, sizeof sa));
            CHECK_OK(listen(ls, 1));
            CHECK_INT(fs_is_stream(p.data), 1);
            CHECK_OK(fs_write_atomic(p.data, "sock", 4));
            int c = accept(ls, NULL, NULL);
            char got[8] = { 0 };
            CHECK_INT(read(c, got, sizeof got - 1), 4);
            CHECK_STR(got, "sock");
            close(c);
        }
        close(ls);
    }
    TEST("a symlink to a FIFO streams to the FIFO") {
        tpath(&q, "fifo2");
        CHECK_OK(mkfifo(q.data, 0600));
        tpath(&p, "fifo-link");
        CHECK_OK(symlink(q.data, p.data));
        check_fifo(p.data, q.data, "ln");
        struct stat st;
        CHECK_OK(lstat(p.data, &st));
        CHECK_TRUE(S_ISLNK(st.st_mode));
    }
    TEST("a directory is refused with its name") {
        tpath(&p, "adir");
        CHECK_OK(fs_mkdir_p(p.data));
        CHECK_INT(fs_write_atomic(p.data, "x", 1), ERR_INVALID);
        CHECK_TRUE(strstr(err_msg(), p.data) && strstr(err_msg(), "directory"));
        CHECK_INT(fs_is_stream(p.data), 0);
        CHECK_TRUE(fs_is_dir(p.data));
        buf_printf(&p, ".tmp");
        CHECK_TRUE(!fs_exists(p.data));
    }
    TEST("an empty path is refused") {
        CHECK_INT(fs_write_atomic("", "x", 1), ERR_INVALID);
        CHECK_TRUE(!fs_exists(".tmp"));
    }
    TEST("a missing directory fails naming the file") {
        CHECK_INT(fs_write_atomic(tpath(&p, "no/such/dir/x.json"), "x", 1), ERR_IO);
        CHECK_TRUE(strstr(err_msg(), "no/such/dir/x.json") != NULL);
        CHECK_INT(fs_is_stream(p.data), 0);
    }
    TEST("abort keeps the old file and removes the tmp") {
        tpath(&p, "keep.txt");
        CHECK_OK(fs_write_atomic(p.data, "old", 3));
        struct fs_atomic a;
        CHECK_OK(fs_atomic_open(&a, p.data));
        CHECK_INT(a.stream, 0);
        fputs("half", a.f);
        fs_atomic_abort(&a);
        CHECK_OK(read_text(p.data, &r));
        CHECK_STR(r.data, "old");
        buf_printf(&p, ".tmp");
        CHECK_TRUE(!fs_exists(p.data));
    }
    TEST("fs_seen: many (device, inode) pairs, each once") {
        struct fs_seen s = FS_SEEN_INIT;
        struct stat sb;
        memset(&sb, 0, sizeof sb);
        int fresh = 0, again = 0;
        for (int round = 0; round < 2; round++)
            for (int i = 0; i < 100000; i++) {
                sb.st_dev = (dev_t)(i % 3);
                sb.st_ino = (ino_t)(i / 3) * 4096;
                int d = fs_seen_add(&s, &sb);
                CHECK_TRUE(d == 0 || d == 1);
                fresh += d == 0;
                again += d == 1;
            }
        CHECK_INT(fresh, 100000);
        CHECK_INT(again, 100000);
        CHECK_TRUE(s.n == 100000);
        fs_seen_release(&s);
    }
    TEST("fs_walk: byte order, hidden names, hard links, loops, links only when asked") {
        /* walk/ a.txt b/hard.txt (= a.txt) b/sub/z.txt b/up -> .. c.txt (= .hidden/h.txt) gone -> nowhere */
        const char *d = tpath(&p, "walk");
        const char *dirs[] = { "b/sub", ".hidden" }, *files[] = { "a.txt", "b/sub/z.txt", ".hidden/h.txt" };
        const char *links[][2] = { { "a.txt", "b/hard.txt" }, { ".hidden/h.txt", "c.txt" } };
        const char *syms[][2] = { { "..", "b/up" }, { "nowhere", "gone" } };
        for (int i = 0; i < 2; i++) {
            fs_join(&q, d, dirs[i]);
            CHECK_OK(fs_mkdir_p(q.data));
        }
        for (int i = 0; i < 3; i++) {
            fs_join(&q, d, files[i]);
            CHECK_OK(fs_write_atomic(q.data, "x", 1));
        }
        for (int i = 0; i < 2; i++) {
            fs_join(&q, d, links[i][0]);
            fs_join(&r, d, links[i][1]);
            CHECK_INT(link(q.data, r.data), 0);
            fs_join(&r, d, syms[i][1]);
            CHECK_INT(symlink(syms[i][0], r.data), 0);
        }
        struct buf log = BUF_INIT;
        struct fs_seen s = FS_SEEN_INIT;
        CHECK_OK(fs_walk(d, 0, 0, &s, walk_log, &log));
        CHECK_STR(log.data, "file:a.txt;same:b/hard.txt;file:b/sub/z.txt;symlink:b/up;file:c.txt;symlink:gone;");
        fs_seen_release(&s);
        buf_reset(&log);
        CHECK_OK(fs_walk(d, 1, 0, &s, walk_log, &log));
        CHECK_STR(log.data, "file:a.txt;same:b/hard.txt;file:b/sub/z.txt;loop:b/up;file:c.txt;dangling:gone;");
        fs_seen_release(&s);
        buf_reset(&log);
        CHECK_OK(fs_walk(d, 0, 1, NULL, walk_log, &log));
        CHECK_STR(log.data, "file:a.txt;file:b/hard.txt;deep:b/sub;symlink:b/up;file:c.txt;symlink:gone;");
        int calls = 0;
        CHECK_INT(fs_walk(d, 0, 0, NULL, walk_stop, &calls), ERR_INVALID);
        CHECK_INT(calls, 1);
        buf_reset(&log);
        fs_join(&q, d, "missing");
        CHECK_OK(fs_walk(q.data, 0, 0, NULL, walk_log, &log));
        CHECK_STR(log.data, "error:.;");
        buf_release(&log);
        /* fs_remove_tree: the whole tree, links removed (not followed), then gone is fine */
        fs_join(&r, test_tmpdir(), "outside");
        CHECK_OK(fs_write_atomic(r.data, "keep", 4));
        fs_join(&q, d, "b/out");
        CHECK_INT(symlink(r.data, q.data), 0);
        CHECK_OK(fs_remove_tree(d));
        CHECK_INT(fs_exists(d), 0);
        CHECK_INT(fs_exists(r.data), 1);
        CHECK_OK(fs_remove_tree(d));
    }
    buf_release(&p);
    buf_release(&q);
    buf_release(&r);
    return test_summary();
}
