/* keyfile.c — Ed25519 private key files: created 0600 and never printed, read only when nobody else can. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "custos/note.h"
#include "util/util.h"

int custos_keyfile_generate(const char *path, const char *name, char **vkey)
{
	char *skey = NULL;
	size_t len;
	int fd, rc;
	*vkey = NULL;
	if ((rc = custos_key_generate(&skey, vkey, name)))
		return rc;
	len = strlen(skey);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		rc = custos_error_set(CUSTOS_EEXISTS, "key file %s: %s", path, strerror(errno));
	} else if (write(fd, skey, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		rc = custos_error_set(CUSTOS_ERROR, "key file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
	} else if (close(fd) != 0) {
		rc = custos_error_set(CUSTOS_ERROR, "key file %s: %s", path, strerror(errno));
	}
	OPENSSL_cleanse(skey, len);
	free(skey);
	if (rc) {
		free(*vkey);
		*vkey = NULL;
	}
	return rc;
}

int custos_keyfile_load(const char *path, custos_signer **out)
{
	char *skey = NULL;
	size_t len;
	struct stat sb;
	int rc;
	*out = NULL;
	if (stat(path, &sb) != 0)
		return custos_error_set(CUSTOS_ENOTFOUND, "key file %s: %s", path, strerror(errno));
	if (sb.st_mode & 077)
		return custos_error_set(CUSTOS_EINVALID, "key file %s: readable by others (mode %03o); chmod 600 it",
					path, (unsigned)(sb.st_mode & 0777));
	if ((rc = custos_file_read(&skey, &len, path, 4096)))
		return rc;
	while (len && (skey[len - 1] == '\n' || skey[len - 1] == '\r'))
		skey[--len] = '\0';
	if ((rc = custos_signer_new(out, skey)))
		custos_error_prefix(rc, "key file %s", path);
	OPENSSL_cleanse(skey, len);
	free(skey);
	return rc;
}

