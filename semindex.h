/*
 * semindex.h - the public C API of libsemindex.a.
 *
 * Embed the tokenizer, encoder and store in another C program without the
 * CLI: compile with -I<semindex source root> -I<root>/common, link
 * build/libsemindex.a with the libraries the Makefile's LIBS names (after
 * `make install`: cc app.c $(pkg-config --cflags --libs semindex)). Each
 * module header documents its calling sequence, ownership and threading;
 * errors follow common/err.h (0 or a negative enum err_code, the detail in
 * err_msg()).
 */
#ifndef SEMINDEX_H
#define SEMINDEX_H

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"                /* FAISS through its C API */
#include "index/build.h"                  /* FAISS index planning, training, manifest */
#include "index/store/store.h"            /* the LMDB store: chunks, texts, vectors */
#include "ingest/discover.h"              /* globs and directories -> shard files */
#include "ingest/encoder/encoder.h"       /* model directory -> sentence vectors */
#include "ingest/ingest.h"                /* shards -> chunks -> vectors -> store */
#include "ingest/tokenizer/tokenizer.h"   /* tokenizer.json -> token ids */
#include "query/eval.h"                   /* STS evaluation */
#include "query/mine.h"                   /* paraphrase mining, clusters */
#include "query/report.h"                 /* tsv / jsonl / html reports */
#include "query/search.h"                 /* texts or a chunk -> nearest chunks (search_query) */

#endif
