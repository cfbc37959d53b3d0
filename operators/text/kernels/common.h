/* Shared by the compiled text kernels (operators/text/kernels/<name>.c): integer types and the hashes. */
#ifndef DATAFLOW_KERNELS_COMMON_H
#define DATAFLOW_KERNELS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET 0xCBF29CE484222325ULL
#define FNV_PRIME 0x100000001B3ULL

/* splitmix64's finaliser. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* FNV-1a of data[start:end]. */
static inline uint64_t fnv1a(const uint8_t *data, uint64_t start, uint64_t end) {
    uint64_t value = FNV_OFFSET;
    for (uint64_t k = start; k < end; k++) value = (value ^ data[k]) * FNV_PRIME;
    return value;
}

/* The power of two at least twice count: an open-addressing table that is at most half full. */
static inline int64_t table_width(int64_t count) {
    int64_t width = 1;
    while (width < 2 * count) width *= 2;
    return width;
}

#endif
