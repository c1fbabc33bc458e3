/* Exact sufficient statistics of sacrebleu 2.6.0's BLEU, chrF/chrF++ and TER, in C.
 *
 * Each function takes a chunk of hypotheses and reference streams (Python lists of str), copies the text
 * into one UCS4 buffer while holding the GIL, then releases the GIL for the counting, so Python threads
 * can run chunks side by side. The output is a bytes object holding a row-major matrix (int64 for BLEU
 * and chrF, float64 for TER), row i for segment i, in the column order of sacrebleu's
 * ``_extract_corpus_statistics``.
 *
 * Every step follows sacrebleu's Python code (cited in each function): whitespace is Python's str.split()
 * set (Py_UNICODE_ISSPACE of the running interpreter), regular expressions are replayed as left-to-right
 * non-overlapping scans, n-grams are compared exactly (interned token ids, packed code points), chrF picks
 * its best reference with the same double arithmetic and strict comparison, and TER runs the same beam edit
 * distance and shift search (same limits, same tie-breaking). Lower-casing and TER's tokenizer run in
 * Python before the call (str.lower is full Unicode case mapping). evalkit/metrics/fast.py uses this
 * module only for the configurations its tests prove identical, and falls back to sacrebleu otherwise.
 *
 * Compile without -ffast-math and with -ffp-contract=off (setup.py does): the chrF F-score must round like
 * Python floats.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t u32;
typedef int64_t i64;
typedef uint64_t u64;

/* ---------------------------------------------------------------- growable buffers */

typedef struct {
    u32 *p;
    Py_ssize_t n, cap;
} UBuf;

static int ubuf_reserve(UBuf *b, Py_ssize_t cap) {
    if (cap <= b->cap) return 0;
    Py_ssize_t nc = b->cap ? b->cap : 64;
    while (nc < cap) nc *= 2;
    u32 *p = (u32 *)realloc(b->p, (size_t)nc * sizeof(u32));
    if (!p) return -1;
    b->p = p;
    b->cap = nc;
    return 0;
}

static void ubuf_free(UBuf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static void ubuf_swap(UBuf *a, UBuf *b) {
    UBuf t = *a;
    *a = *b;
    *b = t;
}

typedef struct {
    Py_ssize_t *start, *len;
    Py_ssize_t n, cap;
} Toks;

static int toks_reserve(Toks *t, Py_ssize_t cap) {
    if (cap <= t->cap) return 0;
    Py_ssize_t nc = t->cap ? t->cap : 64;
    while (nc < cap) nc *= 2;
    Py_ssize_t *s = (Py_ssize_t *)realloc(t->start, (size_t)nc * sizeof(Py_ssize_t));
    if (!s) return -1;
    t->start = s;
    Py_ssize_t *l = (Py_ssize_t *)realloc(t->len, (size_t)nc * sizeof(Py_ssize_t));
    if (!l) return -1;
    t->len = l;
    t->cap = nc;
    return 0;
}

static void toks_free(Toks *t) {
    free(t->start);
    free(t->len);
    t->start = t->len = NULL;
    t->n = t->cap = 0;
}

static inline int is_space(u32 c) { return Py_UNICODE_ISSPACE((Py_UCS4)c); }

/* str.split(): maximal runs of non-whitespace, as (start, len) into p. */
static int split_ws(const u32 *p, Py_ssize_t n, Toks *out) {
    out->n = 0;
    if (toks_reserve(out, n / 2 + 2)) return -1;
    Py_ssize_t i = 0;
    while (i < n) {
        while (i < n && is_space(p[i])) i++;
        if (i >= n) break;
        Py_ssize_t s = i;
        while (i < n && !is_space(p[i])) i++;
        out->start[out->n] = s;
        out->len[out->n] = i - s;
        out->n++;
    }
    return 0;
}

/* ---------------------------------------------------------------- text chunk from Python */

typedef struct {
    u32 *text;
    Py_ssize_t *off; /* (n_rows * n_cols + 1) offsets, segment-major: hyp, ref 0, ref 1, ... */
    Py_ssize_t n, cols;
} Chunk;

static void chunk_free(Chunk *c) {
    free(c->text);
    free(c->off);
    c->text = NULL;
    c->off = NULL;
}

static inline const u32 *cell(const Chunk *c, Py_ssize_t i, Py_ssize_t k, Py_ssize_t *len) {
    Py_ssize_t idx = i * c->cols + k;
    *len = c->off[idx + 1] - c->off[idx];
    return c->text + c->off[idx];
}

static PyObject *get_str(PyObject *seq, Py_ssize_t i) {
    PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str at position %zd, got %s", i, Py_TYPE(s)->tp_name);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(s) < 0) return NULL;
#endif
    return s;
}

/* hyps: sequence of str; refs: sequence of streams (sequence of str), each as long as hyps. */
static int chunk_load(PyObject *hyps, PyObject *refs, Chunk *c) {
    memset(c, 0, sizeof(*c));
    int rc = -1;
    PyObject *h = PySequence_Fast(hyps, "hypotheses must be a sequence");
    PyObject *r = NULL;
    PyObject **streams = NULL;
    Py_ssize_t nrefs = 0, n = 0;
    if (!h) return -1;
    n = PySequence_Fast_GET_SIZE(h);
    r = PySequence_Fast(refs, "references must be a sequence of streams");
    if (!r) goto done;
    nrefs = PySequence_Fast_GET_SIZE(r);
    if (nrefs < 1) {
        PyErr_SetString(PyExc_ValueError, "at least one reference stream is needed");
        goto done;
    }
    streams = (PyObject **)calloc((size_t)nrefs, sizeof(PyObject *));
    if (!streams) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < nrefs; k++) {
        streams[k] = PySequence_Fast(PySequence_Fast_GET_ITEM(r, k), "a reference stream must be a sequence");
        if (!streams[k]) goto done;
        if (PySequence_Fast_GET_SIZE(streams[k]) != n) {
            PyErr_Format(PyExc_ValueError, "reference stream %zd has %zd segments, hypotheses %zd", k,
                         PySequence_Fast_GET_SIZE(streams[k]), n);
            goto done;
        }
    }
    c->n = n;
    c->cols = nrefs + 1;
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t k = 0; k < c->cols; k++) {
            PyObject *s = get_str(k == 0 ? h : streams[k - 1], i);
            if (!s) goto done;
            total += PyUnicode_GET_LENGTH(s);
        }
    }
    c->text = (u32 *)malloc((size_t)(total + 1) * sizeof(u32));
    c->off = (Py_ssize_t *)malloc((size_t)(n * c->cols + 1) * sizeof(Py_ssize_t));
    if (!c->text || !c->off) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t pos = 0, idx = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t k = 0; k < c->cols; k++) {
            PyObject *s = PySequence_Fast_GET_ITEM(k == 0 ? h : streams[k - 1], i);
            Py_ssize_t len = PyUnicode_GET_LENGTH(s);
            int kind = PyUnicode_KIND(s);
            const void *data = PyUnicode_DATA(s);
            c->off[idx++] = pos;
            for (Py_ssize_t j = 0; j < len; j++) c->text[pos + j] = (u32)PyUnicode_READ(kind, data, j);
            pos += len;
        }
    }
    c->off[idx] = pos;
    rc = 0;
done:
    if (streams) {
        for (Py_ssize_t k = 0; k < nrefs; k++) Py_XDECREF(streams[k]);
        free(streams);
    }
    Py_XDECREF(r);
    Py_DECREF(h);
    if (rc) chunk_free(c);
    return rc;
}

/* ---------------------------------------------------------------- hash maps */

static inline u64 mix64(u64 x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* n-gram key (a, b, order) -> counts; slots are cleared by bumping a generation stamp. */
typedef struct {
    u64 a, b;
    u32 order, gen;
    i64 v1, v2;
} Slot;

typedef struct {
    Slot *s;
    size_t alloc; /* slots allocated */
    size_t cap;   /* slots in use for this segment: a power of two, sized to it (stays in cache) */
    u32 gen;
} Map;

static int map_reset(Map *m, size_t expected) {
    size_t need = 16;
    while (need < 2 * expected + 2) need <<= 1;
    if (need > m->alloc) {
        free(m->s);
        m->s = (Slot *)calloc(need, sizeof(Slot));
        if (!m->s) {
            m->alloc = m->cap = 0;
            return -1;
        }
        m->alloc = need;
        m->gen = 0;
    }
    m->cap = need;
    m->gen++;
    if (m->gen == 0) { /* wrapped: clear for real */
        memset(m->s, 0, m->alloc * sizeof(Slot));
        m->gen = 1;
    }
    return 0;
}

static inline Slot *map_get(Map *m, u64 a, u64 b, u32 order, int insert) {
    size_t mask = m->cap - 1;
    size_t i = (size_t)mix64(a ^ mix64(b ^ ((u64)order << 58) ^ 0x9E3779B97F4A7C15ULL)) & mask;
    for (;;) {
        Slot *s = &m->s[i];
        if (s->gen != m->gen) {
            if (!insert) return NULL;
            s->gen = m->gen;
            s->a = a;
            s->b = b;
            s->order = order;
            s->v1 = s->v2 = 0;
            return s;
        }
        if (s->a == a && s->b == b && s->order == order) return s;
        i = (i + 1) & mask;
    }
}

static void map_free(Map *m) {
    free(m->s);
    m->s = NULL;
    m->alloc = m->cap = 0;
}

/* Strings (code point runs) -> dense ids, per segment. */
typedef struct {
    const u32 *p;
    Py_ssize_t len;
    u64 h;
    u32 gen;
    int32_t id;
} ISlot;

typedef struct {
    ISlot *s;
    size_t alloc, cap; /* as in Map */
    u32 gen;
    int32_t next;
} Interner;

static int intern_reset(Interner *t, size_t expected) {
    size_t need = 16;
    while (need < 2 * expected + 2) need <<= 1;
    if (need > t->alloc) {
        free(t->s);
        t->s = (ISlot *)calloc(need, sizeof(ISlot));
        if (!t->s) {
            t->alloc = t->cap = 0;
            return -1;
        }
        t->alloc = need;
        t->gen = 0;
    }
    t->cap = need;
    t->gen++;
    if (t->gen == 0) {
        memset(t->s, 0, t->alloc * sizeof(ISlot));
        t->gen = 1;
    }
    t->next = 0;
    return 0;
}

static int32_t intern(Interner *t, const u32 *p, Py_ssize_t len) {
    u64 h = 0x84222325cbf29ce4ULL ^ (u64)len;
    for (Py_ssize_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    h = mix64(h);
    size_t mask = t->cap - 1, i = (size_t)h & mask;
    for (;;) {
        ISlot *s = &t->s[i];
        if (s->gen != t->gen) {
            s->gen = t->gen;
            s->p = p;
            s->len = len;
            s->h = h;
            s->id = t->next++;
            return s->id;
        }
        if (s->h == h && s->len == len && memcmp(s->p, p, (size_t)len * sizeof(u32)) == 0) return s->id;
        i = (i + 1) & mask;
    }
}

static void intern_free(Interner *t) {
    free(t->s);
    t->s = NULL;
    t->alloc = t->cap = 0;
}

/* ---------------------------------------------------------------- BLEU tokenizers */

enum { TOK_NONE = 0, TOK_13A = 1, TOK_ZH = 2 };

/* (lo, hi) inclusive code point ranges that sacrebleu's TokenizerZh._is_chinese_char accepts; set from
 * Python (fast.py derives them from sacrebleu's own _UCODE_RANGES). */
static u32 zh_lo[64], zh_hi[64];
static int zh_n = -1;

static inline int is_chinese(u32 c) {
    for (int i = 0; i < zh_n; i++)
        if (zh_lo[i] <= c && c <= zh_hi[i]) return 1;
    return 0;
}

/* str.replace(pat, rep): non-overlapping, left to right. */
static int replace_all(const UBuf *src, UBuf *dst, const char *pat, const char *rep) {
    Py_ssize_t pl = (Py_ssize_t)strlen(pat), rl = (Py_ssize_t)strlen(rep);
    dst->n = 0;
    if (ubuf_reserve(dst, src->n + 1)) return -1; /* rep is never longer than pat here */
    Py_ssize_t i = 0;
    while (i < src->n) {
        if (i + pl <= src->n && src->p[i] == (u32)(unsigned char)pat[0]) {
            Py_ssize_t j = 1;
            while (j < pl && src->p[i + j] == (u32)(unsigned char)pat[j]) j++;
            if (j == pl) {
                for (Py_ssize_t r = 0; r < rl; r++) dst->p[dst->n++] = (u32)(unsigned char)rep[r];
                i += pl;
                continue;
            }
        }
        dst->p[dst->n++] = src->p[i++];
    }
    return 0;
}

static int contains_char(const UBuf *b, u32 c) {
    for (Py_ssize_t i = 0; i < b->n; i++)
        if (b->p[i] == c) return 1;
    return 0;
}

static int contains_str(const UBuf *b, const char *pat) {
    Py_ssize_t pl = (Py_ssize_t)strlen(pat);
    for (Py_ssize_t i = 0; i + pl <= b->n; i++) {
        Py_ssize_t j = 0;
        while (j < pl && b->p[i + j] == (u32)(unsigned char)pat[j]) j++;
        if (j == pl) return 1;
    }
    return 0;
}

/* TokenizerRegexp's first rule: ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 ' */
static inline int re1_class(u32 c) {
    return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
           (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

static inline int is_digit09(u32 c) { return c >= '0' && c <= '9'; }
static inline int dotcomma(u32 c) { return c == '.' || c == ','; }

/* The TokenizerRegexp rules 1-4 (sacrebleu/tokenizers/tokenizer_re.py), each a re.sub replayed as a scan.
 * a holds the input; the result ends in a (b is scratch). */
static int regexp_rules(UBuf *a, UBuf *b) {
    Py_ssize_t n = a->n;
    /* rule 1 */
    if (ubuf_reserve(b, 3 * n + 4)) return -1;
    b->n = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        u32 c = a->p[i];
        if (re1_class(c)) {
            b->p[b->n++] = ' ';
            b->p[b->n++] = c;
            b->p[b->n++] = ' ';
        } else {
            b->p[b->n++] = c;
        }
    }
    ubuf_swap(a, b);
    /* rule 2: ([^0-9])([\.,]) -> '\1 \2 ' */
    n = a->n;
    if (ubuf_reserve(b, 2 * n + 4)) return -1;
    b->n = 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (i + 1 < n && !is_digit09(a->p[i]) && dotcomma(a->p[i + 1])) {
            b->p[b->n++] = a->p[i];
            b->p[b->n++] = ' ';
            b->p[b->n++] = a->p[i + 1];
            b->p[b->n++] = ' ';
            i += 2;
        } else {
            b->p[b->n++] = a->p[i++];
        }
    }
    ubuf_swap(a, b);
    /* rule 3: ([\.,])([^0-9]) -> ' \1 \2' */
    n = a->n;
    if (ubuf_reserve(b, 2 * n + 4)) return -1;
    b->n = 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (i + 1 < n && dotcomma(a->p[i]) && !is_digit09(a->p[i + 1])) {
            b->p[b->n++] = ' ';
            b->p[b->n++] = a->p[i];
            b->p[b->n++] = ' ';
            b->p[b->n++] = a->p[i + 1];
            i += 2;
        } else {
            b->p[b->n++] = a->p[i++];
        }
    }
    ubuf_swap(a, b);
    /* rule 4: ([0-9])(-) -> '\1 \2 ' */
    n = a->n;
    if (ubuf_reserve(b, 2 * n + 4)) return -1;
    b->n = 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (i + 1 < n && is_digit09(a->p[i]) && a->p[i + 1] == '-') {
            b->p[b->n++] = a->p[i];
            b->p[b->n++] = ' ';
            b->p[b->n++] = '-';
            b->p[b->n++] = ' ';
            i += 2;
        } else {
            b->p[b->n++] = a->p[i++];
        }
    }
    ubuf_swap(a, b);
    return 0;
}

/* BLEU._preprocess_segment without lower-casing: tokenizer(sent.rstrip()), then str.split() into toks.
 * The tokens point into a, which must live as long as they are used. */
static int bleu_tokenize(const u32 *p, Py_ssize_t n, int mode, UBuf *a, UBuf *b, Toks *toks) {
    while (n > 0 && is_space(p[n - 1])) n--; /* rstrip */
    if (mode == TOK_NONE) {
        if (ubuf_reserve(a, n + 1)) return -1;
        memcpy(a->p, p, (size_t)n * sizeof(u32));
        a->n = n;
        return split_ws(a->p, a->n, toks);
    }
    if (mode == TOK_13A) {
        /* sacrebleu/tokenizers/tokenizer_13a.py */
        if (ubuf_reserve(a, n + 3)) return -1;
        memcpy(a->p, p, (size_t)n * sizeof(u32));
        a->n = n;
        if (contains_str(a, "<skipped>")) {
            if (replace_all(a, b, "<skipped>", "")) return -1;
            ubuf_swap(a, b);
        }
        if (contains_str(a, "-\n")) {
            if (replace_all(a, b, "-\n", "")) return -1;
            ubuf_swap(a, b);
        }
        for (Py_ssize_t i = 0; i < a->n; i++)
            if (a->p[i] == '\n') a->p[i] = ' ';
        if (contains_char(a, '&')) {
            static const char *pats[4][2] = {{"&quot;", "\""}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}};
            for (int k = 0; k < 4; k++) {
                if (replace_all(a, b, pats[k][0], pats[k][1])) return -1;
                ubuf_swap(a, b);
            }
        }
        /* f' {line} ' */
        if (ubuf_reserve(b, a->n + 2)) return -1;
        b->p[0] = ' ';
        memcpy(b->p + 1, a->p, (size_t)a->n * sizeof(u32));
        b->p[a->n + 1] = ' ';
        b->n = a->n + 2;
        ubuf_swap(a, b);
    } else {
        /* sacrebleu/tokenizers/tokenizer_zh.py: strip, then ' c ' around each Chinese character */
        Py_ssize_t s = 0;
        while (s < n && is_space(p[s])) s++;
        if (ubuf_reserve(a, 3 * (n - s) + 2)) return -1;
        a->n = 0;
        for (Py_ssize_t i = s; i < n; i++) {
            u32 c = p[i];
            if (is_chinese(c)) {
                a->p[a->n++] = ' ';
                a->p[a->n++] = c;
                a->p[a->n++] = ' ';
            } else {
                a->p[a->n++] = c;
            }
        }
    }
    if (regexp_rules(a, b)) return -1;
    return split_ws(a->p, a->n, toks);
}

/* ---------------------------------------------------------------- BLEU statistics */

typedef struct {
    UBuf *a, *b;
    Toks *toks;
    int32_t **ids;
    Py_ssize_t *ids_cap;
    Py_ssize_t cols;
    Map map;
    Interner names;
} BleuWork;

static int ensure_ids(int32_t **ids, Py_ssize_t *cap, Py_ssize_t n) {
    if (n <= *cap) return 0;
    Py_ssize_t nc = *cap ? *cap : 64;
    while (nc < n) nc *= 2;
    int32_t *p = (int32_t *)realloc(*ids, (size_t)nc * sizeof(int32_t));
    if (!p) return -1;
    *ids = p;
    *cap = nc;
    return 0;
}

static inline void pack_ids(const int32_t *ids, int n, u64 *a, u64 *b) {
    u32 v[4] = {0, 0, 0, 0};
    for (int k = 0; k < n; k++) v[k] = (u32)ids[k];
    *a = (u64)v[0] | ((u64)v[1] << 32);
    *b = (u64)v[2] | ((u64)v[3] << 32);
}

/* One segment: [hyp_len, ref_len, correct[order], total[order]] (sacrebleu/metrics/bleu.py,
 * _extract_reference_info and _compute_segment_statistics). */
static int bleu_segment(const Chunk *c, Py_ssize_t i, int mode, int order, BleuWork *w, i64 *row) {
    Py_ssize_t total_toks = 0;
    for (Py_ssize_t k = 0; k < c->cols; k++) {
        Py_ssize_t len;
        const u32 *p = cell(c, i, k, &len);
        if (bleu_tokenize(p, len, mode, &w->a[k], &w->b[k], &w->toks[k])) return -1;
        total_toks += w->toks[k].n;
    }
    if (intern_reset(&w->names, (size_t)total_toks) || map_reset(&w->map, (size_t)total_toks * order)) return -1;
    for (Py_ssize_t k = 0; k < c->cols; k++) {
        Toks *t = &w->toks[k];
        if (ensure_ids(&w->ids[k], &w->ids_cap[k], t->n + 1)) return -1;
        for (Py_ssize_t j = 0; j < t->n; j++) w->ids[k][j] = intern(&w->names, w->a[k].p + t->start[j], t->len[j]);
    }
    /* references: per-reference counts (v2, reset by stamp in v1's high bits) merged with max into v1 */
    for (Py_ssize_t k = 1; k < c->cols; k++) {
        Py_ssize_t nt = w->toks[k].n;
        for (int n = 1; n <= order; n++) {
            for (Py_ssize_t j = 0; j + n <= nt; j++) {
                u64 a, b;
                pack_ids(w->ids[k] + j, n, &a, &b);
                Slot *s = map_get(&w->map, a, b, (u32)n, 1);
                /* v2: (ref index << 32) | count in that reference */
                i64 cnt = ((s->v2 >> 32) == k) ? (s->v2 & 0xffffffffLL) + 1 : 1;
                s->v2 = ((i64)k << 32) | cnt;
                if (cnt > s->v1) s->v1 = cnt;
            }
        }
    }
    /* closest reference length, ties to the shorter (BLEU._get_closest_ref_len) */
    i64 hyp_len = w->toks[0].n, closest_diff = -1, closest_len = -1;
    for (Py_ssize_t k = 1; k < c->cols; k++) {
        i64 rl = w->toks[k].n, diff = hyp_len > rl ? hyp_len - rl : rl - hyp_len;
        if (closest_diff == -1 || diff < closest_diff) {
            closest_diff = diff;
            closest_len = rl;
        } else if (diff == closest_diff && rl < closest_len) {
            closest_len = rl;
        }
    }
    row[0] = hyp_len;
    row[1] = closest_len;
    i64 *correct = row + 2, *total = row + 2 + order;
    for (int n = 0; n < order; n++) correct[n] = total[n] = 0;
    /* hypothesis: count into v2 with stamp 0 (references use 1..), min with the reference max on the fly:
     * the match of an n-gram seen m times is min(m, ref) = the number of its occurrences j <= ref. */
    for (int n = 1; n <= order; n++) {
        for (Py_ssize_t j = 0; j + n <= hyp_len; j++) {
            u64 a, b;
            pack_ids(w->ids[0] + j, n, &a, &b);
            Slot *s = map_get(&w->map, a, b, (u32)n, 1);
            i64 cnt = ((s->v2 >> 32) == 0) ? (s->v2 & 0xffffffffLL) + 1 : 1;
            s->v2 = cnt;
            total[n - 1]++;
            if (cnt <= s->v1) correct[n - 1]++;
        }
    }
    return 0;
}

static int set_zh_ranges(PyObject *ranges) {
    PyObject *seq = PySequence_Fast(ranges, "zh ranges must be a sequence of (lo, hi)");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > 64) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "at most 64 zh ranges");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long lo, hi;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "kk", &lo, &hi)) {
            Py_DECREF(seq);
            return -1;
        }
        zh_lo[i] = (u32)lo;
        zh_hi[i] = (u32)hi;
    }
    zh_n = (int)n;
    Py_DECREF(seq);
    return 0;
}

static PyObject *py_set_zh_ranges(PyObject *self, PyObject *args) {
    PyObject *ranges;
    if (!PyArg_ParseTuple(args, "O", &ranges)) return NULL;
    if (set_zh_ranges(ranges)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_bleu_stats(PyObject *self, PyObject *args) {
    PyObject *hyps, *refs;
    int mode, order;
    if (!PyArg_ParseTuple(args, "OOii", &hyps, &refs, &mode, &order)) return NULL;
    if (order < 1 || order > 4 || mode < TOK_NONE || mode > TOK_ZH) {
        PyErr_SetString(PyExc_ValueError, "order must be 1-4 and mode 0 (none), 1 (13a) or 2 (zh)");
        return NULL;
    }
    if (mode == TOK_ZH && zh_n < 0) {
        PyErr_SetString(PyExc_RuntimeError, "set_zh_ranges() was not called");
        return NULL;
    }
    Chunk c;
    if (chunk_load(hyps, refs, &c)) return NULL;
    Py_ssize_t k = 2 + 2 * order;
    PyObject *out = PyBytes_FromStringAndSize(NULL, c.n * k * (Py_ssize_t)sizeof(i64));
    if (!out) {
        chunk_free(&c);
        return NULL;
    }
    i64 *rows = (i64 *)PyBytes_AS_STRING(out);
    int failed = 0;
    BleuWork w;
    memset(&w, 0, sizeof(w));
    w.cols = c.cols;
    w.a = (UBuf *)calloc((size_t)c.cols, sizeof(UBuf));
    w.b = (UBuf *)calloc((size_t)c.cols, sizeof(UBuf));
    w.toks = (Toks *)calloc((size_t)c.cols, sizeof(Toks));
    w.ids = (int32_t **)calloc((size_t)c.cols, sizeof(int32_t *));
    w.ids_cap = (Py_ssize_t *)calloc((size_t)c.cols, sizeof(Py_ssize_t));
    if (!w.a || !w.b || !w.toks || !w.ids || !w.ids_cap) failed = 1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < c.n && !failed; i++)
        if (bleu_segment(&c, i, mode, order, &w, rows + i * k)) failed = 1;
    Py_END_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < c.cols; j++) {
        if (w.a) ubuf_free(&w.a[j]);
        if (w.b) ubuf_free(&w.b[j]);
        if (w.toks) toks_free(&w.toks[j]);
        if (w.ids) free(w.ids[j]);
    }
    free(w.a);
    free(w.b);
    free(w.toks);
    free(w.ids);
    free(w.ids_cap);
    map_free(&w.map);
    intern_free(&w.names);
    chunk_free(&c);
    if (failed) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    return out;
}

/* ---------------------------------------------------------------- chrF statistics */

static inline int chrf_punct(u32 c) {
    /* CHRF._PUNCTS: string.punctuation */
    return c < 128 && c > 32 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)c) != NULL;
}

/* CHRF._remove_punctuation: words of str.split(), a trailing (else leading) ASCII punctuation mark split off. */
static int chrf_words(const u32 *p, Py_ssize_t n, Toks *ws, Toks *out) {
    if (split_ws(p, n, ws)) return -1;
    out->n = 0;
    if (toks_reserve(out, 2 * ws->n + 1)) return -1;
    for (Py_ssize_t j = 0; j < ws->n; j++) {
        Py_ssize_t s = ws->start[j], l = ws->len[j];
        if (l == 1) {
            out->start[out->n] = s;
            out->len[out->n++] = 1;
        } else if (chrf_punct(p[s + l - 1])) {
            out->start[out->n] = s;
            out->len[out->n++] = l - 1;
            out->start[out->n] = s + l - 1;
            out->len[out->n++] = 1;
        } else if (chrf_punct(p[s])) {
            out->start[out->n] = s;
            out->len[out->n++] = 1;
            out->start[out->n] = s + 1;
            out->len[out->n++] = l - 1;
        } else {
            out->start[out->n] = s;
            out->len[out->n++] = l;
        }
    }
    return 0;
}

/* CHRF._compute_f_score with eps_smoothing=False: effective-order averages, in Python's float order. */
static double chrf_f(const i64 *st, int order, double factor) {
    double avg_p = 0.0, avg_r = 0.0;
    int eff = 0;
    for (int i = 0; i < order; i++) {
        i64 nh = st[3 * i], nr = st[3 * i + 1], nm = st[3 * i + 2];
        if (nh > 0 && nr > 0) {
            avg_p += (double)nm / (double)nh;
            avg_r += (double)nm / (double)nr;
            eff++;
        }
    }
    if (eff == 0) {
        avg_p = avg_r = 0.0;
    } else {
        avg_p /= eff;
        avg_r /= eff;
    }
    if (avg_p + avg_r != 0.0) {
        double score = (1.0 + factor) * avg_p * avg_r;
        score /= ((factor * avg_p) + avg_r);
        return 100.0 * score;
    }
    return 0.0;
}

/* n-gram ids by prefix: the id of an n-gram is looked up from (id of its first n-1 symbols, last symbol),
 * one 64-bit key per n-gram; counts then live in dense arrays indexed by id. Ids are per segment. */
typedef struct {
    u64 key;
    int32_t id;
    u32 gen;
} TSlot;

typedef struct {
    TSlot *s;
    size_t alloc, cap;
    u32 gen;
    int32_t next;
} Trie;

#define TRIE_SYM_BITS 22 /* code points < 2^21; word ids must stay below 2^22 */
#define ROOT_CHAR 0
#define ROOT_WORD 1

static int trie_reset(Trie *t, size_t expected) {
    size_t need = 16;
    while (need < 2 * expected + 2) need <<= 1;
    if (need > t->alloc) {
        free(t->s);
        t->s = (TSlot *)calloc(need, sizeof(TSlot));
        if (!t->s) {
            t->alloc = t->cap = 0;
            return -1;
        }
        t->alloc = need;
        t->gen = 0;
    }
    t->cap = need;
    t->gen++;
    if (t->gen == 0) {
        memset(t->s, 0, t->alloc * sizeof(TSlot));
        t->gen = 1;
    }
    t->next = 2; /* 0 and 1 are the roots */
    return 0;
}

static inline int32_t trie_get(Trie *t, int32_t parent, u32 sym, int *is_new) {
    u64 key = ((u64)(u32)parent << TRIE_SYM_BITS) | sym;
    size_t mask = t->cap - 1, i = (size_t)mix64(key) & mask;
    for (;;) {
        TSlot *s = &t->s[i];
        if (s->gen != t->gen) {
            s->gen = t->gen;
            s->key = key;
            s->id = t->next++;
            *is_new = 1;
            return s->id;
        }
        if (s->key == key) {
            *is_new = 0;
            return s->id;
        }
        i = (i + 1) & mask;
    }
}

typedef struct {
    UBuf stripped;
    Toks ws, words;
    int32_t *ids;
    Py_ssize_t ids_cap;
} ChrfText;

typedef struct {
    ChrfText *t;
    Trie trie;
    Interner names;
    int32_t *cur;     /* per position: id of the n-gram starting there, order by order */
    int32_t *ord;     /* per id: its order index (chars 0..co-1, words co..) */
    int32_t *hcnt;    /* per id: count in the hypothesis */
    int32_t *rcnt;    /* per id: count in the current reference */
    int32_t *rstamp;  /* per id: which reference rcnt belongs to */
    int32_t *distinct;/* hypothesis ids, each once */
    Py_ssize_t cur_cap, id_cap;
} ChrfWork;

static int grow_i32(int32_t **p, Py_ssize_t n) {
    int32_t *q = (int32_t *)realloc(*p, (size_t)n * sizeof(int32_t));
    if (!q) return -1;
    *p = q;
    return 0;
}

/* Characters of a text with whitespace removed (unless keep_ws), into t->stripped. */
static int chrf_chars(const u32 *p, Py_ssize_t n, int keep_ws, ChrfText *t) {
    if (ubuf_reserve(&t->stripped, n + 1)) return -1;
    t->stripped.n = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (keep_ws || !is_space(p[i])) t->stripped.p[t->stripped.n++] = p[i];
    return 0;
}

/* Walk the n-grams of one symbol sequence, orders 1..max_n, calling back with each id.
 * which: 0 the hypothesis (counts, distinct list), k >= 1 reference k. */
static inline void chrf_walk(ChrfWork *w, const u32 *sym, Py_ssize_t L, int max_n, int32_t root, int ord0, int which,
                             i64 *totals) {
    int32_t *cur = w->cur;
    for (Py_ssize_t j = 0; j < L; j++) cur[j] = root;
    for (int n = 1; n <= max_n; n++) {
        Py_ssize_t m = L - n + 1;
        for (Py_ssize_t j = 0; j < m; j++) {
            int is_new;
            int32_t id = trie_get(&w->trie, cur[j], sym[j + n - 1], &is_new);
            cur[j] = id;
            if (is_new) {
                w->ord[id] = ord0 + n - 1;
                w->hcnt[id] = 0;
                w->rstamp[id] = 0;
            }
            if (which == 0) {
                if (w->hcnt[id]++ == 0) w->distinct[w->distinct[0]++ + 1] = id;
            } else {
                if (w->rstamp[id] != which) {
                    w->rstamp[id] = which;
                    w->rcnt[id] = 0;
                }
                w->rcnt[id]++;
            }
        }
        totals[ord0 + n - 1] = m > 0 ? m : 0;
    }
}

/* One segment: 3 * (char_order + word_order) ints [hyp, ref, match] per order, for the reference with
 * the best F-score, the first on ties (sacrebleu/metrics/chrf.py, _compute_segment_statistics). */
static int chrf_segment(const Chunk *c, Py_ssize_t i, int co, int wo, int keep_ws, double factor, ChrfWork *w,
                        i64 *row) {
    int order = co + wo;
    Py_ssize_t total_words = 0, max_len = 1, ngrams = 0;
    for (Py_ssize_t k = 0; k < c->cols; k++) {
        Py_ssize_t len;
        const u32 *p = cell(c, i, k, &len);
        ChrfText *t = &w->t[k];
        if (chrf_chars(p, len, keep_ws, t)) return -1;
        t->words.n = 0;
        if (wo > 0 && chrf_words(p, len, &t->ws, &t->words)) return -1;
        total_words += t->words.n;
        if (t->stripped.n > max_len) max_len = t->stripped.n;
        if (t->words.n > max_len) max_len = t->words.n;
        ngrams += t->stripped.n * co + t->words.n * wo;
    }
    if (total_words >= ((Py_ssize_t)1 << TRIE_SYM_BITS)) return -3; /* word ids would not fit a key */
    if (wo > 0) {
        if (intern_reset(&w->names, (size_t)total_words)) return -1;
        for (Py_ssize_t k = 0; k < c->cols; k++) {
            Py_ssize_t len;
            const u32 *p = cell(c, i, k, &len);
            ChrfText *t = &w->t[k];
            if (ensure_ids(&t->ids, &t->ids_cap, t->words.n + 1)) return -1;
            for (Py_ssize_t j = 0; j < t->words.n; j++) t->ids[j] = intern(&w->names, p + t->words.start[j], t->words.len[j]);
        }
    }
    if (max_len + 1 > w->cur_cap) {
        if (grow_i32(&w->cur, max_len + 1)) return -1;
        w->cur_cap = max_len + 1;
    }
    if (ngrams + 3 > w->id_cap) {
        Py_ssize_t cap = ngrams + 3;
        if (grow_i32(&w->ord, cap) || grow_i32(&w->hcnt, cap) || grow_i32(&w->rcnt, cap) || grow_i32(&w->rstamp, cap) ||
            grow_i32(&w->distinct, cap))
            return -1;
        w->id_cap = cap;
    }
    if (trie_reset(&w->trie, (size_t)ngrams)) return -1;
    i64 hyp_tot[16], ref_tot[16], match[16], stats[48];
    ChrfText *h = &w->t[0];
    w->distinct[0] = 0;
    chrf_walk(w, h->stripped.p, h->stripped.n, co, ROOT_CHAR, 0, 0, hyp_tot);
    if (wo > 0) chrf_walk(w, (const u32 *)h->ids, h->words.n, wo, ROOT_WORD, co, 0, hyp_tot);
    int32_t nd = w->distinct[0];
    const int32_t *dist = w->distinct + 1;
    double best_f = -1.0;
    for (Py_ssize_t k = 1; k < c->cols; k++) {
        ChrfText *r = &w->t[k];
        chrf_walk(w, r->stripped.p, r->stripped.n, co, ROOT_CHAR, 0, (int)k, ref_tot);
        if (wo > 0) chrf_walk(w, (const u32 *)r->ids, r->words.n, wo, ROOT_WORD, co, (int)k, ref_tot);
        for (int o = 0; o < order; o++) match[o] = 0;
        for (int32_t d = 0; d < nd; d++) {
            int32_t id = dist[d];
            if (w->rstamp[id] == (int32_t)k) {
                int32_t hc = w->hcnt[id], rc = w->rcnt[id];
                match[w->ord[id]] += hc < rc ? hc : rc;
            }
        }
        for (int o = 0; o < order; o++) {
            stats[3 * o] = ref_tot[o] > 0 ? hyp_tot[o] : 0;
            stats[3 * o + 1] = ref_tot[o];
            stats[3 * o + 2] = match[o];
        }
        double f = chrf_f(stats, order, factor);
        if (f > best_f) {
            best_f = f;
            memcpy(row, stats, (size_t)(3 * order) * sizeof(i64));
        }
    }
    return 0;
}

static PyObject *py_chrf_stats(PyObject *self, PyObject *args) {
    PyObject *hyps, *refs;
    int co, wo, beta, keep_ws;
    if (!PyArg_ParseTuple(args, "OOiiip", &hyps, &refs, &co, &wo, &beta, &keep_ws)) return NULL;
    if (co < 1 || co > 6 || wo < 0 || wo > 4) {
        PyErr_SetString(PyExc_ValueError, "char_order must be 1-6 and word_order 0-4");
        return NULL;
    }
    Chunk c;
    if (chunk_load(hyps, refs, &c)) return NULL;
    int order = co + wo;
    Py_ssize_t k = 3 * order;
    PyObject *out = PyBytes_FromStringAndSize(NULL, c.n * k * (Py_ssize_t)sizeof(i64));
    if (!out) {
        chunk_free(&c);
        return NULL;
    }
    i64 *rows = (i64 *)PyBytes_AS_STRING(out);
    double factor = (double)beta * (double)beta; /* beta ** 2, an int in Python: exact */
    int failed = 0;
    ChrfWork w;
    memset(&w, 0, sizeof(w));
    w.t = (ChrfText *)calloc((size_t)c.cols, sizeof(ChrfText));
    if (!w.t) failed = 1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < c.n && !failed; i++) {
        int rc = chrf_segment(&c, i, co, wo, keep_ws, factor, &w, rows + i * k);
        if (rc) failed = rc;
    }
    Py_END_ALLOW_THREADS
    if (w.t) {
        for (Py_ssize_t j = 0; j < c.cols; j++) {
            ubuf_free(&w.t[j].stripped);
            toks_free(&w.t[j].ws);
            toks_free(&w.t[j].words);
            free(w.t[j].ids);
        }
    }
    free(w.t);
    free(w.cur);
    free(w.ord);
    free(w.hcnt);
    free(w.rcnt);
    free(w.rstamp);
    free(w.distinct);
    free(w.trie.s);
    intern_free(&w.names);
    chunk_free(&c);
    if (failed) {
        Py_DECREF(out);
        if (failed == -3) {
            PyErr_SetString(PyExc_ValueError, "a segment has too many words for the kernel");
            return NULL;
        }
        return PyErr_NoMemory();
    }
    return out;
}

/* ---------------------------------------------------------------- TER (sacrebleu/metrics/lib_ter.py) */

#define TER_MAX_SHIFT_SIZE 10
#define TER_MAX_SHIFT_DIST 50
#define TER_BEAM_WIDTH 25
#define TER_MAX_SHIFT_CANDIDATES 1000
#define TER_INF (1 << 30) /* sacrebleu's int(1e16): only compared, never reached by a real cost */

enum { OP_NOP = ' ', OP_SUB = 's', OP_INS = 'i', OP_DEL = 'd', OP_UNDEF = 'x' };

typedef struct {
    const int32_t *ref;
    int nr;
    /* the full matrix of the current hypothesis (costs and ops), (nh + 1) x (nr + 1) */
    int32_t *cost;
    char *op;
    size_t mat_cap;
    /* rows for candidates: two rolling rows */
    int32_t *row_a, *row_b;
    size_t row_cap;
    int32_t *shifted, *cur, *best_words;
    char *trace;
    int *align, *ref_err, *hyp_err;
    size_t vec_cap;
} Ter;

static int ter_reserve(Ter *t, int nh, int nr) {
    size_t cells = (size_t)(nh + 1) * (size_t)(nr + 1);
    if (cells > t->mat_cap) {
        free(t->cost);
        free(t->op);
        t->cost = (int32_t *)malloc(cells * sizeof(int32_t));
        t->op = (char *)malloc(cells);
        if (!t->cost || !t->op) return -1;
        t->mat_cap = cells;
    }
    if ((size_t)(nr + 1) > t->row_cap) {
        free(t->row_a);
        free(t->row_b);
        t->row_a = (int32_t *)malloc((size_t)(nr + 1) * sizeof(int32_t));
        t->row_b = (int32_t *)malloc((size_t)(nr + 1) * sizeof(int32_t));
        if (!t->row_a || !t->row_b) return -1;
        t->row_cap = (size_t)(nr + 1);
    }
    size_t v = (size_t)(nh + nr + 2);
    if (v > t->vec_cap) {
        free(t->shifted);
        free(t->cur);
        free(t->best_words);
        free(t->trace);
        free(t->align);
        free(t->ref_err);
        free(t->hyp_err);
        t->shifted = (int32_t *)malloc(v * sizeof(int32_t));
        t->cur = (int32_t *)malloc(v * sizeof(int32_t));
        t->best_words = (int32_t *)malloc(v * sizeof(int32_t));
        t->trace = (char *)malloc(v);
        t->align = (int *)malloc(v * sizeof(int));
        t->ref_err = (int *)malloc(v * sizeof(int));
        t->hyp_err = (int *)malloc(v * sizeof(int));
        if (!t->shifted || !t->cur || !t->best_words || !t->trace || !t->align || !t->ref_err || !t->hyp_err)
            return -1;
        t->vec_cap = v;
    }
    return 0;
}

static void ter_free(Ter *t) {
    free(t->cost);
    free(t->op);
    free(t->row_a);
    free(t->row_b);
    free(t->shifted);
    free(t->cur);
    free(t->best_words);
    free(t->trace);
    free(t->align);
    free(t->ref_err);
    free(t->hyp_err);
    memset(t, 0, sizeof(*t));
}

typedef struct {
    double ratio;
    int beam;
} Beam;

static Beam ter_beam(int nh, int nr) {
    Beam b;
    b.ratio = nh ? (double)nr / (double)nh : 1.0;
    if ((double)TER_BEAM_WIDTH < b.ratio / 2)
        b.beam = (int)ceil(b.ratio / 2 + TER_BEAM_WIDTH);
    else
        b.beam = TER_BEAM_WIDTH;
    return b;
}

/* One row i (1-based) of BeamEditDistance._edit_distance from row prev into row cur (costs only when ops is NULL). */
static inline void ter_row(const Ter *t, const int32_t *h, int nh, int i, Beam bm, const int32_t *prev, int32_t *cur,
                           char *ops) {
    int nr = t->nr;
    long pd = (long)floor((double)i * bm.ratio);
    long min_j = pd - bm.beam > 0 ? pd - bm.beam : 0;
    long max_j = pd + bm.beam < nr + 1 ? pd + bm.beam : nr + 1;
    if (i == nh) max_j = nr + 1;
    for (int j = 0; j <= nr; j++) cur[j] = TER_INF;
    if (ops)
        for (int j = 0; j <= nr; j++) ops[j] = OP_UNDEF;
    int32_t w = h[i - 1];
    for (long j = min_j; j < max_j; j++) {
        if (j == 0) {
            cur[0] = prev[0] + 1;
            if (ops) ops[0] = OP_DEL;
            continue;
        }
        int32_t sub = (w == t->ref[j - 1]) ? 0 : 1;
        int32_t best = cur[j];
        char bop = OP_UNDEF;
        int32_t v = prev[j - 1] + sub;
        if (best > v) {
            best = v;
            bop = sub ? OP_SUB : OP_NOP;
        }
        v = prev[j] + 1;
        if (best > v) {
            best = v;
            bop = OP_DEL;
        }
        v = cur[j - 1] + 1;
        if (best > v) {
            best = v;
            bop = OP_INS;
        }
        cur[j] = best;
        if (ops && bop != OP_UNDEF) ops[j] = bop;
    }
}

/* The full matrix of h (costs and ops) into t->cost / t->op; returns the distance. */
static int32_t ter_full(Ter *t, const int32_t *h, int nh) {
    int nr = t->nr, W = nr + 1;
    Beam bm = ter_beam(nh, nr);
    for (int j = 0; j <= nr; j++) {
        t->cost[j] = j;
        t->op[j] = OP_INS;
    }
    for (int i = 1; i <= nh; i++) ter_row(t, h, nh, i, bm, t->cost + (size_t)(i - 1) * W, t->cost + (size_t)i * W, t->op + (size_t)i * W);
    return t->cost[(size_t)nh * W + nr];
}

/* Distance of s, which equals the hypothesis of the full matrix on its first `same` words: rows 0..same reused. */
static int32_t ter_cost_from(Ter *t, const int32_t *s, int nh, int same) {
    int nr = t->nr, W = nr + 1;
    if (same >= nh) return t->cost[(size_t)nh * W + nr];
    Beam bm = ter_beam(nh, nr);
    const int32_t *prev = t->cost + (size_t)same * W;
    int32_t *a = t->row_a, *b = t->row_b;
    for (int i = same + 1; i <= nh; i++) {
        ter_row(t, s, nh, i, bm, prev, a, NULL);
        prev = a;
        int32_t *x = a;
        a = b;
        b = x;
    }
    return prev[nr];
}

/* Python slice words[lo:hi] appended to out (lo, hi >= 0). */
static inline int put_slice(int32_t *out, int o, const int32_t *w, int n, int lo, int hi) {
    if (lo > n) lo = n;
    if (hi > n) hi = n;
    for (int k = lo; k < hi; k++) out[o++] = w[k];
    return o;
}

/* lib_ter._perform_shift */
static void perform_shift(const int32_t *w, int n, int start, int length, int target, int32_t *out) {
    int o = 0;
    if (target < start) {
        o = put_slice(out, o, w, n, 0, target);
        o = put_slice(out, o, w, n, start, start + length);
        o = put_slice(out, o, w, n, target, start);
        o = put_slice(out, o, w, n, start + length, n);
    } else if (target > start + length) {
        o = put_slice(out, o, w, n, 0, start);
        o = put_slice(out, o, w, n, start + length, target);
        o = put_slice(out, o, w, n, start, start + length);
        o = put_slice(out, o, w, n, target, n);
    } else {
        o = put_slice(out, o, w, n, 0, start);
        o = put_slice(out, o, w, n, start + length, length + target);
        o = put_slice(out, o, w, n, start, start + length);
        o = put_slice(out, o, w, n, length + target, n);
    }
}

/* lib_ter._shift on t->cur (nh words). Returns 0 on success, -2 when the trace meets an unset cell
 * (sacrebleu raises there: the caller falls back to it). */
static int ter_shift(Ter *t, int nh, int *checked, int32_t *delta, int *found) {
    int nr = t->nr, W = nr + 1;
    const int32_t *h = t->cur, *r = t->ref;
    int32_t pre = ter_full(t, h, nh);
    /* trace (inverse), flipped, to alignment */
    int i = nh, j = nr, tl = 0;
    while (i > 0 || j > 0) {
        char op = t->op[(size_t)i * W + j];
        t->trace[tl++] = op;
        if (op == OP_SUB || op == OP_NOP) {
            i--;
            j--;
        } else if (op == OP_INS) {
            j--;
        } else if (op == OP_DEL) {
            i--;
        } else {
            return -2;
        }
    }
    int pos_h = -1, pos_r = -1, nhe = 0, nre = 0;
    for (int k = tl - 1; k >= 0; k--) {
        char op = t->trace[k];
        if (op == OP_INS)
            op = OP_DEL;
        else if (op == OP_DEL)
            op = OP_INS;
        if (op == OP_NOP || op == OP_SUB) {
            pos_h++;
            pos_r++;
            t->align[pos_r] = pos_h;
            t->hyp_err[nhe++] = op == OP_SUB;
            t->ref_err[nre++] = op == OP_SUB;
        } else if (op == OP_INS) {
            pos_h++;
            t->hyp_err[nhe++] = 1;
        } else {
            pos_r++;
            t->align[pos_r] = pos_h;
            t->ref_err[nre++] = 1;
        }
    }
    *found = 0;
    int32_t b_score = 0;
    int b_len = 0, b_start = 0, b_idx = 0;
    int stop = 0;
    for (int sh = 0; sh < nh && !stop; sh++) {
        for (int sr = 0; sr < nr && !stop; sr++) {
            if (abs(sr - sh) > TER_MAX_SHIFT_DIST) continue;
            int length = 0;
            while (h[sh + length] == r[sr + length] && length < TER_MAX_SHIFT_SIZE) {
                length++;
                /* a yielded (sh, sr, length) */
                int skip = 0, herr = 0, rerr = 0;
                for (int k = sh; k < sh + length && k < nhe; k++) herr += t->hyp_err[k];
                for (int k = sr; k < sr + length && k < nre; k++) rerr += t->ref_err[k];
                if (herr == 0 || rerr == 0) skip = 1;
                if (!skip && sh <= t->align[sr] && t->align[sr] < sh + length) skip = 1;
                if (!skip) {
                    int prev_idx = -1;
                    for (int off = -1; off < length; off++) {
                        int idx;
                        if (sr + off == -1)
                            idx = 0;
                        else if (sr + off < nr)
                            idx = t->align[sr + off] + 1;
                        else
                            break;
                        if (idx == prev_idx) continue;
                        prev_idx = idx;
                        perform_shift(h, nh, sh, length, idx, t->shifted);
                        int same = 0;
                        while (same < nh && t->shifted[same] == h[same]) same++;
                        int32_t score = pre - ter_cost_from(t, t->shifted, nh, same);
                        (*checked)++;
                        /* (score, length, -start, -idx) compared as a tuple, greater wins */
                        int better = !*found || score > b_score ||
                                     (score == b_score &&
                                      (length > b_len || (length == b_len && (-sh > -b_start ||
                                                                              (-sh == -b_start && -idx > -b_idx)))));
                        if (better) {
                            *found = 1;
                            b_score = score;
                            b_len = length;
                            b_start = sh;
                            b_idx = idx;
                            memcpy(t->best_words, t->shifted, (size_t)nh * sizeof(int32_t));
                        }
                    }
                    if (*checked >= TER_MAX_SHIFT_CANDIDATES) stop = 1;
                }
                if (stop) break;
                if (nh == sh + length || nr == sr + length) break;
            }
        }
    }
    *delta = *found ? b_score : 0;
    return 0;
}

/* lib_ter.translation_edit_rate: number of edits of h against r (shifts plus edit distance). */
static int ter_edits(Ter *t, const int32_t *h, int nh, const int32_t *r, int nr, i64 *edits) {
    if (nr == 0) {
        *edits = nh;
        return 0;
    }
    t->ref = r;
    t->nr = nr;
    if (ter_reserve(t, nh, nr)) return -1;
    memcpy(t->cur, h, (size_t)nh * sizeof(int32_t));
    int checked = 0;
    i64 shifts = 0;
    for (;;) {
        int32_t delta;
        int found;
        int rc = ter_shift(t, nh, &checked, &delta, &found);
        if (rc) return rc;
        if (checked >= TER_MAX_SHIFT_CANDIDATES) break;
        if (delta <= 0) break;
        shifts++;
        memcpy(t->cur, t->best_words, (size_t)nh * sizeof(int32_t));
    }
    int32_t d = ter_full(t, t->cur, nh);
    if (d >= TER_INF) return -2;
    *edits = shifts + d;
    return 0;
}

/* Inputs are already tokenized by sacrebleu's TercomTokenizer (in Python): words are str.split() runs.
 * Row i: [best edits over references (float), mean reference length (float)]; a segment whose edit
 * distance sacrebleu cannot trace is returned in the list of failures (row left NaN). */
static PyObject *py_ter_stats(PyObject *self, PyObject *args) {
    PyObject *hyps, *refs;
    if (!PyArg_ParseTuple(args, "OO", &hyps, &refs)) return NULL;
    Chunk c;
    if (chunk_load(hyps, refs, &c)) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, c.n * 2 * (Py_ssize_t)sizeof(double));
    if (!out) {
        chunk_free(&c);
        return NULL;
    }
    double *rows = (double *)PyBytes_AS_STRING(out);
    int failed = 0;
    Py_ssize_t *bad = (Py_ssize_t *)malloc((size_t)(c.n + 1) * sizeof(Py_ssize_t));
    Py_ssize_t nbad = 0;
    Toks *toks = (Toks *)calloc((size_t)c.cols, sizeof(Toks));
    int32_t **ids = (int32_t **)calloc((size_t)c.cols, sizeof(int32_t *));
    Py_ssize_t *ids_cap = (Py_ssize_t *)calloc((size_t)c.cols, sizeof(Py_ssize_t));
    Interner names;
    memset(&names, 0, sizeof(names));
    Ter t;
    memset(&t, 0, sizeof(t));
    if (!bad || !toks || !ids || !ids_cap) failed = 1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < c.n && !failed; i++) {
        Py_ssize_t total = 0;
        for (Py_ssize_t k = 0; k < c.cols; k++) {
            Py_ssize_t len;
            const u32 *p = cell(&c, i, k, &len);
            if (split_ws(p, len, &toks[k])) failed = 1;
            total += toks[k].n;
        }
        if (failed || intern_reset(&names, (size_t)total)) {
            failed = 1;
            break;
        }
        for (Py_ssize_t k = 0; k < c.cols && !failed; k++) {
            Py_ssize_t len;
            const u32 *p = cell(&c, i, k, &len);
            if (ensure_ids(&ids[k], &ids_cap[k], toks[k].n + 1)) {
                failed = 1;
                break;
            }
            for (Py_ssize_t j = 0; j < toks[k].n; j++) ids[k][j] = intern(&names, p + toks[k].start[j], toks[k].len[j]);
        }
        if (failed) break;
        i64 best = (i64)1e16, ref_lengths = 0;
        int bad_seg = 0;
        for (Py_ssize_t k = 1; k < c.cols; k++) {
            i64 e;
            int rc = ter_edits(&t, ids[0], (int)toks[0].n, ids[k], (int)toks[k].n, &e);
            if (rc == -1) {
                failed = 1;
                break;
            }
            if (rc == -2) {
                bad_seg = 1;
                break;
            }
            ref_lengths += toks[k].n;
            if (e < best) best = e;
        }
        if (failed) break;
        if (bad_seg) {
            bad[nbad++] = i;
            rows[2 * i] = rows[2 * i + 1] = NAN;
        } else {
            rows[2 * i] = (double)best;
            rows[2 * i + 1] = (double)ref_lengths / (double)(c.cols - 1);
        }
    }
    Py_END_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < c.cols; k++) {
        if (toks) toks_free(&toks[k]);
        if (ids) free(ids[k]);
    }
    free(toks);
    free(ids);
    free(ids_cap);
    intern_free(&names);
    ter_free(&t);
    chunk_free(&c);
    if (failed) {
        free(bad);
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    PyObject *lst = PyList_New(nbad);
    if (!lst) {
        free(bad);
        Py_DECREF(out);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < nbad; k++) PyList_SET_ITEM(lst, k, PyLong_FromSsize_t(bad[k]));
    free(bad);
    return Py_BuildValue("(NN)", out, lst);
}

/* ---------------------------------------------------------------- module */

static PyObject *py_is_space_table(PyObject *self, PyObject *noargs) {
    /* code points the kernel treats as whitespace, for the tests to compare with str.isspace() */
    PyObject *lst = PyList_New(0);
    if (!lst) return NULL;
    for (u32 c = 0; c < 0x110000; c++) {
        if (is_space(c)) {
            PyObject *v = PyLong_FromUnsignedLong(c);
            if (!v || PyList_Append(lst, v)) {
                Py_XDECREF(v);
                Py_DECREF(lst);
                return NULL;
            }
            Py_DECREF(v);
        }
    }
    return lst;
}

static PyMethodDef methods[] = {
    {"set_zh_ranges", py_set_zh_ranges, METH_VARARGS, "set_zh_ranges(ranges): inclusive (lo, hi) code point ranges of the zh tokenizer."},
    {"bleu_stats", py_bleu_stats, METH_VARARGS, "bleu_stats(hyps, ref_streams, mode, order) -> bytes of int64 (n, 2 + 2 * order)."},
    {"chrf_stats", py_chrf_stats, METH_VARARGS,
     "chrf_stats(hyps, ref_streams, char_order, word_order, beta, whitespace) -> bytes of int64 (n, 3 * orders)."},
    {"ter_stats", py_ter_stats, METH_VARARGS,
     "ter_stats(tokenized_hyps, tokenized_ref_streams) -> (bytes of float64 (n, 2), [rows to redo in Python])."},
    {"space_table", py_is_space_table, METH_NOARGS, "space_table() -> code points treated as whitespace."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_fast", "Exact sacrebleu sufficient statistics in C.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fast(void) { return PyModule_Create(&moduledef); }
