/*
 * json.c - jansson helpers (see json.h).
 */
#include "common/json.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/utf8.h"

int json_load_path(const char *path, size_t max_bytes, json_t **out)
{
    *out = NULL;
    struct buf b = BUF_INIT;
    int rc = fs_read_file(path, &b, max_bytes ? max_bytes : (size_t)256 << 20);
    if (rc < 0) {
        buf_release(&b);
        return rc;
    }
    json_error_t je;
    json_t *j = json_loadb(b.data ? b.data : "", b.len, JSON_ALLOW_NUL, &je);
    buf_release(&b);
    if (!j)
        return err_set(ERR_FORMAT, "cannot parse '%s': %s at line %d, column %d", path, je.text,
                       je.line, je.column);
    *out = j;
    return 0;
}

int json_get_int(json_t *obj, const char *key, const char *what, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) { *out = json_integer_value(v); return 0; }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) { *out = (int64_t)d; return 0; }
    }
    return err_set(ERR_FORMAT, "'%s': key '%s' must be an integer", what, key);
}

int json_get_num(json_t *obj, const char *key, const char *what, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return err_set(ERR_FORMAT, "'%s': key '%s' must be a number", what, key);
    *out = json_number_value(v);
    return 0;
}

int json_get_bool(json_t *obj, const char *key, const char *what, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return err_set(ERR_FORMAT, "'%s': key '%s' must be true or false", what, key);
    *out = json_is_true(v);
    return 0;
}

int json_get_str(json_t *obj, const char *key, const char *what, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return err_set(ERR_FORMAT, "'%s': key '%s' must be a string", what, key);
    *out = json_string_value(v);
    return 0;
}

json_t *json_str(const char *s, size_t n)
{
    if (utf8_valid(s, n)) return json_stringn_nocheck(s, n);
    struct buf b = BUF_INIT;
    json_t *j = utf8_sanitize(&b, s, n) < 0 ? NULL : json_stringn_nocheck(b.data, b.len);
    buf_release(&b);
    return j;
}

static int dump_cb(const char *p, size_t n, void *ctx) { return buf_append(ctx, p, n) < 0 ? -1 : 0; }

int json_dump_buf(const json_t *v, size_t flags, struct buf *out)
{
    if (!v || json_dump_callback(v, dump_cb, out, flags) < 0) return err_nomem();
    return 0;
}
