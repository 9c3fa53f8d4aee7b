/*
 * fuzz_config.c - libFuzzer target: config.json and 1_Pooling/config.json
 * parsers on arbitrary JSON. Every input is accepted with sane values
 * (positive sizes, head size dividing hidden size) or rejected with an error.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ingest/model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j) return 0;
    struct model_config c;
    if (mdl_parse_config(j, "config.json", &c) == 0) {
        if (c.hidden <= 0 || c.heads <= 0 || c.layers <= 0 || c.head_dim * c.heads != c.hidden ||
            c.pad_id < 0 || c.pad_id >= c.vocab)
            abort();
    }
    struct model_pooling p;
    if (mdl_parse_pooling(j, "1_Pooling/config.json", 64, &p) == 0 && (p.out_dim <= 0 || p.out_dim > 6 * 64))
        abort();
    enum model_act a;
    if (json_is_string(j)) mdl_act_from_name(json_string_value(j), &a);
    json_decref(j);
    return 0;
}
