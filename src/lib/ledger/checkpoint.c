/* checkpoint.c — C2SP tlog-checkpoint note bodies: origin, tree size, root hash, extension lines. */
#include <stdlib.h>
#include <string.h>

#include "note_int.h"

#define CHECKPOINT_MAX_EXTENSIONS 1024

void custos_checkpoint_dispose(custos_checkpoint *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nextensions; i++)
		free(c->extensions[i]);
	free(c->extensions);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}

/* A line of a checkpoint: non-empty, no newline, no control character, valid UTF-8. */
static int check_line(const char *s, size_t len, const char *what)
{
	if (len == 0)
		return custos_error_set(CUSTOS_EINVALID, "checkpoint: %s is empty", what);
	if (memchr(s, '\n', len))
		return custos_error_set(CUSTOS_EINVALID, "checkpoint: %s contains a newline", what);
	return note_check_text(s, len, what);
}

int custos_checkpoint_format(char **out, const custos_checkpoint *c)
{
	char root[45];
	custos_buf b;
	int rc;
	*out = NULL;
	custos_buf_init(&b, NOTE_MAX);
	if (!c->origin) {
		rc = custos_error_set(CUSTOS_EINVALID, "checkpoint: origin is empty");
		goto out;
	}
	if ((rc = check_line(c->origin, strlen(c->origin), "origin")))
		goto out;
	custos_b64_encode(root, c->root.b, sizeof(c->root.b));
	if ((rc = custos_buf_printf(&b, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, root)))
		goto out;
	if (c->nextensions > CHECKPOINT_MAX_EXTENSIONS) {
		rc = custos_error_set(CUSTOS_ELIMIT, "checkpoint: more than %d extension lines",
				      CHECKPOINT_MAX_EXTENSIONS);
		goto out;
	}
	for (size_t i = 0; i < c->nextensions; i++) {
		const char *e = c->extensions[i];
		if (!e) {
			rc = custos_error_set(CUSTOS_EINVALID, "checkpoint: extension line %zu is empty", i + 1);
			goto out;
		}
		if ((rc = check_line(e, strlen(e), "extension line")) || (rc = custos_buf_puts(&b, e)) ||
		    (rc = custos_buf_puts(&b, "\n")))
			goto out;
	}
	if (!(*out = custos_buf_detach(&b)))
		rc = CUSTOS_ENOMEM;
out:
	custos_buf_dispose(&b);
	return rc;
}

/*
 * Strict: at least three lines, each ending in a newline and non-empty;
 * the size in decimal without leading zeroes; the root the base64 of
 * exactly 32 bytes. Any further lines are kept as extension lines.
 */
int custos_checkpoint_parse(custos_checkpoint *out, const char *text, size_t len)
{
	custos_checkpoint c = {0};
	size_t cap = 0, lineno = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	if (len > NOTE_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "checkpoint: longer than %u bytes", NOTE_MAX);
	if (len == 0 || text[len - 1] != '\n')
		return custos_error_set(CUSTOS_EINVALID, "checkpoint: does not end in a newline");
	if ((rc = note_check_text(text, len, "checkpoint")))
		return rc;
	for (size_t i = 0; i < len;) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = (size_t)(nl - line);
		lineno++;
		i += n + 1;
		if (lineno == 1) {
			if (n == 0) {
				rc = custos_error_set(CUSTOS_EINVALID, "checkpoint: origin (line 1) is empty");
				goto out;
			}
			if (!(c.origin = custos_strndup(line, n))) {
				rc = CUSTOS_ENOMEM;
				goto out;
			}
		} else if (lineno == 2) {
			if (note_parse_u64(line, n, &c.size)) {
				rc = custos_error_set(CUSTOS_EINVALID,
						      "checkpoint: tree size (line 2) '%.*s' is not a decimal without leading zeroes",
						      (int)(n > 40 ? 40 : n), line);
				goto out;
			}
		} else if (lineno == 3) {
			if (note_b64_hash(&c.root, line, n)) {
				rc = custos_error_set(CUSTOS_EINVALID,
						      "checkpoint: root hash (line 3) is not the base64 of 32 bytes");
				goto out;
			}
		} else {
			if (n == 0) {
				rc = custos_error_set(CUSTOS_EINVALID, "checkpoint: extension line %zu is empty", lineno);
				goto out;
			}
			if (c.nextensions >= CHECKPOINT_MAX_EXTENSIONS) {
				rc = custos_error_set(CUSTOS_ELIMIT, "checkpoint: more than %d extension lines",
						      CHECKPOINT_MAX_EXTENSIONS);
				goto out;
			}
			if ((rc = custos_array_reserve(&c.extensions, &cap, c.nextensions, sizeof(*c.extensions), 4)))
				goto out;
			if (!(c.extensions[c.nextensions] = custos_strndup(line, n))) {
				rc = CUSTOS_ENOMEM;
				goto out;
			}
			c.nextensions++;
		}
	}
	if (lineno < 3) {
		rc = custos_error_set(CUSTOS_EINVALID, "checkpoint: %s (line %zu) is missing",
				      lineno == 1 ? "tree size" : "root hash", lineno + 1);
		goto out;
	}
	*out = c;
	return 0;
out:
	custos_checkpoint_dispose(&c);
	return rc;
}
