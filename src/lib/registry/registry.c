/* registry.c — the in-memory registry: parties sorted by id, an index over their selectors, screening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "custos/registry.h"
#include "screen/screen.h"
#include "util.h"

/*
 * The index has three parts.
 *
 * 1. One open-addressing hash table, behind a blocked bloom filter that
 *    answers most misses from cache, over every exact match key: (kind, key)
 *    for strings, (prefix, 16 bytes) for IP networks, and (party, id) for
 *    every party's own id. A slot holds a 32-bit tag of the key's hash and
 *    the offset of its entry in an arena; the entry holds the key bytes and its
 *    postings (party, selector), so a hit costs two cache lines and a miss
 *    usually none outside the filter. "Registry covers query" look-ups are
 *    probes too: the suffixes of a domain, the prefixes of a number and the
 *    masked forms of an address, for only the label counts, range lengths
 *    and prefix lengths that occur in the registry. The hash of a query's
 *    own key comes with the selector (custos_selector.hash, set when it was
 *    parsed), so an exact look-up hashes nothing.
 * 2. Sorted arrays for "query covers registry": domains and e-mail domains
 *    with their labels reversed (be.example.www), numbers and ranges as digit
 *    strings, IP networks as 16 bytes; a binary search and a prefix scan.
 * 3. The parties themselves, sorted by id; party i's selector index
 *    nselectors stands for "by its id" (a registry-owned party: selector).
 *
 * Everything is built once in custos_registry_new and only read afterwards,
 * so any number of threads may screen at once.
 */

/*
 * A slot is eight bytes, so that the table of 1 M selectors (16 MB) stays in
 * the last-level cache: a 32-bit tag of the key's hash (its high half, never
 * 0) and the entry's offset in the arena in 8-byte units (entries are
 * 8-aligned; the arena may hold 32 GB). A tag shared by two keys is told
 * apart by the key bytes in their entries.
 */
typedef struct slot {
	uint32_t tag; /* 0: empty */
	uint32_t off; /* offset of the entry in the arena, in 8-byte units */
} slot;

_Static_assert(sizeof(slot) == 8, "a slot is eight bytes");

/* tests/unit/test_registry_tags.c builds this file with 2-bit tags, so that every look-up needs its key bytes */
#ifndef CUSTOS_SLOT_TAG_MASK
#define CUSTOS_SLOT_TAG_MASK 0xFFFFFFFFu
#endif

static inline uint32_t slot_tag(uint64_t h)
{
	return ((uint32_t)(h >> 32) & CUSTOS_SLOT_TAG_MASK) | 1;
}

static inline const unsigned char *slot_entry(const unsigned char *arena, const slot *sl)
{
	return arena + ((size_t)sl->off << 3);
}

/* Arena entry: this header, the key (klen bytes), padding to 8, then count postings. */
typedef struct entry_hdr {
	uint8_t kind;
	uint8_t prefix;
	uint16_t klen;
	uint32_t count;
} entry_hdr;

typedef struct posting {
	uint32_t party, sel;
} posting;

/*
 * The postings of a name key also point at the registry name's word
 * hashes, so a hit is checked in one load, and say how many words it has
 * and whether it gives a date of birth, so that the common hit (two words
 * against two, one reading each, no dates to compare) needs not even that.
 */
typedef struct name_posting {
	uint32_t party;
	uint32_t sel : 24, nwords : 4, born : 1;
	const custos_name_words *w;
} name_posting;
_Static_assert(sizeof(entry_hdr) % 8 == 0 && sizeof(posting) % 8 == 0 && sizeof(name_posting) % 8 == 0,
	       "entries are 8-aligned: a slot counts their offsets in 8-byte units");

typedef struct dom_item {
	const char *rev; /* labels reversed, in rev_arena */
	uint32_t len;
	uint32_t party, sel;
	uint8_t is_email;
} dom_item;

typedef struct tel_item {
	const char *key; /* "+digits" */
	uint32_t len;
	uint32_t party, sel;
	uint8_t is_range;
} tel_item;

typedef struct ip_item {
	uint8_t ip[16];
	uint8_t prefix;
	uint32_t party, sel;
} ip_item;

/*
 * Name keys live in the hash table under kinds of their own: pairs of word
 * keys with vowels of names written in Latin (or any alphabet), pairs of
 * consonant skeletons of every name (what a query written in Arabic
 * script probes), and skeleton pairs of names written in an abjad (what a
 * Latin query probes to find them). See names.c and docs/NAMES.md.
 */
enum { KIND_NAME_V = 16, KIND_NAME_S = 17, KIND_NAME_A = 18 };

/* Words of a query whose pairs are probed (6 words: 15 pairs, times readings and kinds, fit one query's probes). */
#define QUERY_NAME_WORDS 6

struct custos_registry {
	custos_party *parties;
	size_t n;
	custos_selector *idsel; /* party i's "party:ID", reported as selector nselectors */
	custos_selector *xsel;	/* names from parties' name and aliases: party i's are xsel[xbase[i]..xbase[i+1]) */
	uint32_t *xbase;	/* reported as selectors nselectors + 1 + k */
	int has_abjad;		/* some registry name is written in an abjad */
	custos_name_policy policy;
	char hash[72];

	slot *slots;
	uint64_t mask;
	uint64_t *bloom; /* one 64-bit word per key hash, three bits set: misses stay in cache */
	uint64_t bloom_mask;
	uint64_t bloom_pat[1024]; /* the bloom bits of a key hash, by hash bits 30..39 (see bloom_init) */
	unsigned char *arena;
	size_t arena_len;

	dom_item *dom;
	size_t ndom;
	char *rev_arena;
	tel_item *tel;
	size_t ntel;
	ip_item *ips;
	size_t nips;

	uint64_t dom_labels[2];	 /* bit c: some domain: selector has c labels */
	unsigned dom_max_labels; /* the most labels of a domain: selector */
	uint8_t tel_lens[16];	/* digit counts of tel ranges, ascending; ntel_lens of them */
	unsigned ntel_lens;
	uint8_t ip_prefixes[129]; /* prefix lengths of IP selectors, ascending */
	unsigned nip_prefixes;
	uint64_t ip_mask[129][2]; /* custos_ip_mask of every prefix length */
};

/* --- keys and hashing ---------------------------------------------------------- */

/*
 * The hash of a selector's own key: the one parsing stored, or computed
 * here for a selector built by hand. *len receives the key's length.
 */
static inline uint64_t sel_hash(const custos_selector *s, size_t *len)
{
	custos_selector tmp;
	if (s->hash) {
		*len = s->keylen;
		return s->hash;
	}
	tmp = *s;
	custos_selector_rehash(&tmp);
	*len = tmp.keylen;
	return tmp.hash;
}

/*
 * The bloom-filter bits of a key hash: one of 1024 patterns of three
 * distinct bits, chosen by hash bits 30..39 (the word is chosen by bits 40
 * and up, the slot by the low bits). A table look-up costs one load from
 * L1 where three variable shifts cost a dozen instructions.
 */
static inline uint64_t bloom_bits(const custos_registry *reg, uint64_t h)
{
	return reg->bloom_pat[(h >> 30) & 1023];
}

static void bloom_init(custos_registry *reg)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (unsigned i = 0; i < 1024; i++) {
		uint64_t bits = 0;
		while (__builtin_popcountll(bits) < 3) {
			x = custos_mix64(x ^ 0xa0761d6478bd642full, 0xe7037ed1a0b428dbull);
			bits |= 1ull << (x & 63);
		}
		reg->bloom_pat[i] = bits;
	}
}

static inline const custos_selector *party_sel(const custos_registry *reg, size_t party, size_t sel)
{
	const custos_party *p = &reg->parties[party];
	if (sel < p->nselectors)
		return &p->selectors[sel];
	if (sel == p->nselectors)
		return &reg->idsel[party];
	return &reg->xsel[reg->xbase[party] + (sel - p->nselectors - 1)];
}

/* How many selectors party i has in the index: its own, its id, and the names from name and aliases. */
static inline size_t party_nsel(const custos_registry *reg, size_t party)
{
	return reg->parties[party].nselectors + 1 + (reg->xbase[party + 1] - reg->xbase[party]);
}

/*
 * A name selector's word hashes: those parsing computed, or computed into
 * *tmp for a selector built by hand.
 */
static inline const custos_name_words *sel_words(const custos_selector *s, custos_name_words *tmp)
{
	if (s->names)
		return s->names;
	custos_name_words_of(tmp, s->key ? s->key : "");
	return tmp;
}

/*
 * The 16-byte index key of words i and j of a name, readings vi and vj,
 * vowel keys (slot 0) or skeletons (slot 2): the two word hashes, smaller
 * first, so that word order never matters.
 */
static inline void pair_key(uint64_t out[2], const custos_name_words *w, unsigned i, unsigned j, int vi, int vj,
			    int base)
{
	uint64_t a = w->h[i][base + vi], b = w->h[j][base + vj];
	out[0] = a < b ? a : b;
	out[1] = a < b ? b : a;
}

/* The keys of a name selector as text (its key is the Latin form, '^' first when written in an abjad). */
static void name_keys(custos_name_keys *k, const custos_selector *s)
{
	const char *key = s->key ? s->key : "", *semi;
	int abjad = key[0] == '^';
	semi = strchr(key, ';');
	custos_name_keys_of(k, key + abjad, (semi ? (size_t)(semi - key) : strlen(key)) - (size_t)abjad, abjad);
}

/*
 * Zeroed memory for the large index arrays. Arrays of 2 MiB or more are
 * aligned to 2 MiB and marked for transparent huge pages: a random look-up
 * then costs one cache miss rather than a cache miss and a page walk, which
 * roughly doubles the look-up rate of a large registry.
 */
static void *big_calloc(size_t n, size_t size)
{
	const size_t huge = (size_t)2 << 20;
	size_t total;
	void *p = NULL;
	if (size && n > SIZE_MAX / size)
		return NULL;
	total = n * size;
	if (total == 0)
		total = 1;
	if (total < huge)
		return calloc(1, total);
	total = (total + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, total))
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, total, MADV_HUGEPAGE);
#endif
	memset(p, 0, total);
	return p;
}

/* --- building ------------------------------------------------------------------- */

typedef struct item {
	uint64_t hash;
	const unsigned char *key; /* string keys; IP keys are in ip; name pair keys at koff of the pair buffer */
	size_t koff;
	const custos_name_words *w; /* name keys: the registry name's words */
	uint32_t klen;
	uint8_t kind, prefix;
	uint8_t ip[16]; /* IP: the network, host bits cleared */
	uint32_t party, sel;
} item;

static inline const unsigned char *item_key(const item *it)
{
	return it->kind == CUSTOS_SEL_IP ? it->ip : it->key;
}

static int item_cmp(const void *a, const void *b)
{
	const item *x = a, *y = b;
	int c;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	c = memcmp(item_key(x), item_key(y), x->klen);
	if (c)
		return c;
	if (x->party != y->party)
		return x->party < y->party ? -1 : 1;
	return x->sel < y->sel ? -1 : x->sel > y->sel;
}

static int same_key(const item *x, const item *y)
{
	return x->hash == y->hash && x->kind == y->kind && x->prefix == y->prefix && x->klen == y->klen &&
	       memcmp(item_key(x), item_key(y), x->klen) == 0;
}

static int party_cmp(const void *a, const void *b)
{
	const custos_party *x = a, *y = b;
	return strcmp(x->id, y->id);
}

static int dom_cmp(const void *a, const void *b)
{
	const dom_item *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->rev, y->rev, m);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->party != y->party)
		return x->party < y->party ? -1 : 1;
	return x->sel < y->sel ? -1 : x->sel > y->sel;
}

static int tel_cmp(const void *a, const void *b)
{
	const tel_item *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, m);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->is_range != y->is_range)
		return x->is_range < y->is_range ? -1 : 1;
	if (x->party != y->party)
		return x->party < y->party ? -1 : 1;
	return x->sel < y->sel ? -1 : x->sel > y->sel;
}

static int ip_cmp(const void *a, const void *b)
{
	const ip_item *x = a, *y = b;
	int c = memcmp(x->ip, y->ip, 16);
	if (c)
		return c;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if (x->party != y->party)
		return x->party < y->party ? -1 : 1;
	return x->sel < y->sel ? -1 : x->sel > y->sel;
}

/* Writes the labels of domain d (n bytes) in reverse order: "www.example.be" -> "be.example.www". */
static void reverse_labels(char *out, const char *d, size_t n)
{
	size_t o = 0, end = n;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && d[start - 1] != '.')
			start--;
		memcpy(out + o, d + start, end - start);
		o += end - start;
		if (start > 0)
			out[o++] = '.';
		end = start ? start - 1 : 0;
	}
}

static unsigned count_labels(const char *d, size_t n)
{
	unsigned c = 1;
	for (size_t i = 0; i < n; i++)
		c += d[i] == '.';
	return c;
}

/*
 * The items of one name: every pair of its words, in every reading, as
 * vowel keys (V) and skeletons (S) of a name in an alphabet, or skeletons
 * (S and A) of a name in an abjad. The pair texts go to pairs.
 */
static int name_items(item **items, size_t *cap, size_t *k, custos_buf *pairs, const custos_selector *s, uint32_t party,
		      uint32_t sel, int *abjad_seen)
{
	const custos_name_words *nw = s->names; /* prepare_names gave every registry name its words */
	if (sel >= (1u << 24))
		return custos_error_set(CUSTOS_ELIMIT, "party with more than %u selectors", (1u << 24) - 1);
	if (nw->abjad)
		*abjad_seen = 1;
	for (unsigned i = 0; i < nw->n; i++)
		for (unsigned j = i + 1; j < nw->n; j++)
			for (int vi = 0; vi < nw->nvar[i]; vi++)
				for (int vj = 0; vj < nw->nvar[j]; vj++)
					for (int t = 0; t < 2; t++) {
						unsigned kind = t == 0 ? (nw->abjad ? KIND_NAME_A : KIND_NAME_V) : KIND_NAME_S;
						uint64_t buf[2];
						size_t len = sizeof(buf);
						item *it;
						int rc;
						if ((rc = custos_array_reserve(items, cap, *k, sizeof(**items), 1024)))
							return rc;
						it = &(*items)[(*k)++];
						memset(it, 0, sizeof(*it));
						it->kind = (uint8_t)kind;
						it->w = nw;
						it->party = party;
						it->sel = sel;
						it->koff = pairs->len;
						it->klen = (uint32_t)len;
						pair_key(buf, nw, i, j, vi, vj, kind == KIND_NAME_V ? 0 : 2);
						it->hash = custos_key_hash(kind, buf, len);
						if ((rc = custos_buf_append(pairs, buf, len)))
							return rc;
					}
	return CUSTOS_OK;
}

/* The bytes of the entry of a key with n postings: header, key (to 8 bytes), postings. */
static size_t entry_size(const item *it, size_t n)
{
	return sizeof(entry_hdr) + ((it->klen + 7) & ~(size_t)7) +
	       n * (it->kind >= KIND_NAME_V ? sizeof(name_posting) : sizeof(posting));
}

/*
 * Where an entry of sz bytes goes at or after offset off: an entry that fits
 * in a cache line never straddles two (the arena is line-aligned), so a hit
 * reads its key and postings in one memory access rather than two.
 */
static size_t entry_place(size_t off, size_t sz)
{
	if (sz <= 64 && (off & 63) + sz > 64)
		return (off + 63) & ~(size_t)63;
	return off;
}

static int build_table(custos_registry *reg, size_t nsel)
{
	size_t nitems = nsel + reg->n, k = 0, nkeys = 0, cap, arena_size = 0, icap = nitems + 16, kept;
	item *items = malloc(icap * sizeof(*items));
	custos_buf pairs;
	int rc = CUSTOS_OK;
	custos_buf_init(&pairs, (size_t)1 << 36);
	if (!items)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory building the registry index");
	for (unsigned l = 0; l <= 128; l++)
		custos_ip_mask(reg->ip_mask[l], l);
	for (size_t i = 0; i < reg->n; i++) {
		size_t ns = party_nsel(reg, i);
		for (size_t j = 0; j < ns; j++) {
			const custos_selector *s = party_sel(reg, i, j);
			item *it;
			if (s->kind == CUSTOS_SEL_NAME) {
				if ((rc = name_items(&items, &icap, &k, &pairs, s, (uint32_t)i, (uint32_t)j, &reg->has_abjad)))
					goto fail;
				continue;
			}
			if ((rc = custos_array_reserve(&items, &icap, k, sizeof(*items), 1024)))
				goto fail;
			it = &items[k++];
			memset(it, 0, sizeof(*it));
			it->kind = (uint8_t)s->kind;
			it->party = (uint32_t)i;
			it->sel = (uint32_t)j;
			if (s->kind == CUSTOS_SEL_IP) {
				unsigned prefix = s->prefix > 128 ? 128 : s->prefix;
				uint64_t w[2];
				memcpy(w, s->ip, 16);
				w[0] &= reg->ip_mask[prefix][0];
				w[1] &= reg->ip_mask[prefix][1];
				memcpy(it->ip, w, 16);
				it->klen = 16;
				it->prefix = (uint8_t)prefix;
				it->hash = custos_ip_hash(w[0], w[1], prefix);
			} else {
				const char *key = s->key ? s->key : "";
				size_t len = strlen(key);
				if (len > UINT16_MAX) {
					rc = custos_error_set(CUSTOS_ELIMIT, "selector key too long (%zu bytes)", len);
					goto fail;
				}
				it->key = (const unsigned char *)key;
				it->klen = (uint32_t)len;
				it->hash = custos_key_hash((unsigned)s->kind, key, len);
			}
		}
	}
	nitems = k;
	for (size_t i = 0; i < nitems; i++)
		if (items[i].kind >= KIND_NAME_V)
			items[i].key = (const unsigned char *)pairs.ptr + items[i].koff;
	qsort(items, nitems, sizeof(*items), item_cmp);
	/* one posting per (key, party, selector): readings of a name can give the same pair twice */
	for (size_t i = kept = 0; i < nitems; i++)
		if (!(kept > 0 && same_key(&items[kept - 1], &items[i]) && items[kept - 1].party == items[i].party &&
		      items[kept - 1].sel == items[i].sel))
			items[kept++] = items[i];
	nitems = kept;
	for (size_t i = 0; i < nitems;) {
		size_t j = i + 1;
		while (j < nitems && same_key(&items[i], &items[j]))
			j++;
		nkeys++;
		arena_size = entry_place(arena_size, entry_size(&items[i], j - i)) + entry_size(&items[i], j - i);
		i = j;
	}
	for (cap = 16; cap < nkeys + nkeys / 2 + 1; cap <<= 1)
		;
	if (arena_size / 8 > UINT32_MAX) {
		rc = custos_error_set(CUSTOS_ELIMIT, "registry index too large (%zu bytes of entries, 32 GB at most)",
				      arena_size);
		goto fail;
	}
	reg->slots = big_calloc(cap, sizeof(slot));
	reg->arena = big_calloc(arena_size ? arena_size : 8, 1);
	if (!reg->slots || !reg->arena) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory building the registry index");
		goto fail;
	}
	reg->mask = cap - 1;
	for (cap = 1; cap < nkeys / 8 + 1; cap <<= 1)
		;
	reg->bloom = big_calloc(cap, sizeof(uint64_t));
	if (!reg->bloom) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory building the registry index");
		goto fail;
	}
	reg->bloom_mask = cap - 1;
	bloom_init(reg);
	for (size_t i = 0; i < nitems;) {
		size_t j = i + 1, off, pos;
		entry_hdr h;
		posting *ps;
		while (j < nitems && same_key(&items[i], &items[j]))
			j++;
		off = entry_place(reg->arena_len, entry_size(&items[i], j - i));
		h.kind = items[i].kind;
		h.prefix = items[i].prefix;
		h.klen = (uint16_t)items[i].klen;
		h.count = (uint32_t)(j - i);
		memcpy(reg->arena + off, &h, sizeof(h));
		memset(reg->arena + off + sizeof(h), 0, (items[i].klen + 7) & ~(size_t)7);
		memcpy(reg->arena + off + sizeof(h), item_key(&items[i]), items[i].klen);
		ps = (posting *)(void *)(reg->arena + off + sizeof(h) + ((items[i].klen + 7) & ~(size_t)7));
		if (h.kind >= KIND_NAME_V) {
			name_posting *nps = (name_posting *)(void *)ps;
			for (size_t t = i; t < j; t++) {
				nps[t - i].party = items[t].party;
				nps[t - i].sel = items[t].sel & 0xFFFFFF;
				nps[t - i].nwords = items[t].w->n < 15 ? items[t].w->n : 15;
				nps[t - i].born = items[t].w->born[0] != '\0';
				nps[t - i].w = items[t].w;
			}
			reg->arena_len = (size_t)((unsigned char *)(nps + (j - i)) - reg->arena);
		} else {
			for (size_t t = i; t < j; t++) {
				ps[t - i].party = items[t].party;
				ps[t - i].sel = items[t].sel;
			}
			reg->arena_len = (size_t)((unsigned char *)(ps + (j - i)) - reg->arena);
		}
		for (pos = items[i].hash & reg->mask; reg->slots[pos].tag; pos = (pos + 1) & reg->mask)
			;
		reg->slots[pos].tag = slot_tag(items[i].hash);
		reg->bloom[(items[i].hash >> 40) & reg->bloom_mask] |= bloom_bits(reg, items[i].hash);
		reg->slots[pos].off = (uint32_t)(off >> 3);
		i = j;
	}
fail:
	free(items);
	custos_buf_dispose(&pairs);
	return rc;
}

static int build_sorted(custos_registry *reg)
{
	size_t nd = 0, nt = 0, ni = 0, revlen = 0, ro = 0;
	uint8_t have_tel[16] = {0}, have_ip[129] = {0};
	for (size_t i = 0; i < reg->n; i++) {
		const custos_party *p = &reg->parties[i];
		for (size_t j = 0; j < p->nselectors; j++) {
			const custos_selector *s = &p->selectors[j];
			switch (s->kind) {
			case CUSTOS_SEL_EMAIL:
			case CUSTOS_SEL_DOMAIN:
				nd++;
				revlen += strlen(s->key) + 1;
				break;
			case CUSTOS_SEL_TEL:
			case CUSTOS_SEL_TEL_RANGE:
				nt++;
				break;
			case CUSTOS_SEL_IP:
				ni++;
				break;
			default:
				break;
			}
		}
	}
	reg->dom = big_calloc(nd, sizeof(*reg->dom));
	reg->rev_arena = big_calloc(revlen, 1);
	reg->tel = big_calloc(nt, sizeof(*reg->tel));
	reg->ips = big_calloc(ni, sizeof(*reg->ips));
	if (!reg->dom || !reg->rev_arena || !reg->tel || !reg->ips)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory building the registry index");
	for (size_t i = 0; i < reg->n; i++) {
		const custos_party *p = &reg->parties[i];
		for (size_t j = 0; j < p->nselectors; j++) {
			const custos_selector *s = &p->selectors[j];
			if (s->kind == CUSTOS_SEL_EMAIL || s->kind == CUSTOS_SEL_DOMAIN) {
				const char *d = s->key;
				size_t len;
				dom_item *it = &reg->dom[reg->ndom++];
				if (s->kind == CUSTOS_SEL_EMAIL)
					d = strrchr(s->key, '@') + 1;
				len = strlen(d);
				reverse_labels(reg->rev_arena + ro, d, len);
				reg->rev_arena[ro + len] = '\0';
				it->rev = reg->rev_arena + ro;
				it->len = (uint32_t)len;
				it->party = (uint32_t)i;
				it->sel = (uint32_t)j;
				it->is_email = s->kind == CUSTOS_SEL_EMAIL;
				ro += len + 1;
				if (s->kind == CUSTOS_SEL_DOMAIN) {
					unsigned c = count_labels(d, len);
					c = c < 128 ? c : 127; /* a domain has at most 127 labels */
					reg->dom_labels[c >> 6] |= 1ull << (c & 63);
					if (c > reg->dom_max_labels)
						reg->dom_max_labels = c;
				}
			} else if (s->kind == CUSTOS_SEL_TEL || s->kind == CUSTOS_SEL_TEL_RANGE) {
				tel_item *it = &reg->tel[reg->ntel++];
				it->key = s->key;
				it->len = (uint32_t)strlen(s->key);
				it->party = (uint32_t)i;
				it->sel = (uint32_t)j;
				it->is_range = s->kind == CUSTOS_SEL_TEL_RANGE;
				if (it->is_range && it->len >= 2 && it->len <= 16)
					have_tel[it->len - 1] = 1;
			} else if (s->kind == CUSTOS_SEL_IP) {
				ip_item *it = &reg->ips[reg->nips++];
				unsigned prefix = s->prefix > 128 ? 128 : s->prefix;
				uint64_t w[2];
				memcpy(w, s->ip, 16);
				w[0] &= reg->ip_mask[prefix][0];
				w[1] &= reg->ip_mask[prefix][1];
				memcpy(it->ip, w, 16);
				it->prefix = (uint8_t)prefix;
				it->party = (uint32_t)i;
				it->sel = (uint32_t)j;
				have_ip[prefix] = 1;
			}
		}
	}
	qsort(reg->dom, reg->ndom, sizeof(*reg->dom), dom_cmp);
	qsort(reg->tel, reg->ntel, sizeof(*reg->tel), tel_cmp);
	qsort(reg->ips, reg->nips, sizeof(*reg->ips), ip_cmp);
	for (unsigned l = 1; l <= 15; l++)
		if (have_tel[l])
			reg->tel_lens[reg->ntel_lens++] = (uint8_t)l;
	for (unsigned l = 0; l <= 128; l++)
		if (have_ip[l])
			reg->ip_prefixes[reg->nip_prefixes++] = (uint8_t)l;
	return CUSTOS_OK;
}

/* "sha256:..." over each party's canonical line and "\n", in id order. */
static int compute_hash(custos_registry *reg)
{
	custos_buf b;
	uint8_t digest[32];
	custos_buf_init(&b, (size_t)1 << 40);
	for (size_t i = 0; i < reg->n; i++) {
		char *line = NULL;
		int rc = custos_party_encode(&line, &reg->parties[i]);
		if (rc) {
			custos_buf_dispose(&b);
			return custos_error_prefix(rc, "party %s", reg->parties[i].id);
		}
		rc = custos_buf_puts(&b, line);
		free(line);
		if (!rc)
			rc = custos_buf_append(&b, "\n", 1);
		if (rc) {
			custos_buf_dispose(&b);
			return rc;
		}
	}
	custos_sha256(digest, b.ptr ? b.ptr : "", b.len);
	custos_sha256_label(reg->hash, digest);
	custos_buf_dispose(&b);
	return CUSTOS_OK;
}

static void release(custos_registry *reg)
{
	for (size_t i = 0; i < reg->n; i++) {
		custos_party_dispose(&reg->parties[i]);
		if (reg->idsel)
			custos_selector_dispose(&reg->idsel[i]);
	}
	if (reg->xbase)
		for (size_t i = 0; i < reg->xbase[reg->n]; i++)
			custos_selector_dispose(&reg->xsel[i]);
	free(reg->xsel);
	free(reg->xbase);
	free(reg->parties);
	free(reg->idsel);
	free(reg->slots);
	free(reg->bloom);
	free(reg->arena);
	free(reg->dom);
	free(reg->rev_arena);
	free(reg->tel);
	free(reg->ips);
	free(reg);
}

/* Whether party p already has a name selector (or an earlier extra name, xsel[from..to)) with this key. */
static int has_name(const custos_party *p, const custos_selector *xs, size_t from, size_t to, const char *key)
{
	for (size_t j = 0; j < p->nselectors; j++)
		if (p->selectors[j].kind == CUSTOS_SEL_NAME && strcmp(p->selectors[j].key, key) == 0)
			return 1;
	for (size_t j = from; j < to; j++)
		if (strcmp(xs[j].key, key) == 0)
			return 1;
	return 0;
}

/* Whether a party is a person (its name is a person's name), not a mission, a post or premises. */
static int is_person(const custos_party *p)
{
	return p->category != CUSTOS_CAT_MISSION && p->category != CUSTOS_CAT_CONSULAR_POST &&
	       p->category != CUSTOS_CAT_IO_PREMISES;
}

/*
 * The names a person is found by beside its name: selectors: its name and
 * its aliases, as registry-owned name selectors (a name that is not a
 * valid name selector, say only punctuation, is not indexed). The name of
 * a mission or premises is not a person's name ("Embassy of ...") and is
 * not matched as one; give such a party name: selectors to be found by name.
 */
static int build_extra_names(custos_registry *reg)
{
	size_t total = 0, k = 0;
	reg->xbase = calloc(reg->n + 1, sizeof(*reg->xbase));
	if (!reg->xbase)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < reg->n; i++)
		total += is_person(&reg->parties[i]) ? (reg->parties[i].name != NULL) + reg->parties[i].naliases : 0;
	if (total >= UINT32_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "registry too large (%zu names)", total);
	reg->xsel = calloc(total ? total : 1, sizeof(*reg->xsel));
	if (!reg->xsel)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < reg->n; i++) {
		const custos_party *p = &reg->parties[i];
		size_t first = k;
		reg->xbase[i] = (uint32_t)k;
		for (size_t a = 0; is_person(p) && a <= p->naliases; a++) {
			const char *nm = a == 0 ? p->name : p->aliases[a - 1];
			char text[CUSTOS_SELECTOR_MAX + 8];
			int len;
			if (!nm)
				continue;
			len = snprintf(text, sizeof(text), "name:%s", nm);
			if (len < 0 || (size_t)len >= sizeof(text) ||
			    custos_selector_parse(&reg->xsel[k], text, (size_t)len) != CUSTOS_OK)
				continue;
			if (has_name(p, reg->xsel, first, k, reg->xsel[k].key))
				custos_selector_dispose(&reg->xsel[k]);
			else
				k++;
		}
	}
	reg->xbase[reg->n] = (uint32_t)k;
	custos_error_clear();
	return CUSTOS_OK;
}

/*
 * Every registry name gets its word hashes (a selector built by hand has
 * none yet) and its party's date of birth, so a look-up reads both from
 * the name alone.
 */
static int prepare_names(custos_registry *reg)
{
	for (size_t i = 0; i < reg->n; i++) {
		custos_party *p = &reg->parties[i];
		size_t ns = party_nsel(reg, i);
		for (size_t j = 0; j < ns; j++) {
			custos_selector *s = (custos_selector *)party_sel(reg, i, j);
			if (s->kind != CUSTOS_SEL_NAME)
				continue;
			if (!s->names) {
				custos_name_words w;
				custos_name_words_of(&w, s->key ? s->key : "");
				if (!(s->names = malloc(sizeof(w))))
					return custos_error_set(CUSTOS_ENOMEM, "out of memory");
				memcpy(s->names, &w, sizeof(w));
			}
			if (p->born[0] && !s->names->born[0])
				memcpy(s->names->born, p->born, 11);
		}
	}
	return CUSTOS_OK;
}

void custos_registry_set_name_policy(custos_registry *reg, const custos_name_policy *policy)
{
	reg->policy = *policy;
	if (reg->policy.min_words < 2)
		reg->policy.min_words = 2; /* a first name or a surname alone is never a hit */
}

const custos_name_policy *custos_registry_name_policy(const custos_registry *reg)
{
	return &reg->policy;
}

int custos_registry_new(custos_registry **out, custos_party *parties, size_t n)
{
	custos_registry *reg;
	size_t nsel = 0;
	int rc;
	*out = NULL;
	reg = calloc(1, sizeof(*reg));
	if (!reg) {
		for (size_t i = 0; i < n; i++)
			custos_party_dispose(&parties[i]);
		free(parties);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	reg->parties = parties;
	reg->n = n;
	reg->policy.min_words = CUSTOS_NAME_MIN_WORDS;
	reg->policy.min_score = CUSTOS_NAME_MIN_SCORE;
	if (n >= UINT32_MAX) {
		rc = custos_error_set(CUSTOS_ELIMIT, "registry too large (%zu parties)", n);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (!parties[i].id) {
			rc = custos_error_set(CUSTOS_EINVALID, "party %zu has no id", i);
			goto fail;
		}
		nsel += parties[i].nselectors;
	}
	if (nsel >= UINT32_MAX) {
		rc = custos_error_set(CUSTOS_ELIMIT, "registry too large (%zu selectors)", nsel);
		goto fail;
	}
	if (n > 1)
		qsort(parties, n, sizeof(*parties), party_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(parties[i - 1].id, parties[i].id) == 0) {
			rc = custos_error_set(CUSTOS_EINVALID, "duplicate party id '%s'", parties[i].id);
			goto fail;
		}
	}
	reg->idsel = calloc(n ? n : 1, sizeof(*reg->idsel));
	if (!reg->idsel) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		size_t il = strlen(parties[i].id);
		custos_selector *s = &reg->idsel[i];
		s->kind = CUSTOS_SEL_PARTY;
		s->key = custos_strdup(parties[i].id);
		s->text = malloc(il + 7);
		if (!s->key || !s->text) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			goto fail;
		}
		memcpy(s->text, "party:", 6);
		memcpy(s->text + 6, parties[i].id, il + 1);
	}
	if ((rc = build_extra_names(reg)) || (rc = prepare_names(reg)))
		goto fail;
	nsel += reg->xbase[n];
	if ((rc = build_table(reg, nsel)) || (rc = build_sorted(reg)) || (rc = compute_hash(reg)))
		goto fail;
	*out = reg;
	return CUSTOS_OK;
fail:
	release(reg);
	return rc;
}

void custos_registry_free(custos_registry *reg)
{
	if (reg)
		release(reg);
}

size_t custos_registry_count(const custos_registry *reg)
{
	return reg ? reg->n : 0;
}

const custos_party *custos_registry_party(const custos_registry *reg, size_t i)
{
	return reg && i < reg->n ? &reg->parties[i] : NULL;
}

const custos_party *custos_registry_find(const custos_registry *reg, const char *id)
{
	size_t lo = 0, hi;
	if (!reg || !id)
		return NULL;
	hi = reg->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(reg->parties[mid].id, id);
		if (c == 0)
			return &reg->parties[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *custos_registry_hash(const custos_registry *reg)
{
	return reg->hash;
}

/* --- look-ups ------------------------------------------------------------------- */

/*
 * Look-ups run in passes over a block of probes, so that the memory loads of
 * many probes are in flight at once and no branch waits on memory:
 *
 *   plan     each query's probes are queued with their hashes (its own key's
 *            hash comes with the selector) and their bloom words prefetched;
 *            the range scans of "query covers registry" run here;
 *   filter   the bloom words are tested; the survivors' slots are prefetched;
 *   resolve  the slots holding their hashes are found, entries prefetched;
 *   deliver  keys are compared with their entries and postings reported.
 *
 * A batch fills blocks of about BLOCK_PROBES probes (see advance); a single
 * look-up is a block of one query, whose slots are prefetched together with
 * its bloom words (eager) so that a hit waits for the slot and the entry,
 * not for the bloom word first; a batch has the time to filter first and
 * spares the memory traffic of a miss.
 */

typedef struct probe {
	uint64_t hash;
	const void *key; /* string key, or the query's 16 address bytes (masked to prefix when compared) */
	uint32_t q;	 /* query index in the block */
	uint16_t klen;
	uint8_t kind, prefix;
} probe;

typedef struct found {
	uint64_t pos; /* slot holding the probe's hash */
	uint32_t probe;
} found;

/* The word hashes of a query built by hand (no custos_selector.names), computed once for all its name probes. */
typedef struct name_cache {
	size_t query; /* absolute index; SIZE_MAX: none */
	custos_name_words w;
} name_cache;

typedef uint64_t pair_text[2]; /* a name probe's key: two word hashes */

typedef struct block {
	const custos_registry *reg;
	custos_match_batch_fn fn;
	void *ctx;
	size_t base; /* index of query 0 of this block */
	size_t matches;
	probe *p;
	uint32_t *cand;
	found *hit;
	size_t np, nc, nh; /* probes, bloom candidates, slots found */
	int eager;	   /* prefetch each probe's slot with its bloom word (a single look-up waits on both) */
	const custos_selector *sels; /* the queries (query q of the block is sels[base + q]) */
	pair_text *pairs;	     /* the key text of name probe i, when probe i is one */
	name_cache *nc_cache;
} block;

#ifndef BLOCK_PROBES
#define BLOCK_PROBES 128 /* a batch block is closed once it holds this many probes */
#endif
#define MAX_PROBES_PER_QUERY 130 /* 129 IP prefixes, or an address and 127 labels, or 16 lengths */
#define BLOCK_CAP (BLOCK_PROBES + MAX_PROBES_PER_QUERY)

static inline void add_probe(block *b, uint32_t q, unsigned kind, unsigned prefix, const void *key, size_t len,
			     uint64_t h)
{
	probe *p = &b->p[b->np++];
	p->hash = h;
	p->key = key;
	p->q = q;
	p->klen = (uint16_t)len;
	p->kind = (uint8_t)kind;
	p->prefix = (uint8_t)prefix;
	__builtin_prefetch(&b->reg->bloom[(h >> 40) & b->reg->bloom_mask]);
	if (b->eager)
		__builtin_prefetch(&b->reg->slots[h & b->reg->mask]);
}

static inline void emit(block *b, uint32_t q, size_t party, size_t sel)
{
	b->matches++;
	b->fn(b->ctx, b->base + q, party, sel);
}

/* The bytes of word v equal to '.' or '@', as their high bits (exact: no borrow between bytes). */
static inline uint64_t dot_or_at(uint64_t v)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t a = v ^ 0x2e2e2e2e2e2e2e2eull, b = v ^ 0x4040404040404040ull;
	a = ~(((a & lo7) + lo7) | a | lo7);
	b = ~(((b & lo7) + lo7) | b | lo7);
	return a | b;
}

/* Where the label ending at k[end] starts: just after the last '.' or '@' before end, or 0. Eight bytes a step. */
static inline size_t label_start(const char *k, size_t end)
{
	while (end >= 8) {
		uint64_t w, m;
		memcpy(&w, k + end - 8, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		m = dot_or_at(w); /* byte i of the word is k[end - 8 + i] */
		if (m)
			return end - 8 + (size_t)(63 - __builtin_clzll(m)) / 8 + 1;
		end -= 8;
	}
	while (end > 0 && k[end - 1] != '.' && k[end - 1] != '@')
		end--;
	return end;
}

/*
 * Registry domains that are the domain of key k (n bytes: a domain, or an
 * address whose domain follows its '@') or a parent of it, for only the
 * label counts the registry has: the key is walked back from its end one
 * label at a time, no further than the registry's longest domain.
 * `whole` is the hash of k itself as a domain key, or 0.
 */
static void probe_domain_suffixes(block *b, uint32_t q, const char *k, size_t n, uint64_t whole)
{
	const custos_registry *reg = b->reg;
	size_t end = n;
	for (unsigned labels = 1; labels <= reg->dom_max_labels; labels++) {
		size_t st = label_start(k, end);
		int first = st == 0 || k[st - 1] == '@';
		if (reg->dom_labels[labels >> 6] >> (labels & 63) & 1) {
			uint64_t h = first && st == 0 && whole ? whole : custos_key_hash(CUSTOS_SEL_DOMAIN, k + st, n - st);
			add_probe(b, q, CUSTOS_SEL_DOMAIN, 0, k + st, n - st, h);
		}
		if (first || st < 2)
			break;
		end = st - 1;
	}
}

/* Registry addresses and domains at or below domain d (d itself only for addresses). */
static __attribute__((noinline)) void scan_domains(block *b, uint32_t q, const char *d, size_t n)
{
	const custos_registry *reg = b->reg;
	char rev[256];
	size_t lo = 0, hi = reg->ndom;
	if (n > 253)
		return;
	reverse_labels(rev, d, n);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const dom_item *it = &reg->dom[mid];
		size_t m = it->len < n ? it->len : n;
		int c = memcmp(it->rev, rev, m);
		if (c < 0 || (c == 0 && it->len < n))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < reg->ndom; lo++) {
		const dom_item *it = &reg->dom[lo];
		if (it->len < n || memcmp(it->rev, rev, n) != 0)
			break;
		if (it->len == n ? it->is_email : it->rev[n] == '.')
			emit(b, q, it->party, it->sel);
	}
}

/* Registry numbers and longer ranges beginning with the digits of range key p. */
static __attribute__((noinline)) void scan_tel(block *b, uint32_t q, const char *p, size_t n)
{
	const custos_registry *reg = b->reg;
	size_t lo = 0, hi = reg->ntel;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const tel_item *it = &reg->tel[mid];
		size_t m = it->len < n ? it->len : n;
		int c = memcmp(it->key, p, m);
		if (c < 0 || (c == 0 && it->len < n))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < reg->ntel; lo++) {
		const tel_item *it = &reg->tel[lo];
		if (it->len < n || memcmp(it->key, p, n) != 0)
			break;
		if (!(it->is_range && it->len == n))
			emit(b, q, it->party, it->sel);
	}
}

/* Registry networks strictly inside network w/prefix (w: two native words, host bits clear). */
static __attribute__((noinline)) void scan_ip(block *b, uint32_t q, const uint64_t w[2], unsigned prefix)
{
	const custos_registry *reg = b->reg;
	const uint64_t *m = reg->ip_mask[prefix];
	uint8_t ip[16];
	size_t lo = 0, hi = reg->nips;
	memcpy(ip, w, 16);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(reg->ips[mid].ip, ip, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < reg->nips; lo++) {
		const ip_item *it = &reg->ips[lo];
		uint64_t x[2];
		memcpy(x, it->ip, 16);
		if ((x[0] & m[0]) != w[0] || (x[1] & m[1]) != w[1])
			break;
		if (it->prefix > prefix)
			emit(b, q, it->party, it->sel);
	}
}

/*
 * A name's probes: every pair of its first QUERY_NAME_WORDS words in every
 * reading, as vowel keys (and skeletons, if the registry holds names
 * written in an abjad), or as skeletons when the query is written in one.
 * A probe's prefix records its pair: words i and j, readings vi and vj.
 */
static void plan_name(block *b, uint32_t q, const custos_selector *s)
{
	custos_name_words tmp;
	const custos_name_words *nw = sel_words(s, &tmp);
	unsigned n = nw->n < QUERY_NAME_WORDS ? nw->n : QUERY_NAME_WORDS;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			for (int vi = 0; vi < nw->nvar[i]; vi++)
				for (int vj = 0; vj < nw->nvar[j]; vj++)
					for (int t = 0; t < 2; t++) {
						unsigned kind = nw->abjad ? (t ? 0 : KIND_NAME_S)
									  : (t ? (b->reg->has_abjad ? KIND_NAME_A : 0)
									       : KIND_NAME_V);
						uint64_t *key = b->pairs[b->np];
						if (!kind)
							continue;
						pair_key(key, nw, i, j, vi, vj, kind == KIND_NAME_V ? 0 : 2);
						add_probe(b, q, kind, i | j << 3 | (unsigned)vi << 6 | (unsigned)vj << 7, key,
							  16, custos_key_hash(kind, key, 16));
					}
}

/*
 * A SIP identity or an NAI: its own key; the registry's domains of its realm
 * (a mission's domain covers every identity at it, as it covers every
 * address); and, when the user part is a telephone number ("+3227360000" or
 * its digits), that number as a tel: selector would be looked up — a SIP
 * identity of a protected line is that line.
 */
static void plan_identity(block *b, uint32_t q, const custos_selector *s, size_t len, uint64_t h)
{
	const custos_registry *reg = b->reg;
	const char *at = memchr(s->key, '@', len);
	size_t ul = at ? (size_t)(at - s->key) : len, d = s->key[0] == '+';
	add_probe(b, q, (unsigned)s->kind, 0, s->key, len, h);
	if (at)
		probe_domain_suffixes(b, q, s->key, len, 0);
	if (ul - d < 6 || ul - d > 15 || s->key[d] == '0')
		return;
	for (size_t i = d; i < ul; i++)
		if (s->key[i] < '0' || s->key[i] > '9')
			return;
	{
		char *tel = (char *)b->pairs[b->np]; /* the exact probe's key storage: 16 bytes, '+' and 15 digits */
		size_t tl = ul - d + 1;
		tel[0] = '+';
		memcpy(tel + 1, s->key + d, ul - d);
		add_probe(b, q, CUSTOS_SEL_TEL, 0, tel, tl, custos_key_hash(CUSTOS_SEL_TEL, tel, tl));
		for (unsigned i = 0; i < reg->ntel_lens && (size_t)reg->tel_lens[i] + 1 <= tl; i++) {
			size_t l = (size_t)reg->tel_lens[i] + 1;
			add_probe(b, q, CUSTOS_SEL_TEL_RANGE, 0, tel, l, custos_key_hash(CUSTOS_SEL_TEL_RANGE, tel, l));
		}
	}
}

/* Queues the probes of one query and runs its range scans. */
static void plan(block *b, uint32_t q, const custos_selector *s)
{
	const custos_registry *reg = b->reg;
	size_t len;
	uint64_t h;
	if (!s->key && s->kind != CUSTOS_SEL_IP)
		return;
	h = sel_hash(s, &len);
	switch (s->kind) {
	case CUSTOS_SEL_EMAIL: {
		add_probe(b, q, CUSTOS_SEL_EMAIL, 0, s->key, len, h);
		probe_domain_suffixes(b, q, s->key, len, 0);
		break;
	}
	case CUSTOS_SEL_DOMAIN:
		probe_domain_suffixes(b, q, s->key, len, h);
		scan_domains(b, q, s->key, len);
		break;
	case CUSTOS_SEL_TEL:
	case CUSTOS_SEL_TEL_RANGE: {
		int range = s->kind == CUSTOS_SEL_TEL_RANGE;
		if (!range)
			add_probe(b, q, CUSTOS_SEL_TEL, 0, s->key, len, h);
		for (unsigned i = 0; i < reg->ntel_lens && (size_t)reg->tel_lens[i] + 1 <= len; i++) {
			size_t l = (size_t)reg->tel_lens[i] + 1;
			add_probe(b, q, CUSTOS_SEL_TEL_RANGE, 0, s->key, l,
				  range && l == len ? h : custos_key_hash(CUSTOS_SEL_TEL_RANGE, s->key, l));
		}
		if (range)
			scan_tel(b, q, s->key, len);
		break;
	}
	case CUSTOS_SEL_IP: {
		unsigned sp = s->prefix > 128 ? 128 : s->prefix;
		uint64_t w[2];
		memcpy(w, s->ip, 16);
		for (unsigned i = 0; i < reg->nip_prefixes && reg->ip_prefixes[i] <= sp; i++) {
			unsigned l = reg->ip_prefixes[i];
			const uint64_t *m = reg->ip_mask[l];
			add_probe(b, q, CUSTOS_SEL_IP, l, s->ip, 16,
				  l == sp ? h : custos_ip_hash(w[0] & m[0], w[1] & m[1], l));
		}
		if (sp < 128) {
			w[0] &= reg->ip_mask[sp][0];
			w[1] &= reg->ip_mask[sp][1];
			scan_ip(b, q, w, sp);
		}
		break;
	}
	case CUSTOS_SEL_NAME:
		plan_name(b, q, s);
		break;
	case CUSTOS_SEL_SIP:
	case CUSTOS_SEL_NAI:
		plan_identity(b, q, s, len, h);
		break;
	case CUSTOS_SEL_IMSI:
	case CUSTOS_SEL_IMEI:
	case CUSTOS_SEL_ADDRESS:
	case CUSTOS_SEL_PARTY:
		add_probe(b, q, (unsigned)s->kind, 0, s->key, len, h);
		break;
	default:
		break;
	}
}

/* Whether n bytes at a and b are equal: a word at a time, inline (keys are short; memcmp is a call). */
static inline int same_bytes(const unsigned char *a, const void *bv, size_t n)
{
	const unsigned char *b = bv;
	uint64_t d = 0, x, y;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
	}
	for (; i < n; i++)
		d |= (uint64_t)(a[i] ^ b[i]);
	return d == 0;
}

/* Whether the entry at e holds the probe's key (an IP probe's address is masked to its prefix). */
static inline int same_entry_key(const custos_registry *reg, const unsigned char *e, const entry_hdr *h,
				 const probe *p)
{
	if (h->kind != p->kind || h->klen != p->klen || (h->prefix != p->prefix && p->kind < KIND_NAME_V))
		return 0;
	if (p->kind == CUSTOS_SEL_IP) {
		const uint64_t *m = reg->ip_mask[p->prefix];
		uint64_t a[2], k[2];
		memcpy(a, e + sizeof(*h), 16);
		memcpy(k, p->key, 16);
		return a[0] == (k[0] & m[0]) && a[1] == (k[1] & m[1]);
	}
	return same_bytes(e + sizeof(*h), p->key, p->klen);
}

/*
 * The postings of the entry whose key is the probe's, starting the search at
 * slot pos (where the probe's tag was first seen); NULL when there is none.
 * Keys with the same tag sit in successive slots of one cluster.
 */
static const posting *entry_match(const custos_registry *reg, const probe *p, uint64_t pos, uint32_t *count)
{
	uint32_t tag = slot_tag(p->hash);
	for (;; pos = (pos + 1) & reg->mask) {
		const slot *sl = &reg->slots[pos];
		const unsigned char *e;
		entry_hdr h;
		if (!sl->tag)
			break;
		if (sl->tag != tag)
			continue;
		e = slot_entry(reg->arena, sl);
		memcpy(&h, e, sizeof(h));
		if (!same_entry_key(reg, e, &h, p))
			continue;
		*count = h.count;
		return (const posting *)(const void *)(e + sizeof(h) + (((size_t)h.klen + 7) & ~(size_t)7));
	}
	*count = 0;
	return NULL;
}

/* Filter pass: tests the bloom words (prefetched when planned); prefetches the survivors' slots. */
static void filter(block *b)
{
	const custos_registry *reg = b->reg;
	size_t nc = 0;
	for (size_t i = 0; i < b->np; i++) {
		uint64_t h = b->p[i].hash, bits = bloom_bits(reg, h);
		b->cand[nc] = (uint32_t)i;
		nc += (reg->bloom[(h >> 40) & reg->bloom_mask] & bits) == bits;
	}
	for (size_t k = 0; k < nc; k++)
		__builtin_prefetch(&reg->slots[b->p[b->cand[k]].hash & reg->mask]);
	b->nc = nc;
}

/* Resolve pass: finds the slots holding the candidates' tags (prefetched); prefetches their entries. */
static void resolve(block *b)
{
	const custos_registry *reg = b->reg;
	const slot *slots = reg->slots;
	size_t nh = 0;
	for (size_t k = 0; k < b->nc; k++) {
		uint64_t h = b->p[b->cand[k]].hash, pos = h & reg->mask;
		uint32_t tag = slot_tag(h);
		for (;; pos = (pos + 1) & reg->mask) {
			if (slots[pos].tag == tag) {
				b->hit[nh].pos = pos;
				b->hit[nh].probe = b->cand[k];
				nh++;
				__builtin_prefetch(slot_entry(reg->arena, &slots[pos]));
				break;
			}
			if (!slots[pos].tag)
				break;
		}
	}
	b->nh = nh;
}

/*
 * Whether query name q hits registry name r of party under the policy, as
 * cmp says; why (a static string or one written into whybuf) when not.
 */
static const char *name_verdict(const custos_registry *reg, const custos_name_cmp *cmp, const char *qborn,
				const char *rborn, char *whybuf, size_t cap)
{
	if (cmp->shared < reg->policy.min_words) {
		snprintf(whybuf, cap, "%u word%s shared, %u needed", cmp->shared, cmp->shared == 1 ? "" : "s",
			 reg->policy.min_words);
		return whybuf;
	}
	if (cmp->score < reg->policy.min_score) {
		snprintf(whybuf, cap, "score %u below %u", cmp->score, reg->policy.min_score);
		return whybuf;
	}
	if (qborn[0] && rborn[0] && strcmp(qborn, rborn) != 0) {
		snprintf(whybuf, cap, "born %s, the query says %s", rborn, qborn);
		return whybuf;
	}
	return NULL;
}

/*
 * Whether a name probe's posting is a hit, reported once: the names share
 * enough words (name_verdict) and the probe is the pair of the first two
 * words they share, in the first readings that agree, so a hit found
 * through several pairs is reported by one.
 */
static int name_posting_hits(block *b, const probe *p, const name_posting *ps)
{
	const custos_registry *reg = b->reg;
	size_t query = b->base + p->q;
	const custos_selector *qs = &b->sels[query];
	const custos_name_words *qw = qs->names;
	custos_name_cmp cmp;
	char why[96];
	unsigned code;
	if (!qw) {
		if (b->nc_cache->query != query) {
			custos_name_words_of(&b->nc_cache->w, qs->key ? qs->key : "");
			b->nc_cache->query = query;
		}
		qw = &b->nc_cache->w;
	}
	if (qw->n == 2 && ps->nwords == 2 && qw->nvar[0] == 1 && qw->nvar[1] == 1 && !(qw->born[0] && ps->born))
		/* the probe's pair is both names whole: shared 2, score 100, and this is the only probe */
		return reg->policy.min_words <= 2 && p->prefix == (0 | 1 << 3);
	custos_name_compare_words(&cmp, qw, ps->w);
	if (cmp.shared < 2 || name_verdict(reg, &cmp, qw->born, ps->w->born, why, sizeof(why)))
		return 0;
	code = cmp.qword[0] | cmp.qword[1] << 3 | (unsigned)cmp.qvar[0] << 6 | (unsigned)cmp.qvar[1] << 7;
	return p->prefix == code;
}

/* Deliver pass: compares keys with their entries (prefetched) and reports the postings; empties the block. */
static void deliver(block *b)
{
	for (size_t k = 0; k < b->nh; k++) {
		const probe *p = &b->p[b->hit[k].probe];
		uint32_t count;
		const posting *ps = entry_match(b->reg, p, b->hit[k].pos, &count);
		if (p->kind >= KIND_NAME_V) {
			const name_posting *nps = (const name_posting *)(const void *)ps;
			for (uint32_t t = 0; t < count; t++)
				if (name_posting_hits(b, p, &nps[t]))
					emit(b, p->q, nps[t].party, nps[t].sel);
			continue;
		}
		for (uint32_t t = 0; t < count; t++)
			emit(b, p->q, ps[t].party, ps[t].sel);
	}
	b->np = b->nc = b->nh = 0;
}

/*
 * A batch keeps five blocks in flight: while block k is planned, block k-1
 * is filtered, block k-2 resolved and block k-4 delivered, so each block's
 * prefetches have a whole step of work to arrive in (its entries two: the
 * fetch of an entry follows the fetch of its slot), and the memory loads of
 * one block overlap the hashing of the next.
 */
#ifndef RING
#define RING 5
#endif
#ifndef RESOLVE_AT
#define RESOLVE_AT 2
#endif
#ifndef KEY_AHEAD
#define KEY_AHEAD 16
#endif

static void advance(block ring[RING], size_t k, size_t nblocks)
{
	if (k >= 1 && k - 1 < nblocks)
		filter(&ring[(k - 1) % RING]);
	if (k >= RESOLVE_AT && k - RESOLVE_AT < nblocks)
		resolve(&ring[(k - RESOLVE_AT) % RING]);
	if (k >= RING - 1 && k - (RING - 1) < nblocks)
		deliver(&ring[(k - (RING - 1)) % RING]);
}

size_t custos_registry_match_batch(const custos_registry *reg, const custos_selector *sels, size_t n,
				   custos_match_batch_fn fn, void *ctx)
{
	probe probes[RING][BLOCK_CAP];
	uint32_t cand[RING][BLOCK_CAP];
	found hit[RING][BLOCK_CAP];
	pair_text pairs[RING][BLOCK_CAP];
	name_cache cache;
	block ring[RING];
	size_t matches = 0, k = 0, i = 0;
	cache.query = SIZE_MAX;
	for (unsigned r = 0; r < RING; r++) {
		block b = {reg, fn, ctx, 0, 0, probes[r], cand[r], hit[r], 0, 0, 0, 0, sels, pairs[r], &cache};
		ring[r] = b;
	}
	while (i < n) {
		block *b = &ring[k % RING];
		b->base = i;
		while (i < n && b->np < BLOCK_PROBES && b->np + MAX_PROBES_PER_QUERY <= BLOCK_CAP &&
		       i - b->base < UINT32_MAX) {
			/* a query's key is hashed as it is planned (ranges, domains, names): it lies wherever the caller
			 * allocated it, so it is fetched a few queries ahead */
			if (i + KEY_AHEAD < n) {
				__builtin_prefetch(sels[i + KEY_AHEAD].key);
				if (sels[i + KEY_AHEAD].names)
					__builtin_prefetch(sels[i + KEY_AHEAD].names);
			}
			plan(b, (uint32_t)(i - b->base), &sels[i]);
			i++;
		}
		advance(ring, k, SIZE_MAX);
		k++;
	}
	for (size_t d = k; d < k + RING - 1; d++)
		advance(ring, d, k);
	for (unsigned r = 0; r < RING; r++)
		matches += ring[r].matches;
	return matches;
}

typedef struct single_ctx {
	custos_match_fn fn;
	void *ctx;
} single_ctx;

static void single_adapter(void *ctx, size_t query, size_t party, size_t sel)
{
	single_ctx *s = ctx;
	(void)query;
	s->fn(s->ctx, party, sel);
}

size_t custos_registry_match(const custos_registry *reg, const custos_selector *sel, custos_match_fn fn, void *ctx)
{
	probe probes[MAX_PROBES_PER_QUERY];
	uint32_t cand[MAX_PROBES_PER_QUERY];
	found hit[MAX_PROBES_PER_QUERY];
	pair_text pairs[MAX_PROBES_PER_QUERY];
	name_cache cache;
	single_ctx s = {fn, ctx};
	block b = {reg, single_adapter, &s, 0, 0, probes, cand, hit, 0, 0, 0, 1, sel, pairs, &cache};
	cache.query = SIZE_MAX;
	plan(&b, 0, sel);
	filter(&b);
	resolve(&b);
	deliver(&b);
	return b.matches;
}

/* --- screening ------------------------------------------------------------------ */

/*
 * Where a party stands for the period from..to (CUSTOS_DATE_NONE: open):
 * ACTIVE if the period overlaps its accreditation, GRACE if it starts
 * within grace_days after valid_to, FORMER if later still, FUTURE if the
 * accreditation begins after the period.
 */
static custos_status party_status(const custos_party *p, custos_date from, custos_date to, int grace_days)
{
	int64_t vf = p->valid_from, vt = p->valid_to;
	int ends_before = vt != CUSTOS_DATE_NONE && from != CUSTOS_DATE_NONE && from > vt;
	int starts_after = vf != CUSTOS_DATE_NONE && to != CUSTOS_DATE_NONE && vf > to;
	if (!ends_before && !starts_after)
		return CUSTOS_STATUS_ACTIVE;
	if (ends_before) {
		if ((int64_t)from <= vt + (grace_days > 0 ? grace_days : 0))
			return CUSTOS_STATUS_GRACE;
		return CUSTOS_STATUS_FORMER;
	}
	return CUSTOS_STATUS_FUTURE;
}

typedef struct collect {
	posting *v;
	size_t n, cap;
	int failed;
} collect;

static void collect_fn(void *ctx, size_t party, size_t sel)
{
	collect *c = ctx;
	if (c->failed)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		posting *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->failed = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].party = (uint32_t)party;
	c->v[c->n].sel = (uint32_t)sel;
	c->n++;
}

static int posting_cmp(const void *a, const void *b)
{
	const posting *x = a, *y = b;
	if (x->party != y->party)
		return x->party < y->party ? -1 : 1;
	return x->sel < y->sel ? -1 : x->sel > y->sel;
}

/* The shared word keys of cmp as text ("mahtar ablaSav"), from the query's keys. */
static void shared_keys(char *out, size_t cap, const custos_name_cmp *cmp, const custos_name_keys *qk)
{
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < cmp->shared; i++) {
		const custos_name_word *w = &qk->w[cmp->qword[i]];
		const char *k = cmp->skel ? w->skel[cmp->qvar[i]] : w->key[cmp->qvar[i]];
		int n = snprintf(out + o, cap - o, "%s%s", i ? " " : "", k);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

/* Fills a name hit's score and shared keys. */
static void name_detail(custos_hit *h, const custos_selector *q, const custos_selector *r)
{
	custos_name_keys qk, rk;
	custos_name_cmp cmp;
	name_keys(&qk, q);
	name_keys(&rk, r);
	custos_name_compare(&cmp, &qk, &rk);
	h->score = cmp.score;
	shared_keys(h->name_key, sizeof(h->name_key), &cmp, &qk);
}

int custos_registry_name_collisions(char **out, const custos_registry *reg, const char *const *ids, size_t n)
{
	custos_buf b;
	size_t ncoll = 0;
	int rc = CUSTOS_OK;
	*out = NULL;
	custos_buf_init(&b, (size_t)1 << 30);
	for (size_t k = 0; k < n && !rc; k++) {
		const custos_party *p = custos_registry_find(reg, ids[k]);
		size_t i, ns;
		if (!p)
			continue;
		i = (size_t)(p - reg->parties);
		ns = party_nsel(reg, i);
		for (size_t j = 0; j < ns && !rc; j++) {
			const custos_selector *s = party_sel(reg, i, j);
			custos_hit *hits = NULL;
			size_t nh = 0;
			if (s->kind != CUSTOS_SEL_NAME)
				continue;
			if ((rc = custos_registry_screen(&hits, &nh, reg, s, CUSTOS_DATE_NONE, CUSTOS_DATE_NONE, 0, 1)))
				break;
			for (size_t h = 0; h < nh && !rc; h++) {
				if (hits[h].party == p)
					continue;
				rc = custos_buf_puts(&b, ncoll++ ? ",{\"id\":" : "[{\"id\":");
				if (!rc)
					rc = custos_buf_json_string(&b, p->id);
				if (!rc)
					rc = custos_buf_puts(&b, ",\"name\":");
				if (!rc)
					rc = custos_buf_json_string(&b, s->text + 5);
				if (!rc)
					rc = custos_buf_puts(&b, ",\"other\":");
				if (!rc)
					rc = custos_buf_json_string(&b, hits[h].party->id);
				if (!rc)
					rc = custos_buf_puts(&b, ",\"other_name\":");
				if (!rc)
					rc = custos_buf_json_string(&b, hits[h].matched->text + 5);
				if (!rc)
					rc = custos_buf_puts(&b, ",\"shared\":");
				if (!rc)
					rc = custos_buf_json_string(&b, hits[h].name_key);
				if (!rc)
					rc = custos_buf_printf(&b, ",\"score\":%u}", hits[h].score);
			}
			free(hits);
		}
	}
	if (!rc && ncoll && !(rc = custos_buf_puts(&b, "]")) && !(*out = custos_buf_detach(&b)))
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	custos_buf_dispose(&b);
	return rc;
}

int custos_registry_explain_name(const custos_registry *reg, const custos_selector *sel, custos_name_explain_fn fn,
				 void *ctx)
{
	custos_name_keys qk, rk;
	custos_name_words tmp;
	const custos_name_words *qw;
	if (sel->kind != CUSTOS_SEL_NAME)
		return custos_error_set(CUSTOS_EINVALID, "%s: not a name", sel->text ? sel->text : "?");
	qw = sel_words(sel, &tmp);
	name_keys(&qk, sel);
	for (size_t i = 0; i < reg->n; i++) {
		size_t ns = party_nsel(reg, i);
		for (size_t j = 0; j < ns; j++) {
			const custos_selector *rs = party_sel(reg, i, j);
			custos_name_cmp cmp;
			char keys[96], why[96];
			const char *verdict;
			if (rs->kind != CUSTOS_SEL_NAME)
				continue;
			if (!custos_name_compare_words(&cmp, qw, rs->names))
				continue;
			verdict = name_verdict(reg, &cmp, qw->born, rs->names->born, why, sizeof(why));
			{
				custos_name_cmp text; /* the same comparison on the keys as text, to show them */
				name_keys(&rk, rs);
				custos_name_compare(&text, &qk, &rk);
				shared_keys(keys, sizeof(keys), &text, &qk);
			}
			if (!verdict && cmp.qword[0] >= QUERY_NAME_WORDS) {
				snprintf(why, sizeof(why), "the shared words come after the query's first %d",
					 QUERY_NAME_WORDS);
				verdict = why;
			}
			fn(ctx, &reg->parties[i], rs, cmp.shared, cmp.score, keys, verdict);
		}
	}
	return CUSTOS_OK;
}

int custos_registry_screen(custos_hit **out, size_t *nout, const custos_registry *reg, const custos_selector *sel,
			   custos_date from, custos_date to, int grace_days, int all)
{
	collect c = {NULL, 0, 0, 0};
	custos_hit *hits = NULL;
	size_t nh = 0;
	*out = NULL;
	*nout = 0;
	custos_registry_match(reg, sel, collect_fn, &c);
	if (c.failed) {
		free(c.v);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory screening %s", sel->text ? sel->text : "?");
	}
	if (c.n == 0)
		return CUSTOS_OK;
	qsort(c.v, c.n, sizeof(*c.v), posting_cmp);
	hits = malloc(c.n * sizeof(*hits));
	if (!hits) {
		free(c.v);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory screening %s", sel->text ? sel->text : "?");
	}
	for (size_t i = 0; i < c.n; i++) {
		const custos_party *p;
		custos_status st;
		if (i > 0 && c.v[i].party == c.v[i - 1].party)
			continue; /* the party's first matching selector came first */
		p = &reg->parties[c.v[i].party];
		st = party_status(p, from, to, grace_days);
		if (!all && st != CUSTOS_STATUS_ACTIVE && st != CUSTOS_STATUS_GRACE)
			continue;
		memset(&hits[nh], 0, sizeof(hits[nh]));
		hits[nh].party = p;
		hits[nh].matched = party_sel(reg, c.v[i].party, c.v[i].sel);
		hits[nh].status = st;
		if (sel->kind == CUSTOS_SEL_NAME && hits[nh].matched->kind == CUSTOS_SEL_NAME)
			name_detail(&hits[nh], sel, hits[nh].matched);
		nh++;
	}
	free(c.v);
	if (nh == 0) {
		free(hits);
		return CUSTOS_OK;
	}
	*out = hits;
	*nout = nh;
	return CUSTOS_OK;
}
