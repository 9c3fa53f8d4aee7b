/*
 * config.c - split an INI-like file into (section-key, value, line) entries.
 */
#include "pipeline/config.h"

#include <ctype.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/mem.h"

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s)) s++;
    while (end > s && isspace((unsigned char)end[-1])) end--;
    *end = 0;
    return s;
}

static int push(struct config *c, const char *section, const char *key, const char *value, int line)
{
    FORWARD_ERR(MEM_GROW(c->e, c->n + 1, c->cap));
    struct buf k = BUF_INIT;
    if (*section) FORWARD_ERR(buf_printf(&k, "%s-%s", section, key));
    else FORWARD_ERR(buf_puts(&k, key));
    for (char *p = k.data; *p; p++)
        if (*p == '_') *p = '-';
    struct config_entry *e = &c->e[c->n];
    e->key = buf_detach(&k, NULL);
    e->value = mem_strdup(value);
    e->line = line;
    if (!e->key || !e->value) {
        mem_free(e->key);
        mem_free(e->value);
        return err_nomem();
    }
    c->n++;
    return 0;
}

int config_load(struct config *c, const char *path)
{
    struct buf b = BUF_INIT;
    int rc = fs_read_file(path, &b, 1 << 20);
    if (rc < 0) return rc;
    c->path = mem_strdup(path);
    char section[64] = "";
    int line = 0;
    char *p = b.data ? b.data : (char *)"";
    while (rc == 0 && *p) {
        char *nl = strchr(p, '\n');
        char *end = nl ? nl : p + strlen(p);
        line++;
        char *s = trim(p, end);
        p = nl ? nl + 1 : end;
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            size_t n = strlen(s);
            if (s[n - 1] != ']' || n < 3 || n - 2 >= sizeof section) {
                rc = err_set(ERR_FORMAT, "'%s' line %d: malformed section header '%s'", path, line, s);
                break;
            }
            memcpy(section, s + 1, n - 2);
            section[n - 2] = 0;
            char *t = trim(section, section + strlen(section));
            memmove(section, t, strlen(t) + 1);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = err_set(ERR_FORMAT, "'%s' line %d: expected 'key = value', got '%s'", path, line, s);
            break;
        }
        char *key = trim(s, eq);
        char *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
        if (*val != '"') /* " # comment" or " ; comment" ends an unquoted value */
            for (char *q = val + 1; *q; q++)
                if ((*q == '#' || *q == ';') && isspace((unsigned char)q[-1])) {
                    val = trim(val, q);
                    break;
                }
        size_t vn = strlen(val);
        if (vn >= 2 && val[0] == '"' && val[vn - 1] == '"') {
            val[vn - 1] = 0;
            val++;
        }
        if (!*key) {
            rc = err_set(ERR_FORMAT, "'%s' line %d: empty key", path, line);
            break;
        }
        rc = push(c, section, key, val, line);
    }
    buf_release(&b);
    return rc;
}

void config_release(struct config *c)
{
    for (size_t i = 0; i < c->n; i++) {
        mem_free(c->e[i].key);
        mem_free(c->e[i].value);
    }
    mem_free(c->e);
    mem_free(c->path);
    memset(c, 0, sizeof *c);
}
