/*
 * segment.h - split a document into chunks: the whole document, lines,
 * sentences, paragraphs, or windows of N tokens with overlap.
 *
 * Every chunk is a byte span [start, end) of the document text, stripped of
 * leading and trailing whitespace (Python str.strip()); empty chunks are
 * dropped. Spans are in document order and never overlap, except windows
 * that overlap by design.
 *
 *     struct seg_options o = SEG_OPTIONS_INIT;   // sentence
 *     struct seg_spans sp = { 0 };
 *     seg_split(&o, text, len, &sp);            // sp.v[0..sp.n)
 *     seg_spans_release(&sp);
 *
 * Sentences (Korean-aware; text is valid UTF-8):
 *   - a line break ends a sentence (corpora keep one sentence or paragraph
 *     per line; hard-wrapped prose is not their shape);
 *   - a run of terminators . ! ? 。 ！ ？ (with any closing quotes and
 *     brackets right after it: " ' ” ’ ) ] } 」 』 》 〉) ends a sentence when
 *     followed by whitespace or the end; after a Hangul syllable it also ends
 *     one when the next character is Hangul or an opening quote, since Korean
 *     informal text often omits the space ("좋았다.그런데");
 *   - not an end: a terminator inside quotes or brackets opened in the same
 *     sentence ("그가 \"네. 좋아요.\"라고 했다." is one sentence); a quote
 *     closed after a terminator and followed by a quotative particle
 *     (라고 하고 고 라며 며 라는); "." in numbers (3.14, 2024.1.1) or after a
 *     list number at a sentence start ("1. 첫째"); "." after an initial or a
 *     short abbreviation (Mr. Dr. Prof. St. vs. etc. e.g. i.e. No.);
 *   - ellipses (.. ... … ……) continue a sentence unless they follow a
 *     sentence-final syllable (다 요 까 죠 네 군 니) or end the line.
 * Paragraphs: separated by one or more blank (whitespace-only) lines.
 * Windows: n_tokens tokens per window, each next window starting
 * window - overlap tokens later; the last window ends at the last token.
 * Tokens are the model tokenizer's (tok_encode with offsets, no special
 * tokens, no truncation) when o.tok is set, else whitespace-separated words
 * (the builtin encoder has no tokenizer). A document shorter than one window
 * is one chunk.
 *
 * Threading: no shared state (o.tok is immutable and thread-safe).
 */
#ifndef SEMINDEX_SEGMENT_H
#define SEMINDEX_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

struct tok;

enum seg_mode { SEG_DOC, SEG_LINE, SEG_SENTENCE, SEG_PARAGRAPH, SEG_WINDOW };

struct seg_options {
    enum seg_mode mode;
    int window;             /* tokens per window (SEG_WINDOW), > overlap */
    int overlap;            /* tokens shared by consecutive windows, >= 0 */
    const struct tok *tok;  /* NULL: words */
};
#define SEG_OPTIONS_INIT { SEG_SENTENCE, 256, 32, NULL }

struct seg_span {
    size_t start, end;      /* bytes in the document */
};

struct seg_spans {
    struct seg_span *v;
    size_t n, cap;
};

/* seg_split: chunks of text[0..len) into out (reset first). Returns 0,
 * ERR_NOMEM, or ERR_INVALID for bad window settings. */
int seg_split(const struct seg_options *o, const char *text, size_t len, struct seg_spans *out);
void seg_spans_release(struct seg_spans *s);

/* seg_parse_mode: "doc" "line" "sentence" "paragraph" "window". */
int seg_parse_mode(const char *s, enum seg_mode *out);
const char *seg_mode_name(enum seg_mode m);
/* seg_mode_names: the names in enum seg_mode's order, NULL-terminated. */
extern const char *const seg_mode_names[];

#endif
