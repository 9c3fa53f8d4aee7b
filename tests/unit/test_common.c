/*
 * test_common.c - common/: UTF-8 policy, Python strip, buffers, JSON escaping,
 * atomic writes, pid locks and the blocking queue.
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/jsonl.h"
#include "common/mem.h"
#include "common/queue.h"
#include "common/utf8.h"
#include "tests/check.h"

/* producer of the queue test: pushes 1..1000 then closes. */
static void *produce(void *arg)
{
    struct queue *q = arg;
    for (uintptr_t i = 1; i <= 1000; i++)
        if (queue_push(q, (void *)i) < 0) return (void *)1;
    queue_close(q);
    return NULL;
}

int main(void)
{
    TEST("MEM_GROW doubles and keeps the array on failure; the message is set") {
        int *v = NULL;
        size_t cap = 0;
        CHECK_OK(MEM_GROW(v, 1, cap));
        CHECK_INT(cap, 16);
        for (int i = 0; i < 1000; i++) {
            CHECK_OK(MEM_GROW(v, (size_t)i + 1, cap));
            v[i] = i;
        }
        CHECK_INT(cap, 1024);
        CHECK_INT(mem_next_cap(1024, 5000), 5000);
        err_set(ERR_FORMAT, "an older message");
        mem_fail_after(0);
        CHECK_INT(MEM_GROW(v, 1025, cap), ERR_NOMEM);
        mem_fail_after(-1);
        CHECK_STR(err_msg(), "out of memory");
        CHECK_INT(cap, 1024);
        CHECK_INT(v[999], 999);
        CHECK_INT(MEM_RESIZE(v, SIZE_MAX / 2), ERR_NOMEM);   /* overflow-checked */
        CHECK_INT(v[999], 999);
        mem_free(v);
    }
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
    TEST("jsonl_str escapes controls and replaces invalid bytes") {
        struct buf b = BUF_INIT;
        CHECK_OK(jsonl_str(&b, "a\"\\\n\x01\xff", 6));
        CHECK_STR(b.data, "\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD\"");
        buf_release(&b);
    }
    TEST("jsonl row: keys, commas, every value type; jansson reads it back") {
        struct buf b = BUF_INIT;
        struct jsonl_row r;
        float v[3] = { 0.5f, -1.25e-7f, NAN };
        int32_t ids[2] = { 2, -3 };
        int64_t big[2] = { -9007199254740993ll, 0 };
        jsonl_begin(&r, &b);
        jsonl_u64(&r, "id", 9007199254740993ull); /* 2^53 + 1: written exactly */
        jsonl_i64(&r, "k\"ey", -5);
        jsonl_strn(&r, "text", "\xed\x95\x9c\n", 4);
        jsonl_strn(&r, "none", NULL, 0);
        jsonl_num(&r, "score", 0.1234567, 6);
        jsonl_num(&r, "inf", INFINITY, 6);
        jsonl_bool(&r, "t", 1);
        jsonl_null(&r, "n");
        jsonl_floats(&r, "v", v, 3);
        jsonl_ints(&r, "ids", ids, 2);
        jsonl_i64s(&r, "big", big, 2);
        jsonl_int_pairs(&r, "spans", ids, 1);
        jsonl_real(&r, "g", 1.0, 10);
        jsonl_real(&r, "g2", 0.65462473681234, 10);
        jsonl_real(&r, "nan", NAN, 10);
        struct buf empty = BUF_INIT;
        jsonl_buf(&r, "empty", &empty);
        CHECK_OK(jsonl_end(&r));
        CHECK_STR(b.data, "{\"id\": 9007199254740993, \"k\\\"ey\": -5, \"text\": \"\xed\x95\x9c\\n\", "
                  "\"none\": null, \"score\": 0.123457, \"inf\": null, \"t\": true, \"n\": null, "
                  "\"v\": [0.5, -1.25e-07, null], \"ids\": [2, -3], \"big\": [-9007199254740993, 0], "
                  "\"spans\": [[2, -3]], \"g\": 1, \"g2\": 0.6546247368, \"nan\": null, \"empty\": \"\"}\n");
        json_error_t je;
        json_t *o = json_loads(b.data, 0, &je);
        CHECK_TRUE(o != NULL);
        CHECK_INT(json_integer_value(json_object_get(o, "k\"ey")), -5);
        CHECK_TRUE(json_integer_value(json_object_get(o, "id")) == 9007199254740993ll);
        CHECK_TRUE(json_is_null(json_object_get(o, "inf")));
        json_decref(o);
        buf_release(&b);
    }
    TEST("jsonl compact row: no spaces after commas and colons, arrays too") {
        struct buf b = BUF_INIT;
        struct jsonl_row r;
        int32_t ids[4] = { 101, 7, 0, 3 };
        float v[2] = { 0.25f, INFINITY };
        jsonl_begin_compact(&r, &b);
        jsonl_ints(&r, "ids", ids, 4);
        jsonl_u64(&r, "n", 4);
        jsonl_bool(&r, "truncated", 0);
        jsonl_int_pairs(&r, "offsets", ids, 2);
        jsonl_floats(&r, "embedding", v, 2);
        jsonl_ints(&r, "none", ids, 0);
        CHECK_OK(jsonl_end(&r));
        CHECK_STR(b.data, "{\"ids\":[101,7,0,3],\"n\":4,\"truncated\":false,\"offsets\":[[101,7],[0,3]],"
                  "\"embedding\":[0.25,null],\"none\":[]}\n");
        buf_release(&b);
    }
    TEST("jsonl row: a number longer than the stack buffer is written whole") {
        struct buf b = BUF_INIT;
        struct jsonl_row r;
        jsonl_begin(&r, &b);
        jsonl_num(&r, "x", -1e300, 6);
        CHECK_OK(jsonl_end(&r));
        char want[400];
        snprintf(want, sizeof want, "{\"x\": %.6f}\n", -1e300);
        CHECK_STR(b.data, want);
        CHECK_TRUE(b.len > 300);
        buf_release(&b);
    }
    TEST("jsonl row: the first out-of-memory sticks and jsonl_end returns it") {
        struct buf b = BUF_INIT;
        struct jsonl_row r;
        jsonl_begin(&r, &b);
        mem_fail_after(0);
        jsonl_strn(&r, "text", "a long enough text to need a bigger buffer than the first one", 62);
        mem_fail_after(-1);
        jsonl_u64(&r, "id", 1);
        CHECK_INT(jsonl_end(&r), ERR_NOMEM);
        buf_release(&b);
    }
    TEST("queue hands items over in order across threads, bounded, and drains after close") {
        struct queue q;
        queue_init(&q, 3);
        pthread_t th;
        CHECK_INT(pthread_create(&th, NULL, produce, &q), 0);
        uintptr_t want = 1, bad = 0;
        void *x;
        while ((x = queue_pop(&q))) {
            if ((uintptr_t)x != want) bad++;
            if (q.n > 3) bad++;
            want++;
        }
        void *ret = (void *)1;
        pthread_join(th, &ret);
        CHECK_TRUE(ret == NULL);
        CHECK_INT((long)bad, 0);
        CHECK_INT((long)want, 1001);
        CHECK_INT(queue_push(&q, (void *)1), -1); /* closed: not taken */
        CHECK_TRUE(queue_take(&q) == NULL);
        queue_destroy(&q);

        struct queue q2;
        queue_init(&q2, 2);
        CHECK_INT(queue_push(&q2, (void *)7), 0);
        CHECK_INT(queue_push(&q2, (void *)8), 0);
        queue_close(&q2);
        CHECK_TRUE(queue_pop(&q2) == (void *)7); /* close keeps what is queued */
        CHECK_TRUE(queue_take(&q2) == (void *)8);
        CHECK_TRUE(queue_pop(&q2) == NULL);
        queue_destroy(&q2);
    }
    TEST("json_str replaces invalid UTF-8; json_dump_buf writes the house style") {
        json_t *j = json_pack("{so si sf}", "s", json_str("a\xff\"", 3), "n", 7, "x", 0.25);
        struct buf b = BUF_INIT;
        CHECK_OK(json_dump_buf(j, JSON_DUMP_FLAGS, &b));
        CHECK_STR(b.data, "{\"s\": \"a\xEF\xBF\xBD\\\"\", \"n\": 7, \"x\": 0.25}");
        json_decref(j);
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
    TEST("lock: flock held by a live process is busy, released when it dies, content ignored") {
        struct buf p = BUF_INIT;
        fs_join(&p, test_tmpdir(), "lock");
        struct fs_lock a, b;
        /* a pid file of a live process (pid 1) is just content: no block */
        FILE *f = fopen(p.data, "w");
        fprintf(f, "1\n");
        fclose(f);
        CHECK_OK(fs_lock_acquire(&a, p.data));
        /* nested acquire in the same process shares the lock */
        CHECK_OK(fs_lock_acquire(&b, p.data));
        fs_lock_release(&b);
        /* another process is refused, and told our pid */
        pid_t c = fork();
        if (c == 0) {
            struct fs_lock x;
            char want[64];
            snprintf(want, sizeof want, "locked by pid %ld", (long)getppid());
            int r = fs_lock_acquire(&x, p.data);
            _exit(r == ERR_BUSY && strstr(err_msg(), want) ? 0 : 1);
        }
        int st = -1;
        waitpid(c, &st, 0);
        CHECK_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        fs_lock_release(&a);
        CHECK_TRUE(fs_exists(p.data)); /* never unlinked */
        /* a holder killed with SIGKILL releases the lock */
        int pfd[2];
        CHECK_TRUE(pipe(pfd) == 0);
        c = fork();
        if (c == 0) {
            struct fs_lock x;
            char ok = fs_lock_acquire(&x, p.data) == 0 ? 'y' : 'n';
            if (write(pfd[1], &ok, 1) != 1) _exit(2);
            pause();
            _exit(0);
        }
        char ok = 0;
        CHECK_TRUE(read(pfd[0], &ok, 1) == 1 && ok == 'y');
        CHECK_INT(fs_lock_acquire(&b, p.data), ERR_BUSY);
        char want[64];
        snprintf(want, sizeof want, "locked by pid %ld", (long)c);
        CHECK_TRUE(strstr(err_msg(), want) != NULL);
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
        close(pfd[0]);
        close(pfd[1]);
        CHECK_OK(fs_lock_acquire(&b, p.data));
        fs_lock_release(&b);
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
