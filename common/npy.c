/*
 * npy.c - the NumPy format 1.0 header of a float32 matrix (npy.h).
 */
#include "common/npy.h"

#include <errno.h>
#include <string.h>

#include "common/err.h"

int npy_write_header(FILE *f, uint64_t rows, int cols)
{
    char dict[128];
    int dn = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %d), }",
                      (unsigned long long)rows, cols);
    size_t total = 10 + (size_t)dn + 1;   /* magic, version, length; dict; '\n' */
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)dn + pad + 1;
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                              (unsigned char)(hlen >> 8) };
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)dn, f) != (size_t)dn) goto fail;
    for (size_t i = 0; i < pad; i++)
        if (fputc(' ', f) == EOF) goto fail;
    if (fputc('\n', f) == EOF) goto fail;
    return 0;
fail:
    return err_set(ERR_IO, "write failed: %s", strerror(errno));
}
