/* httpsign.c — test tool: the RFC 9421 headers a principal's key file gives a request, one "Name: value" a line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/error.h"
#include "custos/httpsig.h"
#include "custos/model.h"
#include "custos/note.h"
#include "util/util.h"

/*
 * httpsign KEYFILE METHOD AUTHORITY PATH [BODYFILE]
 * Prints Content-Digest (with a body), Signature-Input and Signature for curl's -H.
 * $HTTPSIGN_CREATED overrides the creation time (for stale-signature tests).
 */
static const char *digest_field;

static const char *field(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "content-digest") == 0 ? digest_field : NULL;
}

static void die(const char *what)
{
	fprintf(stderr, "httpsign: %s\n", what);
	exit(2);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1u << 20);
	if (!f || !buf)
		die("cannot read a file");
	*len = fread(buf, 1, (1u << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	const char *components[5] = {"@method", "@authority", "@path"};
	size_t ncomponents = 3;
	char *skey, *vkey = NULL, *input = NULL, *sig = NULL, *body = NULL, digest[CUSTOS_HTTPSIG_DIGEST_SIZE];
	const char *plus, *q, *created_env = getenv("HTTPSIGN_CREATED");
	uint8_t raw[64];
	size_t len, rawlen, blen = 0;
	custos_signer *signer = NULL;
	custos_httpsig_message m;
	char path[4096];
	if (argc != 5 && argc != 6)
		die("usage: httpsign KEYFILE METHOD AUTHORITY PATH [BODYFILE]");
	if (custos_clock_pin(getenv("CUSTOS_NOW"))) /* the same clock as the server it signs for */
		die(custos_error_last());
	skey = slurp(argv[1], &len);
	while (len && (skey[len - 1] == '\n' || skey[len - 1] == '\r'))
		skey[--len] = '\0';
	if (custos_signer_new(&signer, skey) || custos_signer_vkey(signer, &vkey))
		die("not a private key file");
	/* PRIVATE+KEY+name+hash+base64: the key is after the fourth '+' (base64 itself may hold '+') */
	plus = skey;
	for (int i = 0; i < 4 && plus; i++)
		plus = strchr(plus + (i > 0), '+');
	if (!plus || custos_b64_decode(raw, sizeof(raw), &rawlen, plus + 1, strlen(plus + 1)) || rawlen != 33)
		die("not an Ed25519 private key");
	if (argc == 6) {
		body = slurp(argv[5], &blen);
		custos_httpsig_content_digest(digest, body, blen);
		digest_field = digest;
		printf("Content-Digest: %s\n", digest);
	}
	snprintf(path, sizeof(path), "%s", argv[4]);
	q = strchr(argv[4], '?');
	if (q)
		path[q - argv[4]] = '\0';
	m = (custos_httpsig_message){argv[2], "http", argv[3], path, q ? q + 1 : NULL, field, NULL};
	if (q && !getenv("HTTPSIGN_NO_QUERY")) /* leaving the query out is how auth.sh tests its refusal */
		components[ncomponents++] = "@query";
	if (body)
		components[ncomponents++] = "content-digest";
	if (custos_httpsig_sign(&input, &sig, &m, "sig1", components, ncomponents,
				created_env ? strtoll(created_env, NULL, 10) : custos_clock_now(), vkey, "ed25519",
				raw + 1))
		die("cannot sign");
	printf("Signature-Input: %s\nSignature: %s\n", input, sig);
	free(input);
	free(sig);
	free(body);
	free(vkey);
	free(skey);
	custos_signer_free(signer);
	return 0;
}
