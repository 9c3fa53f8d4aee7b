/*
 * ngram.h - the built-in lexical encoder "builtin:ngram" (internal to
 * ingest/encoder; used through encoder.h).
 *
 * Character n-gram feature hashing, no files needed:
 *   1. NFC-normalize the text (utf8proc), replace every whitespace run by one
 *      space, strip leading/trailing spaces;
 *   2. take every n-gram of code points for n = 1..3;
 *   3. hash each (xxh3 64-bit, seeded by n): bucket = h mod 768,
 *      sign = +1 if bit 63 of h is 0 else -1;
 *   4. each distinct n-gram adds sign * (1 + ln(count)) to its bucket
 *      (sublinear term frequency);
 *   5. L2-normalize (an empty text gives the zero vector).
 * It is lexical, not semantic: texts that share characters score high,
 * paraphrases with different words do not.
 */
#ifndef SEMINDEX_NGRAM_H
#define SEMINDEX_NGRAM_H

#include <stddef.h>

#define NGRAM_DIM 768

/* ngram_embed: embed one text into out[NGRAM_DIM]; returns the number of
 * code points used (>= 0) or ERR_NOMEM. Thread-safe. */
long ngram_embed(const char *text, size_t len, float *out);

#endif
