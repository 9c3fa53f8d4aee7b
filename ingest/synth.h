/*
 * synth.h - the one synthetic corpus of the tests and benchmarks: Korean-like
 * sentences, documents of them as jsonl lines, written as tar.zst shards.
 *
 * Sentence i is a pure function of i (4 to 11 words of a 32-word Korean
 * vocabulary and a number, ending in "."), so a test can compute the text it
 * expects in any chunk. Every 7th sentence repeats an earlier one (i % 7 == 6
 * is sentence i - 5), so a corpus always holds duplicate texts for dedup to
 * find. Each sentence is one chunk under sentence segmentation.
 *
 *     struct buf b = BUF_INIT;
 *     synth_docs(&b, 0, 0, 100, 3, 0);                       // 100 jsonl lines
 *     struct synth_entry e = { "docs.jsonl", b.data, b.len };
 *     synth_write_tar(path, &e, 1);
 *
 * Not a model of real text: no vocabulary growth, no long documents.
 */
#ifndef SEMINDEX_SYNTH_H
#define SEMINDEX_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* synth_sentence: sentence i, appended to out. 0 or ERR_NOMEM. */
int synth_sentence(struct buf *out, uint64_t i);

/* synth_docs: n_docs jsonl lines appended to out, document k being
 * {"id": "d<id0 + k>", "text": "<sentences s0 + k*per_doc ... + per_doc - 1>"}
 * joined by spaces; salt is added to the index of each document's second
 * sentence (a changed version of the same documents). 0 or ERR_NOMEM. */
int synth_docs(struct buf *out, uint64_t id0, uint64_t s0, int n_docs, int per_doc, int salt);

struct synth_entry {
    const char *name;   /* path inside the archive */
    const void *data;
    size_t len;
};

/* synth_write_tar: a pax tar, zstd-compressed, holding e[0..n) as regular
 * files (mode 0644), at path (replaced). 0 or ERR_IO naming path. */
int synth_write_tar(const char *path, const struct synth_entry *e, size_t n);

#endif
