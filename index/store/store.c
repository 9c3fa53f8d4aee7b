/*
 * store.c - the LMDB store (see store.h for the layout and the contract).
 *
 * One MDB_env per struct store, MDB_NOTLS so read transactions are not tied
 * to threads. mdb_env_set_mapsize may only be called while no transaction of
 * this process is open, so read transactions hold a shared lock (rw_map) and
 * a map change (growth after MDB_MAP_FULL, or MDB_MAP_RESIZED when another
 * process grew it) takes it exclusively. Text is compressed with zstd, with
 * the store's dictionary when one is trained; the dictionary never changes
 * once recorded, so one CDict/DDict per store is shared by all threads.
 *
 * Does not: compact the file (mdb_copy -c does), or keep more than one
 * dictionary.
 */
#include "index/store/store.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zdict.h>
#include <zstd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "store.c assumes a little-endian host (vectors are stored as LE floats)"
#endif

#define CHUNK_HDR 56
#define DOC_HDR 40
#define SHARD_VAL 80             /* the shard record of the first layout */
#define SHARD_VAL2 88            /* ... with the settings hash at 80 */
#define MAX_PENDING (1 << 20)    /* shards in progress (or left unread) at once */
#define CHUNK_TRUNCATED 1
#define CHUNK_ZSTD 2
#define CHUNK_DICT 4
#define ZSTD_LEVEL 3
#define DEFAULT_MAP (1ull << 30)
#define MAX_TEXT (1u << 30)

/* reads between releases of the pages read (drop_read below) */
#define ITER_RELEASE_EVERY 1024
#define GET_RELEASE_EVERY 256
#define GET_MAP_RELEASE_EVERY 8  /* releases of reads by id between releases of the whole map */
#define PUT_RELEASE_EVERY 1024   /* puts of a write transaction between releases of the map */

struct store {
    char *dir;
    MDB_env *env;
    MDB_dbi meta, shards, shardids, docs, chunks, vectors, texts;
    int rdonly;
    pthread_rwlock_t rw_map;     /* shared: open txn; exclusive: mapsize change */
    pthread_mutex_t mu_dict;     /* guards lazy creation of cdict/ddict */
    ZSTD_CDict *cdict;
    ZSTD_DDict *ddict;
    uint32_t dict_id;
    ZSTD_CCtx *cctx;             /* used inside write transactions only (serialized) */
    uintptr_t map0, map1;        /* LMDB's mapping of data.mdb (map_range), 0 = unknown */
    /* the dictionary sample (store_dict_*; the single writer's thread only) */
    enum { DICT_UNKNOWN, DICT_SAMPLING, DICT_SETTLED } dict_state;
    struct buf sample;           /* the texts offered, back to back */
    size_t *sample_lens, n_sample, cap_sample;
};

struct store_txn {
    struct store *s;
    MDB_txn *txn;
    int write;
    int mapfull;                 /* an operation hit MDB_MAP_FULL: store_write retries */
    int changed;                 /* chunks or vectors were put or deleted */
    int dim;
    enum store_dtype dtype;
    ZSTD_DCtx *dctx;
    struct buf scratch;
    int all;                     /* sees the chunks of shards in progress (writes, ingest) */
    uint64_t *pending;           /* otherwise: the ordinals of shards in progress, hidden */
    size_t n_pending;
    uintptr_t got[GET_RELEASE_EVERY][2];       /* values read by id, not yet released ([start, end)) */
    unsigned n_got;
    unsigned n_got_rel;                        /* got_release calls since the map was last released */
    unsigned n_put;              /* puts since the map was last released (write transactions) */
};

struct store_iter {
    struct store_txn *t;
    MDB_cursor *c;
    uint64_t from;
    int started;
    int chunks;
    uintptr_t lo, hi;   /* mapped bytes of the vectors read since the last release */
    unsigned pending;
};

/* Vector reads (a scan for the index build or mining, reads by id for
 * tuning and re-scoring) touch pages that then stay mapped into the process
 * and count in its resident memory although nothing reads them again (and
 * the kernel maps up to 64 KiB around each faulting page). So the pages of
 * what was read are released (MADV_DONTNEED): a scan's range every
 * ITER_RELEASE_EVERY vectors, the reads by id of a transaction every
 * GET_RELEASE_EVERY reads and at its end, each widened to its 64 KiB
 * windows within LMDB's map of data.mdb, and every GET_MAP_RELEASE_EVERY-th
 * time the whole map (the lookups' B-tree pages: mining 300k x 768 by list
 * kept 150 MB of the file mapped with the values' windows alone). Write transactions read through the
 * map too (the B-tree paths they descend, with the kernel's fault-around):
 * without a release after each commit, writing 2M x 768 f16 vectors left
 * 3.1 GB of the file resident (bench build, write_peak_rss_mb), so a commit
 * releases the whole map, and so does every PUT_RELEASE_EVERY-th put inside
 * a transaction: each chunk's text hash lands at a random place of the texts
 * B-tree, so one transaction of 65,536 chunks touched up to 65,536 64 KiB
 * windows (writing 10M x 768 kept 2.3 GB of data.mdb mapped before the
 * commit). A write transaction's own dirty pages are heap copies outside the
 * map; the map holds only committed pages (and pages LMDB spilled, written to
 * the file first), so dropping it mid-transaction loses nothing. The environment is mapped read-only and shared, so
 * this only drops the mapping; the page cache keeps the data and a later read
 * faults it back in. Only a read transaction's values are released: they
 * always lie in the map, while a write transaction's may lie in its dirty
 * pages (heap memory, which MADV_DONTNEED would zero).
 *
 * Where the map is: mdb_env_info's me_mapaddr is set only for MDB_FIXEDMAP,
 * so map_find looks the file's inode up in /proc/self/maps, once, and again
 * after the map size changes (LMDB may map the file elsewhere). */

/* map_find: LMDB's mapping of this store's data.mdb in /proc/self/maps (by
 * inode); map0 = map1 = 0 when it cannot be found. Under mu_dict. */
static void map_find(struct store *s)
{
    uintptr_t m0 = 0, m1 = 0;
    struct stat st;
    mdb_filehandle_t fd;
    if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &st) < 0) return;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, ino;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) == 3 && ino == (unsigned long)st.st_ino &&
            strstr(line, "data.mdb")) {
            m0 = lo;
            m1 = hi;
            break;
        }
    }
    if (f) fclose(f);
    s->map0 = m0;
    s->map1 = m1;
}

/* map_range: the map of data.mdb, found on first use; 0 when unknown */
static int map_range(struct store *s, uintptr_t *m0, uintptr_t *m1)
{
    pthread_mutex_lock(&s->mu_dict);
    if (!s->map0) map_find(s);
    *m0 = s->map0;
    *m1 = s->map1;
    pthread_mutex_unlock(&s->mu_dict);
    return *m1 > *m0;
}

/* drop_read: release the pages holding [a, b), read through t: its 64 KiB
 * windows within the map (only its own pages when the map is unknown) */
static void drop_read(const struct store_txn *t, uintptr_t a, uintptr_t b)
{
    const uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), w = 65536;
    if (t->write || b <= a) return;
    uintptr_t m0, m1;
    if (map_range(t->s, &m0, &m1) && a >= m0 && b <= m1) {
        a &= ~(w - 1);
        b = (b + w - 1) & ~(w - 1);
        if (a < m0) a = m0;
        if (b > m1) b = m1;
    } else {
        a = (a + pg - 1) & ~(pg - 1); /* whole pages of [a, b) only */
        b &= ~(pg - 1);
    }
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

/* release_map: drop the whole map of data.mdb from the process (after a
 * write commit: no transaction of this writer reads it any more) */
static void release_map(struct store *s)
{
    uintptr_t m0, m1;
    if (map_range(s, &m0, &m1)) madvise((void *)m0, m1 - m0, MADV_DONTNEED);
}

/* put_done: count a put of write transaction t; every PUT_RELEASE_EVERY-th
 * releases the map (the pages its B-tree descents mapped) */
static void put_done(struct store_txn *t)
{
    if (++t->n_put < PUT_RELEASE_EVERY) return;
    t->n_put = 0;
    release_map(t->s);
}

static void iter_release(struct store_iter *it)
{
    if (it->pending) drop_read(it->t, it->lo, it->hi);
    it->pending = 0;
    it->lo = it->hi = 0;
}

static int cmp_range(const void *x, const void *y)
{
    const uintptr_t *a = x, *b = y;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

/* got_release: release the values read by id since the last release, as
 * few ranges as they merge into */
static void got_release(struct store_txn *t)
{
    if (!t->n_got) return;
    if (!t->write && ++t->n_got_rel == GET_MAP_RELEASE_EVERY) {
        /* the B-tree pages the lookups descended (and the records they
         * checked) stay mapped too: a read transaction's values all lie in
         * the map, so dropping all of it now and then releases those */
        t->n_got_rel = 0;
        t->n_got = 0;
        release_map(t->s);
        return;
    }
    qsort(t->got, t->n_got, sizeof *t->got, cmp_range);
    uintptr_t lo = t->got[0][0], hi = t->got[0][1];
    for (unsigned i = 1; i < t->n_got; i++) {
        if (t->got[i][0] <= hi) {
            if (t->got[i][1] > hi) hi = t->got[i][1];
            continue;
        }
        drop_read(t, lo, hi);
        lo = t->got[i][0];
        hi = t->got[i][1];
    }
    drop_read(t, lo, hi);
    t->n_got = 0;
}

/* ---- little helpers -------------------------------------------------------- */

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static uint64_t get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* write_err: a failed write or commit, saying when the disk is full: LMDB
 * returns ENOSPC / EDQUOT from a failed write, and EIO from a short one (the
 * file system filled up in the middle of it), so EIO with almost nothing free
 * is a full disk too. */
static int write_err(const char *dir, int rc, const char *what)
{
    struct statvfs v;
    unsigned long long avail = statvfs(dir, &v) == 0 ? (unsigned long long)v.f_bavail * v.f_frsize : ~0ull;
    if (rc == ENOSPC || (rc == EIO && avail < (16ull << 20)))
        return err_set(ERR_IO, "store '%s': %s: the disk is full (%s; %llu bytes free on the file system "
                       "holding '%s'): free space or move the store, then run again", dir, what,
                       mdb_strerror(rc), avail == ~0ull ? 0ull : avail, dir);
    if (rc == EDQUOT)
        return err_set(ERR_IO, "store '%s': %s: the disk quota is exceeded (%s) on the file system holding '%s'",
                       dir, what, mdb_strerror(rc), dir);
    return err_set(ERR_STORE, "store '%s': %s: %s", dir, what, mdb_strerror(rc));
}

static int lmdb_err(struct store_txn *t, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL && t) t->mapfull = 1;
    if (t && (rc == ENOSPC || rc == EDQUOT || rc == EIO)) return write_err(t->s->dir, rc, what);
    return err_set(ERR_STORE, "store '%s': %s: %s", t ? t->s->dir : "?", what, mdb_strerror(rc));
}

static int put(struct store_txn *t, MDB_dbi db, const void *k, size_t kn, const void *v, size_t vn,
               const char *what)
{
    RETURN_ERR_IF(!t->write, ERR_INVALID, "store '%s': %s in a read transaction", t->s->dir, what);
    MDB_val key = { kn, (void *)k }, val = { vn, (void *)v };
    int rc = mdb_put(t->txn, db, &key, &val, 0);
    put_done(t);
    return rc ? lmdb_err(t, rc, what) : 0;
}

/* put_id: put under a big-endian id key. Ids mostly arrive in increasing
 * order, so try MDB_APPEND first: it fills leaf pages instead of splitting
 * them in half, which for values between a quarter and half a page (f16
 * vectors of dim 768: 1536 bytes) halves the file (one value per page
 * otherwise). A key that is not past the last one (MDB_KEYEXIST) goes
 * through a plain put, with the same result as before. */
static int put_id(struct store_txn *t, MDB_dbi db, const void *k, const void *v, size_t vn, const char *what)
{
    RETURN_ERR_IF(!t->write, ERR_INVALID, "store '%s': %s in a read transaction", t->s->dir, what);
    MDB_val key = { 8, (void *)k }, val = { vn, (void *)v };
    int rc = mdb_put(t->txn, db, &key, &val, MDB_APPEND);
    if (rc == MDB_KEYEXIST) {
        key.mv_size = 8;
        key.mv_data = (void *)k;
        val.mv_size = vn;
        val.mv_data = (void *)v;
        rc = mdb_put(t->txn, db, &key, &val, 0);
    }
    put_done(t);
    return rc ? lmdb_err(t, rc, what) : 0;
}

/* get: 0 found, ERR_NOTFOUND absent (no message), ERR_STORE. */
static int get(struct store_txn *t, MDB_dbi db, const void *k, size_t kn, MDB_val *v)
{
    MDB_val key = { kn, (void *)k };
    int rc = mdb_get(t->txn, db, &key, v);
    if (rc == MDB_NOTFOUND) return ERR_NOTFOUND;
    return rc ? lmdb_err(t, rc, "get") : 0;
}

static int meta_u64(struct store_txn *t, const char *key, uint64_t *out)
{
    MDB_val v;
    int rc = get(t, t->s->meta, key, strlen(key), &v);
    if (rc < 0) return rc;
    char tmp[32];
    if (v.mv_size == 0 || v.mv_size >= sizeof tmp)
        return err_set(ERR_FORMAT, "store '%s': meta '%s' is not a number", t->s->dir, key);
    memcpy(tmp, v.mv_data, v.mv_size);
    tmp[v.mv_size] = 0;
    char *end;
    *out = strtoull(tmp, &end, 10);
    RETURN_ERR_IF(*end, ERR_FORMAT, "store '%s': meta '%s' = '%s' is not a number", t->s->dir, key, tmp);
    return 0;
}

static int meta_put_u64(struct store_txn *t, const char *key, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    return store_put_meta(t, key, tmp, (size_t)n);
}

/* ---- f16 ------------------------------------------------------------------- */

uint16_t store_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
    if (e == 0xff) return (uint16_t)(sign | 0x7c00 | (m ? 0x200 : 0));      /* inf, nan */
    int32_t ne = (int32_t)e - 127 + 15;
    if (ne >= 31) return (uint16_t)(sign | 0x7c00);                          /* overflow */
    if (ne <= 0) {                                                           /* subnormal */
        if (ne < -10) return (uint16_t)sign;
        m |= 0x800000;
        uint32_t shift = (uint32_t)(14 - ne);
        uint32_t h = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = (uint32_t)ne << 10 | m >> 13, rem = m & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;                   /* may carry into e */
    return (uint16_t)(sign | h);
}

float store_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, x;
    if (e == 0) {
        if (!m) x = sign;
        else {                                                               /* normalize */
            e = 127 - 15 + 1;
            while (!(m & 0x400)) m <<= 1, e--;
            x = sign | e << 23 | (m & 0x3ff) << 13;
        }
    } else if (e == 31) x = sign | 0x7f800000 | m << 13;
    else x = sign | (e - 15 + 127) << 23 | m << 13;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* ---- environment ----------------------------------------------------------- */

static int open_dbs(struct store *s)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) return err_set(ERR_STORE, "store '%s': cannot begin transaction: %s", s->dir, mdb_strerror(rc));
    unsigned fl = s->rdonly ? 0 : MDB_CREATE;
    struct { const char *name; MDB_dbi *dbi; } dbs[] = {
        { "meta", &s->meta }, { "shards", &s->shards }, { "shardids", &s->shardids },
        { "docs", &s->docs }, { "chunks", &s->chunks }, { "vectors", &s->vectors },
        { "texts", &s->texts },
    };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        rc = mdb_dbi_open(txn, dbs[i].name, fl, dbs[i].dbi);
        if (rc) {
            mdb_txn_abort(txn);
            if (rc == MDB_NOTFOUND)
                return err_set(ERR_NOTFOUND, "'%s' is not a semindex store (no '%s' database)", s->dir,
                               dbs[i].name);
            return err_set(ERR_STORE, "store '%s': cannot open database '%s': %s", s->dir, dbs[i].name,
                           mdb_strerror(rc));
        }
    }
    MDB_val k = { 6, "schema" }, v;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND && !s->rdonly) {
        MDB_val nv = { 1, "1" };
        rc = mdb_put(txn, s->meta, &k, &nv, 0);
        if (rc) goto fail;
    } else if (rc) {
        goto fail;
    } else {
        char tmp[16] = "";
        memcpy(tmp, v.mv_data, v.mv_size < 15 ? v.mv_size : 15);
        if (atoi(tmp) != STORE_SCHEMA) {
            mdb_txn_abort(txn);
            return err_set(ERR_MISMATCH, "store '%s' has schema %s, this semindex reads schema %d", s->dir,
                           tmp, STORE_SCHEMA);
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc) return write_err(s->dir, rc, "cannot commit");
    return 0;
fail:
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND) return err_set(ERR_NOTFOUND, "'%s' is not a semindex store (no schema)", s->dir);
    return err_set(ERR_STORE, "store '%s': %s", s->dir, mdb_strerror(rc));
}

int store_open(const char *dir, int flags, struct store **out)
{
    *out = NULL;
    int rdonly = !!(flags & STORE_RDONLY);
    struct buf path = BUF_INIT;
    int rc = fs_join(&path, dir, "data.mdb");
    if (rc < 0) return rc;
    int exists = fs_exists(path.data);
    buf_release(&path);
    if (!exists) {
        if (rdonly || !(flags & STORE_CREATE)) return err_set(ERR_NOTFOUND, "no store at '%s'", dir);
        FORWARD_ERR(fs_mkdir_p(dir));
    }
    struct store *s = mem_calloc(1, sizeof *s);
    if (!s || !(s->dir = mem_strdup(dir))) {
        mem_free(s);
        return err_nomem();
    }
    s->rdonly = rdonly;
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->rw_map, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&s->mu_dict, NULL);

    if ((rc = mdb_env_create(&s->env)) || (rc = mdb_env_set_maxdbs(s->env, 16)) ||
        (rc = mdb_env_set_maxreaders(s->env, 256))) {
        rc = err_set(ERR_STORE, "store '%s': %s", dir, mdb_strerror(rc));
        goto fail;
    }
    if (!rdonly) {
        /* never shrink below what is already used; the map only grows */
        struct stat st;
        struct buf p = BUF_INIT;
        uint64_t map = DEFAULT_MAP;
        const char *env = getenv("SEMINDEX_STORE_MAP_SIZE"); /* tests: start small to exercise growth */
        if (env && *env && strtoull(env, NULL, 10) >= 65536) map = strtoull(env, NULL, 10);
        if (fs_join(&p, dir, "data.mdb") == 0 && stat(p.data, &st) == 0 && (uint64_t)st.st_size * 2 > map)
            map = (uint64_t)st.st_size * 2;
        buf_release(&p);
        mdb_env_set_mapsize(s->env, map);
    }
    /* A store we may not write (another user's, read-only media): LMDB
     * would still open lock.mdb read-write for its reader table and fail
     * with EACCES, so read it without the lock file (MDB_NOLOCK). Such a
     * reader is not registered: it is only safe while nobody writes the
     * store (docs/operations.md, "Read-only stores"). */
    unsigned nolock = 0;
    if (rdonly) {
        struct buf lp = BUF_INIT;
        if (fs_join(&lp, dir, "lock.mdb") == 0 &&
            (access(dir, W_OK) != 0 || (fs_exists(lp.data) && access(lp.data, R_OK | W_OK) != 0))) {
            nolock = MDB_NOLOCK;
            log_debug("store '%s' is not writable: reading it without its lock file", dir);
        }
        buf_release(&lp);
    }
    rc = mdb_env_open(s->env, dir, MDB_NOTLS | MDB_NOMETASYNC | (rdonly ? MDB_RDONLY : 0) | nolock, 0644);
    if (rc) {
        rc = err_set(rc == ENOENT ? ERR_NOTFOUND : ERR_STORE, "cannot open store '%s': %s", dir,
                     mdb_strerror(rc));
        goto fail;
    }
    int dead = 0;
    if (!nolock) mdb_reader_check(s->env, &dead);
    if (dead) log_debug("store '%s': freed %d reader slots of dead processes", dir, dead);
    if ((rc = open_dbs(s)) < 0) goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    if (!s) return;
    if (s->env) mdb_env_close(s->env);
    ZSTD_freeCDict(s->cdict);
    ZSTD_freeDDict(s->ddict);
    ZSTD_freeCCtx(s->cctx);
    buf_release(&s->sample);
    mem_free(s->sample_lens);
    pthread_rwlock_destroy(&s->rw_map);
    pthread_mutex_destroy(&s->mu_dict);
    mem_free(s->dir);
    mem_free(s);
}

const char *store_dir(const struct store *s) { return s->dir; }

int store_lock_writer(const char *dir, struct fs_lock *l)
{
    struct buf p = BUF_INIT;
    int rc = fs_join(&p, dir, "ingest.lock");
    if (rc == 0) rc = fs_lock_acquire(l, p.data);
    if (rc == ERR_BUSY) {
        const char *by = strstr(err_msg(), "locked by ");
        char who[64];
        snprintf(who, sizeof who, "%s", by ? by + 10 : "another process");
        rc = err_set(ERR_BUSY, "store '%s' is locked by %s (another ingest, build or run is writing it; "
                     "lock file '%s')", dir, who, p.data);
    }
    buf_release(&p);
    return rc;
}

/* grow: double the map (or adopt another process's larger one: size 0). */
static int map_change(struct store *s, int grow)
{
    pthread_rwlock_wrlock(&s->rw_map);
    int rc = 0;
    if (grow) {
        MDB_envinfo ei;
        mdb_env_info(s->env, &ei);
        uint64_t nsz = (uint64_t)ei.me_mapsize * 2;
        if (nsz > STORE_MAX_MAP) {
            pthread_rwlock_unlock(&s->rw_map);
            return err_set(ERR_STORE, "store '%s': the LMDB map is full (MDB_MAP_FULL): it is %llu bytes and "
                           "may not grow past %llu", s->dir, (unsigned long long)ei.me_mapsize,
                           (unsigned long long)STORE_MAX_MAP);
        }
        rc = mdb_env_set_mapsize(s->env, nsz);
        if (!rc) log_debug("store '%s': map grown to %llu bytes", s->dir, (unsigned long long)nsz);
    } else {
        rc = mdb_env_set_mapsize(s->env, 0);
    }
    s->map0 = s->map1 = 0; /* LMDB may have mapped the file elsewhere: map_range finds it again */
    pthread_rwlock_unlock(&s->rw_map);
    return rc ? err_set(ERR_STORE, "store '%s': cannot set map size: %s", s->dir, mdb_strerror(rc)) : 0;
}

static int txn_load_model(struct store_txn *t)
{
    uint64_t dim = 0;
    int rc = meta_u64(t, "dim", &dim);
    if (rc < 0 && rc != ERR_NOTFOUND) return rc;
    t->dim = (int)dim;
    MDB_val v;
    t->dtype = STORE_F32;
    if (get(t, t->s->meta, "dtype", 5, &v) == 0 && v.mv_size == 3 && !memcmp(v.mv_data, "f16", 3))
        t->dtype = STORE_F16;
    return 0;
}

static int load_pending(struct store_txn *t);

/* txn_begin: takes rw_map shared for the life of the transaction. */
static int txn_begin(struct store *s, int write, int all, struct store_txn **out)
{
    *out = NULL;
    struct store_txn *t = mem_calloc(1, sizeof *t);
    if (!t) return err_nomem();
    t->s = s;
    t->write = write;
    t->all = write || all;
    for (;;) {
        pthread_rwlock_rdlock(&s->rw_map);
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (!rc) break;
        pthread_rwlock_unlock(&s->rw_map);
        if (rc == MDB_MAP_RESIZED) {
            int r2 = map_change(s, 0);
            if (r2 < 0) { mem_free(t); return r2; }
            continue;
        }
        mem_free(t);
        return err_set(ERR_STORE, "store '%s': cannot begin transaction: %s", s->dir, mdb_strerror(rc));
    }
    int rc = txn_load_model(t);
    if (rc == 0 && !t->all) rc = load_pending(t);
    if (rc < 0) {
        mdb_txn_abort(t->txn);
        mem_free(t->pending);
        pthread_rwlock_unlock(&s->rw_map);
        mem_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static void txn_free(struct store_txn *t)
{
    ZSTD_freeDCtx(t->dctx);
    buf_release(&t->scratch);
    mem_free(t->pending);
    mem_free(t);
}

int store_read_begin(struct store *s, struct store_txn **out) { return txn_begin(s, 0, 0, out); }

int store_read_begin_pending(struct store *s, struct store_txn **out) { return txn_begin(s, 0, 1, out); }

void store_read_end(struct store_txn *t)
{
    if (!t) return;
    got_release(t);
    mdb_txn_abort(t->txn);
    pthread_rwlock_unlock(&t->s->rw_map);
    txn_free(t);
}

/* ---- shards in progress ----------------------------------------------------- */

/* The ordinals of shards in progress are listed in meta "pending" (decimal,
 * space-separated), kept by store_put_shard / store_delete_shard in the same
 * transaction as the shard record. A read transaction loads the list once and
 * hides every doc, chunk and vector of those ordinals. A store written before
 * the list existed has no "pending": the shard records are scanned instead. */

static int parse_pending(struct store_txn *t, const MDB_val *v, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = v->mv_data, *end = p + v->mv_size;
    while (p < end) {
        while (p < end && *p == ' ') p++;
        if (p == end) break;
        uint64_t x = 0;
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9') x = x * 10 + (uint64_t)(*q++ - '0');
        if (q == p || q - p > 19 || (q < end && *q != ' ') || *n >= MAX_PENDING) {
            mem_free(*out);
            *out = NULL;
            *n = 0;
            return err_set(ERR_FORMAT, "store '%s': meta 'pending' is not a list of ordinals", t->s->dir);
        }
        if (MEM_GROW(*out, *n + 1, cap) < 0) {
            mem_free(*out);
            *out = NULL;
            *n = 0;
            return ERR_NOMEM;
        }
        (*out)[(*n)++] = x;
        p = q;
    }
    return 0;
}

/* get_pending: the list of ordinals in progress (meta, or a scan of the shard
 * records of an older store). */
static int get_pending(struct store_txn *t, uint64_t **out, size_t *n)
{
    MDB_val v;
    int rc = get(t, t->s->meta, "pending", 7, &v);
    if (rc == 0) return parse_pending(t, &v, out, n);
    if (rc != ERR_NOTFOUND) return rc;
    *out = NULL;
    *n = 0;
    MDB_cursor *c;
    rc = mdb_cursor_open(t->txn, t->s->shards, &c);
    if (rc) return lmdb_err(t, rc, "shards cursor");
    MDB_val k;
    size_t cap = 0;
    for (int op = MDB_FIRST; mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT) {
        const unsigned char *p = v.mv_data;
        if (v.mv_size < SHARD_VAL || p[1] != STORE_SHARD_OPEN) continue;
        if (MEM_GROW(*out, *n + 1, cap) < 0) {
            mdb_cursor_close(c);
            mem_free(*out);
            *out = NULL;
            *n = 0;
            return ERR_NOMEM;
        }
        (*out)[(*n)++] = get_u64(p + 8);
    }
    mdb_cursor_close(c);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* load_pending: the read transaction's sorted list of hidden ordinals. */
static int load_pending(struct store_txn *t)
{
    FORWARD_ERR(get_pending(t, &t->pending, &t->n_pending));
    if (t->n_pending > 1) qsort(t->pending, t->n_pending, sizeof *t->pending, cmp_u64);
    return 0;
}

/* hidden: the id belongs to a shard in progress that t does not see. */
static int hidden(const struct store_txn *t, uint64_t id)
{
    uint64_t o = store_shard_of(id);
    size_t lo = 0, hi = t->n_pending;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->pending[mid] == o) return 1;
        if (t->pending[mid] < o) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* get_visible: the value of id in db as t sees it (an id of a shard in
 * progress is hidden); ERR_NOTFOUND names the store, what (doc, chunk,
 * vector) and the id. v is borrowed, as from get(). */
static int get_visible(struct store_txn *t, MDB_dbi db, const char *what, uint64_t id, MDB_val *v)
{
    unsigned char k[8];
    put_be64(k, id);
    int rc = hidden(t, id) ? ERR_NOTFOUND : get(t, db, k, 8, v);
    if (rc == ERR_NOTFOUND)
        return err_set(ERR_NOTFOUND, "store '%s': no %s %llu", t->s->dir, what, (unsigned long long)id);
    return rc;
}

/* set_pending: add (on) or remove ordinal o in meta "pending". */
static int set_pending(struct store_txn *t, uint64_t o, int on)
{
    uint64_t *v;
    size_t n;
    FORWARD_ERR(get_pending(t, &v, &n));
    size_t k = 0;
    int had = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == o) had = 1;
        if (v[i] != o) v[k++] = v[i];
    }
    n = k;
    if (on && !had && n + 1 > MAX_PENDING) {
        mem_free(v);
        return err_set(ERR_STORE, "store '%s': more than %d shards in progress", t->s->dir, MAX_PENDING);
    }
    struct buf b = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = buf_printf(&b, i ? " %llu" : "%llu", (unsigned long long)v[i]);
    if (on && rc == 0) rc = buf_printf(&b, n ? " %llu" : "%llu", (unsigned long long)o);
    mem_free(v);
    if (rc < 0) {
        buf_release(&b);
        return err_nomem();
    }
    rc = store_put_meta(t, "pending", b.data ? b.data : "", b.len);
    buf_release(&b);
    return rc;
}

/* count_range: entries of db with keys in [lo, hi). */
static int count_range(struct store_txn *t, MDB_dbi db, uint64_t lo, uint64_t hi, uint64_t *n)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, db, &c);
    if (rc) return lmdb_err(t, rc, "cursor");
    unsigned char kb[8];
    put_be64(kb, lo);
    MDB_val k = { 8, kb }, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || get_be64(k.mv_data) >= hi) break;
        (*n)++;
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? lmdb_err(t, rc, "cursor get") : 0;
}

/* ---- info ------------------------------------------------------------------ */

static uint64_t db_entries(struct store_txn *t, MDB_dbi db)
{
    MDB_stat st;
    return mdb_stat(t->txn, db, &st) ? 0 : (uint64_t)st.ms_entries;
}

int store_txn_info(struct store_txn *t, struct store_info *in)
{
    struct store *s = t->s;
    memset(in, 0, sizeof *in);
    in->schema = STORE_SCHEMA;
    in->dim = t->dim;
    in->dtype = t->dtype;
    MDB_val v;
    if (get(t, s->meta, "model", 5, &v) == 0) {
        size_t n = v.mv_size < sizeof in->model - 1 ? v.mv_size : sizeof in->model - 1;
        memcpy(in->model, v.mv_data, n);
    }
    if (get(t, s->meta, "fingerprint", 11, &v) == 0 && v.mv_size == 32) memcpy(in->fingerprint, v.mv_data, 32);
    if (get(t, s->meta, "precision", 9, &v) == 0 && v.mv_size > 0 && v.mv_size < sizeof in->precision)
        memcpy(in->precision, v.mv_data, v.mv_size);
    else
        memcpy(in->precision, "f32", 4);
    int rc = meta_u64(t, "generation", &in->generation);
    if (rc < 0 && rc != ERR_NOTFOUND) return rc;
    in->has_dict = get(t, s->meta, "zdict", 5, &v) == 0;
    in->n_docs = db_entries(t, s->docs);
    in->n_chunks = db_entries(t, s->chunks);
    in->n_vectors = db_entries(t, s->vectors);
    for (size_t i = 0; i < t->n_pending; i++) {
        /* the chunks of shards in progress are not there for this reader */
        uint64_t lo = store_make_id(t->pending[i], 0), hi = store_make_id(t->pending[i] + 1, 0);
        uint64_t nd = 0, nc = 0, nv = 0;
        if ((rc = count_range(t, s->docs, lo, hi, &nd)) < 0 || (rc = count_range(t, s->chunks, lo, hi, &nc)) < 0 ||
            (rc = count_range(t, s->vectors, lo, hi, &nv)) < 0)
            return rc;
        in->n_docs -= nd < in->n_docs ? nd : in->n_docs;
        in->n_chunks -= nc < in->n_chunks ? nc : in->n_chunks;
        in->n_vectors -= nv < in->n_vectors ? nv : in->n_vectors;
    }
    MDB_cursor *c;
    rc = mdb_cursor_open(t->txn, s->shards, &c);
    if (rc) return lmdb_err(t, rc, "shards cursor");
    MDB_val k;
    for (int op = MDB_FIRST; mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT) {
        if (v.mv_size < SHARD_VAL) continue;
        if (((unsigned char *)v.mv_data)[1] == STORE_SHARD_DONE) in->n_shards++;
        else in->n_shards_open++;
    }
    mdb_cursor_close(c);
    MDB_envinfo ei;
    MDB_stat es;
    mdb_env_info(s->env, &ei);
    mdb_env_stat(s->env, &es);
    in->map_size = ei.me_mapsize;
    in->file_size = (uint64_t)(ei.me_last_pgno + 1) * es.ms_psize;
    return 0;
}

int store_info(struct store *s, struct store_info *out)
{
    struct store_txn *t;
    FORWARD_ERR(store_read_begin(s, &t));
    int rc = store_txn_info(t, out);
    store_read_end(t);
    return rc;
}

int store_get_meta(struct store_txn *t, const char *key, struct buf *out)
{
    MDB_val v;
    buf_reset(out);
    int rc = get(t, t->s->meta, key, strlen(key), &v);
    if (rc == ERR_NOTFOUND) return err_set(ERR_NOTFOUND, "store '%s': no meta '%s'", t->s->dir, key);
    if (rc < 0) return rc;
    return buf_append(out, v.mv_data, v.mv_size) < 0 ? err_nomem() : 0;
}

/* ---- zstd dictionary ------------------------------------------------------- */

/* dict_load: make s->ddict/cdict from meta "zdict" if not yet loaded. */
static int dict_load(struct store_txn *t)
{
    struct store *s = t->s;
    pthread_mutex_lock(&s->mu_dict);
    int rc = 0;
    if (!s->ddict) {
        MDB_val v;
        rc = get(t, s->meta, "zdict", 5, &v);
        if (rc == 0) {
            s->ddict = ZSTD_createDDict(v.mv_data, v.mv_size);
            if (!s->rdonly) s->cdict = ZSTD_createCDict(v.mv_data, v.mv_size, ZSTD_LEVEL);
            s->dict_id = ZDICT_getDictID(v.mv_data, v.mv_size);
            if (!s->ddict || (!s->rdonly && !s->cdict))
                rc = err_set(ERR_CODEC, "store '%s': cannot load the zstd dictionary", s->dir);
        } else if (rc == ERR_NOTFOUND) {
            rc = 0;
        }
    }
    pthread_mutex_unlock(&s->mu_dict);
    return rc;
}

struct dict_arg { const void *p; size_t n; };

static int put_dict(struct store_txn *w, void *ctx)
{
    const struct dict_arg *a = ctx;
    MDB_val v;
    if (get(w, w->s->meta, "zdict", 5, &v) == 0) return 0; /* another run got there first */
    return store_put_meta(w, "zdict", a->p, a->n);
}

int store_train_dict(struct store *s, const char *const *texts, const size_t *lens, size_t n)
{
    struct store_txn *t;
    FORWARD_ERR(store_read_begin(s, &t));
    MDB_val v;
    int have = get(t, s->meta, "zdict", 5, &v) == 0;
    store_read_end(t);
    if (have) return 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += lens[i];
    if (n < 8 || total < 1024)
        return err_set(ERR_CODEC, "sample of %zu texts (%zu bytes) is too small for a dictionary", n, total);
    char *cat = mem_alloc(total ? total : 1);
    size_t *sz = mem_alloc_array(n, sizeof *sz);
    size_t cap = total / 10 < 4096 ? 4096 : total / 10 > 112640 ? 112640 : total / 10;
    void *dict = mem_alloc(cap);
    int rc = 0;
    if (!cat || !sz || !dict) { rc = err_nomem(); goto out; }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(cat + off, texts[i], lens[i]);
        off += lens[i];
        sz[i] = lens[i];
    }
    size_t dn = ZDICT_trainFromBuffer(dict, cap, cat, sz, (unsigned)n);
    if (ZDICT_isError(dn)) {
        rc = err_set(ERR_CODEC, "cannot train a dictionary on %zu texts: %s", n, ZDICT_getErrorName(dn));
        goto out;
    }
    struct dict_arg arg = { dict, dn };
    rc = store_write(s, put_dict, &arg);
    if (rc == 0) {
        pthread_mutex_lock(&s->mu_dict);
        if (!s->ddict) {
            s->ddict = ZSTD_createDDict(dict, dn);
            s->cdict = ZSTD_createCDict(dict, dn, ZSTD_LEVEL);
            s->dict_id = ZDICT_getDictID(dict, dn);
        }
        pthread_mutex_unlock(&s->mu_dict);
    }
out:
    mem_free(cat);
    mem_free(sz);
    mem_free(dict);
    return rc;
}

/* The sampling policy. Chunk texts put before the dictionary exists are
 * compressed without it, so the writer holds its first puts back while the
 * store collects a sample of their texts: the first STORE_DICT_TEXTS texts or
 * STORE_DICT_BYTES bytes, or all there are when the input ends first. */

static void sample_drop(struct store *s)
{
    buf_release(&s->sample);
    mem_free(s->sample_lens);
    s->sample_lens = NULL;
    s->n_sample = s->cap_sample = 0;
    s->dict_state = DICT_SETTLED;
}

int store_dict_wanted(struct store *s)
{
    if (s->dict_state == DICT_UNKNOWN) {
        struct store_info in;
        FORWARD_ERR(store_info(s, &in));
        s->dict_state = in.has_dict || s->rdonly ? DICT_SETTLED : DICT_SAMPLING;
    }
    return s->dict_state == DICT_SAMPLING;
}

int store_dict_offer(struct store *s, const char *text, size_t len)
{
    int rc = store_dict_wanted(s);
    if (rc <= 0) return rc;
    if (s->n_sample == s->cap_sample) {
        size_t cap = s->cap_sample ? 2 * s->cap_sample : 256;
        size_t *v = mem_realloc(s->sample_lens, cap * sizeof *v);
        if (!v) return err_nomem();
        s->sample_lens = v;
        s->cap_sample = cap;
    }
    if (buf_append(&s->sample, text, len) < 0) return err_nomem();
    s->sample_lens[s->n_sample++] = len;
    if (s->n_sample < STORE_DICT_TEXTS && s->sample.len < STORE_DICT_BYTES) return 1;
    FORWARD_ERR(store_dict_finish(s));
    return 0;
}

int store_dict_finish(struct store *s)
{
    if (s->dict_state != DICT_SAMPLING || !s->n_sample) {
        sample_drop(s);
        return 0;
    }
    size_t n = s->n_sample;
    const char **texts = mem_alloc_array(n, sizeof *texts);
    if (!texts) return err_nomem();
    for (size_t i = 0, off = 0; i < n; off += s->sample_lens[i++]) texts[i] = s->sample.data + off;
    double t0 = now_sec();
    int rc = store_train_dict(s, texts, s->sample_lens, n);
    if (rc == 0) {
        log_debug("store '%s': zstd dictionary trained on %zu texts in %.3fs", s->dir, n, now_sec() - t0);
    } else if (rc == ERR_CODEC) {
        log_debug("store '%s': no zstd dictionary: %s", s->dir, err_msg());
        err_clear();
        rc = 0;
    }
    mem_free(texts);
    sample_drop(s);
    return rc;
}

/* ---- write transactions ---------------------------------------------------- */

int store_write(struct store *s, int (*fn)(struct store_txn *t, void *ctx), void *ctx)
{
    RETURN_ERR_IF(s->rdonly, ERR_INVALID, "store '%s' is open read-only", s->dir);
    for (;;) {
        struct store_txn *t;
        FORWARD_ERR(txn_begin(s, 1, 1, &t));
        int rc = fn(t, ctx);
        if (rc == 0 && t->changed) {
            uint64_t g = 0;
            rc = meta_u64(t, "generation", &g);
            if (rc == ERR_NOTFOUND) rc = 0;
            if (rc == 0) rc = meta_put_u64(t, "generation", g + 1);
        }
        int full = t->mapfull;
        if (rc < 0) {
            mdb_txn_abort(t->txn);
        } else {
            int crc = mdb_txn_commit(t->txn);
            if (crc == MDB_MAP_FULL) full = 1;
            else if (crc) rc = write_err(s->dir, crc, "commit failed");
            if (crc) rc = rc < 0 ? rc : ERR_STORE;
            if (!crc) release_map(s);
        }
        pthread_rwlock_unlock(&s->rw_map);
        txn_free(t);
        if (!full) return rc;
        FORWARD_ERR(map_change(s, 1));
        err_clear();
    }
}

int store_put_meta(struct store_txn *t, const char *key, const void *val, size_t n)
{
    return put(t, t->s->meta, key, strlen(key), val, n, "put meta");
}

int store_delete_meta(struct store_txn *t, const char *key)
{
    MDB_val k = { strlen(key), (void *)key };
    int rc = mdb_del(t->txn, t->s->meta, &k, NULL);
    if (rc == MDB_NOTFOUND) return 0;
    return rc ? lmdb_err(t, rc, "delete meta") : 0;
}

int store_set_model(struct store_txn *t, const char *model, const char *fingerprint, int dim,
                    enum store_dtype dtype)
{
    FORWARD_ERR(store_put_meta(t, "model", model, strlen(model)));
    FORWARD_ERR(store_put_meta(t, "fingerprint", fingerprint, strlen(fingerprint)));
    FORWARD_ERR(meta_put_u64(t, "dim", (uint64_t)dim));
    FORWARD_ERR(store_put_meta(t, "dtype", dtype == STORE_F16 ? "f16" : "f32", 3));
    t->dim = dim;
    t->dtype = dtype;
    return 0;
}

/* ---- shards ---------------------------------------------------------------- */

int store_get_shard(struct store_txn *t, const char *key, struct store_shard *sh)
{
    MDB_val v;
    int rc = get(t, t->s->shards, key, strlen(key), &v);
    if (rc == ERR_NOTFOUND) return err_set(ERR_NOTFOUND, "store '%s': no shard '%s'", t->s->dir, key);
    if (rc < 0) return rc;
    const unsigned char *p = v.mv_data;
    RETURN_ERR_IF(v.mv_size < SHARD_VAL || p[0] != 1, ERR_FORMAT, "store '%s': shard '%s': bad record",
                  t->s->dir, key);
    sh->status = p[1];
    sh->ordinal = get_u64(p + 8);
    sh->prev = get_u64(p + 16);
    sh->hash.lo = get_u64(p + 24);
    sh->hash.hi = get_u64(p + 32);
    sh->n_docs = get_u64(p + 40);
    sh->n_chunks = get_u64(p + 48);
    sh->n_rejected = get_u64(p + 56);
    sh->bytes = get_u64(p + 64);
    sh->time = get_u64(p + 72);
    sh->settings = v.mv_size >= SHARD_VAL2 ? get_u64(p + 80) : 0;
    return 0;
}

int store_put_shard(struct store_txn *t, const char *key, const struct store_shard *sh)
{
    /* the old state of this key: its ordinal leaves the pending list when it
     * is replaced or done */
    struct store_shard old;
    int rc = store_get_shard(t, key, &old);
    if (rc < 0 && rc != ERR_NOTFOUND) return rc;
    err_clear();
    if (rc == 0 && old.status == STORE_SHARD_OPEN && (old.ordinal != sh->ordinal || sh->status != STORE_SHARD_OPEN))
        FORWARD_ERR(set_pending(t, old.ordinal, 0));
    if (sh->status == STORE_SHARD_OPEN && (rc != 0 || old.status != STORE_SHARD_OPEN || old.ordinal != sh->ordinal))
        FORWARD_ERR(set_pending(t, sh->ordinal, 1));
    unsigned char p[SHARD_VAL2] = { 1, (unsigned char)sh->status };
    put_u64(p + 8, sh->ordinal);
    put_u64(p + 16, sh->prev);
    put_u64(p + 24, sh->hash.lo);
    put_u64(p + 32, sh->hash.hi);
    put_u64(p + 40, sh->n_docs);
    put_u64(p + 48, sh->n_chunks);
    put_u64(p + 56, sh->n_rejected);
    put_u64(p + 64, sh->bytes);
    put_u64(p + 72, sh->time);
    put_u64(p + 80, sh->settings);
    return put(t, t->s->shards, key, strlen(key), p, sizeof p, "put shard");
}

int store_delete_shard(struct store_txn *t, const char *key)
{
    struct store_shard old;
    int r0 = store_get_shard(t, key, &old);
    if (r0 < 0 && r0 != ERR_NOTFOUND) return r0;
    err_clear();
    if (r0 == 0 && old.status == STORE_SHARD_OPEN) FORWARD_ERR(set_pending(t, old.ordinal, 0));
    MDB_val k = { strlen(key), (void *)key };
    int rc = mdb_del(t->txn, t->s->shards, &k, NULL);
    if (rc == MDB_NOTFOUND) return 0;
    return rc ? lmdb_err(t, rc, "delete shard") : 0;
}

int store_next_ordinal(struct store_txn *t, const char *key, uint64_t *out)
{
    uint64_t n = 0;
    int rc = meta_u64(t, "next_shard", &n);
    if (rc < 0 && rc != ERR_NOTFOUND) return rc;
    RETURN_ERR_IF(n >= (1ull << 23), ERR_STORE, "store '%s': out of shard ordinals", t->s->dir);
    FORWARD_ERR(meta_put_u64(t, "next_shard", n + 1));
    unsigned char k[8];
    put_be64(k, n);
    FORWARD_ERR(put(t, t->s->shardids, k, 8, key, strlen(key), "put shardid"));
    *out = n;
    return 0;
}

int store_put_shardid(struct store_txn *t, uint64_t ordinal, const char *key)
{
    unsigned char k[8];
    put_be64(k, ordinal);
    return put(t, t->s->shardids, k, 8, key, strlen(key), "put shardid");
}

/* ---- docs ------------------------------------------------------------------ */

void store_doc_release(struct store_doc *d)
{
    buf_release(&d->shard);
    buf_release(&d->entry);
    buf_release(&d->ext_id);
}

int store_put_doc(struct store_txn *t, const struct store_doc *d)
{
    size_t en = d->entry.len, xn = d->ext_id.len;
    RETURN_ERR_IF(en > 65535 || xn > 65535, ERR_INVALID, "doc %llu: entry name or id too long",
                  (unsigned long long)d->id);
    buf_reset(&t->scratch);
    if (buf_reserve(&t->scratch, DOC_HDR + en + xn) < 0) return err_nomem();
    unsigned char *p = (unsigned char *)t->scratch.data;
    memset(p, 0, DOC_HDR);
    p[0] = 1;
    put_u32(p + 4, d->n_chunks);
    put_u64(p + 8, d->record);
    put_u64(p + 16, d->offset);
    put_u64(p + 24, d->length);
    put_u32(p + 32, (uint32_t)en);
    put_u32(p + 36, (uint32_t)xn);
    if (en) memcpy(p + DOC_HDR, d->entry.data, en);
    if (xn) memcpy(p + DOC_HDR + en, d->ext_id.data, xn);
    unsigned char k[8];
    put_be64(k, d->id);
    return put_id(t, t->s->docs, k, p, DOC_HDR + en + xn, "put doc");
}

int store_get_doc(struct store_txn *t, uint64_t id, struct store_doc *d)
{
    MDB_val v;
    int rc = get_visible(t, t->s->docs, "doc", id, &v);
    if (rc < 0) return rc;
    const unsigned char *p = v.mv_data;
    if (v.mv_size < DOC_HDR || p[0] != 1) goto bad;
    uint32_t en = get_u32(p + 32), xn = get_u32(p + 36);
    if ((uint64_t)DOC_HDR + en + xn != v.mv_size) goto bad;
    d->id = id;
    d->n_chunks = get_u32(p + 4);
    d->record = get_u64(p + 8);
    d->offset = get_u64(p + 16);
    d->length = get_u64(p + 24);
    buf_reset(&d->shard);
    buf_reset(&d->entry);
    buf_reset(&d->ext_id);
    if (buf_append(&d->entry, p + DOC_HDR, en) < 0 || buf_append(&d->ext_id, p + DOC_HDR + en, xn) < 0)
        return err_nomem();
    unsigned char k[8];
    put_be64(k, store_shard_of(id));
    if (get(t, t->s->shardids, k, 8, &v) == 0 && buf_append(&d->shard, v.mv_data, v.mv_size) < 0)
        return err_nomem();
    if ((!d->shard.data && buf_puts(&d->shard, "") < 0) || (!d->entry.data && buf_puts(&d->entry, "") < 0) ||
        (!d->ext_id.data && buf_puts(&d->ext_id, "") < 0))
        return err_nomem();
    return 0;
bad:
    return err_set(ERR_FORMAT, "store '%s': doc %llu: bad record", t->s->dir, (unsigned long long)id);
}

/* ---- chunks ---------------------------------------------------------------- */

static int parse_chunk(struct store_txn *t, uint64_t id, const MDB_val *v, struct store_chunk *c,
                       struct buf *text)
{
    const unsigned char *p = v->mv_data;
    if (v->mv_size < CHUNK_HDR || p[0] != 1)
        return err_set(ERR_FORMAT, "store '%s': chunk %llu: bad record", t->s->dir, (unsigned long long)id);
    c->id = id;
    c->truncated = !!(p[1] & CHUNK_TRUNCATED);
    memcpy(&c->n_tokens, p + 4, 4);
    c->doc = get_u64(p + 8);
    c->start = get_u64(p + 16);
    c->end = get_u64(p + 24);
    c->text_hash.lo = get_u64(p + 32);
    c->text_hash.hi = get_u64(p + 40);
    if (!text) return 0;
    uint32_t tn = get_u32(p + 48), dict = get_u32(p + 52);
    const void *z = p + CHUNK_HDR;
    size_t zn = v->mv_size - CHUNK_HDR;
    buf_reset(text);
    if (tn > MAX_TEXT || buf_reserve(text, tn) < 0)
        return err_set(ERR_NOMEM, "chunk %llu: cannot hold %u bytes", (unsigned long long)id, tn);
    if (!(p[1] & CHUNK_ZSTD)) {
        if (zn != tn)
            return err_set(ERR_FORMAT, "store '%s': chunk %llu: length %zu, expected %u", t->s->dir,
                           (unsigned long long)id, zn, tn);
        memcpy(text->data, z, tn);
    } else {
        if (!t->dctx && !(t->dctx = ZSTD_createDCtx())) return err_nomem();
        size_t r;
        if (p[1] & CHUNK_DICT) {
            FORWARD_ERR(dict_load(t));
            if (!t->s->ddict || t->s->dict_id != dict)
                return err_set(ERR_CODEC, "store '%s': chunk %llu: zstd dictionary %u is missing", t->s->dir,
                               (unsigned long long)id, dict);
            r = ZSTD_decompress_usingDDict(t->dctx, text->data, tn + 1, z, zn, t->s->ddict);
        } else {
            r = ZSTD_decompressDCtx(t->dctx, text->data, tn + 1, z, zn);
        }
        if (ZSTD_isError(r))
            return err_set(ERR_CODEC, "store '%s': chunk %llu: %s", t->s->dir, (unsigned long long)id,
                           ZSTD_getErrorName(r));
        if (r != tn)
            return err_set(ERR_FORMAT, "store '%s': chunk %llu: text is %zu bytes, expected %u", t->s->dir,
                           (unsigned long long)id, r, tn);
    }
    text->len = tn;
    text->data[tn] = 0;
    return 0;
}

int store_get_chunk(struct store_txn *t, uint64_t id, struct store_chunk *c, struct buf *text)
{
    MDB_val v;
    int rc = get_visible(t, t->s->chunks, "chunk", id, &v);
    if (rc < 0) return rc;
    return parse_chunk(t, id, &v, c, text);
}

int store_put_chunk(struct store_txn *t, struct store_chunk *c, const char *text, size_t len)
{
    struct store *s = t->s;
    RETURN_ERR_IF(len > MAX_TEXT, ERR_INVALID, "chunk %llu: text of %zu bytes is too long",
                  (unsigned long long)c->id, len);
    FORWARD_ERR(dict_load(t));
    if (!s->cctx && !(s->cctx = ZSTD_createCCtx())) return err_nomem();
    size_t bound = ZSTD_compressBound(len);
    buf_reset(&t->scratch);
    if (buf_reserve(&t->scratch, CHUNK_HDR + bound) < 0) return err_nomem();
    unsigned char *p = (unsigned char *)t->scratch.data;
    memset(p, 0, CHUNK_HDR);
    c->text_hash = hash128(text, len);
    p[0] = 1;
    size_t zn = 0;
    if (len >= 8) {
        zn = s->cdict ? ZSTD_compress_usingCDict(s->cctx, p + CHUNK_HDR, bound, text, len, s->cdict)
                      : ZSTD_compressCCtx(s->cctx, p + CHUNK_HDR, bound, text, len, ZSTD_LEVEL);
        if (ZSTD_isError(zn))
            return err_set(ERR_CODEC, "chunk %llu: %s", (unsigned long long)c->id, ZSTD_getErrorName(zn));
    }
    if (zn && zn < len) {
        p[1] |= CHUNK_ZSTD;
        if (s->cdict) {
            p[1] |= CHUNK_DICT;
            put_u32(p + 52, s->dict_id);
        }
    } else {
        memcpy(p + CHUNK_HDR, text, len);
        zn = len;
    }
    if (c->truncated) p[1] |= CHUNK_TRUNCATED;
    memcpy(p + 4, &c->n_tokens, 4);
    put_u64(p + 8, c->doc);
    put_u64(p + 16, c->start);
    put_u64(p + 24, c->end);
    put_u64(p + 32, c->text_hash.lo);
    put_u64(p + 40, c->text_hash.hi);
    put_u32(p + 48, (uint32_t)len);
    unsigned char k[8];
    put_be64(k, c->id);
    FORWARD_ERR(put_id(t, s->chunks, k, p, CHUNK_HDR + zn, "put chunk"));
    unsigned char hk[16];
    put_u64(hk, c->text_hash.lo);
    put_u64(hk + 8, c->text_hash.hi);
    FORWARD_ERR(put(t, s->texts, hk, 16, k, 8, "put text hash"));
    t->changed = 1;
    return 0;
}

int store_text_lookup(struct store_txn *t, struct hash128 h, uint64_t *id)
{
    unsigned char hk[16];
    put_u64(hk, h.lo);
    put_u64(hk + 8, h.hi);
    MDB_val v;
    int rc = get(t, t->s->texts, hk, 16, &v);
    if (rc == ERR_NOTFOUND) return 0;
    if (rc < 0) return rc;
    if (v.mv_size != 8) return 0;
    uint64_t cid = get_be64(v.mv_data);
    if (hidden(t, cid)) return 0;
    struct store_chunk c;
    rc = get(t, t->s->chunks, v.mv_data, 8, &v);
    if (rc == ERR_NOTFOUND) return 0; /* stale entry */
    if (rc < 0) return rc;
    if (parse_chunk(t, cid, &v, &c, NULL) < 0) return 0;
    if (c.text_hash.lo != h.lo || c.text_hash.hi != h.hi) return 0;
    /* and it has a vector */
    unsigned char k[8];
    put_be64(k, cid);
    if (get(t, t->s->vectors, k, 8, &v) != 0) return 0;
    *id = cid;
    return 1;
}

/* ---- vectors --------------------------------------------------------------- */

int store_put_vector(struct store_txn *t, uint64_t id, const float *vec)
{
    RETURN_ERR_IF(t->dim <= 0, ERR_INVALID, "store '%s': no model recorded (dim 0)", t->s->dir);
    unsigned char k[8];
    put_be64(k, id);
    size_t n = (size_t)t->dim;
    int rc;
    if (t->dtype == STORE_F16) {
        buf_reset(&t->scratch);
        if (buf_reserve(&t->scratch, n * 2) < 0) return err_nomem();
        uint16_t *h = (uint16_t *)(void *)t->scratch.data;
        for (size_t i = 0; i < n; i++) h[i] = store_f32_to_f16(vec[i]);
        rc = put_id(t, t->s->vectors, k, h, n * 2, "put vector");
    } else {
        rc = put_id(t, t->s->vectors, k, vec, n * 4, "put vector");
    }
    if (rc == 0) t->changed = 1;
    return rc;
}

static int decode_vector(struct store_txn *t, uint64_t id, const MDB_val *v, float *out)
{
    size_t n = (size_t)t->dim, w = t->dtype == STORE_F16 ? 2 : 4;
    if (n == 0 || v->mv_size != n * w)
        return err_set(ERR_FORMAT, "store '%s': vector %llu has %zu bytes, expected %zu", t->s->dir,
                       (unsigned long long)id, v->mv_size, n * w);
    if (w == 4) {
        memcpy(out, v->mv_data, n * 4);
    } else {
        const unsigned char *p = v->mv_data;
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            out[i] = store_f16_to_f32(h);
        }
    }
    return 0;
}

int store_get_vector(struct store_txn *t, uint64_t id, float *out)
{
    MDB_val v;
    int rc = get_visible(t, t->s->vectors, "vector", id, &v);
    if (rc < 0) return rc;
    rc = decode_vector(t, id, &v, out);
    t->got[t->n_got][0] = (uintptr_t)v.mv_data;
    t->got[t->n_got][1] = (uintptr_t)v.mv_data + v.mv_size;
    if (++t->n_got == GET_RELEASE_EVERY) got_release(t);
    return rc;
}

/* ---- deletion -------------------------------------------------------------- */

/* delete_range: delete keys [lo, hi) of db; for chunks also the texts-map
 * entries that point at them. Returns the count. */
static long delete_range(struct store_txn *t, MDB_dbi db, uint64_t lo, uint64_t hi, int chunks)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, db, &c);
    if (rc) return lmdb_err(t, rc, "cursor");
    long n = 0;
    for (;;) {
        unsigned char kb[8];
        put_be64(kb, lo);
        MDB_val k = { 8, kb }, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND) break;
        if (rc) { mdb_cursor_close(c); return lmdb_err(t, rc, "cursor get"); }
        if (k.mv_size != 8) break;
        uint64_t id = get_be64(k.mv_data);
        if (id >= hi) break;
        if (chunks && v.mv_size >= CHUNK_HDR) {
            unsigned char hk[16];
            memcpy(hk, (unsigned char *)v.mv_data + 32, 16);
            MDB_val key = { 16, hk }, hv;
            if (mdb_get(t->txn, t->s->texts, &key, &hv) == 0 && hv.mv_size == 8 && get_be64(hv.mv_data) == id) {
                rc = mdb_del(t->txn, t->s->texts, &key, NULL);
                if (rc) { mdb_cursor_close(c); return lmdb_err(t, rc, "delete text hash"); }
            }
        }
        rc = mdb_cursor_del(c, 0);
        if (rc) { mdb_cursor_close(c); return lmdb_err(t, rc, "delete"); }
        n++;
        lo = id + 1;
    }
    mdb_cursor_close(c);
    return n;
}

static long delete_ordinal(struct store_txn *t, uint64_t ordinal, int keep_id)
{
    uint64_t lo = store_make_id(ordinal, 0), hi = store_make_id(ordinal + 1, 0);
    long n = delete_range(t, t->s->chunks, lo, hi, 1);
    if (n < 0) return n;
    long r = delete_range(t, t->s->vectors, lo, hi, 0);
    if (r < 0) return r;
    if ((r = delete_range(t, t->s->docs, lo, hi, 0)) < 0) return r;
    if (keep_id) {
        if (n) t->changed = 1;
        return n;
    }
    unsigned char k[8];
    put_be64(k, ordinal);
    MDB_val key = { 8, k };
    int rc = mdb_del(t->txn, t->s->shardids, &key, NULL);
    if (rc && rc != MDB_NOTFOUND) return lmdb_err(t, rc, "delete shardid");
    if (n) t->changed = 1;
    return n;
}

long store_delete_ordinal(struct store_txn *t, uint64_t ordinal) { return delete_ordinal(t, ordinal, 0); }

long store_clear_ordinal(struct store_txn *t, uint64_t ordinal) { return delete_ordinal(t, ordinal, 1); }

int store_pending_ordinals(struct store_txn *t, uint64_t **out, size_t *n) { return get_pending(t, out, n); }

/* ---- iterators ------------------------------------------------------------- */

static int iter_open(struct store_txn *t, uint64_t from, int chunks, struct store_iter **out)
{
    *out = NULL;
    struct store_iter *it = mem_calloc(1, sizeof *it);
    if (!it) return err_nomem();
    int rc = mdb_cursor_open(t->txn, chunks ? t->s->chunks : t->s->vectors, &it->c);
    if (rc) {
        mem_free(it);
        return lmdb_err(t, rc, "cursor");
    }
    it->t = t;
    it->from = from;
    it->chunks = chunks;
    *out = it;
    return 0;
}

int store_iter_open(struct store_txn *t, uint64_t from, struct store_iter **out)
{
    return iter_open(t, from, 0, out);
}

int store_chunk_iter_open(struct store_txn *t, uint64_t from, struct store_iter **out)
{
    return iter_open(t, from, 1, out);
}

static int iter_step(struct store_iter *it, MDB_val *k, MDB_val *v)
{
    unsigned char kb[8];
    int rc;
    if (!it->started) {
        put_be64(kb, it->from);
        k->mv_size = 8;
        k->mv_data = kb;
        rc = mdb_cursor_get(it->c, k, v, MDB_SET_RANGE);
        it->started = 1;
    } else {
        rc = mdb_cursor_get(it->c, k, v, MDB_NEXT);
    }
    for (;;) {
        if (rc == MDB_NOTFOUND) return 0;
        if (rc) return lmdb_err(it->t, rc, "cursor next");
        if (k->mv_size != 8) return err_set(ERR_FORMAT, "store '%s': bad key", it->t->s->dir);
        uint64_t id = get_be64(k->mv_data);
        if (!hidden(it->t, id)) return 1;
        /* a shard in progress: jump past its ordinal */
        put_be64(kb, store_make_id(store_shard_of(id) + 1, 0));
        k->mv_size = 8;
        k->mv_data = kb;
        rc = mdb_cursor_get(it->c, k, v, MDB_SET_RANGE);
    }
}

int store_iter_next(struct store_iter *it, uint64_t *id, float *vec)
{
    MDB_val k, v;
    int rc = iter_step(it, &k, &v);
    if (rc <= 0) return rc;
    *id = get_be64(k.mv_data);
    if (vec) FORWARD_ERR(decode_vector(it->t, *id, &v, vec));
    uintptr_t a = (uintptr_t)v.mv_data;
    if (!it->pending || a < it->lo) it->lo = a;
    if (!it->pending || a + v.mv_size > it->hi) it->hi = a + v.mv_size;
    if (++it->pending == ITER_RELEASE_EVERY) iter_release(it);
    return 1;
}

int store_iter_next_chunk(struct store_iter *it, struct store_chunk *c, struct buf *text)
{
    MDB_val k, v;
    int rc = iter_step(it, &k, &v);
    if (rc <= 0) return rc;
    FORWARD_ERR(parse_chunk(it->t, get_be64(k.mv_data), &v, c, text));
    return 1;
}

void store_iter_close(struct store_iter *it)
{
    if (!it) return;
    iter_release(it);
    mdb_cursor_close(it->c);
    mem_free(it);
}

/* ---- shard listing ----------------------------------------------------------- */

void store_shard_list_free(char **keys, struct store_shard *recs, size_t n)
{
    if (keys)
        for (size_t i = 0; i < n; i++) mem_free(keys[i]);
    mem_free(keys);
    mem_free(recs);
}

int store_list_shards(struct store_txn *t, char ***keys, struct store_shard **recs, size_t *n)
{
    *keys = NULL;
    *recs = NULL;
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->shards, &c);
    if (rc) return lmdb_err(t, rc, "open shard cursor");
    size_t cap = 0, m = 0;
    char **k = NULL;
    struct store_shard *r = NULL;
    MDB_val kv, vv;
    int op = MDB_FIRST, err = 0;
    while ((rc = mdb_cursor_get(c, &kv, &vv, op)) == 0) {
        op = MDB_NEXT;
        if (m == cap) {
            cap = mem_next_cap(cap, m + 1);
            if ((err = MEM_RESIZE(k, cap)) < 0 || (err = MEM_RESIZE(r, cap)) < 0) break;
        }
        k[m] = mem_alloc(kv.mv_size + 1);
        if (!k[m]) { err = err_nomem(); break; }
        memcpy(k[m], kv.mv_data, kv.mv_size);
        k[m][kv.mv_size] = 0;
        m++;
        if ((err = store_get_shard(t, k[m - 1], &r[m - 1])) < 0) break;
    }
    mdb_cursor_close(c);
    if (!err && rc != MDB_NOTFOUND) err = lmdb_err(t, rc, "read shards");
    if (err) {
        store_shard_list_free(k, r, m);
        return err;
    }
    *keys = k;
    *recs = r;
    *n = m;
    return 0;
}
