/*
 * fuzz_common.h - checks shared by the source-reader targets: every document
 * handed out is non-empty valid UTF-8 without NUL, with a sane entry name.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "ingest/source/source.h"

static int fuzz_on_doc(void *ctx, const struct src_doc *d)
{
    (void)ctx;
    if (!d->entry || !d->entry[0] || !d->text || d->len == 0) abort();
    if (memchr(d->text, 0, d->len) || !utf8_valid(d->text, d->len)) abort();
    if (d->ext_id && d->ext_id_len && memchr(d->ext_id, 0, d->ext_id_len)) abort();
    return 0;
}

#endif
