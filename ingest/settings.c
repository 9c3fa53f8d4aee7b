/*
 * settings.c - the settings of an ingest_run as the store keeps them: meta
 * "settings" (JSON: segmentation, reader options and caps, shown by stats and
 * compared by merge) and the settings hash each shard record carries, so a
 * shard made with other chunk-shaping settings is read again (internal.h).
 */
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "ingest/internal.h"
#include "ingest/job.h"

static int settings_fn(struct store_txn *t, void *ctx)
{
    struct buf *b = ctx;
    return store_put_meta(t, "settings", b->data, b->len);
}

/* settings_json: the segmentation and reader options of this run as saved in
 * meta "settings". canon: window and overlap only where they shape chunks. */
static int settings_json(const struct ingest_options *o, int canon, struct buf *b)
{
    const char *idf = o->src.id_field ? o->src.id_field : "";
    int win = !canon || o->seg.mode == SEG_WINDOW;
    json_t *j = json_pack("{ss si si so so so sI sI sI}", "segment", seg_mode_name(o->seg.mode), "window",
                          win ? o->seg.window : 0, "overlap", win ? o->seg.overlap : 0, "text_field",
                          json_str(o->src.text_field, strlen(o->src.text_field)), "id_field",
                          json_str(idf, strlen(idf)), "column", json_str(o->src.column, strlen(o->src.column)),
                          "max_entry", (json_int_t)o->src.max_entry, "max_shard", (json_int_t)o->src.max_shard,
                          "max_record", (json_int_t)o->src.max_record);
    int rc = json_dump_buf(j, JSON_DUMP_FLAGS, b);
    json_decref(j);
    return rc;
}

/* log_settings_change: name the settings that differ from the last run's
 * (shards made with the old ones are read again). */
static void log_settings_change(const struct ingest_job *j, const struct buf *old, const struct buf *now)
{
    json_error_t je;
    json_t *a = json_loadb(old->data, old->len, 0, &je), *b = json_loadb(now->data, now->len, 0, &je);
    struct buf msg = BUF_INIT;
    const char *k;
    json_t *vb;
    if (json_is_object(a) && json_is_object(b))
        json_object_foreach(b, k, vb) {
            json_t *va = json_object_get(a, k);
            if (va && json_equal(va, vb)) continue;
            if (j->o->seg.mode != SEG_WINDOW && (!strcmp(k, "window") || !strcmp(k, "overlap"))) continue;
            char *sa = va ? json_dumps(va, JSON_ENCODE_ANY) : NULL, *sb = json_dumps(vb, JSON_ENCODE_ANY);
            buf_printf(&msg, "%s%s %s -> %s", msg.len ? ", " : "", k, sa ? sa : "(none)", sb ? sb : "?");
            free(sa);
            free(sb);
        }
    if (msg.len)
        log_info("store '%s': settings differ from the last ingest (%s): shards made with other settings are "
                 "read again and replace their old chunks", store_dir(j->s), msg.data);
    buf_release(&msg);
    json_decref(a);
    json_decref(b);
}

/* ingest_save_settings: meta "settings" of this run, and j->settings, the hash a
 * shard record keeps of the settings that shaped its chunks: segmentation,
 * reader options and caps, and for token windows the model fingerprint (its
 * tokenizer cuts them; the vectors' model is the store's, see ingest_check_model in reembed.c).
 * A record of an older semindex has no hash: it counts as made with these
 * settings when they equal the store's last "settings" (legacy_same). */
int ingest_save_settings(struct ingest_job *j)
{
    struct buf b = BUF_INIT, old = BUF_INIT;
    struct store_txn *t;
    int rc = store_read_begin(j->s, &t);
    if (rc == 0) {
        int g = store_get_meta(t, "settings", &old);
        store_read_end(t);
        if (g < 0 && g != ERR_NOTFOUND) rc = g;
        j->legacy_same = g == ERR_NOTFOUND;
        err_clear();
    }
    if (rc == 0) rc = settings_json(j->o, 1, &b);
    /* token windows are cut by the model's tokenizer; other chunks are not
     * (--reembed recomputes token counts and vectors of stored chunks) */
    if (rc == 0 && j->o->seg.mode == SEG_WINDOW && buf_printf(&b, "\nmodel %s", enc_fingerprint(j->e)) < 0)
        rc = err_nomem();
    if (rc == 0) {
        struct hash128 h = hash128(b.data, b.len);
        j->settings = h.lo ? h.lo : 1;
        buf_reset(&b);
        rc = settings_json(j->o, 0, &b);
    }
    if (rc == 0 && old.len == b.len && !memcmp(old.data, b.data, b.len)) j->legacy_same = 1;
    else if (rc == 0 && old.len) log_settings_change(j, &old, &b);
    if (rc == 0) rc = store_write(j->s, settings_fn, &b);
    buf_release(&b);
    buf_release(&old);
    return rc;
}
