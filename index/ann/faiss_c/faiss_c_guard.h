/*
 * faiss_c_guard.h - the C API's error convention, for every C++ file of
 * this folder (the shim faiss_c.cpp and the semindex extensions, which are
 * compiled with a real libfaiss_c too): guard(f) runs f and turns an
 * exception into the C API's return code (FAISS_EXCEPT, STD_EXCEPT,
 * UNKNOWN_EXCEPT; OK otherwise), keeping it in the thread-local
 * faiss_last_exception that error_impl.h declares, so faiss_get_last_error()
 * gives its text. No C++ exception crosses into C.
 */
#ifndef SEMINDEX_FAISS_C_GUARD_H
#define SEMINDEX_FAISS_C_GUARD_H

#include <exception>
#include <stdexcept>

#include <faiss/impl/FaissException.h>

#include <faiss/c_api/error_c.h>
#include <faiss/c_api/error_impl.h>

template <typename F>
static int guard(F f)
{
    try {
        f();
    } catch (faiss::FaissException &e) {
        faiss_last_exception = std::make_exception_ptr(e);
        return FAISS_EXCEPT;
    } catch (std::exception &e) {
        faiss_last_exception = std::make_exception_ptr(e);
        return STD_EXCEPT;
    } catch (...) {
        faiss_last_exception = std::make_exception_ptr(std::runtime_error("unknown error"));
        return UNKNOWN_EXCEPT;
    }
    return OK;
}

#endif
