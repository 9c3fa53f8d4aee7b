/*
 * fuzz_records.c - libFuzzer target: the jsonl / tsv / csv / txt record
 * readers (splitting, CSV quoting, header and column lookup, UTF-8 repair,
 * the record cap) on arbitrary bytes fed in arbitrary block sizes.
 * Byte 0 picks the format and options, byte 1 the block size (odd: jsonl
 * lines take the in-place text path); the rest is the entry.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_level = LOG_QUIET; /* messages are not what is tested: keep the runs fast */
    if (size < 2) return 0;
    static const char *const names[] = { "f.jsonl", "f.tsv", "f.csv", "f.txt", "f.ndjson", "f.md", "f.TSV", "f.CSV" };
    uint8_t sel = data[0], blk = data[1];
    struct src_options o = SRC_OPTIONS_INIT;
    if (sel & 0x08) o.id_field = "id";
    if (sel & 0x10) o.column = "2";
    if (sel & 0x20) o.max_record = 64; /* the overlong-record path */
    if (sel & 0x40) o.max_entry = 4096;
    o.strict = (sel & 0x80) != 0;
    if (blk & 1) o.big_record = 1; /* jsonl: the in-place text path for every line */
    struct src_stats st = { 0 };
    src_read_mem(names[sel & 7], data + 2, size - 2, blk ? (size_t)blk : 65536, &o, fuzz_on_doc, NULL, &st);
    if (st.docs > size) abort();
    return 0;
}
