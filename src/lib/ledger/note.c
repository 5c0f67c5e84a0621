/* note.c — C2SP signed notes: signing, a strict parser with ceilings, re-serialising and verifying. */
#include <stdlib.h>
#include <string.h>

#include "note_int.h"

static bool starts_with_sig_prefix(const char *s, size_t len)
{
	return len >= NOTE_SIG_PREFIX_LEN && memcmp(s, NOTE_SIG_PREFIX, NOTE_SIG_PREFIX_LEN) == 0;
}

/*
 * A text that can be signed: non-empty, ending in a newline, valid UTF-8
 * without control characters, and with no line that starts like a
 * signature line (so the signed note cannot be read two ways).
 */
static int check_note_text(const char *text, size_t len)
{
	int rc;
	if (len == 0 || text[len - 1] != '\n')
		return custos_error_set(CUSTOS_EINVALID, "note text: must end in a newline");
	if ((rc = note_check_text(text, len, "note text")))
		return rc;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = (size_t)(nl - text);
		if (starts_with_sig_prefix(text + i, end - i))
			return custos_error_set(CUSTOS_EINVALID, "note text: line at byte %zu looks like a signature line",
						i);
		i = end + 1;
	}
	return 0;
}

static int append_sig_line(custos_buf *b, const char *name, uint32_t keyid, const uint8_t *sig, size_t siglen)
{
	uint8_t *raw = malloc(4 + siglen);
	int rc;
	if (!raw)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	raw[0] = (uint8_t)(keyid >> 24);
	raw[1] = (uint8_t)(keyid >> 16);
	raw[2] = (uint8_t)(keyid >> 8);
	raw[3] = (uint8_t)keyid;
	if (siglen)
		memcpy(raw + 4, sig, siglen);
	if (!(rc = custos_buf_puts(b, NOTE_SIG_PREFIX)) && !(rc = custos_buf_puts(b, name)) &&
	    !(rc = custos_buf_puts(b, " ")) && !(rc = note_b64_append(b, raw, 4 + siglen)))
		rc = custos_buf_puts(b, "\n");
	free(raw);
	return rc;
}

int custos_note_sign(char **out, const char *text, size_t len, custos_signer *const *signers, size_t nsigners)
{
	custos_buf b;
	int rc;
	*out = NULL;
	custos_buf_init(&b, NOTE_MAX);
	if ((rc = check_note_text(text, len)))
		goto out;
	if (nsigners == 0 || nsigners > NOTE_MAX_SIGS) {
		rc = custos_error_set(CUSTOS_EINVALID, "signed note: needs 1 to %d signers, not %zu", NOTE_MAX_SIGS,
				      nsigners);
		goto out;
	}
	if ((rc = custos_buf_append(&b, text, len)) || (rc = custos_buf_puts(&b, "\n")))
		goto out;
	for (size_t i = 0; i < nsigners; i++) {
		uint8_t sig[64];
		if ((rc = custos_signer_sign(signers[i], sig, text, len)) ||
		    (rc = append_sig_line(&b, signers[i]->name, signers[i]->keyid, sig, sizeof(sig))))
			goto out;
	}
	if (!(*out = custos_buf_detach(&b)))
		rc = CUSTOS_ENOMEM;
out:
	if (rc == CUSTOS_ELIMIT)
		custos_error_set(rc, "signed note: longer than %u bytes", NOTE_MAX);
	custos_buf_dispose(&b);
	return rc;
}

void custos_note_dispose(custos_note *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nsigs; i++) {
		free(n->sigs[i].name);
		free(n->sigs[i].sig);
	}
	free(n->sigs);
	free(n->text);
	memset(n, 0, sizeof(*n));
}

/* Parses one signature line (without its newline) into *sig. */
static int parse_sig_line(custos_note_sig *sig, const char *line, size_t len, size_t lineno)
{
	const char *sp;
	size_t name_len, b64_len, raw_len;
	uint8_t *raw = NULL;
	int rc = 0;
	memset(sig, 0, sizeof(*sig));
	if (!starts_with_sig_prefix(line, len))
		return custos_error_set(CUSTOS_EINVALID, "signed note: signature line %zu does not start with an em dash and a space",
					lineno);
	line += NOTE_SIG_PREFIX_LEN;
	len -= NOTE_SIG_PREFIX_LEN;
	sp = memchr(line, ' ', len);
	if (!sp)
		return custos_error_set(CUSTOS_EINVALID, "signed note: signature line %zu has no signature after the name",
					lineno);
	name_len = (size_t)(sp - line);
	b64_len = len - name_len - 1;
	if (!note_name_valid(line, name_len))
		return custos_error_set(CUSTOS_EINVALID, "signed note: signature line %zu has an invalid key name", lineno);
	if (!(raw = malloc(b64_len / 4 * 3 + 1)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if (b64_len == 0 || custos_b64_decode(raw, b64_len / 4 * 3 + 1, &raw_len, sp + 1, b64_len) || raw_len < 5) {
		rc = custos_error_set(CUSTOS_EINVALID, "signed note: signature line %zu: signature is not base64 of a key ID and a signature",
				      lineno);
		goto out;
	}
	sig->keyid = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	sig->siglen = raw_len - 4;
	if (!(sig->name = custos_strndup(line, name_len)) || !(sig->sig = malloc(sig->siglen))) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(sig->sig, raw + 4, sig->siglen);
out:
	if (rc) {
		free(sig->name);
		free(sig->sig);
		memset(sig, 0, sizeof(*sig));
	}
	free(raw);
	return rc;
}

/*
 * The text is everything up to and including the newline before the last
 * blank line; what follows must be one or more signature lines, each ending
 * in a newline. Nothing is verified here.
 */
int custos_note_parse(custos_note *out, const char *msg, size_t len)
{
	custos_note n = {0};
	size_t split = 0, cap = 0, lineno = 0;
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (len > NOTE_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "signed note: longer than %u bytes", NOTE_MAX);
	if ((rc = note_check_text(msg, len, "signed note")))
		return rc;
	for (size_t i = len; i >= 2; i--) {
		if (msg[i - 2] == '\n' && msg[i - 1] == '\n') {
			split = i - 2;
			found = true;
			break;
		}
	}
	if (!found)
		return custos_error_set(CUSTOS_EINVALID, "signed note: no blank line before the signatures");
	if (split + 2 == len)
		return custos_error_set(CUSTOS_EINVALID, "signed note: no signature lines");
	if (msg[len - 1] != '\n')
		return custos_error_set(CUSTOS_EINVALID, "signed note: last signature line does not end in a newline");
	if (!(n.text = custos_strndup(msg, split + 1))) {
		rc = CUSTOS_ENOMEM;
		goto out;
	}
	n.text_len = split + 1;
	for (size_t i = split + 2; i < len;) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t end = (size_t)(nl - msg);
		if (++lineno > NOTE_MAX_SIGS) {
			rc = custos_error_set(CUSTOS_ELIMIT, "signed note: more than %d signatures", NOTE_MAX_SIGS);
			goto out;
		}
		if ((rc = custos_array_reserve(&n.sigs, &cap, n.nsigs, sizeof(*n.sigs), 4)))
			goto out;
		if ((rc = parse_sig_line(&n.sigs[n.nsigs], msg + i, end - i, lineno)))
			goto out;
		n.nsigs++;
		i = end + 1;
	}
	*out = n;
	return 0;
out:
	custos_note_dispose(&n);
	return rc;
}

int custos_note_format(char **out, const custos_note *n)
{
	custos_buf b;
	int rc;
	*out = NULL;
	custos_buf_init(&b, NOTE_MAX);
	if (n->text_len == 0 || n->text[n->text_len - 1] != '\n' || n->nsigs == 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "signed note: needs a text ending in a newline and a signature");
		goto out;
	}
	if ((rc = custos_buf_append(&b, n->text, n->text_len)) || (rc = custos_buf_puts(&b, "\n")))
		goto out;
	for (size_t i = 0; i < n->nsigs; i++) {
		const custos_note_sig *s = &n->sigs[i];
		if (!note_name_valid(s->name, strlen(s->name))) {
			rc = custos_error_set(CUSTOS_EINVALID, "signed note: signature %zu has an invalid key name", i + 1);
			goto out;
		}
		if ((rc = append_sig_line(&b, s->name, s->keyid, s->sig, s->siglen)))
			goto out;
	}
	if (!(*out = custos_buf_detach(&b)))
		rc = CUSTOS_ENOMEM;
out:
	custos_buf_dispose(&b);
	return rc;
}

/*
 * Every signature whose name and key ID are the verifier's must verify (a
 * failing one rejects the note, as the spec advises); at least one must be
 * there. Other signatures are ignored. A cosignature verifier checks
 * tlog-cosignature/v1 signatures instead.
 */
int custos_note_verify(const custos_note *n, const custos_verifier *v)
{
	size_t good = 0;
	if (v->type == NOTE_TYPE_COSIGNATURE) {
		uint64_t ts;
		return custos_cosignature_verify(n, v, &ts);
	}
	for (size_t i = 0; i < n->nsigs; i++) {
		const custos_note_sig *s = &n->sigs[i];
		if (s->keyid != v->keyid || strcmp(s->name, v->name) != 0)
			continue;
		if (s->siglen != 64 || custos_ed25519_verify(v->pub, s->sig, n->text, n->text_len))
			return custos_error_set(CUSTOS_EINVALID, "signed note: invalid signature for key %s+%08x",
						v->name, v->keyid);
		good++;
	}
	if (!good)
		return custos_error_set(CUSTOS_EINVALID, "signed note: no signature by key %s+%08x", v->name, v->keyid);
	return 0;
}
