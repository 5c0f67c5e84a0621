/* test_httpsig.c — RFC 9421 signatures: the RFC's own Ed25519 example, policy failures, replays, RFC 9530 digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/httpsig.h"
#include "rfc9421_key.h"


/* RFC 9421 appendix B.2.6: the test request's fields and the published signature. */
#define B26_INPUT                                                                                                      \
	"sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");"                \
	"created=1618884473;keyid=\"test-key-ed25519\""
#define B26_SIG                                                                                                        \
	"sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
#define B26_BASE                                                                                                       \
	"\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"                                                                    \
	"\"@method\": POST\n"                                                                                          \
	"\"@path\": /foo\n"                                                                                            \
	"\"@authority\": example.com\n"                                                                                \
	"\"content-type\": application/json\n"                                                                         \
	"\"content-length\": 18\n"                                                                                     \
	"\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "                     \
	"\"content-length\");created=1618884473;keyid=\"test-key-ed25519\""

typedef struct {
	const char *names[8], *values[8];
} fields;

static const char *field_get(void *ctx, const char *name)
{
	const fields *f = ctx;
	for (int i = 0; i < 8 && f->names[i]; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

static fields b26_fields = {{"date", "content-type", "content-length", "content-digest"},
			    {"Tue, 20 Apr 2021 02:07:55 GMT", "application/json", "18",
			     "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"}};

static custos_httpsig_message b26_message(void)
{
	return (custos_httpsig_message){"POST", "https", "example.com", "/foo", "param=Value&Pet=dog", field_get,
					&b26_fields};
}

static int rfc_lookup(void *ctx, const char *keyid, uint8_t pub[32], char *roles, size_t roles_len)
{
	(void)ctx;
	if (strcmp(keyid, "test-key-ed25519") != 0)
		return CUSTOS_ENOTFOUND;
	memcpy(pub, rfc_pub, 32);
	snprintf(roles, roles_len, "%s", "requester");
	return 0;
}

static void test_rfc9421_b26_known_answer(void **state)
{
	custos_httpsig_message m = b26_message();
	custos_httpsig_params p;
	char *base = NULL, *in = NULL, *sig = NULL;
	size_t len = 0;
	const char *covered[] = {"date", "@method", "@path", "@authority", "content-type", "content-length"};
	(void)state;
	assert_int_equal(custos_httpsig_parse(&p, B26_INPUT, B26_SIG, NULL), 0);
	assert_string_equal(p.label, "sig-b26");
	assert_int_equal(p.ncomponents, 6);
	assert_int_equal(p.created, 1618884473);
	assert_int_equal(p.expires, -1);
	assert_string_equal(p.keyid, "test-key-ed25519");
	assert_int_equal(custos_httpsig_base(&base, &len, &p, &m), 0);
	assert_string_equal(base, B26_BASE);
	assert_int_equal(len, strlen(B26_BASE));
	free(base);
	/* Ed25519 is deterministic: signing the same base with the RFC's key gives the RFC's signature. */
	assert_int_equal(custos_httpsig_sign(&in, &sig, &m, "sig-b26", covered, 6, 1618884473, "test-key-ed25519",
					     NULL, rfc_seed),
			 0);
	assert_string_equal(in, B26_INPUT);
	assert_string_equal(sig, B26_SIG);
	free(in);
	free(sig);
}

static custos_httpsig_policy policy_at(int64_t now)
{
	return (custos_httpsig_policy){now, 300, 60, NULL, 0};
}

static void test_verify_b26_and_failures(void **state)
{
	custos_httpsig_message m = b26_message();
	custos_httpsig_signer who;
	custos_httpsig_failure why;
	custos_httpsig_policy pol = policy_at(1618884473 + 10);
	(void)state;
	/*
	 * The RFC example signs /foo but not its query "?param=Value&Pet=dog":
	 * custos refuses it, since an unsigned query could be changed in transit.
	 */
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, rfc_lookup, NULL, NULL),
			 CUSTOS_EINVALID);
	assert_int_equal(why, CUSTOS_HTTPSIG_UNCOVERED);
	assert_non_null(strstr(custos_error_last(), "must cover @query"));
	/* Without the query, it covers @path and @authority: it verifies, and names its key and roles. */
	m.query = NULL;
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, rfc_lookup, NULL, NULL), 0);
	assert_int_equal(why, CUSTOS_HTTPSIG_OK);
	assert_string_equal(who.keyid, "test-key-ed25519");
	assert_string_equal(who.roles, "requester");

	/* stale: created more than max_age ago; and too far in the future */
	pol = policy_at(1618884473 + 301);
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, rfc_lookup, NULL, NULL),
			 CUSTOS_EINVALID);
	assert_int_equal(why, CUSTOS_HTTPSIG_STALE);
	assert_non_null(strstr(custos_error_last(), "stale"));
	pol = policy_at(1618884473 - 61);
	custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_STALE);

	/* a different method changes the base: the signature no longer verifies */
	pol = policy_at(1618884473);
	m.method = "PUT";
	custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_BAD_SIGNATURE);
	m.method = "POST";

	/* no lookup knows the key: unknown key */
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, NULL, NULL, NULL),
			 CUSTOS_ENOTFOUND);
	assert_int_equal(why, CUSTOS_HTTPSIG_UNKNOWN_KEY);
	assert_non_null(strstr(custos_error_last(), "keyid: unknown key 'test-key-ed25519'"));

	/* a body must be covered by content-digest */
	pol.body = "{\"hello\": \"world\"}";
	pol.body_len = 18;
	custos_httpsig_verify(&who, &why, &m, B26_INPUT, B26_SIG, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_UNCOVERED);
	assert_non_null(strstr(custos_error_last(), "must cover content-digest"));

	/* missing headers */
	custos_httpsig_verify(&who, &why, &m, NULL, B26_SIG, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_MISSING);
}

static void test_sign_verify_digest_and_replay(void **state)
{
	custos_httpsig_message m = b26_message();
	const char *covered[] = {"@method", "@target-uri", "content-digest"};
	custos_httpsig_policy pol = policy_at(1700000000);
	custos_httpsig_replay *replay = NULL;
	custos_httpsig_signer who;
	custos_httpsig_failure why;
	char *in = NULL, *sig = NULL;
	(void)state;
	pol.body = "{\"hello\": \"world\"}";
	pol.body_len = 18;
	assert_int_equal(custos_httpsig_sign(&in, &sig, &m, "custos", covered, 3, 1700000000, "test-key-ed25519",
					     "ed25519", rfc_seed),
			 0);
	assert_string_equal(in, "custos=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
				"keyid=\"test-key-ed25519\";alg=\"ed25519\"");
	assert_int_equal(custos_httpsig_replay_new(&replay, 1024), 0);
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, replay), 0);
	/* the same signature again is a replay */
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, replay),
			 CUSTOS_EINVALID);
	assert_int_equal(why, CUSTOS_HTTPSIG_REPLAYED);
	/* after its window the cache forgets it, and staleness refuses it anyway */
	pol.now += 1000;
	custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, replay);
	assert_int_equal(why, CUSTOS_HTTPSIG_STALE);
	/* a body that does not match Content-Digest */
	pol.now = 1700000000;
	pol.body = "{\"hello\": \"World\"}";
	custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_BAD_DIGEST);
	/* the signed request sent again without its content: the covered digest is still checked */
	pol.body = "";
	pol.body_len = 0;
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL), CUSTOS_EINVALID);
	assert_int_equal(why, CUSTOS_HTTPSIG_BAD_DIGEST);
	/* each verified request has its own key: the hash of its signature */
	pol.body = "{\"hello\": \"world\"}";
	pol.body_len = 18;
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL), 0);
	assert_int_equal(strlen(who.request_key), 71);
	assert_memory_equal(who.request_key, "sha256:", 7);
	custos_httpsig_replay_free(replay);
	free(in);
	free(sig);
}

/* A query is signed as @query: changing it after signing breaks the signature; one left unsigned is refused. */
static void test_query_is_covered(void **state)
{
	custos_httpsig_message m = b26_message();
	const char *covered[] = {"@method", "@authority", "@path", "@query"};
	custos_httpsig_policy pol = policy_at(1700000000);
	custos_httpsig_signer who;
	custos_httpsig_failure why;
	char *in = NULL, *sig = NULL;
	(void)state;
	m.query = "role=foreign_affairs";
	assert_int_equal(custos_httpsig_sign(&in, &sig, &m, "sig1", covered, 4, 1700000000, "test-key-ed25519",
					     "ed25519", rfc_seed),
			 0);
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL), 0);
	m.query = "role=comite_r";
	custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_BAD_SIGNATURE);
	free(in);
	free(sig);
	/* signed without @query: refused whenever the request has a query, even an empty one */
	assert_int_equal(custos_httpsig_sign(&in, &sig, &m, "sig1", covered, 3, 1700000000, "test-key-ed25519",
					     "ed25519", rfc_seed),
			 0);
	custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_UNCOVERED);
	assert_non_null(strstr(custos_error_last(), "must cover @query"));
	m.query = "";
	custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL);
	assert_int_equal(why, CUSTOS_HTTPSIG_UNCOVERED);
	m.query = NULL;
	assert_int_equal(custos_httpsig_verify(&who, &why, &m, in, sig, &pol, rfc_lookup, NULL, NULL), 0);
	free(in);
	free(sig);
}

static void test_content_digest_rfc9530(void **state)
{
	char d[CUSTOS_HTTPSIG_DIGEST_SIZE];
	(void)state;
	/* RFC 9530 appendix B.1 */
	custos_httpsig_content_digest(d, "{\"hello\": \"world\"}", 18);
	assert_string_equal(d, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
	assert_int_equal(custos_httpsig_digest_check("sha-512=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
						     "{\"hello\": \"world\"}", 18),
			 0);
	assert_int_equal(custos_httpsig_digest_check("sha-512=:AAAA:", "x", 1), CUSTOS_EINVALID);
	assert_int_equal(custos_httpsig_digest_check("sha-256=:AAAA:", "x", 1), CUSTOS_EINVALID);
	assert_int_equal(custos_httpsig_digest_check(NULL, "x", 1), CUSTOS_EINVALID);
}

static void test_parse_errors_name_the_field(void **state)
{
	custos_httpsig_params p;
	static const struct {
		const char *in, *sig, *msg;
	} bad[] = {
		{"sig1=(\"@method\");created=1;keyid=\"k\"", "sig1=abc", "Signature: sig1: expected a byte sequence"},
		{"sig1=(\"@method\");created=1;colour=\"red\"", B26_SIG, "Signature: no label that Signature-Input has"},
		{"sig-b26=(\"@method\");created=1;colour=\"red\"", B26_SIG, "unknown parameter 'colour'"},
		{"sig-b26=(\"@Method\");created=1", B26_SIG, "'@Method' is not lower-case"},
		{"sig-b26=(\"@method\" \"@method\")", B26_SIG, "given twice"},
		{"sig-b26=(\"@method\";sf)", B26_SIG, "component parameters are not supported"},
		{"sig-b26=(\"@method\");created=-5", B26_SIG, "created: expected a non-negative integer"},
		{"sig-b26=(\"@method\");created=\"x\"", B26_SIG, "created: expected a non-negative integer"},
		{"sig-b26=(\"@method\"", B26_SIG, "Signature-Input: expected ' ' or ')' in a list"},
		{"sig-b26=(\"@method\"),", B26_SIG, "trailing ','"},
		{"sig-b26=(\"@method\")", "sig-b26=:AAAA:", "expected a byte sequence of 64 bytes"},
		{"sig-b26=(\"@method\")", "sig-b26=:AA!A:", "Signature: malformed byte sequence"},
		{"Sig=(\"@method\")", B26_SIG, "Signature-Input: expected a key"},
		{"", B26_SIG, "Signature-Input: empty"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = custos_httpsig_parse(&p, bad[i].in, bad[i].sig, NULL);
		if (rc != CUSTOS_EINVALID || !strstr(custos_error_last(), bad[i].msg))
			fail_msg("case %zu (%s): rc %d, message '%s', expected '%s'", i, bad[i].in, rc,
				 custos_error_last(), bad[i].msg);
	}
	/* two labels: pick by name */
	assert_int_equal(custos_httpsig_parse(&p, "a=(\"@method\");created=1, " B26_INPUT, "x=:AAAA:, " B26_SIG,
					      "sig-b26"),
			 0);
	assert_string_equal(p.label, "sig-b26");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9421_b26_known_answer),
		cmocka_unit_test(test_verify_b26_and_failures),
		cmocka_unit_test(test_sign_verify_digest_and_replay),
		cmocka_unit_test(test_query_is_covered),
		cmocka_unit_test(test_content_digest_rfc9530),
		cmocka_unit_test(test_parse_errors_name_the_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
