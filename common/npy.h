/*
 * npy.h - the NumPy .npy header for a float32 matrix (embed --format npy,
 * export --format npy).
 *
 * Layout (NumPy format 1.0, numpy/lib/format.py):
 *   1. 6 bytes magic "\x93NUMPY", 2 bytes version 1.0
 *   2. 2 bytes little-endian header length H
 *   3. H bytes: the Python dict literal
 *      "{'descr': '<f4', 'fortran_order': False, 'shape': (ROWS, COLS), }",
 *      padded with spaces and ended by '\n' so the data starts at a multiple
 *      of 64 bytes
 *   4. ROWS x COLS float32, row-major, little-endian: the caller writes them
 *      as they are in memory (semindex builds for little-endian hosts only).
 *
 *     if (npy_write_header(f, n, dim) < 0) return ...;   // then fwrite the rows
 */
#ifndef SEMINDEX_NPY_H
#define SEMINDEX_NPY_H

#include <stdint.h>
#include <stdio.h>

/* npy_write_header: write the header of a (rows, cols) float32 array to f.
 * Returns 0, or ERR_IO with the errno text. */
int npy_write_header(FILE *f, uint64_t rows, int cols);

#endif
