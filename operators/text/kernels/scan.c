/* The byte passes behind ByteScan and the byte-level refiners (operators/text/kernels/scan.py): the whitespace
 * mask, word bounds, collapsing whitespace, per-row counts of segments, token runs and flagged bytes, and
 * multi-needle row search.
 *
 * Rows are spans offsets[row]:offsets[row + 1] of the byte arrays. Each function that takes offsets first checks
 * that they rise, from 0 or more, to at most size (the length of its shortest per-byte array): then no pass reads
 * or writes outside the caller's buffers; otherwise it returns -1 and touches nothing. The loops are branch-free
 * where the data decides: a candidate is always stored, and the position only advances when it qualifies.
 *
 * Three passes look bytes up in a 256-entry table, which plain C cannot vectorise; on x86-64 CPUs with AVX2 they
 * test 32 bytes at a time instead (a byte set as two 16-entry nibble tables, looked up with vpshufb), chosen at
 * each call, and fall back to the portable loops elsewhere. Both give the same answers. */
#include "common.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DFK_X86 1
#define DFK_AVX2 __attribute__((target("avx2,popcnt")))
#endif

/* Whether offsets[0..rows] rise from 0 or more to at most size. */
static int rows_fit(const int64_t *restrict offsets, int64_t rows, int64_t size) {
    int64_t previous = 0;
    for (int64_t row = 0; row <= rows; row++) {
        if (offsets[row] < previous) return 0;
        previous = offsets[row];
    }
    return previous <= size;
}

#ifdef DFK_X86
/* The byte set {b : bit `bit` of set[b]} as nibble tables: bit h of low[n] says whether byte (h << 4) | n is in
 * it, bit h of high[n] whether byte ((h + 8) << 4) | n is. */
static void nibble_tables(const uint8_t *restrict set, int bit, uint8_t low[16], uint8_t high[16]) {
    for (int nibble = 0; nibble < 16; nibble++) {
        low[nibble] = high[nibble] = 0;
        for (int h = 0; h < 8; h++) {
            low[nibble] |= (uint8_t)(((set[h * 16 + nibble] >> bit) & 1) << h);
            high[nibble] |= (uint8_t)(((set[(h + 8) * 16 + nibble] >> bit) & 1) << h);
        }
    }
}

/* Whether this CPU runs the AVX2 passes. */
static int have_avx2(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}

/* A nibble table repeated in both 128-bit lanes, for vpshufb. */
DFK_AVX2 static inline __m256i lanes(const uint8_t table[16]) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)table));
}

/* Per byte of bytes, 0xFF where it is in the set of nibble tables low and high, else 0. */
DFK_AVX2 static inline __m256i in_set(__m256i bytes, __m256i low, __m256i high) {
    const __m256i bits = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128,
                                          1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i row = _mm256_blendv_epi8(_mm256_shuffle_epi8(low, _mm256_and_si256(bytes, nibble)),
                                           _mm256_shuffle_epi8(high, _mm256_and_si256(bytes, nibble)), bytes);
    const __m256i bit = _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble));
    return _mm256_cmpeq_epi8(_mm256_and_si256(row, bit), bit);
}

/* The sum of the four 64-bit lanes. */
DFK_AVX2 static inline int64_t lane_sum(__m256i sums) {
    const __m128i half = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
    return _mm_cvtsi128_si64(half) + _mm_extract_epi64(half, 1);
}
#endif

/* Per byte of UTF-8 data, whether its character is whitespace (0/1 in out): ASCII bytes from the 256-entry
 * ascii_space, 2- and 3-byte characters decoded and looked up in the 65,536-entry bmp_space. Eight ASCII bytes
 * in a row (one 64-bit test) are looked up without a test each. */
void dfk_scan_space_mask(const uint8_t *restrict data, uint64_t size, const uint8_t *restrict ascii_space,
                         const uint8_t *restrict bmp_space, uint8_t *restrict out) {
    uint64_t k = 0;
    while (k < size) {
        if (k + 8 <= size) {
            uint64_t eight;
            memcpy(&eight, data + k, 8);
            if ((eight & 0x8080808080808080ULL) == 0) {
                for (int j = 0; j < 8; j++) out[k + j] = ascii_space[data[k + j]];
                k += 8;
                continue;
            }
        }
        const uint8_t byte = data[k];
        out[k] = ascii_space[byte];
        if (byte >= 0xC2) { /* a lead byte */
            const uint64_t lead = byte;
            if (lead < 0xE0 && k + 1 < size) {
                const uint64_t point = ((lead & 0x1F) << 6) | (data[k + 1] & 0x3Fu);
                out[k] = out[k + 1] = bmp_space[point];
                k += 2;
                continue;
            }
            if (lead < 0xF0 && lead >= 0xE0 && k + 2 < size) {
                const uint64_t point = ((lead & 0x0F) << 12) | ((uint64_t)(data[k + 1] & 0x3Fu) << 6)
                                       | (data[k + 2] & 0x3Fu);
                out[k] = out[k + 1] = out[k + 2] = bmp_space[point];
                k += 3;
                continue;
            }
        }
        k++;
    }
}

/* The runs of bytes whose space is 0 (any other value: a space), per row: their starts, ends (exclusive) and
 * per-row counts; returns the number of runs, or -1 for offsets that do not fit. starts and ends hold
 * (size + rows) / 2 + 1 entries, the most the rows can need. */
int64_t dfk_scan_word_bounds(const uint8_t *restrict space, int64_t size, const int64_t *restrict offsets,
                             int64_t rows, int64_t *restrict starts, int64_t *restrict ends,
                             int64_t *restrict counts) {
    if (!rows_fit(offsets, rows, size)) return -1;
    uint64_t found = 0, closed = 0;
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t first = (uint64_t)offsets[row], stop = (uint64_t)offsets[row + 1], before = found;
        uint8_t previous = 1;
        for (uint64_t k = first; k < stop; k++) {
            const uint8_t current = space[k] != 0;
            starts[found] = (int64_t)k;
            found += previous > current;
            ends[closed] = (int64_t)k;
            closed += current > previous;
            previous = current;
        }
        ends[closed] = (int64_t)stop;
        closed += previous == 0;
        counts[row] = (int64_t)(found - before);
    }
    return (int64_t)found; /* every run that starts also ends: closed == found */
}

/* Each row with its runs of space bytes (space not 0) collapsed to one ' ' and both ends stripped, into out (size
 * bytes) and new_offsets[1..rows]; returns the bytes written, or -1 for offsets that do not fit. Every byte is
 * stored, after a ' '; the position only advances past the ' ' before a row's later words, and past a kept byte. */
int64_t dfk_scan_collapse_spaces(const uint8_t *restrict data, const uint8_t *restrict space, int64_t size,
                                 const int64_t *restrict offsets, int64_t rows, uint8_t *restrict out,
                                 int64_t *restrict new_offsets) {
    if (!rows_fit(offsets, rows, size)) return -1;
    uint64_t at = 0;
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t stop = (uint64_t)offsets[row + 1];
        uint64_t after_space = 1, seen_word = 0;
        for (uint64_t k = (uint64_t)offsets[row]; k < stop; k++) {
            const uint64_t kept = space[k] == 0;
            out[at] = 32;
            at += after_space & seen_word & kept; /* a later word starts here */
            out[at] = data[k];
            at += kept;
            seen_word |= kept;
            after_space = kept ^ 1;
        }
        new_offsets[row + 1] = (int64_t)at;
    }
    return (int64_t)at;
}

/* count_segments over data[k:stop] from state seen (content since the last separator): segments closed there go
 * to *count; returns the state after. */
static uint8_t segments_tail(const uint8_t *restrict data, const uint8_t *restrict mask, uint8_t wanted,
                             const uint8_t *restrict kinds, uint64_t k, uint64_t stop, uint8_t seen,
                             int64_t *restrict count) {
    int64_t closed = 0;
    for (; k < stop; k++) {
        const uint8_t kind = kinds[data[k]], split = kind & 1;
        seen |= (mask[k] == wanted) & (kind >> 1);
        closed += split & seen;
        seen &= split ^ 1;
    }
    *count += closed;
    return seen;
}

#ifdef DFK_X86
/* count_segments' rows, 64 bytes a step as bit masks. S: separators, C: content bytes, E = S | C: events,
 * Q = C & ~S: content events that close nothing. A separator closes a segment with content when C holds it or the
 * event before it is in Q: R, the bytes whose previous event is in Q, spreads each Q bit (and the state carried
 * in, at bit 0) up to and including the next event, by a carry through the non-events. */
DFK_AVX2 static void count_segments_avx2(const uint8_t *restrict data, const uint8_t *restrict mask,
                                         uint8_t wanted, const uint8_t *restrict kinds,
                                         const int64_t *restrict offsets, int64_t rows, int64_t *restrict counts) {
    uint8_t tables[4][16];
    nibble_tables(kinds, 0, tables[0], tables[1]);
    nibble_tables(kinds, 1, tables[2], tables[3]);
    const __m256i split_low = lanes(tables[0]), split_high = lanes(tables[1]);
    const __m256i content_low = lanes(tables[2]), content_high = lanes(tables[3]);
    const __m256i target = _mm256_set1_epi8((char)wanted);
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t stop = (uint64_t)offsets[row + 1];
        uint64_t k = (uint64_t)offsets[row], seen = 0;
        int64_t count = 0;
        for (; k + 64 <= stop; k += 64) {
            uint64_t split = 0, content = 0;
            for (int half = 0; half < 2; half++) {
                const __m256i bytes = _mm256_loadu_si256((const __m256i *)(data + k + 32 * half));
                const __m256i marks = _mm256_loadu_si256((const __m256i *)(mask + k + 32 * half));
                const __m256i is_content = _mm256_and_si256(in_set(bytes, content_low, content_high),
                                                            _mm256_cmpeq_epi8(marks, target));
                split |= (uint64_t)(uint32_t)_mm256_movemask_epi8(in_set(bytes, split_low, split_high)) << (32 * half);
                content |= (uint64_t)(uint32_t)_mm256_movemask_epi8(is_content) << (32 * half);
            }
            const uint64_t events = split | content, open = content & ~split, quiet = ~events;
            const uint64_t starts = (open << 1) | seen;
            const uint64_t after_open = (((starts & quiet) + quiet) ^ quiet) | starts;
            count += __builtin_popcountll(split & (after_open | content));
            seen = (events >> 63) ? open >> 63 : after_open >> 63;
        }
        seen = segments_tail(data, mask, wanted, kinds, k, stop, (uint8_t)seen, &count);
        counts[row] = count + (int64_t)seen;
    }
}
#endif

/* Per row, the segments (pieces between separator bytes, and between rows) holding a content byte: one whose mask
 * equals content_when and whose kinds entry has bit 1 (bit 0: a separator); returns 0, or -1 for offsets that do
 * not fit. */
int64_t dfk_scan_count_segments(const uint8_t *restrict data, const uint8_t *restrict mask, int64_t content_when,
                                const uint8_t *restrict kinds, int64_t size, const int64_t *restrict offsets,
                                int64_t rows, int64_t *restrict counts) {
    if (!rows_fit(offsets, rows, size)) return -1;
    if (content_when < 0 || content_when > 255) { /* a uint8 mask equals no other value: no content */
        for (int64_t row = 0; row < rows; row++) counts[row] = 0;
        return 0;
    }
    const uint8_t wanted = (uint8_t)content_when;
#ifdef DFK_X86
    if (have_avx2()) {
        count_segments_avx2(data, mask, wanted, kinds, offsets, rows, counts);
        return 0;
    }
#endif
    for (int64_t row = 0; row < rows; row++) {
        int64_t count = 0;
        const uint8_t seen = segments_tail(data, mask, wanted, kinds, (uint64_t)offsets[row],
                                           (uint64_t)offsets[row + 1], 0, &count);
        counts[row] = count + seen;
    }
    return 0;
}

/* The class of a byte for class_runs, for 0/1 masks: 0 space, 1 word, 2 other. */
static inline uint8_t byte_class(uint8_t word, uint8_t space) {
    return (uint8_t)(word | (((word | space) ^ 1) << 1));
}

/* Per row, the runs of word bytes and the runs of other non-space bytes (WordPunct tokens); returns 0, or -1 for
 * offsets that do not fit. A run starts at a non-space byte of another class than the byte before it in the row:
 * no state carries from byte to byte, so the loop vectorises (in blocks of 255, counted in a byte). */
int64_t dfk_scan_class_runs(const uint8_t *restrict word, const uint8_t *restrict space, int64_t size,
                            const int64_t *restrict offsets, int64_t rows, int64_t *restrict counts) {
    if (!rows_fit(offsets, rows, size)) return -1;
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t first = (uint64_t)offsets[row], stop = (uint64_t)offsets[row + 1];
        int64_t count = 0;
        if (first < stop) {
            count = byte_class(word[first], space[first]) != 0;
            for (uint64_t k = first + 1; k < stop;) {
                const uint64_t end = stop - k > 255 ? k + 255 : stop;
                uint8_t block = 0;
                for (; k < end; k++) {
                    const uint8_t kind = byte_class(word[k], space[k]);
                    block += (kind != 0) & (kind != byte_class(word[k - 1], space[k - 1]));
                }
                count += block;
            }
        }
        counts[row] = count;
    }
    return 0;
}

#ifdef DFK_X86
/* count_per_row's rows, 32 bytes a step; flagged: per byte value, 1 where it counts (see dfk_scan_count_per_row). */
DFK_AVX2 static void count_per_row_avx2(const uint8_t *restrict data, const uint8_t *restrict mask,
                                        const uint8_t *restrict flagged, const int64_t *restrict offsets,
                                        int64_t rows, int64_t *restrict counts) {
    uint8_t low[16], high[16];
    nibble_tables(flagged, 0, low, high);
    const __m256i set_low = lanes(low), set_high = lanes(high), one = _mm256_set1_epi8(1);
    const __m256i zero = _mm256_setzero_si256();
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t stop = (uint64_t)offsets[row + 1];
        uint64_t k = (uint64_t)offsets[row];
        __m256i sums = zero;
        for (; k + 32 <= stop; k += 32) {
            __m256i hits = _mm256_and_si256(in_set(_mm256_loadu_si256((const __m256i *)(data + k)), set_low,
                                                   set_high), one);
            if (mask != NULL) hits = _mm256_and_si256(hits, _mm256_loadu_si256((const __m256i *)(mask + k)));
            sums = _mm256_add_epi64(sums, _mm256_sad_epu8(hits, zero));
        }
        int64_t count = lane_sum(sums);
        for (; k < stop; k++) count += flagged[data[k]] & (mask == NULL ? 1 : mask[k]);
        counts[row] = count;
    }
}
#endif

/* Per row, the bytes flagged (bit 0) in the 256-entry table and in mask (NULL: every byte); with characters, only
 * those that start a character (no 10xxxxxx continuation byte); returns 0, or -1 for offsets that do not fit. */
int64_t dfk_scan_count_per_row(const uint8_t *restrict data, const uint8_t *restrict mask,
                               const uint8_t *restrict table, int64_t characters, int64_t size,
                               const int64_t *restrict offsets, int64_t rows, int64_t *restrict counts) {
    if (!rows_fit(offsets, rows, size)) return -1;
    uint8_t flagged[256]; /* 1 for the byte values that count where mask is set: the one table a byte reads */
    for (int byte = 0; byte < 256; byte++) {
        flagged[byte] = table[byte] & 1 & (((byte & 0xC0) != 0x80) | (characters ? 0 : 1));
    }
#ifdef DFK_X86
    if (have_avx2()) {
        count_per_row_avx2(data, mask, flagged, offsets, rows, counts);
        return 0;
    }
#endif
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t first = (uint64_t)offsets[row], stop = (uint64_t)offsets[row + 1];
        int64_t count = 0;
        if (mask == NULL) {
            for (uint64_t k = first; k < stop; k++) count += flagged[data[k]];
        } else {
            for (uint64_t k = first; k < stop; k++) count += flagged[data[k]] & mask[k];
        }
        counts[row] = count;
    }
    return 0;
}

/* Whether the needle table fits: first[0..256] rises from 0 or more and only names bounds that exist, and the
 * bounds rise from 0 or more to at most needle_bytes. */
static int needles_fit(const int64_t *restrict bounds, int64_t bound_count, const int64_t *restrict first,
                       int64_t needle_bytes) {
    int64_t previous = 0;
    for (int byte = 0; byte <= 256; byte++) {
        if (first[byte] < previous) return 0;
        previous = first[byte];
    }
    if (previous == 0) return 1; /* no needle: no bound is read */
    if (previous >= bound_count) return 0;
    previous = 0;
    for (int64_t j = 0; j < bound_count; j++) {
        if (bounds[j] < previous) return 0;
        previous = bounds[j];
    }
    return previous <= needle_bytes;
}

/* Whether one of the needles that start with data[k] (their first byte is not compared again) lies at k, within
 * the row that ends at stop. */
static inline int needle_at(const uint8_t *restrict data, uint64_t k, uint64_t stop, const uint8_t *restrict needles,
                            const int64_t *restrict bounds, const int64_t *restrict first) {
    int hit = 0;
    const uint8_t byte = data[k];
    for (uint64_t j = (uint64_t)first[byte], last = (uint64_t)first[byte + 1]; j < last && !hit; j++) {
        const uint64_t at = (uint64_t)bounds[j], end = (uint64_t)bounds[j + 1];
        if (k + (end - at) > stop) continue;
        hit = 1;
        for (uint64_t i = 1; hit && at + i < end; i++) hit = data[k + i] == needles[at + i];
    }
    return hit;
}

#ifdef DFK_X86
/* rows_with's rows, testing 32 bytes at a time for first bytes of needles (the set in starts_one). */
DFK_AVX2 static void rows_with_avx2(const uint8_t *restrict data, const int64_t *restrict offsets, int64_t rows,
                                    const uint8_t *restrict needles, const int64_t *restrict bounds,
                                    const int64_t *restrict first, const uint8_t *restrict starts_one,
                                    uint8_t *restrict found) {
    uint8_t low[16], high[16];
    nibble_tables(starts_one, 0, low, high);
    const __m256i set_low = lanes(low), set_high = lanes(high);
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t stop = (uint64_t)offsets[row + 1];
        uint64_t k = (uint64_t)offsets[row];
        int hit = 0;
        for (; k + 32 <= stop && !hit; k += 32) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(data + k));
            for (uint32_t candidates = (uint32_t)_mm256_movemask_epi8(in_set(bytes, set_low, set_high));
                 candidates != 0 && !hit; candidates &= candidates - 1) {
                hit = needle_at(data, k + (uint64_t)__builtin_ctz(candidates), stop, needles, bounds, first);
            }
        }
        for (; k < stop && !hit; k++) hit = starts_one[data[k]] && needle_at(data, k, stop, needles, bounds, first);
        found[row] = (uint8_t)hit;
    }
}
#endif

/* Per row, whether it holds one of the byte strings needles[bounds[j]:bounds[j + 1]] (sorted by first byte;
 * first[b]:first[b + 1] are those starting with byte b); a row stops at its first match. Returns 0, or -1 for
 * offsets or a needle table that do not fit. */
int64_t dfk_scan_rows_with(const uint8_t *restrict data, int64_t size, const int64_t *restrict offsets,
                           int64_t rows, const uint8_t *restrict needles, int64_t needle_bytes,
                           const int64_t *restrict bounds, int64_t bound_count, const int64_t *restrict first,
                           uint8_t *restrict found) {
    if (!rows_fit(offsets, rows, size) || !needles_fit(bounds, bound_count, first, needle_bytes)) return -1;
    uint8_t starts_one[256];
    for (int byte = 0; byte < 256; byte++) starts_one[byte] = first[byte + 1] > first[byte];
#ifdef DFK_X86
    if (have_avx2()) {
        rows_with_avx2(data, offsets, rows, needles, bounds, first, starts_one, found);
        return 0;
    }
#endif
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t stop = (uint64_t)offsets[row + 1];
        int hit = 0;
        for (uint64_t k = (uint64_t)offsets[row]; k < stop && !hit; k++) {
            hit = starts_one[data[k]] && needle_at(data, k, stop, needles, bounds, first);
        }
        found[row] = (uint8_t)hit;
    }
    return 0;
}
