/* note_text.c — the text encodings of signed notes: base64 in chunks and hashes, decimals, UTF-8 and key names. */
#include <string.h>

#include "note_int.h"

int note_b64_append(custos_buf *b, const uint8_t *in, size_t n)
{
	char chunk[4 * 64 + 1];
	int rc;
	/* 192 input bytes make 256 characters with no padding in between. */
	while (n > 0) {
		size_t take = n > 192 ? 192 : n;
		size_t len = custos_b64_encode(chunk, in, take);
		if ((rc = custos_buf_append(b, chunk, len)))
			return rc;
		in += take;
		n -= take;
	}
	return 0;
}

int note_b64_hash(custos_hash *out, const char *in, size_t len)
{
	size_t n;
	if (len != 44 || custos_b64_decode(out->b, sizeof(out->b), &n, in, len) || n != CUSTOS_HASH_SIZE)
		return -1;
	return 0;
}

int note_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Decodes one UTF-8 sequence (RFC 3629: no overlongs, surrogates or values past U+10FFFF); 0 if invalid. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

int note_check_text(const char *text, size_t len, const char *what)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (n == 0)
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid UTF-8 at byte %zu", what, i);
		if (cp < 0x20 && cp != '\n')
			return custos_error_set(CUSTOS_EINVALID, "%s: control character 0x%02x at byte %zu", what,
						(unsigned)cp, i);
		i += n;
	}
	return 0;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static bool is_unicode_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000;
}

bool note_name_valid(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '+' || is_unicode_space(cp))
			return false;
		i += n;
	}
	return true;
}

int note_proof_append(custos_buf *b, const custos_hash *proof, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		if (!(rc = note_b64_append(b, proof[i].b, CUSTOS_HASH_SIZE)))
			rc = custos_buf_puts(b, "\n");
	return rc;
}
