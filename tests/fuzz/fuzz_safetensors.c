/*
 * fuzz_safetensors.c - libFuzzer target: any byte string given to the
 * safetensors parser is either rejected with an error or yields tensors
 * that can all be read (converted to float32) without leaving the buffer.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/mem.h"
#include "ingest/model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_set *s = NULL;
    if (st_parse(data, size, "fuzz.safetensors", &s) < 0) return 0;
    for (size_t i = 0; i < st_count(s); i++) {
        const struct st_tensor *t = st_at(s, i);
        const float *f;
        float *owned;
        if (t->nbytes > (64u << 20)) continue;
        if (st_get_f32(s, t->name, t->ndim, t->shape, &f, &owned) == 0) {
            volatile float sink = 0;
            size_t n = t->nbytes / (t->dtype == ST_F32 ? 4 : 2);
            for (size_t k = 0; k < n; k++) sink += f[k];
            (void)sink;
            mem_free(owned);
        }
    }
    st_close(s);
    return 0;
}
