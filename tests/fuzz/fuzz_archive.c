/*
 * fuzz_archive.c - libFuzzer target: the archive and compressed-file reader
 * (libarchive over fuzzed archive bytes) with the project's caps scaled down
 * (1 MiB per entry, 4 MiB per shard, 64 KiB per record), so bombs are cut.
 * Byte 0 picks the shard name (format); the rest is the archive.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_level = LOG_QUIET; /* messages are not what is tested: keep the runs fast */
    if (size < 1) return 0;
    static const char *const names[] = {
        "s.tar", "s.tar.gz", "s.zip", "s.7z", "s.tar.zst", "s.tar.xz", "s.tar.bz2", "s.tgz",
        "s.jsonl.gz", "s.csv.zst", "s.txt.xz", "s.tsv.bz2", "s.tzst", "s.txz", "s.tar", "s.zip",
    };
    struct src_options o = SRC_OPTIONS_INIT;
    o.max_entry = 1 << 20;
    o.max_shard = 4 << 20;
    o.max_record = 64 << 10;
    o.id_field = "id";
    struct src_stats st = { 0 };
    src_read_mem(names[data[0] & 15], data + 1, size - 1, 0, &o, fuzz_on_doc, NULL, &st);
    if (st.bytes > (4u << 20)) abort();
    return 0;
}
