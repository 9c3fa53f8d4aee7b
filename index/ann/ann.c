/*
 * ann.c - the FAISS C API wrapper (see ann.h). Every FAISS call goes through
 * fcall(), which turns a non-zero FaissErrorCode into ERR_ANN with
 * faiss_get_last_error()'s text, copied at once (the C API's buffer is only
 * valid until the next FAISS call).
 */
#include "index/ann/ann.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

#include "index/ann/faiss_c/faiss_c_ext_add.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/mem.h"

/* FAISS 1.7.3's C++ faiss::IO_FLAG_MMAP (index_io.h: IO_FLAG_SKIP_IVF_DATA |
 * 0x646f0000). The C header's FAISS_IO_FLAG_MMAP (1) means nothing to the
 * C++ reader, and upstream's libfaiss_c passes flags through unchanged, so
 * we pass the C++ value: it works with a real libfaiss_c and with our shim
 * (index/ann/faiss_c), which maps bit 1 and passes other bits through. */
#define FAISS_CXX_IO_FLAG_MMAP (8 | 0x646f0000)

#define ADD_CHUNK 65536

struct ann {
    FaissIndex *index;
    int mapped;   /* read with ANN_READ_MMAP: the lists are read-only */
    int compressed; /* codes, not vectors (ann_compressed) */
};

static int factory_compressed(const char *f)
{
    return strstr(f, "PQ") || strstr(f, "SQ") || strstr(f, "LSH") || strstr(f, "RQ") || strstr(f, "LSQ");
}

int ann_compressed(const struct ann *a) { return a->compressed; }
void ann_set_factory(struct ann *a, const char *factory) { a->compressed = factory_compressed(factory); }

/* fcall: translate a FAISS C API return code once, here. */
static int fcall(int rc, const char *what)
{
    if (rc == 0) return 0;
    const char *m = faiss_get_last_error();
    return err_set(ERR_ANN, "faiss %s failed: %s", what, m ? m : "no message");
}

static int wrap(FaissIndex *index, struct ann **out)
{
    struct ann *a = mem_calloc(1, sizeof *a);
    if (!a) {
        faiss_Index_free(index);
        return err_nomem();
    }
    a->index = index;
    *out = a;
    return 0;
}

int ann_create(const char *factory, int dim, struct ann **out)
{
    *out = NULL;
    RETURN_ERR_IF(dim < 1, ERR_INVALID, "bad index dimension %d", dim);
    FaissIndex *index = NULL;
    if (faiss_index_factory(&index, dim, factory, METRIC_INNER_PRODUCT) != 0) {
        const char *m = faiss_get_last_error();
        return err_set(ERR_INVALID, "bad index factory string '%s': %s", factory, m ? m : "rejected");
    }
    FORWARD_ERR(wrap(index, out));
    (*out)->compressed = factory_compressed(factory);
    return 0;
}

int ann_read(const char *path, int flags, struct ann **out)
{
    *out = NULL;
    RETURN_ERR_IF(!fs_exists(path), ERR_NOTFOUND, "index '%s' does not exist", path);
    int fflags = (flags & ANN_READ_MMAP) ? FAISS_CXX_IO_FLAG_MMAP : 0;
    FaissIndex *index = NULL;
    if (faiss_read_index_fname(path, fflags, &index) != 0) {
        const char *m = faiss_get_last_error();
        return err_set(ERR_ANN, "cannot read index '%s': %s", path, m ? m : "unknown error");
    }
    if (faiss_Index_metric_type(index) != METRIC_INNER_PRODUCT) {
        faiss_Index_free(index);
        return err_set(ERR_FORMAT, "index '%s' does not use the inner product metric", path);
    }
    FORWARD_ERR(wrap(index, out));
    (*out)->mapped = (flags & ANN_READ_MMAP) != 0;
    return 0;
}

int ann_write(const struct ann *a, const char *path)
{
    struct fs_atomic f;
    FORWARD_ERR(fs_atomic_open(&f, path));
    if (faiss_write_index(a->index, f.f) != 0) {
        const char *m = faiss_get_last_error();
        int rc = err_set(ERR_ANN, "cannot write index '%s': %s", f.tmp ? f.tmp : f.path, m ? m : "unknown error");
        fs_atomic_abort(&f);
        return rc;
    }
    return fs_atomic_commit(&f);
}

void ann_free(struct ann *a)
{
    if (!a) return;
    faiss_Index_free(a->index);
    mem_free(a);
}

int ann_dim(const struct ann *a) { return faiss_Index_d(a->index); }
int64_t ann_ntotal(const struct ann *a) { return faiss_Index_ntotal(a->index); }
int ann_is_trained(const struct ann *a) { return faiss_Index_is_trained(a->index); }

int ann_train(struct ann *a, const float *x, int64_t n)
{
    RETURN_ERR_IF(n < 0, ERR_INVALID, "bad training count %lld", (long long)n);
    return fcall(faiss_Index_train(a->index, n, x), "train");
}

int ann_add(struct ann *a, const float *x, const int64_t *ids, int64_t n)
{
    RETURN_ERR_IF(n < 0, ERR_INVALID, "bad vector count %lld", (long long)n);
    RETURN_ERR_IF(!ann_is_trained(a), ERR_INVALID, "cannot add to an untrained index");
    /* FAISS 1.7.3 checks read_only inside an OpenMP region of IVF add, where
     * its exception cannot be caught: it would abort the process */
    RETURN_ERR_IF(a->mapped, ERR_INVALID, "cannot add to an index read with mmap (read-only)");
    int d = ann_dim(a);
    for (int64_t i = 0; i < n; i += ADD_CHUNK) {
        int64_t m = n - i < ADD_CHUNK ? n - i : ADD_CHUNK;
        int rc = ids ? faiss_Index_add_with_ids(a->index, m, x + i * d, ids + i)
                     : faiss_Index_add(a->index, m, x + i * d);
        FORWARD_ERR(fcall(rc, ids ? "add_with_ids" : "add"));
    }
    return 0;
}

int ann_search(const struct ann *a, const float *q, int64_t nq, int k, float *scores, int64_t *ids)
{
    RETURN_ERR_IF(k < 1 || nq < 0, ERR_INVALID, "bad search size nq=%lld k=%d", (long long)nq, k);
    if (nq == 0) return 0;
    FORWARD_ERR(fcall(faiss_Index_search(a->index, nq, q, k, scores, ids), "search"));
    for (int64_t i = 0; i < nq * k; i++)
        if (ids[i] < 0) scores[i] = -INFINITY;
    return 0;
}

int ann_set_param(struct ann *a, const char *name, double value)
{
    FaissParameterSpace *ps = NULL;
    FORWARD_ERR(fcall(faiss_ParameterSpace_new(&ps), "ParameterSpace"));
    int rc = faiss_ParameterSpace_set_index_parameter(ps, a->index, name, value);
    faiss_ParameterSpace_free(ps);
    if (rc != 0) {
        const char *m = faiss_get_last_error();
        return err_set(ERR_INVALID, "cannot set index parameter '%s' to %g: %s", name, value,
                       m ? m : "rejected");
    }
    return 0;
}

/* ---------------- inverted lists ---------------- */

static FaissIndexIVF *ivf(const struct ann *a) { return faiss_IndexIVF_cast(a->index); }

int64_t ann_nlist(const struct ann *a)
{
    FaissIndexIVF *v = ivf(a);
    return v ? (int64_t)faiss_IndexIVF_nlist(v) : 0;
}

int ann_nprobe(const struct ann *a)
{
    FaissIndexIVF *v = ivf(a);
    return v ? (int)faiss_IndexIVF_nprobe(v) : 0;
}

static int check_list(const struct ann *a, int64_t l)
{
    int64_t nl = ann_nlist(a);
    RETURN_ERR_IF(nl == 0, ERR_INVALID, "the index has no inverted lists");
    RETURN_ERR_IF(l < 0 || l >= nl, ERR_INVALID, "inverted list %lld out of range (%lld lists)", (long long)l,
                  (long long)nl);
    return 0;
}

int64_t ann_list_size(const struct ann *a, int64_t l)
{
    FORWARD_ERR(check_list(a, l));
    return (int64_t)faiss_IndexIVF_get_list_size(ivf(a), (size_t)l);
}

int ann_list_ids(const struct ann *a, int64_t l, int64_t *ids)
{
    FORWARD_ERR(check_list(a, l));
    faiss_IndexIVF_invlists_get_ids(ivf(a), (size_t)l, ids);
    return 0;
}

int ann_probe_lists(const struct ann *a, const float *x, int64_t nq, int m, int64_t *lists)
{
    int64_t nl = ann_nlist(a);
    RETURN_ERR_IF(nl == 0, ERR_INVALID, "the index has no inverted lists");
    RETURN_ERR_IF(m < 1 || m > nl || nq < 0, ERR_INVALID, "cannot probe %d of %lld lists", m, (long long)nl);
    if (nq == 0) return 0;
    float *sc = mem_alloc_array((size_t)nq * (size_t)m, sizeof *sc);
    if (!sc) return err_nomem();
    int rc = fcall(faiss_Index_search(faiss_IndexIVF_quantizer(ivf(a)), nq, x, m, sc, lists), "probe lists");
    mem_free(sc);
    return rc;
}

/* ---- IVF adds at exact list sizes (faiss_c_ext_add.h) ---- */

int64_t ann_ivf_nlist(const struct ann *a)
{
    size_t k = 0;
    if (semindex_faiss_IndexIVF_nlist(a->index, &k) != 0) return 0;
    return (int64_t)k;
}

int ann_ivf_assign(const struct ann *a, const float *x, int64_t n, int32_t *lists)
{
    RETURN_ERR_IF(n < 0, ERR_INVALID, "bad vector count %lld", (long long)n);
    if (n == 0) return 0;
    idx_t *l = mem_alloc_array((size_t)n, sizeof *l);
    RETURN_ERR_IF(!l, ERR_NOMEM, "out of memory for %lld list numbers", (long long)n);
    int rc = fcall(semindex_faiss_IndexIVF_assign(a->index, n, x, l), "assign (semindex extension)");
    for (int64_t i = 0; rc == 0 && i < n; i++) lists[i] = (int32_t)l[i];
    mem_free(l);
    return rc;
}

int ann_ivf_reserve(struct ann *a, const int64_t *count)
{
    RETURN_ERR_IF(a->mapped, ERR_INVALID, "cannot add to an index read with mmap (read-only)");
    int64_t k = ann_ivf_nlist(a);
    RETURN_ERR_IF(k < 1, ERR_INVALID, "not an IVF index: no lists to reserve");
    size_t *extra = mem_alloc_array((size_t)k, sizeof *extra);
    RETURN_ERR_IF(!extra, ERR_NOMEM, "out of memory for %lld list sizes", (long long)k);
    for (int64_t l = 0; l < k; l++) extra[l] = count[l] > 0 ? (size_t)count[l] : 0;
    int rc = fcall(semindex_faiss_IndexIVF_reserve(a->index, extra), "reserve (semindex extension)");
    mem_free(extra);
    return rc;
}

int ann_ivf_add_assigned(struct ann *a, const float *x, const int64_t *ids, const int32_t *lists, int64_t n)
{
    RETURN_ERR_IF(n < 0, ERR_INVALID, "bad vector count %lld", (long long)n);
    RETURN_ERR_IF(!ann_is_trained(a), ERR_INVALID, "cannot add to an untrained index");
    RETURN_ERR_IF(a->mapped, ERR_INVALID, "cannot add to an index read with mmap (read-only)");
    if (n == 0) return 0;
    idx_t *l = mem_alloc_array((size_t)n, sizeof *l);
    RETURN_ERR_IF(!l, ERR_NOMEM, "out of memory for %lld list numbers", (long long)n);
    for (int64_t i = 0; i < n; i++) l[i] = lists[i];
    int rc = fcall(semindex_faiss_IndexIVF_add_preassigned(a->index, n, x, ids, l), "add (semindex extension)");
    mem_free(l);
    return rc;
}

void ann_normalize(float *x, int64_t n, int dim)
{
    for (int64_t i = 0; i < n; i++) {
        float *r = x + i * dim;
        double s = 0;
        for (int j = 0; j < dim; j++) s += (double)r[j] * r[j];
        /* torch.nn.functional.normalize divides by max(norm, 1e-12) */
        double nrm = sqrt(s);
        if (nrm < 1e-12) nrm = 1e-12;
        float inv = (float)(1.0 / nrm);
        for (int j = 0; j < dim; j++) r[j] *= inv;
    }
}
