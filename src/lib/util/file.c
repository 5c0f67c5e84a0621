/* file.c — reading whole files with a ceiling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int custos_file_read(char **out, size_t *len, const char *path, size_t max)
{
	custos_buf b;
	char chunk[65536];
	size_t n;
	int rc = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return custos_error_set(errno == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_ERROR, "%s: %s", path,
					strerror(errno));
	custos_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if ((rc = custos_buf_append(&b, chunk, n))) {
			custos_error_prefix(rc, "%s", path);
			break;
		}
	}
	if (!rc && ferror(f))
		rc = custos_error_set(CUSTOS_ERROR, "%s: read error", path);
	fclose(f);
	if (rc) {
		custos_buf_dispose(&b);
		return rc;
	}
	if (len)
		*len = b.len;
	*out = custos_buf_detach(&b);
	return *out ? 0 : CUSTOS_ENOMEM;
}
