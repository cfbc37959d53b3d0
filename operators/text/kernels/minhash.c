/* MinHash signatures of UTF-8 texts in one pass per text (operators/text/kernels/minhash.py states the definition). */
#include "common.h"

#define EMPTY_BIN 0xFFFFFFFFu
#define GOLDEN 0x9E3779B1ULL

/* Whether a code point is whitespace, as Python's str.split() sees it. */
static inline int is_space(uint64_t point) {
    if (point <= 32) return point == 32 || (point >= 9 && point <= 13);
    if (point < 0x85) return 0;
    return point == 0x85 || point == 0xA0 || point == 0x1680 || (point >= 0x2000 && point <= 0x200A)
           || point == 0x2028 || point == 0x2029 || point == 0x202F || point == 0x205F || point == 0x3000;
}

/* Code points of valid UTF-8 data[start:end] into units; returns how many. */
static int64_t decode(const uint8_t *restrict data, uint64_t start, uint64_t end, uint64_t *restrict units) {
    uint64_t count = 0, i = start;
    while (i < end) {
        uint64_t lead = data[i];
        if (lead < 0x80) {
            units[count++] = lead;
            i++;
            continue;
        }
        uint64_t value, size;
        if (lead < 0xE0) {
            value = lead & 0x1F;
            size = 2;
        } else if (lead < 0xF0) {
            value = lead & 0x0F;
            size = 3;
        } else {
            value = lead & 0x07;
            size = 4;
        }
        for (uint64_t k = 1; k < size; k++) value = (value << 6) | (data[i + k] & 0x3Fu);
        units[count++] = value;
        i += size;
    }
    return (int64_t)count;
}

/* Replaces the first count code points in units by one hash per word; returns the number of words. */
static int64_t word_units(uint64_t *restrict units, int64_t count) {
    int64_t words = 0;
    uint64_t position = 0, total = 0;
    for (int64_t i = 0; i < count; i++) {
        uint64_t point = units[i];
        if (is_space(point)) {
            if (position > 0) units[words++] = mix64(total);
            position = 0;
            total = 0;
        } else {
            total += mix64(point * FNV_PRIME + position);
            position++;
        }
    }
    if (position > 0) units[words++] = mix64(total);
    return words;
}

/* Offers a mixed shingle hash to its bin: the high 32 bits pick the bin, the low 32 bits compete for its minimum. */
static inline void keep(uint32_t *restrict signature, uint64_t value, uint64_t num_perm) {
    uint64_t slot = ((value >> 32) * num_perm) >> 32;
    uint32_t low = (uint32_t)value, held = signature[slot];
    signature[slot] = low < held ? low : held; /* always stored: a taken-or-not branch here is a coin flip */
}

/* Every n-gram of units[0:count] (or the whole text, if shorter) into signature, as a rolling polynomial hash. */
static void shingle(uint32_t *restrict signature, uint64_t num_perm, const uint64_t *restrict units, int64_t count,
                    int64_t n) {
    uint64_t value = 0;
    if (count < n) {
        for (int64_t i = 0; i < count; i++) value = value * FNV_PRIME + units[i];
        keep(signature, mix64(value), num_perm);
        return;
    }
    uint64_t top = 1; /* P ** n: the weight, after the step, of the unit leaving the window */
    for (int64_t k = 0; k < n; k++) top *= FNV_PRIME;
    for (int64_t i = 0; i < n; i++) value = value * FNV_PRIME + units[i];
    keep(signature, mix64(value), num_perm);
    for (uint64_t leaving = 0, i = (uint64_t)n; i < (uint64_t)count; leaving++, i++) {
        value = value * FNV_PRIME + (units[i] - units[leaving] * top); /* one multiply-add on the carried chain */
        keep(signature, mix64(value), num_perm);
    }
}

/* Fills each empty bin from the next non-empty bin to its right (circularly), plus distance * 0x9E3779B1. */
static void densify(uint32_t *restrict signature, int64_t width) {
    int64_t first = -1;
    for (int64_t j = 0; j < width; j++) {
        if (signature[j] != EMPTY_BIN) {
            first = j;
            break;
        }
    }
    if (first < 0) return;
    int64_t following = first + width; /* the next non-empty bin, counted past the end for the wrap */
    for (int64_t j = width - 1; j >= 0; j--) {
        if (signature[j] != EMPTY_BIN) {
            following = j;
        } else {
            uint64_t source = signature[following < width ? following : following - width];
            signature[j] = (uint32_t)(source + (uint64_t)(following - j) * GOLDEN);
        }
    }
}

/* Signatures of the texts data[offsets[r]:offsets[r + 1]] into rows r of out (rows x num_perm); units holds the
   code points of the longest text (as many as its bytes). */
void dfk_minhash_fill_signatures(const uint8_t *restrict data, const int64_t *restrict offsets, int64_t rows,
                                 int64_t n, int64_t words, uint64_t *restrict units, uint32_t *restrict out,
                                 int64_t num_perm) {
    if (num_perm <= 0) return;
    for (int64_t row = 0; row < rows; row++) {
        uint32_t *restrict signature = out + row * num_perm;
        for (int64_t j = 0; j < num_perm; j++) signature[j] = EMPTY_BIN;
        int64_t count = decode(data, (uint64_t)offsets[row], (uint64_t)offsets[row + 1], units);
        if (words) count = word_units(units, count);
        if (count == 0) continue;
        shingle(signature, (uint64_t)num_perm, units, count, n);
        densify(signature, num_perm);
    }
}
