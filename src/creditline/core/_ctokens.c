/* creditline's compiled inner loops: the license tokenizer, word hashes and MinHash for
 * near-duplicate signatures, and a case-insensitive search for several needles at once.
 *
 * creditline.core.lictokens tokenises a (lower-cased) text into word runs, their
 * polynomial hashes, the WORD tokens they form (a run, an optional "+", an optional run) and
 * the vocabulary id of each token. Its numpy reference does that in about ten passes over the
 * text and the tokens; this module does it in one pass, with the same results (a property test
 * compares the two on random texts). It takes and fills buffers only: the caller allocates the
 * numpy arrays, so no numpy headers are needed to build it.
 *
 * ascii_tokens(text, slot_hash, slot_word, word_id, word_len, word_start, spelling, bits,
 *              run_start, run_hash, tok_start, tok_end, tok_id) -> (n_runs, n_tokens)
 *
 *   text        an ASCII str, or ASCII bytes (read in place; capitals count as small letters)
 *   slot_hash   uint64[1 << bits]  the vocabulary table (VocabTable): hash of the word in a slot
 *   slot_word   int32[1 << bits]   word in a slot, -1 for an empty slot
 *   word_id     int32[words]       id of each word
 *   word_len    int64[words]       bytes of each word, -1 for a word that is not ASCII
 *   word_start  int64[words]       where each word's bytes start in spelling
 *   spelling    bytes              every ASCII word's bytes, one after another
 *   run_start, run_hash            out: start and hash of every run of [0-9a-z]
 *   tok_start, tok_end, tok_id     out: every WORD token and its id (0: not in the vocabulary)
 *
 * Every output array must hold len(text) / 2 + 1 items (no text has more runs than that).
 *
 * unicode_tokens does the same for text of any characters (its code points; no runs kept).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>
#define XXH_INLINE_ALL
#include "vendor/xxhash.h" /* xxHash 0.8.4, BSD 2-Clause (vendor/xxhash.LICENSE) */

static const uint64_t P = 0x9E3779B97F4A7C15ULL;   /* polyhash.P */
static const uint64_t MIX = 0x9E3779B97F4A7C15ULL; /* lictokens._MIX */

static inline int is_word(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

/* An ASCII byte in lower case. */
static inline unsigned char lower(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Whether the len bytes of token, lower-cased, are the (lower-case) bytes of word. */
static inline int same_lowered(const unsigned char *word, const unsigned char *token, Py_ssize_t len) {
    for (Py_ssize_t j = 0; j < len; j++)
        if (word[j] != lower(token[j]))
            return 0;
    return 1;
}

static inline int same_codes(const uint32_t *word, const uint32_t *token, Py_ssize_t len) {
    return memcmp(word, token, len * sizeof(uint32_t)) == 0;
}

typedef struct {
    Py_buffer view;
    int held;
} Buf;

static int get(PyObject *obj, Buf *b, int writable, Py_ssize_t itemsize, Py_ssize_t min_items, const char *name) {
    if (PyObject_GetBuffer(obj, &b->view, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    b->held = 1;
    if (b->view.len % itemsize != 0 || b->view.len / itemsize < min_items) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, expected at least %zd items of %zd bytes", name,
                     b->view.len, min_items, itemsize);
        return -1;
    }
    return 0;
}

/* The vocabulary id of the token text[start:start + len] whose hash is h (0 when absent): the
 * table's slots are probed from h's home slot to the first empty one, and a slot with the same
 * hash counts only when its word has the same units. */
#define LOOKUP(NAME, UNIT, SAME)                                                                         \
    static inline int32_t NAME(const Table *t, uint64_t h, const UNIT *token, Py_ssize_t len) {          \
        uint64_t slot = (h * MIX) >> t->shift;                                                           \
        for (Py_ssize_t probe = 0; probe < t->slots; probe++) {                                          \
            int32_t w = t->slot_word[slot];                                                              \
            if (w < 0)                                                                                   \
                return 0;                                                                                \
            if (t->slot_hash[slot] == h && w < t->words && t->word_len[w] == len && t->word_start[w] >= 0 && \
                (t->word_start[w] + len) * (Py_ssize_t)sizeof(UNIT) <= t->spelling_bytes &&              \
                SAME((const UNIT *)t->spelling + t->word_start[w], token, len))                         \
                return t->word_id[w];                                                                    \
            slot = (slot + 1) & t->mask;                                                                 \
        }                                                                                                \
        return 0;                                                                                        \
    }

typedef struct {
    const uint64_t *slot_hash;
    const int32_t *slot_word, *word_id;
    const int64_t *word_len, *word_start;
    const void *spelling;
    Py_ssize_t spelling_bytes, slots, words;
    uint64_t mask;
    int shift;
} Table;

LOOKUP(lookup_bytes, unsigned char, same_lowered)
LOOKUP(lookup_codes, uint32_t, same_codes)

/* Buffers 1..6 of the arguments: the vocabulary table, its words' lengths (in units of the text),
 * starts and spelling (units one after another). */
static int get_table(PyObject **o, Buf *b, int bits, Py_ssize_t unit, Table *t) {
    if (bits < 1 || bits > 40) {
        PyErr_SetString(PyExc_ValueError, "bits out of range");
        return -1;
    }
    t->slots = (Py_ssize_t)1 << bits;
    if (get(o[0], &b[0], 0, 8, t->slots, "slot_hash") < 0 || get(o[1], &b[1], 0, 4, t->slots, "slot_word") < 0 ||
        get(o[2], &b[2], 0, 4, 0, "word_id") < 0)
        return -1;
    t->words = b[2].view.len / 4;
    if (get(o[3], &b[3], 0, 8, t->words, "word_len") < 0 || get(o[4], &b[4], 0, 8, t->words, "word_start") < 0 ||
        get(o[5], &b[5], 0, unit, 0, "spelling") < 0)
        return -1;
    t->slot_hash = b[0].view.buf;
    t->slot_word = b[1].view.buf;
    t->word_id = b[2].view.buf;
    t->word_len = b[3].view.buf;
    t->word_start = b[4].view.buf;
    t->spelling = b[5].view.buf;
    t->spelling_bytes = b[5].view.len;
    t->mask = (uint64_t)t->slots - 1;
    t->shift = 64 - bits;
    return 0;
}

static void release(Buf *b, int count) {
    for (int k = 0; k < count; k++)
        if (b[k].held)
            PyBuffer_Release(&b[k].view);
}

static PyObject *ascii_tokens(PyObject *self, PyObject *args) {
    PyObject *o[12];
    int bits;
    if (!PyArg_ParseTuple(args, "OOOOOOOiOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &bits, &o[7],
                          &o[8], &o[9], &o[10], &o[11]))
        return NULL;
    Buf b[12];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    Table t;
    const unsigned char *text;
    Py_ssize_t n;
    if (PyUnicode_Check(o[0])) { /* an ASCII str, read in place */
        if (!PyUnicode_IS_ASCII(o[0])) {
            PyErr_SetString(PyExc_ValueError, "text: a str must be ASCII");
            goto done;
        }
        text = PyUnicode_1BYTE_DATA(o[0]);
        n = PyUnicode_GET_LENGTH(o[0]);
    } else {
        if (get(o[0], &b[0], 0, 1, 0, "text") < 0)
            goto done;
        text = b[0].view.buf;
        n = b[0].view.len;
    }
    if (get_table(o + 1, b + 1, bits, 1, &t) < 0)
        goto done;
    Py_ssize_t cap = n / 2 + 1;
    if (get(o[7], &b[7], 1, 8, cap, "run_start") < 0 || get(o[8], &b[8], 1, 8, cap, "run_hash") < 0 ||
        get(o[9], &b[9], 1, 8, cap, "tok_start") < 0 || get(o[10], &b[10], 1, 8, cap, "tok_end") < 0 ||
        get(o[11], &b[11], 1, 4, cap, "tok_id") < 0)
        goto done;
    int64_t *run_start = b[7].view.buf, *tok_start = b[9].view.buf, *tok_end = b[10].view.buf;
    uint64_t *run_hash = b[8].view.buf;
    int32_t *tok_id = b[11].view.buf;
    Py_ssize_t runs = 0, toks = 0, i = 0;

    Py_BEGIN_ALLOW_THREADS
    while (i < n) {
        if (!is_word(lower(text[i]))) {
            i++;
            continue;
        }
        /* a run of word characters: a token starts here */
        Py_ssize_t start = i;
        uint64_t h = 0;
        unsigned char c;
        while (i < n && is_word(c = lower(text[i]))) {
            h = h * P + c;
            i++;
        }
        run_start[runs] = start;
        run_hash[runs++] = h;
        uint64_t th = h;
        if (i < n && text[i] == '+') { /* WORD: a run, an optional "+", then an optional run */
            th = th * P + '+';
            i++;
            if (i < n && is_word(lower(text[i]))) {
                Py_ssize_t second = i;
                uint64_t h2 = 0;
                while (i < n && is_word(c = lower(text[i]))) {
                    h2 = h2 * P + c;
                    th = th * P + c;
                    i++;
                }
                run_start[runs] = second;
                run_hash[runs++] = h2;
            }
        }
        tok_start[toks] = start;
        tok_end[toks] = i;
        tok_id[toks++] = lookup_bytes(&t, th, text + start, i - start);
    }
    Py_END_ALLOW_THREADS

    result = Py_BuildValue("nn", runs, toks);
done:
    release(b, 12);
    return result;
}

/* unicode_tokens(codes, word, slot_hash, slot_word, word_id, word_len, word_start, spelling, bits,
 *                tok_start, tok_end, tok_id) -> n_tokens
 *
 * The same WORD tokens and ids for text of any characters: codes holds its (lower-cased) code
 * points as uint32, word one byte per code point, nonzero for word characters (str.isalnum);
 * the words' lengths, starts and spelling are in code points. */
static PyObject *unicode_tokens(PyObject *self, PyObject *args) {
    PyObject *o[11];
    int bits;
    if (!PyArg_ParseTuple(args, "OOOOOOOOiOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &bits,
                          &o[8], &o[9], &o[10]))
        return NULL;
    Buf b[11];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    Table t;
    if (get(o[0], &b[0], 0, 4, 0, "codes") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 4, cap = n / 2 + 1;
    if (get(o[1], &b[1], 0, 1, n, "word") < 0 || get_table(o + 2, b + 2, bits, 4, &t) < 0)
        goto done;
    if (get(o[8], &b[8], 1, 8, cap, "tok_start") < 0 || get(o[9], &b[9], 1, 8, cap, "tok_end") < 0 ||
        get(o[10], &b[10], 1, 4, cap, "tok_id") < 0)
        goto done;
    const uint32_t *codes = b[0].view.buf;
    const unsigned char *word = b[1].view.buf;
    int64_t *tok_start = b[8].view.buf, *tok_end = b[9].view.buf;
    int32_t *tok_id = b[10].view.buf;
    Py_ssize_t toks = 0, i = 0;

    Py_BEGIN_ALLOW_THREADS
    while (i < n) {
        if (!word[i]) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        uint64_t h = 0;
        while (i < n && word[i])
            h = h * P + codes[i++];
        if (i < n && codes[i] == '+') {
            h = h * P + '+';
            i++;
            while (i < n && word[i])
                h = h * P + codes[i++];
        }
        tok_start[toks] = start;
        tok_end[toks] = i;
        tok_id[toks++] = lookup_codes(&t, h, codes + start, i - start);
    }
    Py_END_ALLOW_THREADS

    result = PyLong_FromSsize_t(toks);
done:
    release(b, 11);
    return result;
}

/* word_runs(units, width, flags, run_start, run_hash) -> n_runs
 *
 * The runs of word characters of a text and the polynomial hash of each, ASCII capitals hashed as
 * lower case (creditline.core.dedup.word_hashes): units holds the text as bytes (width 1) or code
 * points (width 4); flags, one byte per unit, marks word characters, or is None for ASCII text
 * (letters and digits). The outputs hold at least len / 2 + 1 items. */
static PyObject *word_runs(PyObject *self, PyObject *args) {
    PyObject *o[5];
    int width;
    if (!PyArg_ParseTuple(args, "OiOOO", &o[0], &width, &o[1], &o[2], &o[3]))
        return NULL;
    if (width != 1 && width != 4) {
        PyErr_SetString(PyExc_ValueError, "width must be 1 or 4");
        return NULL;
    }
    Buf b[4];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (get(o[0], &b[0], 0, width, 0, "units") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / width, cap = n / 2 + 1;
    int have_flags = o[1] != Py_None;
    if ((have_flags && get(o[1], &b[1], 0, 1, n, "flags") < 0) || get(o[2], &b[2], 1, 8, cap, "run_start") < 0 ||
        get(o[3], &b[3], 1, 8, cap, "run_hash") < 0)
        goto done;
    const unsigned char *bytes = b[0].view.buf, *flags = have_flags ? b[1].view.buf : NULL;
    const uint32_t *codes = b[0].view.buf;
    int64_t *run_start = b[2].view.buf;
    uint64_t *run_hash = b[3].view.buf;
    Py_ssize_t runs = 0, i = 0;

    Py_BEGIN_ALLOW_THREADS
#define UNIT(k) (width == 1 ? (uint32_t)bytes[k] : codes[k])
#define WORDY(k) (flags ? flags[k] != 0 : (UNIT(k) < 128 && (is_word((unsigned char)UNIT(k)) || (UNIT(k) >= 'A' && UNIT(k) <= 'Z'))))
    while (i < n) {
        if (!WORDY(i)) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        uint64_t h = 0;
        while (i < n && WORDY(i)) {
            uint32_t c = UNIT(i++);
            h = h * P + (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        run_start[runs] = start;
        run_hash[runs++] = h;
    }
#undef WORDY
#undef UNIT
    Py_END_ALLOW_THREADS

    result = PyLong_FromSsize_t(runs);
done:
    release(b, 4);
    return result;
}

/* find_folded(text, needles, first_only) -> list of offsets, or None
 *
 * Where the needles (lower-case ASCII bytes) occur in text, ASCII letters compared without case:
 * for each needle its occurrences from the left, each search going on after the last one found
 * (as bytes.find in a loop), all of them in order of offset; with first_only, at most one offset
 * (a test for any occurrence). The str is read in place, without a copy: one byte per character
 * (ASCII and Latin-1 text) as bytes, other text code point by code point (a character outside
 * ASCII never equals a needle's byte, and only A-Z are folded). */
typedef struct {
    const unsigned char *needle[32];
    Py_ssize_t len[32], next[32], count;
    unsigned char first[256]; /* whether some needle starts with this (lower-case) byte */
} Needles;

/* The needles found at offset i of data (case folded), appended to out: 0, 1 when first_only
 * is done, -1 on error. */
static inline int needles_at(Needles *nd, const unsigned char *data, Py_ssize_t n, Py_ssize_t i, PyObject *out,
                             int first_only) {
    unsigned char c = data[i];
    if (c >= 'A' && c <= 'Z')
        c += 32;
    if (!nd->first[c])
        return 0;
    for (Py_ssize_t k = 0; k < nd->count; k++) {
        if (i < nd->next[k] || nd->needle[k][0] != c || i + nd->len[k] > n)
            continue;
        Py_ssize_t j = 1;
        for (; j < nd->len[k]; j++) {
            unsigned char d = data[i + j];
            if (d >= 'A' && d <= 'Z')
                d += 32;
            if (d != nd->needle[k][j])
                break;
        }
        if (j < nd->len[k])
            continue;
        nd->next[k] = i + nd->len[k];
        PyObject *at = PyLong_FromSsize_t(i);
        if (at == NULL || PyList_Append(out, at) < 0) {
            Py_XDECREF(at);
            return -1;
        }
        Py_DECREF(at);
        if (first_only)
            return 1;
    }
    return 0;
}

/* needles_at for text of 2 or 4 bytes per character (UNIT): the loop over the text, each
 * character first checked against the needles' first bytes (both cases). */
#define WIDE_SEARCH(NAME, UNIT)                                                                          \
    static int NAME(Needles *nd, const UNIT *data, Py_ssize_t n, PyObject *out, int first_only) {       \
        unsigned char start[128];                                                                        \
        for (int c = 0; c < 128; c++)                                                                    \
            start[c] = nd->first[c >= 'A' && c <= 'Z' ? c + 32 : c];                                     \
        for (Py_ssize_t i = 0; i < n; i++) {                                                             \
            UNIT c = data[i];                                                                            \
            if (c > 127 || !start[c])                                                                    \
                continue;                                                                                \
            for (Py_ssize_t k = 0; k < nd->count; k++) {                                                 \
                const unsigned char *needle = nd->needle[k];                                             \
                Py_ssize_t len = nd->len[k], j = 0;                                                      \
                if (i < nd->next[k] || i + len > n)                                                      \
                    continue;                                                                            \
                for (; j < len; j++) {                                                                   \
                    UNIT d = data[i + j];                                                                \
                    if (d >= 'A' && d <= 'Z')                                                            \
                        d += 32;                                                                         \
                    if (d != needle[j])                                                                  \
                        break;                                                                           \
                }                                                                                        \
                if (j < len)                                                                             \
                    continue;                                                                            \
                nd->next[k] = i + len;                                                                   \
                PyObject *at = PyLong_FromSsize_t(i);                                                    \
                if (at == NULL || PyList_Append(out, at) < 0) {                                          \
                    Py_XDECREF(at);                                                                      \
                    return -1;                                                                           \
                }                                                                                        \
                Py_DECREF(at);                                                                           \
                if (first_only)                                                                          \
                    return 1;                                                                            \
            }                                                                                            \
        }                                                                                                \
        return 0;                                                                                        \
    }

WIDE_SEARCH(search_ucs2, Py_UCS2)
WIDE_SEARCH(search_ucs4, Py_UCS4)

static PyObject *find_folded(PyObject *self, PyObject *args) {
    PyObject *text, *needles;
    int first_only;
    if (!PyArg_ParseTuple(args, "UO!p", &text, &PyTuple_Type, &needles, &first_only))
        return NULL;
    Needles nd;
    memset(&nd, 0, sizeof(nd));
    nd.count = PyTuple_GET_SIZE(needles);
    if (nd.count > 32) {
        PyErr_SetString(PyExc_ValueError, "at most 32 needles");
        return NULL;
    }
    /* blocks of 16 bytes are skipped where no needle's first two bytes occur; the positions left
     * (and texts searched for a needle of one byte, or for more than 8) are checked one by one */
    int simd = nd.count <= 8;
    for (Py_ssize_t k = 0; k < nd.count; k++) {
        PyObject *item = PyTuple_GET_ITEM(needles, k);
        if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) == 0) {
            PyErr_SetString(PyExc_TypeError, "needles must be non-empty bytes");
            return NULL;
        }
        nd.needle[k] = (const unsigned char *)PyBytes_AS_STRING(item);
        nd.len[k] = PyBytes_GET_SIZE(item);
        for (Py_ssize_t j = 0; j < nd.len[k]; j++)
            if (nd.needle[k][j] > 127 || (nd.needle[k][j] >= 'A' && nd.needle[k][j] <= 'Z')) {
                PyErr_SetString(PyExc_ValueError, "needles must be lower-case ASCII");
                return NULL;
            }
        nd.first[nd.needle[k][0]] = 1;
        simd &= nd.len[k] > 1;
    }
    int kind = PyUnicode_KIND(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
    int state = 0;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    if (kind != PyUnicode_1BYTE_KIND) {
        state = kind == PyUnicode_2BYTE_KIND ? search_ucs2(&nd, PyUnicode_2BYTE_DATA(text), n, out, first_only)
                                             : search_ucs4(&nd, PyUnicode_4BYTE_DATA(text), n, out, first_only);
        if (state < 0)
            Py_CLEAR(out);
        return out;
    }
    const unsigned char *data = PyUnicode_1BYTE_DATA(text);
#ifdef __SSE2__
    /* bytes compared with bit 5 set: a capital letter becomes its small one (other bytes may
     * change too, which only lets more blocks through to the exact check) */
    __m128i bit5 = _mm_set1_epi8(0x20), first_byte[8], second_byte[8];
    for (Py_ssize_t k = 0; simd && k < nd.count; k++) {
        first_byte[k] = _mm_set1_epi8((char)(nd.needle[k][0] | 0x20));
        second_byte[k] = _mm_set1_epi8((char)(nd.needle[k][1] | 0x20));
    }
    while (simd && i + 17 <= n && state == 0) {
        __m128i x = _mm_or_si128(_mm_loadu_si128((const __m128i *)(data + i)), bit5);
        __m128i y = _mm_or_si128(_mm_loadu_si128((const __m128i *)(data + i + 1)), bit5);
        __m128i hit = _mm_setzero_si128();
        for (Py_ssize_t k = 0; k < nd.count; k++)
            hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(x, first_byte[k]), _mm_cmpeq_epi8(y, second_byte[k])));
        int mask = _mm_movemask_epi8(hit);
        while (mask && state == 0) {
            int bit = __builtin_ctz(mask);
            state = needles_at(&nd, data, n, i + bit, out, first_only);
            mask &= mask - 1;
        }
        i += 16;
    }
#endif
    for (; i < n && state == 0; i++)
        state = needles_at(&nd, data, n, i, out, first_only);
    if (state < 0)
        Py_CLEAR(out);
    return out;
}

/* The permuted minimums of n shingles into row (perms of them). Compiled twice, for AVX2 and for
 * any x86-64 (or once elsewhere); the loader picks the one the CPU runs. 64 permutations (the
 * signatures' number) get their own copy, which keeps the minimums in registers. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

CLONES static void minimums64(const uint32_t *x, int64_t n, const uint32_t *pa, const uint32_t *pb, uint32_t *row) {
    uint32_t m[64];
    for (int i = 0; i < 64; i++)
        m[i] = row[i];
    for (int64_t j = 0; j < n; j++) {
        uint32_t v = x[j];
        for (int i = 0; i < 64; i++) {
            uint32_t h = pa[i] * v + pb[i];
            m[i] = h < m[i] ? h : m[i];
        }
    }
    for (int i = 0; i < 64; i++)
        row[i] = m[i];
}

CLONES static void minimums(const uint32_t *x, int64_t n, const uint32_t *pa, const uint32_t *pb, uint32_t *row,
                            Py_ssize_t perms) {
    for (int64_t j = 0; j < n; j++) {
        uint32_t v = x[j];
        for (Py_ssize_t i = 0; i < perms; i++) {
            uint32_t h = pa[i] * v + pb[i];
            row[i] = h < row[i] ? h : row[i];
        }
    }
}

/* minhash(folded, first, counts, a, b, out) -> None
 *
 * MinHash signatures (creditline.core.dedup.signatures): stream r's shingles are
 * folded[first[r]:first[r] + counts[r]] (uint32), and out[r * perms + i] (uint32, filled with
 * 0xFFFFFFFF by the caller) becomes the least a[i] * x + b[i] (mod 2**32) over them, for the
 * perms = len(a) permutations. One pass over the shingles, the permutations in the inner loop
 * (vectorised by the compiler). */
static PyObject *minhash(PyObject *self, PyObject *args) {
    PyObject *o[6];
    if (!PyArg_ParseTuple(args, "OOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]))
        return NULL;
    Buf b[6];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (get(o[0], &b[0], 0, 4, 0, "folded") < 0 || get(o[1], &b[1], 0, 8, 0, "first") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 4, streams = b[1].view.len / 8;
    if (get(o[2], &b[2], 0, 8, streams, "counts") < 0 || get(o[3], &b[3], 0, 4, 1, "a") < 0)
        goto done;
    Py_ssize_t perms = b[3].view.len / 4;
    if (perms > 1024) {
        PyErr_SetString(PyExc_ValueError, "at most 1024 permutations");
        goto done;
    }
    if (get(o[4], &b[4], 0, 4, perms, "b") < 0 || get(o[5], &b[5], 1, 4, streams * perms, "out") < 0)
        goto done;
    const uint32_t *folded = b[0].view.buf, *pa = b[3].view.buf, *pb = b[4].view.buf;
    const int64_t *first = b[1].view.buf, *counts = b[2].view.buf;
    uint32_t *out = b[5].view.buf;
    for (Py_ssize_t r = 0; r < streams; r++) {
        if (first[r] < 0 || counts[r] < 0 || first[r] + counts[r] > n) {
            PyErr_SetString(PyExc_ValueError, "a stream's shingles lie outside folded");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < streams; r++) {
        if (perms == 64)
            minimums64(folded + first[r], counts[r], pa, pb, out + r * perms);
        else
            minimums(folded + first[r], counts[r], pa, pb, out + r * perms, perms);
    }
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    release(b, 6);
    return result;
}

/* shared_counts(q_ptr, q_grams, g_ptr, g_rules, n_rules, min_count) -> (texts, rules, counts)
 *
 * How many grams each text shares with each license rule (creditline.core.licmatch): text t holds
 * the grams q_grams[q_ptr[t]:q_ptr[t + 1]] (int64, each once), gram g is in the rules
 * g_rules[g_ptr[g]:g_ptr[g + 1]] (g_ptr int64, g_rules int32). The (text, rule) pairs sharing at
 * least min_count grams come back as three bytes objects (int64 texts, int32 rules, int32
 * counts), text by text; within a text, rules in the order their first shared gram was met. A
 * sparse product with a dense counter per rule, so that a gram in thousands of rules costs one
 * pass over its postings. */
static PyObject *shared_counts(PyObject *self, PyObject *args) {
    PyObject *o[4];
    Py_ssize_t n_rules, min_count;
    if (!PyArg_ParseTuple(args, "OOOOnn", &o[0], &o[1], &o[2], &o[3], &n_rules, &min_count))
        return NULL;
    Buf b[4];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    int32_t *acc = NULL, *touched = NULL, *out_rule = NULL, *out_count = NULL;
    int64_t *out_text = NULL;
    if (n_rules < 0 || n_rules > ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "n_rules out of range");
        return NULL;
    }
    if (get(o[0], &b[0], 0, 8, 1, "q_ptr") < 0 || get(o[1], &b[1], 0, 8, 0, "q_grams") < 0 ||
        get(o[2], &b[2], 0, 8, 1, "g_ptr") < 0 || get(o[3], &b[3], 0, 4, 0, "g_rules") < 0)
        goto done;
    const int64_t *q_ptr = b[0].view.buf, *q_grams = b[1].view.buf, *g_ptr = b[2].view.buf;
    const int32_t *g_rules = b[3].view.buf;
    Py_ssize_t n_texts = b[0].view.len / 8 - 1, n_q = b[1].view.len / 8, n_grams = b[2].view.len / 8 - 1;
    Py_ssize_t n_post = b[3].view.len / 4;
    if (q_ptr[0] != 0 || q_ptr[n_texts] != n_q) {
        PyErr_SetString(PyExc_ValueError, "q_ptr does not span q_grams");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n_texts; t++)
        if (q_ptr[t + 1] < q_ptr[t]) {
            PyErr_SetString(PyExc_ValueError, "q_ptr decreases");
            goto done;
        }
    for (Py_ssize_t k = 0; k < n_q; k++)
        if (q_grams[k] < 0 || q_grams[k] >= n_grams) {
            PyErr_SetString(PyExc_ValueError, "a gram is outside g_ptr");
            goto done;
        }
    acc = calloc(n_rules > 0 ? n_rules : 1, sizeof(int32_t));
    touched = malloc((n_rules > 0 ? n_rules : 1) * sizeof(int32_t));
    Py_ssize_t cap = 1024, n_out = 0;
    out_text = malloc(cap * sizeof(int64_t));
    out_rule = malloc(cap * sizeof(int32_t));
    out_count = malloc(cap * sizeof(int32_t));
    if (!acc || !touched || !out_text || !out_rule || !out_count) {
        PyErr_NoMemory();
        goto done;
    }
    int bad = 0, oom = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < n_texts && !bad && !oom; t++) {
        Py_ssize_t n_touched = 0;
        for (int64_t k = q_ptr[t]; k < q_ptr[t + 1] && !bad; k++) {
            int64_t g = q_grams[k];
            if (g_ptr[g] < 0 || g_ptr[g + 1] > n_post) { /* a damaged index: refuse, never read past */
                bad = 2;
                break;
            }
            for (int64_t p = g_ptr[g]; p < g_ptr[g + 1]; p++) {
                int32_t r = g_rules[p];
                if (r < 0 || r >= n_rules) {
                    bad = 1;
                    break;
                }
                if (acc[r]++ == 0)
                    touched[n_touched++] = r;
            }
        }
        for (Py_ssize_t i = 0; i < n_touched; i++) {
            int32_t r = touched[i];
            if (acc[r] >= min_count && !bad) {
                if (n_out == cap) {
                    cap *= 2;
                    int64_t *nt = realloc(out_text, cap * sizeof(int64_t));
                    if (nt) out_text = nt;
                    int32_t *nr = realloc(out_rule, cap * sizeof(int32_t));
                    if (nr) out_rule = nr;
                    int32_t *nc = realloc(out_count, cap * sizeof(int32_t));
                    if (nc) out_count = nc;
                    if (!nt || !nr || !nc) {
                        oom = 1;
                        break;
                    }
                }
                out_text[n_out] = t;
                out_rule[n_out] = r;
                out_count[n_out++] = acc[r];
            }
            acc[r] = 0;
        }
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, bad == 2 ? "a gram's postings lie outside g_rules"
                                                   : "a posting names a rule outside n_rules");
        goto done;
    }
    if (oom) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("y#y#y#", (const char *)out_text, n_out * (Py_ssize_t)sizeof(int64_t),
                           (const char *)out_rule, n_out * (Py_ssize_t)sizeof(int32_t), (const char *)out_count,
                           n_out * (Py_ssize_t)sizeof(int32_t));
done:
    free(acc);
    free(touched);
    free(out_text);
    free(out_rule);
    free(out_count);
    release(b, 4);
    return result;
}

/* The bit of a one-probe Bloom filter of nbits bits for hash h. */
static inline int bloom_has(const unsigned char *bloom, int nbits, uint64_t h) {
    uint64_t slot = h >> (64 - nbits);
    return (bloom[slot >> 3] >> (slot & 7)) & 1;
}

/* log2 of the bits of a Bloom filter of len bytes, or -1 when that is not a power of two. */
static int bloom_bits(Py_ssize_t len) {
    int nbits = 0;
    while (((Py_ssize_t)1 << (nbits + 1)) <= len * 8)
        nbits++;
    return ((Py_ssize_t)1 << nbits) == len * 8 && nbits >= 3 && nbits <= 40 ? nbits : -1;
}

/* gram_windows(s, pw, unknown, mask, k, bloom, distinct, buckets, out_start, out_gram) -> n_found
 *
 * The k-token windows of a query that are grams of the license index (creditline.core.licmatch):
 * window [a, a + k) counts when it holds no unknown token (unknown, int64[n + 1], is the prefix
 * count of unknown tokens: unknown[a + k] == unknown[a]), mask[a] is nonzero (uint8[n]), its
 * hash pw[a + k] * (s[a + k] - s[a]) (uint64 prefix sums, creditline.core.polyhash) passes the
 * one-probe Bloom filter bloom (its bit for the hash's top log2(8 * len(bloom)) bits) and is in
 * distinct (uint64, sorted). buckets (int64[2**16 + 1]) holds where each value of the top 16 bits
 * begins in distinct, so a lookup searches one bucket (a few entries), not all of distinct. Each
 * such window's start and its row of distinct go to out_start and out_gram (int64, at least
 * n - k + 1 items each), in order of start. One pass in place of five numpy passes over all
 * windows (most of them fail the filter). */
#define AHEAD 16 /* windows between a filter byte's prefetch and its use */
#define BUCKETS 65536 /* gram_windows: buckets of distinct, by the top 16 bits */

static PyObject *gram_windows(PyObject *self, PyObject *args) {
    PyObject *o[9];
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "OOOOnOOOOO", &o[0], &o[1], &o[2], &o[3], &k, &o[4], &o[5], &o[8], &o[6], &o[7]))
        return NULL;
    Buf b[9];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (k < 1) {
        PyErr_SetString(PyExc_ValueError, "k must be positive");
        return NULL;
    }
    if (get(o[0], &b[0], 0, 8, 1, "s") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 8 - 1, windows = n >= k ? n - k + 1 : 0;
    if (get(o[1], &b[1], 0, 8, n + 1, "pw") < 0 || get(o[2], &b[2], 0, 8, n + 1, "unknown") < 0 ||
        get(o[3], &b[3], 0, 1, n, "mask") < 0 || get(o[4], &b[4], 0, 1, 1, "bloom") < 0 ||
        get(o[5], &b[5], 0, 8, 0, "distinct") < 0 || get(o[6], &b[6], 1, 8, windows, "out_start") < 0 ||
        get(o[7], &b[7], 1, 8, windows, "out_gram") < 0 || get(o[8], &b[8], 0, 8, BUCKETS + 1, "buckets") < 0)
        goto done;
    Py_ssize_t n_distinct = b[5].view.len / 8;
    int nbits = bloom_bits(b[4].view.len);
    if (nbits < 0) {
        PyErr_SetString(PyExc_ValueError, "bloom must hold a power of two of bytes");
        goto done;
    }
    const uint64_t *s = b[0].view.buf, *pw = b[1].view.buf, *distinct = b[5].view.buf;
    const int64_t *unknown = b[2].view.buf, *buckets = b[8].view.buf;
    for (Py_ssize_t j = 0; j < BUCKETS; j++)
        if (buckets[j] < 0 || buckets[j] > buckets[j + 1] || buckets[j + 1] > n_distinct) {
            PyErr_SetString(PyExc_ValueError, "buckets do not split distinct");
            goto done;
        }
    const unsigned char *mask = b[3].view.buf, *bloom = b[4].view.buf;
    int64_t *out_start = b[6].view.buf, *out_gram = b[7].view.buf;
    Py_ssize_t found = 0;
    const int shift = 64 - nbits;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t a = 0; a < windows; a++) {
        if (a + AHEAD < windows) { /* the filter is megabytes: fetch the byte a later window needs now */
            uint64_t later = (pw[a + AHEAD + k] * (s[a + AHEAD + k] - s[a + AHEAD])) >> shift;
            __builtin_prefetch(bloom + (later >> 3));
        }
        if (!mask[a] || unknown[a + k] != unknown[a])
            continue;
        uint64_t h = pw[a + k] * (s[a + k] - s[a]);
        if (!bloom_has(bloom, nbits, h))
            continue;
        Py_ssize_t lo = buckets[h >> 48], hi = buckets[(h >> 48) + 1]; /* the first row >= h */
        while (lo < hi) {
            Py_ssize_t mid = lo + (hi - lo) / 2;
            if (distinct[mid] < h)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n_distinct && distinct[lo] == h) {
            out_start[found] = a;
            out_gram[found++] = lo;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(found);
done:
    release(b, 9);
    return result;
}

/* exact_windows(ids, first, s, pw, prefix, pairs, bloom, out_start, out_end, out_hash) -> n_found
 *
 * The windows of a query that may be exact rule prefixes (creditline.core.licmatch.exact_matches):
 * a window [a, a + len) starts at a token that begins some rule (first, uint8 per token id, is
 * nonzero), holds no unknown token (id 0), and has 1..prefix tokens; windows of 2 or more
 * tokens only where the hash of the first two passes the Bloom filter pairs (the rules' first
 * two tokens). Each window whose hash pw[a + len] * (s[a + len] - s[a]) passes the Bloom filter
 * bloom (the rules' prefix keys) goes to out_start, out_end and out_hash (at least
 * len(ids) * prefix items each), by start and then length. One pass in place of a dozen numpy
 * passes over every token and window. */
static PyObject *exact_windows(PyObject *self, PyObject *args) {
    PyObject *o[9];
    Py_ssize_t prefix;
    if (!PyArg_ParseTuple(args, "OOOOnOOOOO", &o[0], &o[1], &o[2], &o[3], &prefix, &o[4], &o[5], &o[6], &o[7],
                          &o[8]))
        return NULL;
    Buf b[9];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (prefix < 1 || prefix > 64) {
        PyErr_SetString(PyExc_ValueError, "prefix out of range");
        return NULL;
    }
    if (get(o[0], &b[0], 0, 4, 0, "ids") < 0 || get(o[1], &b[1], 0, 1, 1, "first") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 4, cap = n * prefix, n_first = b[1].view.len;
    if (get(o[2], &b[2], 0, 8, n + 1, "s") < 0 || get(o[3], &b[3], 0, 8, n + 1, "pw") < 0 ||
        get(o[4], &b[4], 0, 1, 1, "pairs") < 0 || get(o[5], &b[5], 0, 1, 1, "bloom") < 0 ||
        get(o[6], &b[6], 1, 8, cap, "out_start") < 0 || get(o[7], &b[7], 1, 8, cap, "out_end") < 0 ||
        get(o[8], &b[8], 1, 8, cap, "out_hash") < 0)
        goto done;
    int pair_bits = bloom_bits(b[4].view.len), key_bits = bloom_bits(b[5].view.len);
    if (pair_bits < 0 || key_bits < 0) {
        PyErr_SetString(PyExc_ValueError, "a Bloom filter must hold a power of two of bytes");
        goto done;
    }
    const int32_t *ids = b[0].view.buf;
    const unsigned char *first = b[1].view.buf, *pairs = b[4].view.buf, *bloom = b[5].view.buf;
    const uint64_t *s = b[2].view.buf, *pw = b[3].view.buf;
    int64_t *out_start = b[6].view.buf, *out_end = b[7].view.buf;
    uint64_t *out_hash = b[8].view.buf;
    for (Py_ssize_t a = 0; a < n; a++)
        if (ids[a] < 0 || ids[a] >= n_first) {
            PyErr_SetString(PyExc_ValueError, "a token id is outside first");
            goto done;
        }
    Py_ssize_t found = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t a = 0; a < n; a++) {
        if (!first[ids[a]])
            continue;
        Py_ssize_t span = 0; /* known tokens from a, at most prefix */
        while (span < prefix && a + span < n && ids[a + span] != 0)
            span++;
        if (span >= 2 && !bloom_has(pairs, pair_bits, pw[a + 2] * (s[a + 2] - s[a])))
            span = 1;
        for (Py_ssize_t len = 1; len <= span; len++) {
            uint64_t h = pw[a + len] * (s[a + len] - s[a]);
            if (bloom_has(bloom, key_bits, h)) {
                out_start[found] = a;
                out_end[found] = a + len;
                out_hash[found++] = h;
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(found);
done:
    release(b, 9);
    return result;
}

/* winnow(hashes, window, out) -> n
 *
 * creditline.core.fingerprint.winnow: the indices of the k-grams winnowing selects from hashes
 * (uint64): each window of `window` consecutive hashes (all of them when fewer) selects its
 * rightmost minimum, and a pick equal to the previous one is not repeated. out (int64) must hold
 * len(hashes) items. */
static PyObject *winnow(PyObject *self, PyObject *args) {
    PyObject *o[2];
    Py_ssize_t window;
    if (!PyArg_ParseTuple(args, "OnO", &o[0], &window, &o[1]))
        return NULL;
    if (window < 1) {
        PyErr_SetString(PyExc_ValueError, "window must be at least 1");
        return NULL;
    }
    Buf b[2];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (get(o[0], &b[0], 0, 8, 0, "hashes") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 8;
    if (get(o[1], &b[1], 1, 8, n, "out") < 0)
        goto done;
    const uint64_t *h = b[0].view.buf;
    int64_t *out = b[1].view.buf;
    Py_ssize_t found = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t width = window < n ? window : n;
    Py_ssize_t last = -1; /* the pick of the previous window */
    for (Py_ssize_t start = 0; start + width <= n && n > 0; start++) {
        Py_ssize_t pick;
        if (last >= start) { /* the previous pick is still inside: only the new hash can beat it */
            Py_ssize_t added = start + width - 1;
            pick = h[added] <= h[last] ? added : last;
        } else {
            pick = start;
            for (Py_ssize_t j = start + 1; j < start + width; j++)
                if (h[j] <= h[pick])
                    pick = j;
        }
        if (pick != last)
            out[found++] = pick;
        last = pick;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(found);
done:
    release(b, 2);
    return result;
}

/* renamed_kgrams(renamed, back, k, out) -> None
 *
 * creditline.core.fingerprint.renamed_kgram_hashes' last step: the hash of every k-gram of an
 * abstracted token stream (uint64 renamed), each token's value raised by R times its back
 * reference (int64 back: tokens since the same name last occurred, 0 for none) where that
 * reference stays inside the k-gram, combined as the polynomial hash sum(v[j] * P**(k-1-j)).
 * out (uint64) must hold len(renamed) - k + 1 items. */
static PyObject *renamed_kgrams(PyObject *self, PyObject *args) {
    PyObject *o[3];
    Py_ssize_t k;
    unsigned long long r;
    if (!PyArg_ParseTuple(args, "OOnKO", &o[0], &o[1], &k, &r, &o[2]))
        return NULL;
    Buf b[3];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (get(o[0], &b[0], 0, 8, 0, "renamed") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 8, count = n - k + 1;
    if (k < 1 || count < 1) {
        PyErr_SetString(PyExc_ValueError, "k must be at least 1 and at most len(renamed)");
        goto done;
    }
    if (get(o[1], &b[1], 0, 8, n, "back") < 0 || get(o[2], &b[2], 1, 8, count, "out") < 0)
        goto done;
    const uint64_t *v = b[0].view.buf;
    const int64_t *back = b[1].view.buf;
    uint64_t *out = b[2].view.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        uint64_t h = 0;
        for (Py_ssize_t j = 0; j < k; j++) {
            int64_t ref = back[i + j];
            h = h * P + (v[i + j] + (uint64_t)(ref <= j ? ref : 0) * (uint64_t)r);
        }
        out[i] = h;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release(b, 3);
    return result;
}

/* argsort_u64(keys, out) -> None
 *
 * creditline.store._postings.sort_columns: the stable argsort of uint64 keys (numpy's
 * argsort(kind="stable") gives the same), as an LSD radix sort of 11-bit digits: six passes,
 * each a counting scatter of (key, index) pairs; a digit that all keys share is skipped. out
 * (int64) must hold len(keys) items. */
#define RADIX_BITS 11
#define RADIX (1 << RADIX_BITS)
#define RADIX_PASSES 6
static PyObject *argsort_u64(PyObject *self, PyObject *args) {
    PyObject *o[2];
    if (!PyArg_ParseTuple(args, "OO", &o[0], &o[1]))
        return NULL;
    Buf b[2];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    uint64_t *keys_b = NULL, *keys_a = NULL;
    int64_t *index_b = NULL;
    Py_ssize_t (*counts)[RADIX] = NULL;
    if (get(o[0], &b[0], 0, 8, 0, "keys") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len / 8;
    if (get(o[1], &b[1], 1, 8, n, "out") < 0)
        goto done;
    const uint64_t *keys = b[0].view.buf;
    int64_t *out = b[1].view.buf;
    keys_a = malloc((n ? n : 1) * sizeof(uint64_t));
    keys_b = malloc((n ? n : 1) * sizeof(uint64_t));
    index_b = malloc((n ? n : 1) * sizeof(int64_t));
    counts = calloc(RADIX_PASSES, sizeof(*counts));
    if (!keys_a || !keys_b || !index_b || !counts) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < n; j++) {
        uint64_t k = keys[j];
        keys_a[j] = k;
        out[j] = j;
        for (int p = 0; p < RADIX_PASSES; p++)
            counts[p][(k >> (p * RADIX_BITS)) & (RADIX - 1)]++;
    }
    uint64_t *kin = keys_a, *kout = keys_b;
    int64_t *iin = out, *iout = index_b;
    for (int p = 0; p < RADIX_PASSES; p++) {
        Py_ssize_t *count = counts[p];
        int shift = p * RADIX_BITS, constant = 0;
        Py_ssize_t total = 0;
        for (int d = 0; d < RADIX; d++) {
            Py_ssize_t c = count[d];
            if (c == n)
                constant = 1;
            count[d] = total;
            total += c;
        }
        if (constant)
            continue;
        for (Py_ssize_t j = 0; j < n; j++) {
            uint64_t k = kin[j];
            Py_ssize_t at = count[(k >> shift) & (RADIX - 1)]++;
            kout[at] = k;
            iout[at] = iin[j];
        }
        uint64_t *kt = kin;
        kin = kout;
        kout = kt;
        int64_t *it = iin;
        iin = iout;
        iout = it;
    }
    if (iin != out)
        memcpy(out, iin, n * sizeof(int64_t));
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    free(keys_a);
    free(keys_b);
    free(index_b);
    free(counts);
    release(b, 2);
    return result;
}

/* span_hashes(src, starts, ends, seed, out) -> None
 *
 * creditline.core.normalize's token hashes: out[i] = xxh3_64(src[starts[i]:ends[i]], seed), the
 * xxHash function the xxhash package's xxh3_64_intdigest computes (the same version, vendored).
 * starts and ends are int64, out uint64, each of one length. */
static PyObject *span_hashes(PyObject *self, PyObject *args) {
    PyObject *o[4];
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OOOKO", &o[0], &o[1], &o[2], &seed, &o[3]))
        return NULL;
    Buf b[4];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (get(o[0], &b[0], 0, 1, 0, "src") < 0 || get(o[1], &b[1], 0, 8, 0, "starts") < 0)
        goto done;
    Py_ssize_t n = b[1].view.len / 8, size = b[0].view.len;
    if (get(o[2], &b[2], 0, 8, n, "ends") < 0 || get(o[3], &b[3], 1, 8, n, "out") < 0)
        goto done;
    const unsigned char *src = b[0].view.buf;
    const int64_t *starts = b[1].view.buf, *ends = b[2].view.buf;
    uint64_t *out = b[3].view.buf;
    for (Py_ssize_t i = 0; i < n; i++)
        if (starts[i] < 0 || starts[i] > ends[i] || ends[i] > size) {
            PyErr_SetString(PyExc_ValueError, "a span lies outside src");
            goto done;
        }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = XXH3_64bits_withSeed(src + starts[i], (size_t)(ends[i] - starts[i]), (XXH64_hash_t)seed);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release(b, 4);
    return result;
}

/* code_lex(src, flags, starts, ends, kinds) -> (n_tokens, unclosed)
 *
 * The lexer tokens of source code (creditline.core.normalize.code_tokens): src is the code's
 * UTF-8 bytes, flags the language's LEX_* bits (normalize.LEX_FLAGS, the same names here and
 * there). Comments and white space are skipped; every other token gets its byte range and a kind
 * (K_* below). starts and ends are int64 and kinds uint8, each at least len(src) items. unclosed
 * is where a block that may span lines (block comment, triple-quoted or raw string, template,
 * heredoc) opens and never closes, -1 when none does. normalize._lex_python is this function in
 * Python, with the same results (a property test compares the two). */
enum { K_IDENT = 1, K_PROPERTY = 2, K_VARIABLE = 3, K_STRING = 4, K_NUMBER = 5, K_PUNCT = 6 };
enum {
    LEX_SLASH = 1 << 0,       /* // and block comments */
    LEX_HASH = 1 << 1,        /* # comments */
    LEX_SH_HASH = 1 << 2,     /* # comments only where a word starts (shell) */
    LEX_NEST = 1 << 3,        /* block comments nest (Rust) */
    LEX_TRIPLE = 1 << 4,      /* triple-quoted strings */
    LEX_PY_PREFIX = 1 << 5,   /* r b u f prefixes of strings (Python) */
    LEX_BT_RAW = 1 << 6,      /* `raw strings` (Go) */
    LEX_BT_TEMPLATE = 1 << 7, /* `templates ${with} holes` (JavaScript) */
    LEX_BT_STRING = 1 << 8,   /* `commands` with escapes (shell, Ruby, PHP) */
    LEX_SQ_CHAR = 1 << 9,     /* ' opens a character literal or is a lifetime's tick (Rust) */
    LEX_SQ_RAW = 1 << 10,     /* '...' has no escapes (shell) */
    LEX_REGEX = 1 << 11,      /* /regex/ literals where an operand is expected */
    LEX_DOLLAR_VAR = 1 << 12, /* $name variables */
    LEX_AT_VAR = 1 << 13,     /* @name and @@name variables (Ruby) */
    LEX_HEREDOC = 1 << 14,    /* <<EOF and <<<EOF heredocs */
    LEX_RUBY_DOC = 1 << 15,   /* =begin ... =end comments */
    LEX_DOLLAR_ID = 1 << 16,  /* $ is an identifier character */
    LEX_CPP_PREFIX = 1 << 17, /* L u U u8 prefixes and R"d(...)d" raw strings */
    LEX_RUST_RAW = 1 << 18,   /* b"..." r"..." r#"..."# */
    LEX_CS_STRING = 1 << 19,  /* @"verbatim" and $"interpolated" strings, @identifiers */
    LEX_MULTILINE = 1 << 20,  /* "..." and '...' may span lines */
    LEX_RUBY_NAME = 1 << 21,  /* names may end in ? or ! */
};

static inline int lx_id_start(unsigned char c, int flags) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 ||
           (c == '$' && (flags & LEX_DOLLAR_ID));
}
static inline int lx_id_char(unsigned char c, int flags) {
    return lx_id_start(c, flags) || (c >= '0' && c <= '9');
}
static inline int lx_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int lx_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Multi-byte operators, longest first (maximal munch). */
static const char *const LX_OPS[] = {
    ">>>=", "===", "!==", "**=", "<<=", ">>=", ">>>", "...", "<=>", "&&=", "||=", "?\?=", "//=",
    "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "<<", ">>", "**", "->", "=>", "::", "??", "?.", ":=", "..", "//", NULL};

/* Words after which a / opens a regex literal rather than dividing. */
static const char *const LX_REGEX_AFTER[] = {
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else",
    "yield", "await", "if", "unless", "when", "and", "or", "not", "while", "until", NULL};

static int lx_word_is(const unsigned char *s, Py_ssize_t len, const char *const *words) {
    for (; *words; words++)
        if ((Py_ssize_t)strlen(*words) == len && memcmp(s, *words, len) == 0)
            return 1;
    return 0;
}

/* End of a quoted string whose body starts at i: the byte after the closing quote q, or the end
 * of the line (single-line strings) or of the text. *closed says whether the quote was found. */
static Py_ssize_t lx_quoted(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, unsigned char q, int escapes,
                            int multiline, int *closed) {
    while (i < n) {
        unsigned char c = s[i];
        if (c == q) {
            *closed = 1;
            return i + 1;
        }
        if (c == '\\' && escapes && i + 1 < n) {
            i += 2;
            continue;
        }
        if (c == '\n' && !multiline) {
            *closed = 1; /* a single-line string ends with its line */
            return i;
        }
        i++;
    }
    *closed = 0;
    return n;
}

/* End of the text from i to the first occurrence of needle (after it), or n. */
static Py_ssize_t lx_until(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, const unsigned char *needle,
                           Py_ssize_t len, int *closed) {
    for (; i + len <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, len) == 0) {
            *closed = 1;
            return i + len;
        }
    *closed = 0;
    return n;
}

/* End of a heredoc body that starts at i (the line after its opener): the end of the first line
 * that, past leading blanks, is the delimiter (not followed by a name character), or n. */
static Py_ssize_t lx_heredoc(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, const unsigned char *delim,
                             Py_ssize_t len, int *closed) {
    while (i < n) {
        Py_ssize_t j = i;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j + len <= n && memcmp(s + j, delim, len) == 0 && (j + len == n || !lx_id_char(s[j + len], 0))) {
            *closed = 1;
            return j + len;
        }
        while (i < n && s[i] != '\n')
            i++;
        if (i < n)
            i++;
    }
    *closed = 0;
    return n;
}

/* The end of a template literal (after its closing backtick), ${...} holes skipped by counting
 * braces. */
static Py_ssize_t lx_template(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, int *closed) {
    int depth = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c == '\\' && i + 1 < n) {
            i += 2;
            continue;
        }
        if (depth == 0 && c == '`') {
            *closed = 1;
            return i + 1;
        }
        if (c == '$' && i + 1 < n && s[i + 1] == '{') {
            depth++;
            i += 2;
            continue;
        }
        if (depth > 0 && c == '{')
            depth++;
        else if (depth > 0 && c == '}')
            depth--;
        i++;
    }
    *closed = 0;
    return n;
}

/* The end of a regex literal whose body starts at i (after the opening /), with its flags; 0 when
 * the line ends first (then the / was an operator). */
static Py_ssize_t lx_regex(const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
    int klass = 0;
    while (i < n && s[i] != '\n') {
        unsigned char c = s[i];
        if (c == '\\' && i + 1 < n && s[i + 1] != '\n') {
            i += 2;
            continue;
        }
        if (c == '[')
            klass = 1;
        else if (c == ']')
            klass = 0;
        else if (c == '/' && !klass) {
            i++;
            while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
                i++;
            return i;
        }
        i++;
    }
    return 0;
}

typedef struct {
    const unsigned char *s;
    Py_ssize_t n;
    int flags;
    int64_t *starts, *ends;
    uint8_t *kinds;
    Py_ssize_t count;
    Py_ssize_t unclosed;
    int dead; /* D_* kinds of block found open to the end: later openers of the kind do not close either */
} Lexer;

enum {
    D_COMMENT = 1, D_RUBY_DOC = 2, D_TRIPLE_DQ = 4, D_TRIPLE_SQ = 8, D_DQ = 16, D_SQ = 32, D_BACKTICK = 64,
    D_VERBATIM = 128, D_HEREDOC = 256, D_CPP_RAW = 512, D_RUST_RAW = 1024,
};

static inline void lx_emit(Lexer *lx, Py_ssize_t start, Py_ssize_t end, int kind) {
    lx->starts[lx->count] = start;
    lx->ends[lx->count] = end;
    lx->kinds[lx->count++] = (uint8_t)kind;
}

/* A block (comment or string) opened at start that never closes is no block: its opener (len
 * bytes) is an operator token and lexing goes on after it, so a truncated comment or docstring
 * does not swallow the code after it. The first such opener is reported (unclosed). */
static Py_ssize_t lx_fail(Lexer *lx, Py_ssize_t start, Py_ssize_t len, int dead) {
    if (lx->unclosed < 0)
        lx->unclosed = start;
    lx->dead |= dead;
    lx_emit(lx, start, start + len, K_PUNCT);
    return start + len;
}

/* A string token [start, end) when it closed, else lx_fail; where to go on. */
static Py_ssize_t lx_block(Lexer *lx, Py_ssize_t start, Py_ssize_t end, int closed, Py_ssize_t len, int dead) {
    if (!closed)
        return lx_fail(lx, start, len, dead);
    lx_emit(lx, start, end, K_STRING);
    return end;
}

/* Lexes the string whose quote is at q (" or '; triple-quoted where the language has those),
 * with its prefix from start; returns where to go on. */
static Py_ssize_t lx_string(Lexer *lx, Py_ssize_t start, Py_ssize_t q) {
    const unsigned char *s = lx->s;
    Py_ssize_t n = lx->n;
    unsigned char c = s[q];
    int flags = lx->flags, closed = 0;
    if ((flags & LEX_TRIPLE) && q + 2 < n && s[q + 1] == c && s[q + 2] == c) {
        int dead = c == '"' ? D_TRIPLE_DQ : D_TRIPLE_SQ;
        if (lx->dead & dead)
            return lx_fail(lx, start, q + 3 - start, dead);
        Py_ssize_t j = q + 3;
        while (j < n) {
            if (s[j] == '\\') {
                j += 2;
                continue;
            }
            if (s[j] == c && j + 2 < n && s[j + 1] == c && s[j + 2] == c) {
                closed = 1;
                j += 3;
                break;
            }
            j++;
        }
        return lx_block(lx, start, j, closed, q + 3 - start, dead);
    }
    int raw = c == '\'' && (flags & LEX_SQ_RAW);
    int multiline = (flags & LEX_MULTILINE) != 0;
    int dead = c == '"' ? D_DQ : D_SQ;
    if (multiline && (lx->dead & dead))
        return lx_fail(lx, start, q + 1 - start, dead);
    Py_ssize_t end = lx_quoted(s, n, q + 1, c, !raw, multiline, &closed);
    return lx_block(lx, start, end, closed || !multiline, q + 1 - start, dead); /* a single-line one ends at the end */
}

static const char *const LX_CPP_PREFIXES[] = {"L", "u", "U", "u8", NULL};

/* Lexes a string that starts with the name s[i:j] (a prefix: Python's r b u f, C++'s L u U u8
 * and raw R"d(...)d", Rust's b and raw r#"..."#) and returns where to go on; 0 when the name is
 * no such prefix. */
static Py_ssize_t lx_prefixed(Lexer *lx, Py_ssize_t i, Py_ssize_t j) {
    const unsigned char *s = lx->s;
    Py_ssize_t n = lx->n, len = j - i;
    int flags = lx->flags, closed = 0;
    if (j >= n)
        return 0;
    if ((flags & LEX_RUST_RAW) && (len == 1 || (len == 2 && s[i] == 'b')) && s[j - 1] == 'r' &&
        (s[j] == '"' || s[j] == '#')) {
        Py_ssize_t h = j;
        while (h < n && s[h] == '#' && h - j < 16)
            h++;
        if (h < n && s[h] == '"') {
            if (lx->dead & D_RUST_RAW)
                return lx_fail(lx, i, h + 1 - i, D_RUST_RAW);
            unsigned char closer[17];
            closer[0] = '"';
            memset(closer + 1, '#', h - j);
            Py_ssize_t end = lx_until(s, n, h + 1, closer, h - j + 1, &closed);
            return lx_block(lx, i, end, closed, h + 1 - i, D_RUST_RAW);
        }
        return 0;
    }
    if (s[j] != '"' && s[j] != '\'')
        return 0;
    if ((flags & LEX_CPP_PREFIX) && s[j] == '"' && s[j - 1] == 'R' &&
        (len == 1 || lx_word_is(s + i, len - 1, LX_CPP_PREFIXES))) {
        Py_ssize_t d = j + 1;
        while (d < n && d - (j + 1) < 16 && s[d] != '(' && s[d] != '"' && !lx_space(s[d]))
            d++;
        if (d < n && s[d] == '(') {
            if (lx->dead & D_CPP_RAW)
                return lx_fail(lx, i, d + 1 - i, D_CPP_RAW);
            unsigned char closer[18];
            Py_ssize_t dl = d - (j + 1);
            closer[0] = ')';
            memcpy(closer + 1, s + j + 1, dl);
            closer[dl + 1] = '"';
            Py_ssize_t end = lx_until(s, n, d + 1, closer, dl + 2, &closed);
            return lx_block(lx, i, end, closed, d + 1 - i, D_CPP_RAW);
        }
        return 0;
    }
    int prefix = 0;
    if ((flags & LEX_PY_PREFIX) && len <= 2) {
        prefix = 1;
        for (Py_ssize_t k = i; k < j; k++)
            if (!strchr("rRbBuUfF", s[k]))
                prefix = 0;
    }
    if ((flags & LEX_CPP_PREFIX) && lx_word_is(s + i, len, LX_CPP_PREFIXES))
        prefix = 1;
    if ((flags & LEX_RUST_RAW) && len == 1 && s[i] == 'b')
        prefix = 1;
    if (!prefix || (s[j] == '\'' && (flags & LEX_SQ_CHAR) && !(flags & LEX_RUST_RAW)))
        return 0;
    if (s[j] == '\'' && (flags & LEX_SQ_CHAR)) { /* Rust's b'x' */
        Py_ssize_t end = lx_quoted(s, n, j + 1, '\'', 1, 0, &closed);
        lx_emit(lx, i, end, K_STRING);
        return end;
    }
    return lx_string(lx, i, j);
}

/* Whether the previous token lets a / open a regex literal (an operand is expected). */
static int lx_operand_expected(const Lexer *lx) {
    if (lx->count == 0)
        return 1;
    Py_ssize_t k = lx->count - 1;
    const unsigned char *t = lx->s + lx->starts[k];
    Py_ssize_t len = lx->ends[k] - lx->starts[k];
    switch (lx->kinds[k]) {
    case K_PUNCT:
        return !(len == 1 && (t[0] == ')' || t[0] == ']' || t[0] == '}'));
    case K_IDENT:
        return lx_word_is(t, len, LX_REGEX_AFTER);
    default:
        return 0;
    }
}

static void lx_run(Lexer *lx) {
    const unsigned char *s = lx->s;
    Py_ssize_t n = lx->n, i = 0;
    int flags = lx->flags, closed;
    unsigned char heredoc[64];
    Py_ssize_t heredoc_len = 0; /* a heredoc whose body starts on the next line */
    while (i < n) {
        unsigned char c = s[i];
        Py_ssize_t start = i;
        if (c == '\n' && heredoc_len > 0) { /* a heredoc's body; one that never ends is read as code */
            heredoc_len = heredoc_len * !(lx->dead & D_HEREDOC);
            Py_ssize_t end = heredoc_len ? lx_heredoc(s, n, i + 1, heredoc, heredoc_len, &closed) : i;
            if (heredoc_len && !closed) {
                if (lx->unclosed < 0)
                    lx->unclosed = i + 1;
                lx->dead |= D_HEREDOC;
            } else if (end > i + 1) {
                lx_emit(lx, i + 1, end, K_STRING);
                i = end;
            }
            heredoc_len = 0;
            continue;
        }
        if (lx_space(c)) {
            i++;
            continue;
        }
        if (c == '\\' && i + 1 < n && (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n'))) {
            i += s[i + 1] == '\n' ? 2 : 3; /* a line continuation */
            continue;
        }
        /* comments */
        if ((flags & LEX_SLASH) && c == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if ((flags & LEX_SLASH) && c == '/' && i + 1 < n && s[i + 1] == '*') {
            if (lx->dead & D_COMMENT) {
                i = lx_fail(lx, start, 2, D_COMMENT);
                continue;
            }
            int depth = 1;
            i += 2;
            while (i < n && depth > 0) {
                if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
                    depth--;
                    i += 2;
                } else if ((flags & LEX_NEST) && s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else
                    i++;
            }
            if (depth > 0)
                i = lx_fail(lx, start, 2, D_COMMENT);
            continue;
        }
        if (c == '#' && ((flags & LEX_HASH) || ((flags & LEX_SH_HASH) && (i == 0 || lx_space(s[i - 1]) ||
                                                                          s[i - 1] == ';' || s[i - 1] == '(' ||
                                                                          s[i - 1] == '|' || s[i - 1] == '&')))) {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if ((flags & LEX_RUBY_DOC) && c == '=' && (i == 0 || s[i - 1] == '\n') && i + 6 <= n &&
            memcmp(s + i, "=begin", 6) == 0) {
            static const unsigned char end_doc[] = "\n=end";
            closed = 0;
            if (!(lx->dead & D_RUBY_DOC))
                i = lx_until(s, n, i + 6, end_doc, 5, &closed);
            if (!closed) {
                i = lx_fail(lx, start, 6, D_RUBY_DOC);
                continue;
            }
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        /* strings */
        if (c == '"' || (c == '\'' && !(flags & LEX_SQ_CHAR))) {
            i = lx_string(lx, start, i);
            continue;
        }
        if (c == '\'') { /* Rust: a character literal, or the tick of a lifetime */
            Py_ssize_t j = i + 1;
            if (j < n && s[j] == '\\')
                j += 2;
            else if (j < n) {
                j++;
                while (j < n && (s[j] & 0xC0) == 0x80) /* the rest of one UTF-8 character */
                    j++;
            }
            if (j < n && s[j] == '\'' && j > i + 1) {
                lx_emit(lx, start, j + 1, K_STRING);
                i = j + 1;
                continue;
            }
            if (i + 2 < n && s[i + 1] == '\\') { /* a longer escape: '\u{1F600}' */
                Py_ssize_t end = lx_quoted(s, n, i + 1, '\'', 1, 0, &closed);
                lx_emit(lx, start, end, K_STRING);
                i = end;
                continue;
            }
            lx_emit(lx, start, i + 1, K_PUNCT);
            i++;
            continue;
        }
        if (c == '`' && (flags & (LEX_BT_RAW | LEX_BT_TEMPLATE | LEX_BT_STRING))) {
            Py_ssize_t end = i + 1;
            closed = 0;
            if (lx->dead & D_BACKTICK)
                ;
            else if (flags & LEX_BT_TEMPLATE)
                end = lx_template(s, n, i + 1, &closed);
            else
                end = lx_quoted(s, n, i + 1, '`', (flags & LEX_BT_STRING) != 0, 1, &closed);
            i = lx_block(lx, start, end, closed, 1, D_BACKTICK);
            continue;
        }
        if ((flags & LEX_CS_STRING) && (c == '@' || c == '$') && i + 1 < n) {
            Py_ssize_t j = i + 1;
            int verbatim = c == '@';
            if (j < n && (s[j] == '@' || s[j] == '$') && s[j] != c) {
                verbatim = 1;
                j++;
            }
            if (j < n && s[j] == '"') {
                if (verbatim) { /* "" is a quote inside */
                    Py_ssize_t opener = j + 1 - start;
                    j++;
                    closed = 0;
                    while (j < n && !(lx->dead & D_VERBATIM)) {
                        if (s[j] == '"' && j + 1 < n && s[j + 1] == '"')
                            j += 2;
                        else if (s[j] == '"') {
                            closed = 1;
                            j++;
                            break;
                        } else
                            j++;
                    }
                    i = lx_block(lx, start, j, closed, opener, D_VERBATIM);
                    continue;
                }
                j = lx_quoted(s, n, j + 1, '"', 1, 0, &closed);
                lx_emit(lx, start, j, K_STRING);
                i = j;
                continue;
            }
            if (c == '@' && lx_id_start(s[i + 1], flags)) { /* @class: an identifier */
                j = i + 1;
                while (j < n && lx_id_char(s[j], flags))
                    j++;
                lx_emit(lx, start, j, K_IDENT);
                i = j;
                continue;
            }
        }
        /* heredocs: <<EOF <<-EOF <<~EOF <<'EOF' (shell, Ruby), <<<EOF <<<'EOF' (PHP) */
        if ((flags & LEX_HEREDOC) && c == '<' && i + 2 < n && s[i + 1] == '<' && heredoc_len == 0) {
            Py_ssize_t j = i + 2;
            int php = s[j] == '<';
            if (php || s[j] == '-' || s[j] == '~')
                j++;
            if (php || (flags & LEX_SH_HASH))
                while (j < n && s[j] == ' ')
                    j++;
            unsigned char quote = 0;
            if (j < n && (s[j] == '\'' || s[j] == '"'))
                quote = s[j++];
            Py_ssize_t d = j;
            while (j < n && s[j] < 0x80 && lx_id_char(s[j], 0))
                j++;
            if (j > d && j - d <= (Py_ssize_t)sizeof(heredoc) && !lx_digit(s[d]) && (!quote || (j < n && s[j] == quote))) {
                memcpy(heredoc, s + d, j - d);
                heredoc_len = j - d;
                if (quote)
                    j++;
                lx_emit(lx, start, j, K_PUNCT);
                i = j;
                continue;
            }
        }
        /* names, and the string prefixes among them */
        if (lx_id_start(c, flags)) {
            Py_ssize_t j = i + 1;
            while (j < n && lx_id_char(s[j], flags))
                j++;
            if ((flags & LEX_RUBY_NAME) && j < n && (s[j] == '?' || s[j] == '!') && !(j + 1 < n && s[j + 1] == '='))
                j++;
            Py_ssize_t next = lx_prefixed(lx, i, j);
            if (next > 0) {
                i = next;
                continue;
            }
            int kind = K_IDENT;
            if (lx->count > 0 && lx->kinds[lx->count - 1] == K_PUNCT) {
                const unsigned char *t = s + lx->starts[lx->count - 1];
                Py_ssize_t tl = lx->ends[lx->count - 1] - lx->starts[lx->count - 1];
                if ((tl == 1 && t[0] == '.') || (tl == 2 && ((t[0] == '?' && t[1] == '.') || (t[0] == '-' && t[1] == '>'))))
                    kind = K_PROPERTY;
            }
            lx_emit(lx, start, j, kind);
            i = j;
            continue;
        }
        /* variables */
        if ((flags & LEX_DOLLAR_VAR) && c == '$' && i + 1 < n) {
            Py_ssize_t j = i + 1;
            if (s[j] == '{') {
                while (j < n && s[j] != '}' && s[j] != '\n')
                    j++;
                j = j < n && s[j] == '}' ? j + 1 : j;
            } else if (lx_id_start(s[j], flags)) {
                while (j < n && lx_id_char(s[j], flags))
                    j++;
            } else if (lx_digit(s[j]) || (s[j] != 0 && strchr("@*#?$!-", s[j])))
                j++;
            if (j > i + 1) {
                lx_emit(lx, start, j, K_VARIABLE);
                i = j;
                continue;
            }
        }
        if ((flags & LEX_AT_VAR) && c == '@') {
            Py_ssize_t j = i + 1;
            if (j < n && s[j] == '@')
                j++;
            if (j < n && lx_id_start(s[j], flags)) {
                while (j < n && lx_id_char(s[j], flags))
                    j++;
                lx_emit(lx, start, j, K_VARIABLE);
                i = j;
                continue;
            }
        }
        /* numbers */
        if (lx_digit(c) || (c == '.' && i + 1 < n && lx_digit(s[i + 1]))) {
            Py_ssize_t j = i + 1;
            int hex = c == '0' && j < n && (s[j] == 'x' || s[j] == 'X');
            while (j < n) {
                unsigned char d = s[j];
                if (lx_digit(d) || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || d == '_' || d == '\'')
                    j++;
                else if (d == '.' && j + 1 < n && lx_digit(s[j + 1]))
                    j++;
                else if ((d == '+' || d == '-') &&
                         (hex ? (s[j - 1] == 'p' || s[j - 1] == 'P') : (s[j - 1] == 'e' || s[j - 1] == 'E')))
                    j++;
                else
                    break;
            }
            if (s[j - 1] == '\'') /* a digit separator cannot end a number (C++ 1'000) */
                j--;
            lx_emit(lx, start, j, K_NUMBER);
            i = j;
            continue;
        }
        /* regex literals */
        if ((flags & LEX_REGEX) && c == '/' && lx_operand_expected(lx)) {
            Py_ssize_t end = lx_regex(s, n, i + 1);
            if (end > 0) {
                lx_emit(lx, start, end, K_STRING);
                i = end;
                continue;
            }
        }
        /* operators and other punctuation */
        {
            Py_ssize_t len = 1;
            for (const char *const *op = LX_OPS; *op; op++) {
                const char *o = *op;
                if (o[0] != (char)c)
                    continue;
                Py_ssize_t ol = (Py_ssize_t)strlen(o);
                if (i + ol <= n && memcmp(s + i, o, ol) == 0) {
                    len = ol;
                    break;
                }
            }
            lx_emit(lx, start, i + len, K_PUNCT);
            i += len;
        }
    }
}

static PyObject *code_lex(PyObject *self, PyObject *args) {
    PyObject *o[4];
    int flags;
    if (!PyArg_ParseTuple(args, "OiOOO", &o[0], &flags, &o[1], &o[2], &o[3]))
        return NULL;
    Buf b[4];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (get(o[0], &b[0], 0, 1, 0, "src") < 0)
        goto done;
    Py_ssize_t n = b[0].view.len;
    if (get(o[1], &b[1], 1, 8, n, "starts") < 0 || get(o[2], &b[2], 1, 8, n, "ends") < 0 ||
        get(o[3], &b[3], 1, 1, n, "kinds") < 0)
        goto done;
    Lexer lx = {b[0].view.buf, n, flags, b[1].view.buf, b[2].view.buf, b[3].view.buf, 0, -1, 0};
    Py_BEGIN_ALLOW_THREADS
    lx_run(&lx);
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(nn)", lx.count, lx.unclosed);
done:
    release(b, 4);
    return result;
}

static PyMethodDef methods[] = {
    {"ascii_tokens", ascii_tokens, METH_VARARGS, "Runs, WORD tokens and their vocabulary ids of lower-cased ASCII text."},
    {"unicode_tokens", unicode_tokens, METH_VARARGS, "WORD tokens and their vocabulary ids of lower-cased code points."},
    {"word_runs", word_runs, METH_VARARGS, "Runs of word characters and their hashes."},
    {"minhash", minhash, METH_VARARGS, "MinHash signatures of streams of folded shingles."},
    {"shared_counts", shared_counts, METH_VARARGS, "Grams each text shares with each rule, from a minimum count."},
    {"find_folded", find_folded, METH_VARARGS, "Offsets of ASCII needles in an ASCII str, case-insensitively."},
    {"gram_windows", gram_windows, METH_VARARGS, "The k-token windows of a query that are grams of the index."},
    {"exact_windows", exact_windows, METH_VARARGS, "The windows of a query that may be exact rule prefixes."},
    {"winnow", winnow, METH_VARARGS, "The k-grams winnowing selects: rightmost minimum of each window."},
    {"renamed_kgrams", renamed_kgrams, METH_VARARGS, "Parameterised k-gram hashes of abstracted code."},
    {"argsort_u64", argsort_u64, METH_VARARGS, "Stable argsort of uint64 keys (LSD radix)."},
    {"span_hashes", span_hashes, METH_VARARGS, "xxh3_64 of every span of a buffer, with a seed."},
    {"code_lex", code_lex, METH_VARARGS, "The lexer tokens of source code: byte ranges and kinds."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ctokens", "The license tokenizer's inner loop.", -1,
                                    methods};

#ifndef SOURCE_SHA256
#define SOURCE_SHA256 "unknown"
#endif

/* SOURCE_SHA256 (set by setup.py: the digest of this file) lets the tests notice a stale build. */
PyMODINIT_FUNC PyInit__ctokens(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddStringConstant(m, "SOURCE_SHA256", SOURCE_SHA256) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
