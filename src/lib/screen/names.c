/* names.c — names in any script to Latin (ICU), and the transliteration-robust word keys that name matching compares. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "screen.h"
#include "util.h"

/*
 * The transliterator: a few letters ICU's Any-Latin leaves alone (Kazakh,
 * and the Arabic ta marbuta, read as the final -a/-ah it is in Latin
 * spellings), then Any-Latin. What it writes is decomposed (NFD), its
 * combining marks dropped and its Latin letters folded to ASCII by fold.c
 * (the work of ICU's Latin-ASCII, which alone costs twice Any-Latin).
 * Opened once; a transliterator is not safe for concurrent use, so calls
 * take a lock (names already in Latin-1 or Latin Extended-A never get here).
 */
static const char translit_rules[] = "[ұүҰҮ] > u; [әӘ] > a; [іІ] > i; [ғҒ] > g; [қҚ] > k; [ңҢ] > n;"
				     "[өӨ] > o; [һҺ] > h; ة > h;"
				     ":: Any-Latin;";

static pthread_once_t translit_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t translit_lock = PTHREAD_MUTEX_INITIALIZER;
static UTransliterator *translit;
static UErrorCode translit_err = U_ZERO_ERROR;

static void translit_open(void)
{
	UChar rules[sizeof(translit_rules)];
	int32_t n = 0;
	UErrorCode e = U_ZERO_ERROR;
	u_strFromUTF8(rules, (int32_t)(sizeof(rules) / sizeof(rules[0])), &n, translit_rules, -1, &e);
	if (U_FAILURE(e)) {
		translit_err = e;
		return;
	}
	UChar id[16];
	u_uastrcpy(id, "custos-names");
	translit = utrans_openU(id, -1, UTRANS_FORWARD, rules, n, NULL, &e);
	if (U_FAILURE(e)) {
		translit = NULL;
		translit_err = e;
	}
}

/*
 * Longest name taken, in bytes: a selector's 512, or a normal form of one
 * read again (č becomes tch, Han becomes pinyin: the Latin form can be
 * longer than what it came from). In UTF-16 units after transliteration.
 */
#define NAME_MAX_IN (4 * CUSTOS_SELECTOR_MAX)
#define NAME_UMAX (8 * NAME_MAX_IN)

/* Whether a code point is written in an abjad: Arabic, Hebrew, Syriac, Thaana (short vowels unwritten). */
static int is_abjad(uint32_t cp)
{
	return (cp >= 0x0590 && cp <= 0x07BF) || (cp >= 0x0860 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
	       (cp >= 0xFE70 && cp <= 0xFEFF);
}

/* Apostrophes and letter-like marks that join the letters around them (Cyrillic soft sign's ', Arabic ayn's ʿ). */
static int is_joiner(uint32_t cp)
{
	return cp == '\'' || cp == '`' || cp == 0xB4 || cp == 0x2B9 || cp == 0x2BA || cp == 0x2BB || cp == 0x2BC ||
	       cp == 0x2BE || cp == 0x2BF || cp == 0x2018 || cp == 0x2019 || cp == 0x2032;
}

/*
 * The words of a folded name (valid UTF-8): letters and digits of ASCII
 * kept (upper case lowered), joiners and combining marks dropped, anything
 * else a separator; one space between words. Returns the length written to
 * out (cap bytes).
 */
static size_t words_of(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	int space = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = u[i];
		if (c >= 0xC0) {
			size_t step = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
			c &= c >= 0xF0 ? 0x07 : c >= 0xE0 ? 0x0F : 0x1F;
			for (size_t k = 1; k < step && i + 1 < n; k++)
				c = (c << 6) | (u[++i] & 0x3F);
		}
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (space && o && o + 1 < cap)
				out[o++] = ' ';
			space = 0;
			if (o + 1 < cap)
				out[o++] = (char)c;
		} else if (!is_joiner(c) && !(c >= 0x300 && c <= 0x36F)) {
			space = 1; /* a combining mark left over joins too */
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * The ICU part of custos_name_latin: in (UTF-8, NAME_MAX_IN bytes at most)
 * transliterated, decomposed, as UTF-8 folded by fold.c into the words of
 * out.
 */
static int latin_icu(char *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	/* one block: two UTF-16 buffers, their UTF-8 and its fold */
	UChar *a = malloc(2 * NAME_UMAX * sizeof(UChar) + 3 * NAME_UMAX + 6 * NAME_UMAX + 2), *b = a + NAME_UMAX;
	char *u8 = (char *)(b + NAME_UMAX), *folded = u8 + 3 * NAME_UMAX + 1;
	const UNormalizer2 *nfd;
	int32_t n = 0, lim, m = 0, u8n = 0;
	UErrorCode e = U_ZERO_ERROR;
	size_t fl;
	int rc = CUSTOS_OK;
	if (!a)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	pthread_once(&translit_once, translit_open);
	nfd = unorm2_getNFDInstance(&e);
	if (!translit || U_FAILURE(e)) {
		rc = custos_error_set(CUSTOS_ERROR, "cannot open the ICU transliterator (%s)",
				      u_errorName(translit ? e : translit_err));
		goto out;
	}
	u_strFromUTF8(a, NAME_UMAX / 4, &n, in, (int32_t)len, &e);
	if (U_FAILURE(e)) {
		rc = custos_error_set(CUSTOS_EINVALID, "the name cannot be read as Unicode (%s)", u_errorName(e));
		goto out;
	}
	lim = n;
	pthread_mutex_lock(&translit_lock);
	utrans_transUChars(translit, a, &n, NAME_UMAX, 0, &lim, &e);
	pthread_mutex_unlock(&translit_lock);
	if (!U_FAILURE(e))
		m = unorm2_normalize(nfd, a, n, b, NAME_UMAX, &e);
	if (!U_FAILURE(e))
		u_strToUTF8(u8, 3 * NAME_UMAX, &u8n, b, m, &e);
	if (U_FAILURE(e)) {
		rc = custos_error_set(CUSTOS_EINVALID, "the name is too long once written in Latin letters");
		goto out;
	}
	fl = custos_fold(folded, u8, (size_t)u8n, 0);
	*outlen = words_of(out, cap, folded, fl == (size_t)-1 ? 0 : fl);
out:
	free(a);
	return rc;
}

/*
 * The names ICU wrote last, by the hash of what they were written from: a
 * stream names the same people again and again, and a transliteration
 * costs microseconds. Direct-mapped, guarded by the transliterator's lock;
 * only short names are kept.
 */
#define CACHE_SLOTS 1024
#define CACHE_IN 64
#define CACHE_OUT 96
static struct cached_name {
	uint64_t hash;
	uint16_t inlen, outlen;
	char in[CACHE_IN], out[CACHE_OUT];
} name_cache[CACHE_SLOTS];

static int latin_cached(char *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	uint64_t h = custos_hash64(in, len, 0x1c0);
	struct cached_name *c = &name_cache[h % CACHE_SLOTS];
	int rc, hit = 0;
	if (len > CACHE_IN)
		return latin_icu(out, cap, outlen, in, len);
	pthread_mutex_lock(&translit_lock);
	if (c->hash == h && c->inlen == len && memcmp(c->in, in, len) == 0 && c->outlen < cap) {
		memcpy(out, c->out, c->outlen);
		out[c->outlen] = '\0';
		*outlen = c->outlen;
		hit = 1;
	}
	pthread_mutex_unlock(&translit_lock);
	if (hit)
		return CUSTOS_OK;
	if ((rc = latin_icu(out, cap, outlen, in, len)) || *outlen >= CACHE_OUT)
		return rc;
	pthread_mutex_lock(&translit_lock);
	c->hash = h;
	c->inlen = (uint16_t)len;
	c->outlen = (uint16_t)*outlen;
	memcpy(c->in, in, len);
	memcpy(c->out, out, *outlen);
	pthread_mutex_unlock(&translit_lock);
	return CUSTOS_OK;
}

int custos_name_latin(char *out, size_t cap, size_t *outlen, int *abjad, const char *in, size_t len)
{
	char folded[3 * NAME_MAX_IN + 1], tch[3 * NAME_MAX_IN / 2];
	const unsigned char *p = (const unsigned char *)in;
	size_t fl, i = 0;
	int ascii = 1;
	*outlen = 0;
	*abjad = 0;
	if (len > NAME_MAX_IN)
		return custos_error_set(CUSTOS_EINVALID, "name longer than %d bytes", NAME_MAX_IN);
	if (custos_utf8_check(in, len) != len)
		return custos_error_set(CUSTOS_EINVALID, "invalid UTF-8 in the name");
	/*
	 * č and ć are the sound English writes ch and French tch, not a c (folding
	 * would make them k); apostrophes join the letters around them.
	 */
	{
		size_t o = 0;
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)in[k], d = k + 1 < len ? (unsigned char)in[k + 1] : 0;
			unsigned char f = k + 2 < len ? (unsigned char)in[k + 2] : 0;
			if (c == 0xC4 && (d == 0x8C || d == 0x8D || d == 0x86 || d == 0x87)) {
				memcpy(tch + o, "tch", 3);
				o += 3;
				k++;
			} else if (c == '\'' || c == '`') {
				continue; /* apostrophes join: O'Brien, El'cin */
			} else if ((c == 0xC2 && d == 0xB4) || (c == 0xCA && (d == 0xBC || d == 0xBE || d == 0xBF))) {
				k++;
			} else if (c == 0xE2 && d == 0x80 && (f == 0x98 || f == 0x99)) {
				k += 2;
			} else {
				tch[o++] = (char)c;
			}
		}
		in = tch;
		len = o;
		p = (const unsigned char *)in;
	}
	/* Latin-1 and Latin Extended-A fold without ICU (fold.c); what is then ASCII is done */
	fl = custos_fold(folded, in, len, 0);
	for (size_t k = 0; k < fl && ascii; k++)
		ascii = (unsigned char)folded[k] < 0x80;
	if (ascii) {
		*outlen = words_of(out, cap, folded, fl);
		return CUSTOS_OK;
	}
	while (i < len) {
		uint32_t cp = p[i];
		size_t step = 1;
		if (cp >= 0xC0) {
			step = cp >= 0xF0 ? 4 : cp >= 0xE0 ? 3 : 2;
			cp &= cp >= 0xF0 ? 0x07 : cp >= 0xE0 ? 0x0F : 0x1F;
			for (size_t k = 1; k < step; k++)
				cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (is_abjad(cp))
			*abjad = 1;
		i += step;
	}
	return latin_cached(out, cap, outlen, in, len);
}

/* --- word keys ------------------------------------------------------------------------------ */

static int is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Words dropped before matching: name particles (Arabic, and the European ones that come and go). */
static const char *const particles[] = {
	"ould", "old",	"wuld", "wld", "walad", "ben", "bin", "ibn", "bn",  "abn", "bint", "bent", "bnt",
	"al",	"el",	"ul",	"as",  "ash",	"ad",  "ar",  "an",  "at",  "az",  "es",   "er",   "ed",
	"ez",	"da",	"de",	"del", "della", "der", "di",  "do",  "dos", "du",  "la",   "le",   "van",
	"von",	"ter",	"ten",	"bou", NULL,
};

/* Whether w (n bytes) is one of the words of list (NULL-terminated); words longer than 6 letters never are. */
static int in_list(const char *const *list, const char *w, size_t n)
{
	if (n > 6)
		return 0;
	for (size_t i = 0; list[i]; i++) {
		const char *l = list[i];
		size_t k = 0;
		while (k < n && l[k] == w[k])
			k++;
		if (k == n && l[k] == '\0')
			return 1;
	}
	return 0;
}

static int is_particle(const char *w, size_t n)
{
	return in_list(particles, w, n);
}

/* "abd" and its joined forms: the first half of a compound name (Abd al-Aziz, Abdel Aziz, Abdelaziz). */
static const char *const abd_forms[] = {"abd", "bd", "abdu", "abdou", "abdel", "abdul", "abdoul", "abdal", "abdol", NULL};

static int is_abd(const char *w, size_t n)
{
	return in_list(abd_forms, w, n);
}

/*
 * The second half of an abd- compound without its article: "elaziz",
 * "allah", "ullah", "errahmane", "alzyz" -> "aziz", "lah", "lah",
 * "rahmane", "zyz". Only an article is taken off: "aziz" stays.
 */
static size_t abd_body(const char **w, size_t n)
{
	const char *s = *w;
	size_t v = 0;
	while (v < n && is_vowel(s[v]) && s[v] != 'y')
		v++;
	if (v + 2 < n && s[v] == 'l') {
		*w = s + v + 1;
		return n - v - 1;
	}
	if (v + 2 < n && s[v] == s[v + 1] && !is_vowel(s[v])) {
		*w = s + v + 1;
		return n - v - 1;
	}
	return n;
}

/*
 * The key of one word, in one of two readings (variant 0: ch as in French
 * or English, j as in French; variant 1: ch, j and c as in German and the
 * Slavic languages, c being ts or the ch of a č that lost its caron), with vowels (each run of vowels one 'a') or without
 * (the consonant skeleton an abjad writes). Consonants fall into classes
 * the transliteration systems swap: every sibilant and affricate (s z sh
 * zh ch sch tsch j c before e/i/y ts tz dj) is 'S', kh and h (and German
 * ch) are 'h', c q k are 'k', v w and final ff are 'v', ph is 'f', x is
 * 'ks'; doubled classes count once; a final h and a final French mute e
 * after a consonant are dropped. An abjad word's w and y inside it are
 * the long vowels they write.
 */
static size_t word_key(char *out, size_t cap, const char *w, size_t n, int variant, int vowels, int abjad)
{
	size_t o = 0, i = 0;
	char last = 0;
	int final_ff = 0;
	if (!abjad && n >= 3 && w[n - 1] == 'e' && !is_vowel(w[n - 2]))
		n--; /* French mute e: Rahmane, Eltsine */
	if (n >= 3 && w[n - 1] == 'f' && w[n - 2] == 'f') {
		n--; /* Smirnoff: -off is -ov */
		final_ff = 1;
	}
	while (i < n && o + 2 < cap) {
		const char *r = w + i;
		size_t left = n - i, take = 1;
		char c = r[0], cls;
		if (c == '-') { /* the joint of an abd- compound: no digraph across it */
			i++;
			continue;
		}
		if (left >= 4 && (memcmp(r, "tsch", 4) == 0 || memcmp(r, "shch", 4) == 0)) {
			cls = 'S';
			take = 4;
		} else if (left >= 3 && (memcmp(r, "sch", 3) == 0 || memcmp(r, "tch", 3) == 0 || memcmp(r, "dzh", 3) == 0)) {
			cls = 'S';
			take = 3;
		} else if (left >= 2 && (memcmp(r, "sh", 2) == 0 || memcmp(r, "zh", 2) == 0 || memcmp(r, "ts", 2) == 0 ||
					 memcmp(r, "tz", 2) == 0 || memcmp(r, "dj", 2) == 0 || memcmp(r, "dz", 2) == 0 ||
					 memcmp(r, "cz", 2) == 0 || memcmp(r, "sz", 2) == 0)) {
			cls = 'S';
			take = 2;
		} else if (left >= 2 && memcmp(r, "ch", 2) == 0) {
			cls = variant ? 'h' : 'S';
			take = 2;
		} else if (left >= 2 && (memcmp(r, "kh", 2) == 0 || memcmp(r, "gh", 2) == 0 || memcmp(r, "ph", 2) == 0 ||
					 memcmp(r, "th", 2) == 0 || memcmp(r, "dh", 2) == 0 || memcmp(r, "ck", 2) == 0)) {
			cls = r[0] == 'k' ? 'h' : r[0] == 'g' ? 'g' : r[0] == 'p' ? 'f' : r[0] == 't' ? 't' : r[0] == 'd' ? 'd' : 'k';
			take = 2;
		} else if (c == 'x') {
			if (last != 'k' && o + 2 < cap)
				out[o++] = 'k';
			last = 'k';
			cls = 'S';
		} else if (c == 'c') {
			cls = variant || (left >= 2 && (r[1] == 'e' || r[1] == 'i' || r[1] == 'y')) ? 'S' : 'k';
		} else if (c == 'j') {
			cls = variant ? 'a' : 'S';
		} else if (c == 's' || c == 'z') {
			cls = 'S';
		} else if (c == 'q' || c == 'k') {
			cls = 'k';
		} else if (c == 'w') {
			cls = abjad && i > 0 ? 'a' : 'v';
		} else if (c == 'y' && abjad) {
			cls = 'a';
		} else if (is_vowel(c)) {
			cls = 'a';
		} else {
			cls = c; /* b d f g h l m n p r t v, digits */
		}
		i += take;
		if (cls == 'a' && !vowels)
			continue;
		if (cls == last)
			continue;
		out[o++] = cls;
		last = cls;
	}
	if (final_ff && o && out[o - 1] == 'f')
		out[o - 1] = 'v';
	while (o > 1 && out[o - 1] == 'h')
		o--; /* Fatimah, Abdullah */
	out[o] = '\0';
	return o;
}

/*
 * The significant words of a Latin name: particles and one-letter words
 * dropped, an abd- compound joined into one word ("abd" + its second half
 * without the article), an abjad word's glued article taken off ("alzyz").
 * Each word gets its keys (both readings, with and without vowels).
 */
void custos_name_keys_of(custos_name_keys *k, const char *latin, size_t len, int abjad)
{
	const char *p = latin, *end = latin + len;
	int pending_abd = 0;
	k->n = 0;
	k->abjad = (uint8_t)abjad;
	while (p < end && k->n < CUSTOS_NAME_WORDS) {
		const char *w;
		size_t n;
		char joined[2 * CUSTOS_NAME_KEYMAX + 8];
		custos_name_word *cw;
		while (p < end && *p == ' ')
			p++;
		w = p;
		while (p < end && *p != ' ')
			p++;
		n = (size_t)(p - w);
		if (n == 0)
			break;
		if (n > CUSTOS_NAME_KEYMAX * 2)
			n = CUSTOS_NAME_KEYMAX * 2;
		if (is_abd(w, n)) {
			pending_abd = 1;
			continue;
		}
		if (is_particle(w, n) || n < 2)
			continue;
		if (!pending_abd && n > 5 && memcmp(w, "abd", 3) == 0) {
			pending_abd = 1; /* Abdelaziz, Abderrahmane: the compound written as one word */
			w += 3;
			n -= 3;
		}
		if (abjad && n > 3 && w[0] == 'a' && w[1] == 'l')
			w += 2, n -= 2;
		if (pending_abd) {
			n = abd_body(&w, n);
			memcpy(joined, "abd-", 4);
			memcpy(joined + 4, w, n);
			w = joined;
			n += 4;
			pending_abd = 0;
		}
		cw = &k->w[k->n];
		word_key(cw->key[0], CUSTOS_NAME_KEYMAX, w, n, 0, !abjad, abjad);
		word_key(cw->skel[0], CUSTOS_NAME_KEYMAX, w, n, 0, 0, abjad);
		cw->nvar = 1;
		if (memchr(w, 'c', n) || memchr(w, 'j', n)) { /* only ch, j and c read differently in reading 1 */
			word_key(cw->key[1], CUSTOS_NAME_KEYMAX, w, n, 1, !abjad, abjad);
			word_key(cw->skel[1], CUSTOS_NAME_KEYMAX, w, n, 1, 0, abjad);
			cw->nvar = strcmp(cw->key[0], cw->key[1]) || strcmp(cw->skel[0], cw->skel[1]) ? 2 : 1;
		}
		if (cw->nvar == 1) {
			memcpy(cw->key[1], cw->key[0], strlen(cw->key[0]) + 1);
			memcpy(cw->skel[1], cw->skel[0], strlen(cw->skel[0]) + 1);
		}
		k->n++;
	}
}

/* Whether word a and word b share a key (any readings; skeletons when `skel`). */
static int word_match(const custos_name_word *a, const custos_name_word *b, int skel, int *va, int *vb)
{
	for (int i = 0; i < a->nvar; i++)
		for (int j = 0; j < b->nvar; j++)
			if (strcmp(skel ? a->skel[i] : a->key[i], skel ? b->skel[j] : b->key[j]) == 0) {
				*va = i;
				*vb = j;
				return 1;
			}
	return 0;
}

int custos_name_compare(custos_name_cmp *out, const custos_name_keys *q, const custos_name_keys *r)
{
	uint8_t used[CUSTOS_NAME_WORDS] = {0};
	int skel = q->abjad || r->abjad;
	memset(out, 0, sizeof(*out));
	out->skel = (uint8_t)skel;
	for (unsigned i = 0; i < q->n; i++) {
		for (unsigned j = 0; j < r->n; j++) {
			int va, vb;
			if (used[j] || !word_match(&q->w[i], &r->w[j], skel, &va, &vb))
				continue;
			used[j] = 1;
			if (out->shared < CUSTOS_NAME_WORDS) {
				out->qword[out->shared] = (uint8_t)i;
				out->rword[out->shared] = (uint8_t)j;
				out->qvar[out->shared] = (uint8_t)va;
				out->shared++;
			}
			break;
		}
	}
	if (q->n + r->n)
		out->score = (unsigned)((200u * out->shared + (q->n + r->n) / 2) / (q->n + r->n));
	return out->shared;
}

size_t custos_name_pair_key(char *out, size_t cap, const custos_name_keys *k, unsigned i, unsigned j, int vi, int vj,
			    int skel)
{
	const char *a = skel ? k->w[i].skel[vi] : k->w[i].key[vi], *b = skel ? k->w[j].skel[vj] : k->w[j].key[vj];
	size_t la, lb;
	if (strcmp(a, b) > 0) {
		const char *t = a;
		a = b;
		b = t;
	}
	la = strlen(a);
	lb = strlen(b);
	if (la + lb + 2 > cap)
		return 0;
	memcpy(out, a, la);
	out[la] = '|';
	memcpy(out + la + 1, b, lb);
	out[la + lb + 1] = '\0';
	return la + lb + 1;
}

int custos_name_born(char out[11], const custos_selector *s)
{
	const char *semi = s->kind == CUSTOS_SEL_NAME && s->key ? strchr(s->key, ';') : NULL;
	if (!semi || strncmp(semi, ";born=", 6) != 0 || strlen(semi + 6) != 10)
		return 0;
	memcpy(out, semi + 6, 11);
	return 1;
}

void custos_name_words_of(custos_name_words *out, const char *key)
{
	custos_name_keys k;
	const char *semi = strchr(key, ';');
	int abjad = key[0] == '^';
	size_t len = (semi ? (size_t)(semi - key) : strlen(key)) - (size_t)abjad;
	custos_name_keys_of(&k, key + abjad, len, abjad);
	out->n = (uint8_t)k.n;
	out->abjad = k.abjad;
	out->born[0] = '\0';
	if (semi && strncmp(semi, ";born=", 6) == 0 && strlen(semi + 6) == 10)
		memcpy(out->born, semi + 6, 11);
	for (unsigned i = 0; i < k.n; i++) {
		out->nvar[i] = k.w[i].nvar;
		for (int v = 0; v < 2; v++) {
			out->h[i][v] = custos_hash64(k.w[i].key[v], strlen(k.w[i].key[v]), 0x5eed);
			out->h[i][2 + v] = custos_hash64(k.w[i].skel[v], strlen(k.w[i].skel[v]), 0x5eed);
		}
	}
}

int custos_name_compare_words(custos_name_cmp *out, const custos_name_words *q, const custos_name_words *r)
{
	uint8_t used[CUSTOS_NAME_WORDS] = {0};
	int skel = q->abjad || r->abjad, base = skel ? 2 : 0;
	out->shared = 0;
	out->skel = (uint8_t)skel;
	for (unsigned i = 0; i < q->n; i++) {
		for (unsigned j = 0; j < r->n; j++) {
			int found = -1;
			if (used[j])
				continue;
			for (int a = 0; a < q->nvar[i] && found < 0; a++)
				for (int b = 0; b < r->nvar[j] && found < 0; b++)
					if (q->h[i][base + a] == r->h[j][base + b])
						found = a;
			if (found < 0)
				continue;
			used[j] = 1;
			out->qword[out->shared] = (uint8_t)i;
			out->rword[out->shared] = (uint8_t)j;
			out->qvar[out->shared] = (uint8_t)found;
			out->shared++;
			break;
		}
	}
	out->score = q->n + r->n ? (200u * out->shared + (q->n + r->n) / 2) / (q->n + r->n) : 0;
	return (int)out->shared;
}
