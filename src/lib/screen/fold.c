/* fold.c — strict UTF-8 decoding, the case- and diacritic-insensitive fold of names and addresses, and the key hash. */
#include <string.h>

#include "screen.h"

/*
 * Decodes one code point at s[0..len). Returns its length in bytes (1..4) and
 * stores it in *cp, or returns 0 for an invalid sequence (truncated,
 * overlong, a surrogate or beyond U+10FFFF).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v, min;
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

size_t custos_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

/*
 * Base letters for U+00C0..U+00FF and U+0100..U+017F, one character each;
 * '*' marks a letter that folds to two ('ae', 'th', 'ss', 'ij', 'oe') and '!'
 * a non-letter that is kept as it is (the multiplication and division signs).
 */
static const char latin1_base[64 + 1] = "aaaaaa*ceeeeiiii"
					"dnooooo!ouuuuy**"
					"aaaaaa*ceeeeiiii"
					"dnooooo!ouuuuy*y";
static const char latin_ext_a_base[128 + 1] = "aaaaaaccccccccdd"
					      "ddeeeeeeeeeegggg"
					      "gggghhhhiiiiiiii"
					      "ii**jjkkklllllll"
					      "lllnnnnnnnnnoooo"
					      "oo**rrrrrrssssss"
					      "ssttttttuuuuuuuu"
					      "uuuuwwyyyzzzzzzs";

static const char *fold_double(uint32_t cp)
{
	switch (cp) {
	case 0xC6:
	case 0xE6:
		return "ae";
	case 0xDE:
	case 0xFE:
		return "th";
	case 0xDF:
		return "ss";
	case 0x132:
	case 0x133:
		return "ij";
	case 0x152:
	case 0x153:
		return "oe";
	default:
		return NULL;
	}
}

/* Characters that separate words in names and addresses. */
static int is_separator(uint32_t cp, int commas)
{
	switch (cp) {
	case ' ':
	case '\t':
	case '\n':
	case '\r':
	case '\v':
	case '\f':
	case '-':
	case '\'':
	case '.':
	case 0xA0:   /* no-break space */
	case 0x2BC:  /* modifier letter apostrophe */
	case 0x2010: /* hyphen */
	case 0x2011: /* non-breaking hyphen */
	case 0x2012: /* figure dash */
	case 0x2013: /* en dash */
	case 0x2014: /* em dash */
	case 0x2018: /* left single quotation mark */
	case 0x2019: /* right single quotation mark */
		return 1;
	case ',':
		return commas;
	default:
		return 0;
	}
}

/*
 * The fold used to match names and addresses: "Zoë Ó Ceallaigh-Müller" and
 * "zoe o ceallaigh muller" give the same key. Letters of Latin-1 and Latin
 * Extended-A lose case and diacritics (ß -> ss, æ -> ae, œ -> oe, ø -> o,
 * ł -> l, đ -> d, þ -> th); hyphens, apostrophes, dots (and commas for
 * addresses) become spaces; runs of spaces collapse. Anything outside those
 * tables is kept byte for byte.
 *
 * Transliteration variants across scripts or spellings (Mohamed, Mohammed,
 * Muhammad; Müller and Mueller) are not folded together here: that needs a
 * variant table and is a later step.
 */
size_t custos_fold(char *out, const char *in, size_t len, int commas)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;
	int pending_space = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		const char *rep = NULL;
		char one[2] = {0, 0};
		if (!n)
			return (size_t)-1;
		if (is_separator(cp, commas)) {
			pending_space = o > 0;
			i += n;
			continue;
		}
		if (cp < 0x80) { /* most of what is folded: one byte out, no strlen of a replacement */
			if (pending_space) {
				out[o++] = ' ';
				pending_space = 0;
			}
			out[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
			i += n;
			continue;
		}
		if (cp >= 0xC0 && cp <= 0x17F) {
			char b = cp < 0x100 ? latin1_base[cp - 0xC0] : latin_ext_a_base[cp - 0x100];
			if (b == '*') {
				rep = fold_double(cp);
			} else if (b != '!') {
				one[0] = b;
				rep = one;
			}
		}
		if (pending_space) {
			out[o++] = ' ';
			pending_space = 0;
		}
		if (rep) {
			size_t rl = strlen(rep);
			memcpy(out + o, rep, rl);
			o += rl;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return o;
}
