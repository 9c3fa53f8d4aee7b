/*
 * test_common.c - common/: UTF-8 policy, Python strip, buffers, JSON escaping,
 * atomic writes and pid locks.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "fsutil.h"
#include "hash.h"
#include "mem.h"
#include "utf8.h"

int main(void)
{
    TEST("utf8 replaces maximal invalid subparts like Python errors='replace'") {
        /* b"a\xf0\x9f\x98b\xed\xa0\x80c\xc0\xafd\xff" decodes in Python to
         * 'a\ufffdb\ufffd\ufffd\ufffdc\ufffd\ufffdd\ufffd' */
        const char in[] = "a\xf0\x9f\x98" "b\xed\xa0\x80" "c\xc0\xaf" "d\xff";
        struct buf b = BUF_INIT;
        long bad = utf8_sanitize(&b, in, sizeof in - 1);
        CHECK_INT(bad, 7);
        CHECK_STR(b.data, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d\xEF\xBF\xBD");
        buf_release(&b);
    }
    TEST("utf8 accepts all valid forms") {
        const char in[] = "A\xC3\xA9\xED\x95\x9C\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF";
        CHECK_TRUE(utf8_valid(in, sizeof in - 1));
        CHECK_TRUE(!utf8_valid("\xF4\x90\x80\x80", 4));
        CHECK_TRUE(!utf8_valid("\xE2\x82", 2));
    }
    TEST("py_strip removes Python whitespace but not ZWSP or BOM") {
        const char in[] = "\x1c \t\xE3\x80\x80x y\xC2\xA0\xE2\x80\xA8";
        size_t len, off = py_strip(in, sizeof in - 1, &len);
        CHECK_INT(len, 3);
        CHECK_TRUE(!memcmp(in + off, "x y", 3));
        const char z[] = "\xE2\x80\x8Bx\xEF\xBB\xBF";
        off = py_strip(z, sizeof z - 1, &len);
        CHECK_INT(off, 0);
        CHECK_INT(len, sizeof z - 1);
        off = py_strip("   ", 3, &len);
        CHECK_INT(len, 0);
    }
    TEST("buf_json_str escapes controls and replaces invalid bytes") {
        struct buf b = BUF_INIT;
        CHECK_OK(buf_json_str(&b, "a\"\\\n\x01\xff", 6));
        CHECK_STR(b.data, "\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD\"");
        buf_release(&b);
    }
    TEST("atomic write replaces a file and leaves no tmp") {
        struct buf p = BUF_INIT, r = BUF_INIT;
        fs_join(&p, test_tmpdir(), "f.txt");
        CHECK_OK(fs_write_atomic(p.data, "one", 3));
        CHECK_OK(fs_write_atomic(p.data, "two!", 4));
        CHECK_OK(fs_read_file(p.data, &r, 0));
        CHECK_STR(r.data, "two!");
        buf_printf(&p, ".tmp");
        CHECK_TRUE(!fs_exists(p.data));
        buf_release(&p);
        buf_release(&r);
    }
    TEST("lock: held lock is busy, stale lock is taken over") {
        struct buf p = BUF_INIT;
        fs_join(&p, test_tmpdir(), "lock");
        struct fs_lock a, b;
        int stale = 0;
        CHECK_OK(fs_lock_acquire(&a, p.data, &stale));
        CHECK_INT(stale, 0);
        /* a child holds nothing; simulate a live other owner with pid 1 */
        fs_lock_release(&a);
        FILE *f = fopen(p.data, "w");
        fprintf(f, "1\n");
        fclose(f);
        CHECK_INT(fs_lock_acquire(&b, p.data, &stale), ERR_BUSY);
        /* a dead pid: fork a child that exits, use its pid */
        pid_t c = fork();
        if (c == 0) _exit(0);
        int st;
        waitpid(c, &st, 0);
        f = fopen(p.data, "w");
        fprintf(f, "%d\n", (int)c);
        fclose(f);
        CHECK_OK(fs_lock_acquire(&b, p.data, &stale));
        CHECK_INT(stale, 1);
        fs_lock_release(&b);
        CHECK_TRUE(!fs_exists(p.data));
        buf_release(&p);
    }
    TEST("hash is stable") {
        struct hash128 h = hash128("abc", 3);
        char hex[33];
        hash_hex128(h, hex);
        CHECK_INT(strlen(hex), 32);
        CHECK_TRUE(hash64("abc", 3, 0) == hash64("abc", 3, 0));
        CHECK_TRUE(hash64("abc", 3, 0) != hash64("abd", 3, 0));
    }
    TEST("allocation fault hook") {
        mem_fail_after(0);
        void *p = mem_alloc(10);
        CHECK_TRUE(p == NULL);
        mem_fail_after(-1);
        p = mem_alloc(10);
        CHECK_TRUE(p != NULL);
        mem_free(p);
    }
    return test_summary();
}
