/*
 * faiss_c_ext_add.cpp - SEMINDEX EXTENSION to the FAISS C API, not part of
 * upstream FAISS: IVF adds with precomputed list assignments and exactly
 * reserved inverted lists (see faiss_c_ext_add.h for the contract and the
 * reason). Compiled by the Makefile in every configuration: with a real
 * libfaiss_c (whose faiss_last_exception, declared in error_impl.h, it sets)
 * as with our shim faiss_c.cpp (which defines it).
 *
 * Written against FAISS 1.7.3's C++ API: IndexIVF::add_core (the add with
 * precomputed_idx), quantizer->assign, ArrayInvertedLists' public vectors,
 * IndexPreTransform::apply_chain.
 */
#include <exception>
#include <memory>
#include <stdexcept>

#include <faiss/Index.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/impl/FaissException.h>
#include <faiss/invlists/InvertedLists.h>

#include <faiss/c_api/error_c.h>
#include <faiss/c_api/error_impl.h>

#include "index/ann/faiss_c/faiss_c_ext_add.h"
#include "index/ann/faiss_c/faiss_c_guard.h"

namespace {

/* the IVF index inside index (through pre-transforms), or nullptr */
faiss::IndexIVF *find_ivf(faiss::Index *index)
{
    while (index) {
        if (auto *ivf = dynamic_cast<faiss::IndexIVF *>(index)) return ivf;
        auto *pt = dynamic_cast<faiss::IndexPreTransform *>(index);
        index = pt ? pt->index : nullptr;
    }
    return nullptr;
}

faiss::IndexIVF *need_ivf(faiss::Index *index)
{
    faiss::IndexIVF *ivf = find_ivf(index);
    if (!ivf) throw faiss::FaissException("semindex extension: not an IVF index (nor a pre-transform of one)");
    return ivf;
}

/* transformed: x through the pre-transforms between index and ivf (the
 * input itself when there are none); owned holds what was allocated */
const float *transformed(faiss::Index *index, faiss::IndexIVF *ivf, idx_t n, const float *x,
                         std::unique_ptr<const float[]> &owned)
{
    const float *cur = x;
    for (faiss::Index *i = index; i != ivf;) {
        auto *pt = dynamic_cast<faiss::IndexPreTransform *>(i);
        if (!pt) throw faiss::FaissException("semindex extension: unexpected index in the chain");
        const float *next = pt->apply_chain(n, cur);
        if (next != cur) owned.reset(next);
        cur = next;
        i = pt->index;
    }
    return cur;
}

/* ntotal of the pre-transforms above ivf follows the IVF index's */
void sync_ntotal(faiss::Index *index, faiss::IndexIVF *ivf)
{
    for (faiss::Index *i = index; i != ivf;) {
        auto *pt = dynamic_cast<faiss::IndexPreTransform *>(i);
        pt->ntotal = ivf->ntotal;
        i = pt->index;
    }
}

faiss::Index *ix(FaissIndex *p) { return reinterpret_cast<faiss::Index *>(p); }

} // namespace

extern "C" {

int semindex_faiss_IndexIVF_nlist(const FaissIndex *index, size_t *nlist)
{
    return guard([&] {
        faiss::IndexIVF *ivf = find_ivf(ix(const_cast<FaissIndex *>(index)));
        *nlist = ivf ? ivf->nlist : 0;
    });
}

int semindex_faiss_IndexIVF_assign(const FaissIndex *index, idx_t n, const float *x, idx_t *list_nos)
{
    return guard([&] {
        faiss::Index *top = ix(const_cast<FaissIndex *>(index));
        faiss::IndexIVF *ivf = need_ivf(top);
        if (!ivf->is_trained) throw faiss::FaissException("semindex extension: assign on an untrained index");
        std::unique_ptr<const float[]> owned;
        const float *xt = transformed(top, ivf, n, x, owned);
        ivf->quantizer->assign(n, xt, list_nos);
    });
}

int semindex_faiss_IndexIVF_reserve(FaissIndex *index, const size_t *extra)
{
    return guard([&] {
        faiss::IndexIVF *ivf = need_ivf(ix(index));
        auto *al = dynamic_cast<faiss::ArrayInvertedLists *>(ivf->invlists);
        if (!al) return;
        for (size_t l = 0; l < ivf->nlist; l++) {
            if (!extra[l]) continue;
            size_t want = al->ids[l].size() + extra[l];
            al->ids[l].reserve(want);
            al->codes[l].reserve(want * al->code_size);
        }
    });
}

int semindex_faiss_IndexIVF_add_preassigned(FaissIndex *index, idx_t n, const float *x, const idx_t *xids,
                                            const idx_t *list_nos)
{
    return guard([&] {
        faiss::Index *top = ix(index);
        faiss::IndexIVF *ivf = need_ivf(top);
        if (!ivf->is_trained) throw faiss::FaissException("semindex extension: add to an untrained index");
        std::unique_ptr<const float[]> owned;
        const float *xt = transformed(top, ivf, n, x, owned);
        ivf->add_core(n, xt, xids, list_nos);
        sync_ntotal(top, ivf);
    });
}

} // extern "C"
