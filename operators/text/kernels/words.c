/* Word kernels of the rule filters (operators/text/kernels/words.py and vocab_kernel.py state the definitions).
 * Words are byte spans [starts[i], ends[i]) of data; the callers allocate every output and scratch table. */
#include "common.h"

#include <string.h>

#define SHORT_WORD 15 /* bytes a short vocabulary word may have (vocab_kernel.SHORT) */

/* Whether left[a:a_end] and right[b:b_end] hold the same bytes. */
static inline int same(const uint8_t *left, uint64_t a, uint64_t a_end, const uint8_t *right, uint64_t b,
                       uint64_t b_end) {
    if (a_end - a != b_end - b) return 0;
    for (uint64_t k = 0; k < a_end - a; k++)
        if (left[a + k] != right[b + k]) return 0;
    return 1;
}

/* The low bytes of a key: masks[n] keeps n of its 8 bytes. */
static const uint64_t masks[9] = {0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFFULL, 0xFFFFFFFFFFULL, 0xFFFFFFFFFFFFULL,
                                  0xFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL};

/* The 8 bytes from p as a little-endian integer. */
static inline uint64_t load64(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32
           | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* Whether data[a:a + length] and data[b:b + length] hold the same bytes (8 at a time; size: data's length). */
static inline int same_span(const uint8_t *data, uint64_t size, uint64_t a, uint64_t b, uint64_t length) {
    for (; length >= 8; a += 8, b += 8, length -= 8)
        if (load64(data + a) != load64(data + b)) return 0;
    if (length == 0) return 1;
    if (a + 8 <= size && b + 8 <= size) return ((load64(data + a) ^ load64(data + b)) & masks[length]) == 0;
    for (uint64_t k = 0; k < length; k++)
        if (data[a + k] != data[b + k]) return 0;
    return 1;
}

/* The most distinct words d in 0..count with d / count not above threshold (-1: none), found with the same
 * division as the check: d / count rounds monotonically in d, so d / count > threshold exactly when d > it. */
static int64_t most_within(int64_t count, double threshold) {
    double guess = threshold * (double)count;
    int64_t d = !(guess < (double)count) ? count : guess < 0 ? 0 : (int64_t)guess; /* NaN: count */
    while (d < count && !((double)(d + 1) / (double)count > threshold)) d++;
    while (d >= 0 && (double)d / (double)count > threshold) d--;
    return d;
}

/* Per row, whether distinct words / words is at most threshold. slots and hashes: table_width(most words) each,
 * slots zeroed (and left so: a row clears the slots it took, listed in touched, as long as the most words). */
void dfk_words_distinct_share_at_most(const uint8_t *restrict data, int64_t size, const int64_t *restrict starts,
                                      const int64_t *restrict ends, const int64_t *restrict counts, int64_t rows,
                                      double threshold, uint64_t *restrict slots, uint64_t *restrict hashes,
                                      uint64_t *restrict touched, uint8_t *restrict out) {
    uint64_t first = 0;
    for (int64_t row = 0; row < rows; row++) {
        int64_t count = counts[row];
        if (count == 0) {
            out[row] = 0.0 <= threshold;
            continue;
        }
        uint64_t mask = (uint64_t)table_width(count) - 1;
        int64_t distinct = 0, most = most_within(count, threshold);
        int exceeded = 0;
        for (uint64_t word = first, last = first + (uint64_t)count; word < last; word++) {
            uint64_t start = (uint64_t)starts[word], end = (uint64_t)ends[word];
            uint64_t value = fnv1a(data, start, end);
            uint64_t slot = value & mask;
            for (;;) {
                uint64_t held = slots[slot];
                if (held == 0) {
                    slots[slot] = word + 1;
                    hashes[slot] = value;
                    touched[distinct++] = slot;
                    exceeded = distinct > most; /* (double)distinct / count > threshold */
                    break;
                }
                uint64_t before = held - 1, other = (uint64_t)starts[before];
                if (hashes[slot] == value && (uint64_t)ends[before] - other == end - start
                    && same_span(data, (uint64_t)size, other, start, end - start))
                    break;
                slot = (slot + 1) & mask;
            }
            if (exceeded) break;
        }
        out[row] = !exceeded && (double)distinct / (double)count <= threshold;
        for (int64_t j = 0; j < distinct; j++) slots[touched[j]] = 0; /* cheaper than clearing the whole table */
        first += (uint64_t)count;
    }
}

/* Per span, str.isupper() from per-byte masks: some byte of an uppercase character, none of a lowercase one. */
void dfk_words_all_upper(const uint8_t *restrict upper, const uint8_t *restrict lower, const int64_t *restrict starts,
                         const int64_t *restrict ends, int64_t spans, uint8_t *restrict out) {
    for (int64_t i = 0; i < spans; i++) {
        uint8_t seen = 0;
        for (int64_t k = starts[i]; k < ends[i]; k++) {
            if (lower[k]) {
                seen = 0;
                break;
            }
            seen |= upper[k] != 0;
        }
        out[i] = seen;
    }
}

/* Per row, the most words between two punctuation marks (ASCII ones flagged in marks, and – • …). */
void dfk_words_longest_unpunctuated(const uint8_t *restrict data, const uint8_t *restrict space,
                                    const uint8_t *restrict marks, const int64_t *restrict offsets, int64_t rows,
                                    int64_t *restrict out) {
    for (int64_t row = 0; row < rows; row++) {
        int64_t longest = 0, words = 0;
        uint8_t inside = 0;
        uint64_t k = (uint64_t)offsets[row], end = (uint64_t)offsets[row + 1];
        while (k < end) {
            uint8_t byte = data[k];
            if (byte == 0xE2 && k + 2 < end && data[k + 1] == 0x80
                && (data[k + 2] == 0x93 || data[k + 2] == 0xA2 || data[k + 2] == 0xA6)) {
                longest = words > longest ? words : longest;
                words = 0;
                inside = 0;
                k += 3;
                continue;
            }
            uint8_t mark = marks[byte];
            longest = words > longest ? words : longest;
            uint8_t apart = (uint8_t)(space[k] | mark); /* a mark separates words too */
            /* branch-free: reset at a mark (all bits kept where mark is 0), +1 at a word start */
            words = (int64_t)(((uint64_t)words & ((uint64_t)mark - 1)) + (uint64_t)((inside | apart) ^ 1));
            inside = (uint8_t)(apart ^ 1);
            k++;
        }
        out[row] = words > longest ? words : longest;
    }
}

/* Per row flagged in rows_on, its tokens and distinct n-grams (n >= 1); tokens: the most words of a row,
 * table: table_width of that; tokens_per_row and distinct start zeroed. */
void dfk_words_distinct_ngrams(const uint8_t *restrict data, const uint8_t *restrict keep,
                               const int64_t *restrict starts, const int64_t *restrict ends,
                               const int64_t *restrict counts, const uint8_t *restrict rows_on, int64_t rows,
                               int64_t n, uint64_t *restrict tokens, uint64_t *restrict table,
                               int64_t *restrict tokens_per_row, int64_t *restrict distinct) {
    uint64_t top = 1; /* P ** (n - 1): the weight of the token leaving the window */
    for (int64_t j = 0; j < n - 1; j++) top *= FNV_PRIME;
    uint64_t span = 0;
    for (int64_t row = 0; row < rows; row++) {
        if (!rows_on[row]) {
            span += (uint64_t)counts[row];
            continue;
        }
        int64_t found = 0;
        for (int64_t w = 0; w < counts[row]; w++, span++) {
            uint64_t value = FNV_OFFSET, kept = 0;
            for (uint64_t k = (uint64_t)starts[span], stop = (uint64_t)ends[span]; k < stop; k++) {
                if (keep[k]) {
                    value = (value ^ data[k]) * FNV_PRIME;
                    kept++;
                }
            }
            if (kept) tokens[found++] = mix64(value ^ kept);
        }
        tokens_per_row[row] = found;
        int64_t grams = found - n + 1;
        if (grams <= 0) continue;
        uint64_t mask = (uint64_t)table_width(grams) - 1;
        memset(table, 0, (mask + 1) * sizeof *table);
        uint64_t rolling = 0; /* the window's polynomial sum(token * P**(n - 1 - i)), O(1) per step */
        for (int64_t j = 0; j < n - 1; j++) rolling = rolling * FNV_PRIME + tokens[j];
        int64_t seen = 0;
        for (int64_t first = 0; first < grams; first++) {
            rolling = rolling * FNV_PRIME + tokens[first + n - 1];
            uint64_t value = mix64(rolling) | 1; /* never 0, the empty mark */
            rolling -= tokens[first] * top;
            uint64_t slot = value & mask;
            while (table[slot] != 0 && table[slot] != value) slot = (slot + 1) & mask;
            if (table[slot] == 0) {
                table[slot] = value;
                seen++;
            }
        }
        distinct[row] = seen;
    }
}

/* The lookup tables of a vocabulary (rule_filters_vocab.vocabulary_table), read-only. */
typedef struct {
    const uint8_t *data;
    uint64_t size;
    const uint64_t *low, *high;
    const void *short_slots; /* uint32 entries where wide, else uint16 */
    int wide;
    uint64_t seed_low, seed_high, shift, longest;
    const uint8_t *words;
    const int64_t *offsets, *slots;
    const uint64_t *hashes;
    uint64_t mask; /* len(slots) - 1 */
} vocabulary;

/* Up to 8 bytes from start as a little-endian key (length clipped to 0..8). */
static inline uint64_t key_at(const uint8_t *data, uint64_t size, uint64_t start, uint64_t length) {
    uint64_t clipped = length < 8 ? length : 8;
    if (start + 8 <= size) return load64(data + start) & masks[clipped]; /* branch-free: 8 loads, then mask */
    uint64_t value = 0;
    for (uint64_t k = 0; k < clipped; k++) value |= (uint64_t)data[start + k] << (8 * k);
    return value;
}

/* Whether data[start:end] is a long vocabulary word, through the FNV open-addressing table (word_kernels._known). */
static int known(const vocabulary *v, uint64_t start, uint64_t end) {
    if (end - start > v->longest) return 0;
    uint64_t value = fnv1a(v->data, start, end);
    uint64_t slot = value & v->mask;
    while (v->slots[slot] != 0) {
        uint64_t word = (uint64_t)v->slots[slot] - 1;
        if (v->hashes[slot] == value
            && same(v->words, (uint64_t)v->offsets[word], (uint64_t)v->offsets[word + 1], v->data, start, end))
            return 1;
        slot = (slot + 1) & v->mask;
    }
    return 0;
}

/* Whether data[start:end] is a vocabulary word: the short words' perfect hash, else known(); wide: a constant. */
static inline uint8_t is_word(const vocabulary *v, uint64_t start, uint64_t end, int wide) {
    uint64_t length = end - start;
    if (length <= SHORT_WORD) {
        uint64_t key_low, key_high;
        if (start + 16 <= v->size) { /* both keys: two 8-byte loads */
            key_low = load64(v->data + start) & masks[length < 8 ? length : 8];
            key_high = load64(v->data + start + 8) & masks[length > 8 ? length - 8 : 0];
        } else {
            key_low = key_at(v->data, v->size, start, length);
            key_high = key_at(v->data, v->size, start + 8, (length > 8 ? length : 8) - 8);
        }
        key_high = key_high << 5 | length;
        uint64_t slot = ((key_low * v->seed_low) ^ (key_high * v->seed_high)) >> v->shift;
        uint64_t entry = wide ? ((const uint32_t *)v->short_slots)[slot] : ((const uint16_t *)v->short_slots)[slot];
        return (uint8_t)((v->low[entry] == key_low) & (v->high[entry] == key_high));
    }
    return v->longest > SHORT_WORD && known(v, start, end);
}

/* The vocabulary of the arguments shared by dfk_vocab_flags and dfk_vocab_hits. */
static inline vocabulary vocabulary_of(const uint8_t *data, int64_t size, const uint64_t *low, const uint64_t *high,
                                       const void *short_slots, int64_t slot_bytes, const uint64_t *seed_shift,
                                       uint64_t longest, const uint8_t *words, const int64_t *offsets,
                                       const int64_t *slots, const uint64_t *hashes, int64_t width) {
    vocabulary v = {data, (uint64_t)size, low, high, short_slots, slot_bytes == 4, seed_shift[0], seed_shift[1],
                    seed_shift[2], longest, words, offsets, slots, hashes, (uint64_t)width - 1};
    return v;
}

/* Whether each span is a vocabulary word (exact bytes). */
void dfk_vocab_flags(const uint8_t *data, int64_t size, const int64_t *restrict starts, const int64_t *restrict ends,
                     int64_t spans, const uint64_t *low, const uint64_t *high, const void *short_slots,
                     int64_t slot_bytes, const uint64_t *seed_shift, uint64_t longest, const uint8_t *words,
                     const int64_t *offsets, const int64_t *slots, const uint64_t *hashes, int64_t width,
                     uint8_t *restrict out) {
    const vocabulary v = vocabulary_of(data, size, low, high, short_slots, slot_bytes, seed_shift, longest, words,
                                       offsets, slots, hashes, width);
    if (v.wide)
        for (int64_t i = 0; i < spans; i++) out[i] = is_word(&v, (uint64_t)starts[i], (uint64_t)ends[i], 1);
    else
        for (int64_t i = 0; i < spans; i++) out[i] = is_word(&v, (uint64_t)starts[i], (uint64_t)ends[i], 0);
}

/* Per row, how many of its spans (counts per row, in turn) are vocabulary words. */
void dfk_vocab_hits(const uint8_t *data, int64_t size, const int64_t *restrict starts, const int64_t *restrict ends,
                    const int64_t *restrict counts, int64_t rows, const uint64_t *low, const uint64_t *high,
                    const void *short_slots, int64_t slot_bytes, const uint64_t *seed_shift, uint64_t longest,
                    const uint8_t *words, const int64_t *offsets, const int64_t *slots, const uint64_t *hashes,
                    int64_t width, int64_t *restrict out) {
    const vocabulary v = vocabulary_of(data, size, low, high, short_slots, slot_bytes, seed_shift, longest, words,
                                       offsets, slots, hashes, width);
    uint64_t span = 0;
    for (int64_t row = 0; row < rows; row++) {
        int64_t found = 0, last = (int64_t)span + counts[row];
        if (v.wide)
            for (; (int64_t)span < last; span++) found += is_word(&v, (uint64_t)starts[span], (uint64_t)ends[span], 1);
        else
            for (; (int64_t)span < last; span++) found += is_word(&v, (uint64_t)starts[span], (uint64_t)ends[span], 0);
        out[row] = found;
    }
}
