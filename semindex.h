/*
 * semindex.h - the public C API of libsemindex.a.
 *
 * Embed the tokenizer, encoder and store in another C program without the
 * CLI: compile with -I<semindex source root> -I<root>/common, link
 * build/libsemindex.a with the libraries the Makefile's LIBS names. Each
 * module header documents its calling sequence, ownership and threading;
 * errors follow common/err.h (0 or a negative enum err_code, the detail in
 * err_msg()).
 */
#ifndef SEMINDEX_H
#define SEMINDEX_H

#include "common/err.h"
#include "ingest/tokenizer/tokenizer.h"
#include "ingest/encoder/encoder.h"

#endif
