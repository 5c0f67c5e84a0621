/* fuzz_http_request.c — libFuzzer target: the HTTP request decoder (routes, query, content) and signature fields. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/server_int.h"
#include "custos/httpsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http_request: %s (%s)\n", what, custos_error_last());
	abort();
}

static const char *fixed_field(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "content-digest") == 0 ? "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
						    : strcmp(name, "host") == 0 ? "127.0.0.1:8080" : NULL;
}

/* An error answer is a JSON object with an "error" string, and a status of 400 or more. */
static void check_error(const srv_response *rs)
{
	json_t *v;
	if (rs->status < 400 || !rs->body)
		fail("a failed decode without an error status and body");
	v = json_loadb(rs->body, rs->len, 0, NULL);
	if (!json_is_string(json_object_get(v, "error")))
		fail("an error body without an \"error\" string");
	if (rs->status == 405 && !rs->allow[0])
		fail("405 without Allow");
	json_decref(v);
}

/* Splits off the next line (up to '\n') of the input, NUL-terminated in a copy. */
static char *next_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n + (nl != NULL);
	return s;
}

/*
 * The input is five lines — method, request target, Content-Type,
 * Signature-Input, Signature — and then the content. Every stage of the
 * decoder runs on it; a stage that fails answers an error response, one
 * that succeeds leaves a request the handlers can trust.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *method = next_line(&p, end), *uri = next_line(&p, end), *ctype = next_line(&p, end);
	char *sig_input = next_line(&p, end), *sig = next_line(&p, end);
	char *body = malloc((size_t)(end - p) + 1);
	size_t blen = (size_t)(end - p);
	srv_request rq;
	srv_response rs;
	custos_httpsig_params params;
	uint64_t index;
	unsigned width;
	char field[128];

	if (!body)
		abort();
	memcpy(body, p, blen);
	body[blen] = '\0';
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	if (srv_decode_target(&rq, method, uri, &rs) == 0) {
		if (!rq.route || rs.status)
			fail("decoded without a route, or with an answer");
		if (strcmp(rq.route->method, strcmp(method, "HEAD") == 0 ? "GET" : method) != 0)
			fail("route of another method");
		for (size_t i = 0; i < rq.nparams; i++)
			if (!rq.params[i].value || !*rq.params[i].value)
				fail("an empty path parameter");
		if (srv_decode_type(&rq, *ctype ? ctype : NULL, blen, &rs) == 0) {
			if (srv_decode_body(&rq, body, blen, &rs) == 0) {
				if (rq.route->body == SRV_BODY_MEASURE && !rq.has_measure)
					fail("a measure route without a measure");
				if (rq.route->body == SRV_BODY_SCREEN && !rq.screen.n)
					fail("a screening request without selectors");
			} else {
				check_error(&rs);
			}
		} else {
			check_error(&rs);
		}
	} else {
		check_error(&rs);
	}
	srv_request_dispose(&rq);
	srv_response_dispose(&rs);

	if (srv_tile_index(uri, &index, &width) == 0 && (width < 1 || width > 256))
		fail("a tile width outside 1..256");

	if (custos_httpsig_parse(&params, sig_input, sig, NULL) == 0) {
		custos_httpsig_message m = {method, "http", "127.0.0.1:8080", uri, NULL, fixed_field, NULL};
		char *base = NULL;
		size_t len = 0;
		if (params.ncomponents > CUSTOS_HTTPSIG_COMPONENTS_MAX || !params.label[0])
			fail("parsed signature out of bounds");
		if (custos_httpsig_base(&base, &len, &params, &m) == 0 && (!base || strlen(base) != len))
			fail("signature base length");
		free(base);
	}
	custos_httpsig_digest_check(ctype, body, blen);
	srv_message_field(field, sizeof(field), custos_error_last());

	free(method);
	free(uri);
	free(ctype);
	free(sig_input);
	free(sig);
	free(body);
	return 0;
}
