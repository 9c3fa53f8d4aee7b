/*
 * faiss_c.cpp - the subset of FAISS's C API that semindex calls, for systems
 * whose FAISS has the C API headers but not their implementation.
 *
 * Debian 12's libfaiss-dev (1.7.3) installs the faiss/c_api headers but its
 * libfaiss.a holds no faiss_* C symbols (upstream builds them only with
 * -DFAISS_ENABLE_C_API=ON, into a separate libfaiss_c). The Makefile links a
 * real libfaiss_c when one links and compiles this file otherwise; see
 * README in this folder.
 *
 * Every function has the signature declared by the installed header (which
 * this file includes, so the compiler checks them) and the C API's error
 * convention: C++ exceptions never cross into C; a failing call returns a
 * non-zero FaissErrorCode (-2 FAISS exception, -4 std exception, -1 other)
 * and keeps the exception so faiss_get_last_error() can give its text. The
 * last error is per thread, like upstream's.
 *
 * One deliberate difference from upstream 1.7.3: the read flags. The C
 * header says FAISS_IO_FLAG_MMAP is 1, but the C++ side of 1.7.3 defines
 * faiss::IO_FLAG_MMAP as IO_FLAG_SKIP_IVF_DATA | 0x646f0000 and gives bit 1
 * no meaning, so upstream's pass-through turns "mmap" into a plain read.
 * read_flags() maps the C header's bits to the C++ values explicitly and
 * passes other bits (such as the C++ IO_FLAG_MMAP value itself) unchanged.
 *
 * Not implemented: everything semindex does not call (binary indexes, range
 * search, clustering, ID selectors, ...). A caller that needs more adds it
 * here with the header's signature.
 */
#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include <faiss/AutoTune.h>
#include <faiss/Index.h>
#include <faiss/IndexIVF.h>
#include <faiss/clone_index.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/clone_index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/error_impl.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

#include "index/ann/faiss_c/faiss_c_guard.h"

thread_local std::exception_ptr faiss_last_exception;

/* ---------------- error convention ---------------- */

/* guard(): faiss_c_guard.h */

static faiss::Index *ix(FaissIndex *p) { return reinterpret_cast<faiss::Index *>(p); }
static const faiss::Index *ix(const FaissIndex *p) { return reinterpret_cast<const faiss::Index *>(p); }
static FaissIndex *cx(faiss::Index *p) { return reinterpret_cast<FaissIndex *>(p); }

/* read_flags: the C header's flag bits -> FAISS 1.7.3 C++ flag values. */
static int read_flags(int io_flags)
{
    int f = io_flags & ~(FAISS_IO_FLAG_MMAP | FAISS_IO_FLAG_READ_ONLY);
    if (io_flags & FAISS_IO_FLAG_MMAP) f |= faiss::IO_FLAG_MMAP;
    if (io_flags & FAISS_IO_FLAG_READ_ONLY) f |= faiss::IO_FLAG_READ_ONLY;
    return f;
}

static faiss::ParameterSpace *px(FaissParameterSpace *p) { return reinterpret_cast<faiss::ParameterSpace *>(p); }
static const faiss::ParameterSpace *px(const FaissParameterSpace *p)
{
    return reinterpret_cast<const faiss::ParameterSpace *>(p);
}

extern "C" {

const char *faiss_get_last_error()
{
    static thread_local std::string msg;
    if (!faiss_last_exception) return nullptr;
    try {
        std::rethrow_exception(faiss_last_exception);
    } catch (std::exception &e) {
        msg = e.what();
    } catch (...) {
        msg = "unknown error";
    }
    return msg.c_str();
}

/* ---------------- Index ---------------- */

void faiss_Index_free(FaissIndex *obj) { delete ix(obj); }
int faiss_Index_d(const FaissIndex *obj) { return ix(obj)->d; }
int faiss_Index_is_trained(const FaissIndex *obj) { return ix(obj)->is_trained; }
idx_t faiss_Index_ntotal(const FaissIndex *obj) { return ix(obj)->ntotal; }
FaissMetricType faiss_Index_metric_type(const FaissIndex *obj)
{
    return static_cast<FaissMetricType>(ix(obj)->metric_type);
}
int faiss_Index_verbose(const FaissIndex *obj) { return ix(obj)->verbose; }
void faiss_Index_set_verbose(FaissIndex *obj, int v) { ix(obj)->verbose = v != 0; }

int faiss_Index_train(FaissIndex *index, idx_t n, const float *x)
{
    return guard([&] { ix(index)->train(n, x); });
}

int faiss_Index_add(FaissIndex *index, idx_t n, const float *x)
{
    return guard([&] { ix(index)->add(n, x); });
}

int faiss_Index_add_with_ids(FaissIndex *index, idx_t n, const float *x, const idx_t *xids)
{
    return guard([&] { ix(index)->add_with_ids(n, x, xids); });
}

int faiss_Index_search(const FaissIndex *index, idx_t n, const float *x, idx_t k, float *distances,
                       idx_t *labels)
{
    return guard([&] { ix(index)->search(n, x, k, distances, labels); });
}

int faiss_Index_reset(FaissIndex *index)
{
    return guard([&] { ix(index)->reset(); });
}

int faiss_Index_reconstruct(const FaissIndex *index, idx_t key, float *recons)
{
    return guard([&] { ix(index)->reconstruct(key, recons); });
}

int faiss_index_factory(FaissIndex **p_index, int d, const char *description, FaissMetricType metric)
{
    return guard([&] {
        *p_index = cx(faiss::index_factory(d, description, static_cast<faiss::MetricType>(metric)));
    });
}

int faiss_clone_index(const FaissIndex *idx, FaissIndex **p_out)
{
    return guard([&] { *p_out = cx(faiss::clone_index(ix(idx))); });
}

/* ---------------- IndexIVF ---------------- */

FaissIndexIVF *faiss_IndexIVF_cast(FaissIndex *index)
{
    return reinterpret_cast<FaissIndexIVF *>(dynamic_cast<faiss::IndexIVF *>(ix(index)));
}
size_t faiss_IndexIVF_nlist(const FaissIndexIVF *obj)
{
    return reinterpret_cast<const faiss::IndexIVF *>(obj)->nlist;
}
size_t faiss_IndexIVF_nprobe(const FaissIndexIVF *obj)
{
    return reinterpret_cast<const faiss::IndexIVF *>(obj)->nprobe;
}
void faiss_IndexIVF_set_nprobe(FaissIndexIVF *obj, size_t v)
{
    reinterpret_cast<faiss::IndexIVF *>(obj)->nprobe = v;
}
FaissIndex *faiss_IndexIVF_quantizer(const FaissIndexIVF *obj)
{
    return cx(reinterpret_cast<const faiss::IndexIVF *>(obj)->quantizer);
}
size_t faiss_IndexIVF_get_list_size(const FaissIndexIVF *index, size_t list_no)
{
    return reinterpret_cast<const faiss::IndexIVF *>(index)->get_list_size(list_no);
}
/* void in the C API (no error return): on a FAISS exception (a bad list
 * number) nothing is written, as upstream would crash instead */
void faiss_IndexIVF_invlists_get_ids(const FaissIndexIVF *index, size_t list_no, idx_t *invlist)
{
    guard([&] {
        const faiss::InvertedLists *il = reinterpret_cast<const faiss::IndexIVF *>(index)->invlists;
        size_t n = il->list_size(list_no);
        faiss::InvertedLists::ScopedIds ids(il, list_no);
        std::copy(ids.get(), ids.get() + n, invlist);
    });
}

/* ---------------- I/O ---------------- */

int faiss_write_index(const FaissIndex *idx, FILE *f)
{
    return guard([&] { faiss::write_index(ix(idx), f); });
}

int faiss_write_index_fname(const FaissIndex *idx, const char *fname)
{
    return guard([&] { faiss::write_index(ix(idx), fname); });
}

int faiss_read_index(FILE *f, int io_flags, FaissIndex **p_out)
{
    return guard([&] { *p_out = cx(faiss::read_index(f, read_flags(io_flags))); });
}

int faiss_read_index_fname(const char *fname, int io_flags, FaissIndex **p_out)
{
    return guard([&] { *p_out = cx(faiss::read_index(fname, read_flags(io_flags))); });
}

/* ---------------- ParameterSpace ---------------- */

int faiss_ParameterSpace_new(FaissParameterSpace **space)
{
    return guard([&] { *space = reinterpret_cast<FaissParameterSpace *>(new faiss::ParameterSpace()); });
}

void faiss_ParameterSpace_free(FaissParameterSpace *obj) { delete px(obj); }

int faiss_ParameterSpace_set_index_parameter(const FaissParameterSpace *space, FaissIndex *index,
                                             const char *name, double value)
{
    return guard([&] { px(space)->set_index_parameter(ix(index), name, value); });
}

int faiss_ParameterSpace_set_index_parameters(const FaissParameterSpace *space, FaissIndex *index,
                                              const char *params)
{
    return guard([&] { px(space)->set_index_parameters(ix(index), params); });
}

} /* extern "C" */

/* A marker (not part of the FAISS C API) so tests can tell this shim from a
 * real libfaiss_c and check the flag mapping that only the shim does. */
extern "C" const int semindex_faiss_c_shim = 1;
