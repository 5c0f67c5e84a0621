/* test_note.c — Ed25519 note keys, signed notes, checkpoints, cosignatures, receipts and the witness, with known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/merkle.h"
#include "custos/note.h"

/* Known answers from golang.org/x/mod/sumdb/note's tests. */
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
#define PETER_SIG                                                                                                      \
	"\xe2\x80\x94 PeterNeumann "                                                                                   \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG                                                                                                      \
	"\xe2\x80\x94 EnochRoot "                                                                                      \
	"rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

/* The example checkpoint of C2SP tlog-checkpoint and tlog-cosignature. */
#define SOFA "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define SOFA_COSIG                                                                                                     \
	"\xe2\x80\x94 witness.example.com/w1 "                                                                         \
	"jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"

static void ok(int rc)
{
	if (rc)
		fail_msg("rc %d: %s", rc, custos_error_last());
}

/* rc must be `want` and the message must mention `needle`. */
static void fails(int rc, int want, const char *needle)
{
	if (rc != want)
		fail_msg("rc %d, expected %d (%s)", rc, want, custos_error_last());
	if (needle && !strstr(custos_error_last(), needle))
		fail_msg("message '%s' does not mention '%s'", custos_error_last(), needle);
}

static custos_signer *signer(const char *skey)
{
	custos_signer *s;
	ok(custos_signer_new(&s, skey));
	return s;
}

static custos_verifier *verifier(const char *vkey)
{
	custos_verifier *v;
	ok(custos_verifier_new(&v, vkey));
	return v;
}

static int verify_msg(const char *msg, const custos_verifier *v)
{
	custos_note n;
	int rc = custos_note_parse(&n, msg, strlen(msg));
	if (rc)
		return rc;
	rc = custos_note_verify(&n, v);
	custos_note_dispose(&n);
	return rc;
}

/* ---- keys ------------------------------------------------------------------------------ */

static void test_go_known_keys(void **state)
{
	custos_signer *s = signer(PETER_SKEY);
	custos_verifier *v = verifier(PETER_VKEY), *e = verifier(ENOCH_VKEY);
	char *vkey;
	(void)state;
	assert_string_equal(custos_signer_name(s), "PeterNeumann");
	assert_string_equal(custos_verifier_name(v), "PeterNeumann");
	assert_int_equal(custos_verifier_keyid(v), 0xc74f20a3);
	assert_int_equal(custos_verifier_keyid(e), 0xaf0cfe78);
	ok(custos_signer_vkey(s, &vkey));
	assert_string_equal(vkey, PETER_VKEY);
	free(vkey);
	custos_signer_free(s);
	custos_verifier_free(v);
	custos_verifier_free(e);
}

/* As Go's tests: every proper substring of a key and every key with one byte changed is refused. */
static void test_key_manglings(void **state)
{
	const char *keys[2] = {PETER_VKEY, PETER_SKEY};
	(void)state;
	for (int k = 0; k < 2; k++) {
		char buf[128];
		size_t len = strlen(keys[k]);
		for (size_t i = 0; i <= len; i++)
			for (size_t j = i + 1; j <= len; j++) {
				if (i == 0 && j == len)
					continue;
				memcpy(buf, keys[k] + i, j - i);
				buf[j - i] = '\0';
				if (k == 0) {
					custos_verifier *v;
					if (custos_verifier_new(&v, buf) != CUSTOS_EINVALID)
						fail_msg("vkey substring accepted: %s", buf);
				} else {
					custos_signer *s;
					if (custos_signer_new(&s, buf) != CUSTOS_EINVALID)
						fail_msg("skey substring accepted: %s", buf);
				}
			}
		memcpy(buf, keys[k], len + 1);
		for (size_t i = 0; i < len; i++) {
			custos_verifier *v;
			custos_signer *s;
			buf[i]++;
			if (k == 0 && custos_verifier_new(&v, buf) == 0)
				fail_msg("mangled vkey accepted: %s", buf);
			if (k == 1 && custos_signer_new(&s, buf) == 0)
				fail_msg("mangled skey accepted: %s", buf);
			buf[i]--;
		}
	}
	{
		custos_verifier *v;
		fails(custos_verifier_new(&v, "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="),
		      CUSTOS_EINVALID, NULL);
		fails(custos_verifier_new(&v, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA=="),
		      CUSTOS_EINVALID, "not 32");
		fails(custos_verifier_new(&v, "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
		      CUSTOS_EINVALID, "unknown algorithm");
		fails(custos_verifier_new(&v, "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
		      CUSTOS_EINVALID, "does not match");
		fails(custos_verifier_new(&v, "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
		      CUSTOS_EINVALID, "invalid key name");
		fails(custos_verifier_new(&v, "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
		      CUSTOS_EINVALID, "8 hex digits");
		fails(custos_verifier_new(&v, PETER_VKEY "\n"), CUSTOS_EINVALID, "base64");
	}
	{
		custos_signer *s;
		fails(custos_signer_new(&s, PETER_VKEY), CUSTOS_EINVALID, "PRIVATE+KEY+");
		/* The message never repeats the secret. */
		fails(custos_signer_new(&s, "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
		      CUSTOS_EINVALID, "does not match");
		assert_null(strstr(custos_error_last(), "AYEKF"));
	}
}

static void test_generate(void **state)
{
	char *skey, *vkey, *again;
	custos_signer *s;
	custos_verifier *v;
	uint8_t sig[64];
	const char *bad[] = {"", "a+b", "a b", "a\tb", "a\nb", "a\xc2\xa0" "b", "a\xe3\x80\x80" "b", "\xff"};
	(void)state;
	ok(custos_key_generate(&skey, &vkey, "custos.example/log"));
	assert_true(strncmp(skey, "PRIVATE+KEY+custos.example/log+", 31) == 0);
	s = signer(skey);
	v = verifier(vkey);
	ok(custos_signer_vkey(s, &again));
	assert_string_equal(again, vkey);
	ok(custos_signer_sign(s, sig, "hi", 2));
	ok(custos_verifier_verify(v, sig, "hi", 2));
	fails(custos_verifier_verify(v, sig, "ho", 2), CUSTOS_EINVALID, NULL);
	sig[0] ^= 1;
	fails(custos_verifier_verify(v, sig, "hi", 2), CUSTOS_EINVALID, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *a = NULL, *b = NULL;
		fails(custos_key_generate(&a, &b, bad[i]), CUSTOS_EINVALID, "key name");
		assert_null(a);
		assert_null(b);
	}
	free(skey);
	free(vkey);
	free(again);
	custos_signer_free(s);
	custos_verifier_free(v);
}

/* ---- signed notes ------------------------------------------------------------------------ */

static void test_go_sign_known_answer(void **state)
{
	custos_signer *s = signer(PETER_SKEY);
	custos_verifier *v = verifier(PETER_VKEY);
	char *msg;
	(void)state;
	ok(custos_note_sign(&msg, TEXT, strlen(TEXT), &s, 1));
	assert_string_equal(msg, TEXT "\n" PETER_SIG);
	ok(verify_msg(msg, v));
	free(msg);
	custos_signer_free(s);
	custos_verifier_free(v);
}

static void test_go_open(void **state)
{
	custos_verifier *p = verifier(PETER_VKEY), *e = verifier(ENOCH_VKEY);
	custos_note n;
	const char *both = TEXT "\n" PETER_SIG ENOCH_SIG;
	char *again;
	(void)state;
	ok(custos_note_parse(&n, both, strlen(both)));
	assert_int_equal(n.text_len, strlen(TEXT));
	assert_memory_equal(n.text, TEXT, n.text_len);
	assert_int_equal(n.nsigs, 2);
	assert_string_equal(n.sigs[0].name, "PeterNeumann");
	assert_int_equal(n.sigs[0].keyid, 0xc74f20a3);
	assert_int_equal(n.sigs[0].siglen, 64);
	assert_string_equal(n.sigs[1].name, "EnochRoot");
	assert_int_equal(n.sigs[1].keyid, 0xaf0cfe78);
	ok(custos_note_verify(&n, p));
	ok(custos_note_verify(&n, e));
	ok(custos_note_format(&again, &n));
	assert_string_equal(again, both);
	free(again);
	custos_note_dispose(&n);
	/* Only Enoch's signature: Peter's key finds none. */
	fails(verify_msg(TEXT "\n" ENOCH_SIG, p), CUSTOS_EINVALID, "no signature by key PeterNeumann+c74f20a3");
	custos_verifier_free(p);
	custos_verifier_free(e);
}

static void test_note_parse_errors(void **state)
{
	custos_note n;
	char *big, *many;
	size_t siglen = strlen(PETER_SIG), len;
	const char *bad[] = {
		TEXT,
		TEXT "\n",
		TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		"\x01" TEXT "\n" PETER_SIG,
		"\xff" TEXT "\n" PETER_SIG,
		TEXT "\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" PETER_SIG "Unexpected line.\n",
		TEXT "\n-- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n\xe2\x80\x94 PeterNeumann\n",
		TEXT "\n\xe2\x80\x94 PeterNeumann \n",
		TEXT "\n\xe2\x80\x94 PeterNeumann AAAAAA==\n",					/* 4 bytes: no signature */
		TEXT "\n\xe2\x80\x94 PeterNeumann AAAAAAB=\n",					/* non-canonical base64 */
		TEXT "\n\xe2\x80\x94 PeterNeumann AAAAAAA\n",					/* unpadded */
		TEXT "\n\xe2\x80\x94 PeterNeumann AAAA AAA=\n",
		TEXT "\n\xe2\x80\x94 Peter+Neumann AAAAAAA=\n",
		"a\rb\n\n" PETER_SIG,
		"\xed\xa0\x80\n\n" PETER_SIG, /* a surrogate */
		"\xc0\xaf\n\n" PETER_SIG,     /* an overlong '/' */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = custos_note_parse(&n, bad[i], strlen(bad[i]));
		if (rc != CUSTOS_EINVALID)
			fail_msg("bad note %zu: rc %d", i, rc);
		assert_int_equal(n.nsigs, 0);
		assert_null(n.text);
	}
	fails(custos_note_parse(&n, bad[3], strlen(bad[3])), CUSTOS_EINVALID, "control character 0x01");
	fails(custos_note_parse(&n, bad[6], strlen(bad[6])), CUSTOS_EINVALID, "signature line 2");
	/* 100 signatures pass, 101 do not. */
	len = strlen(TEXT) + 1 + 101 * siglen;
	many = malloc(len + 1);
	memcpy(many, TEXT "\n", strlen(TEXT) + 1);
	for (int i = 0; i < 101; i++)
		memcpy(many + strlen(TEXT) + 1 + (size_t)i * siglen, PETER_SIG, siglen);
	many[len] = '\0';
	fails(custos_note_parse(&n, many, len), CUSTOS_ELIMIT, "more than 100 signatures");
	ok(custos_note_parse(&n, many, len - siglen));
	assert_int_equal(n.nsigs, 100);
	custos_note_dispose(&n);
	free(many);
	/* Past 1 MiB. */
	len = (1u << 20) + 1;
	big = malloc(len);
	memset(big, 'a', len);
	fails(custos_note_parse(&n, big, len), CUSTOS_ELIMIT, "longer than");
	free(big);
}

static void test_note_tampering(void **state)
{
	custos_signer *s = signer(PETER_SKEY);
	custos_verifier *p = verifier(PETER_VKEY), *e = verifier(ENOCH_VKEY);
	char *msg, *other, *gen_skey, *gen_vkey;
	custos_verifier *g;
	(void)state;
	ok(custos_note_sign(&msg, TEXT, strlen(TEXT), &s, 1));
	/* Changed text. */
	msg[3] = 'X';
	fails(verify_msg(msg, p), CUSTOS_EINVALID, "invalid signature for key PeterNeumann+c74f20a3");
	msg[3] = 'y';
	ok(verify_msg(msg, p));
	/* Changed signature (a base64 character in the middle: still canonical). */
	other = strdup(msg);
	other[strlen(other) - 20] = other[strlen(other) - 20] == 'A' ? 'B' : 'A';
	fails(verify_msg(other, p), CUSTOS_EINVALID, "invalid signature");
	free(other);
	/* Wrong key. */
	fails(verify_msg(msg, e), CUSTOS_EINVALID, "no signature by key EnochRoot");
	/* A key with the same name but another key ID: ignored, so not verified. */
	ok(custos_key_generate(&gen_skey, &gen_vkey, "PeterNeumann"));
	g = verifier(gen_vkey);
	fails(verify_msg(msg, g), CUSTOS_EINVALID, "no signature by key PeterNeumann");
	/* Wrong name with the right key ID. */
	{
		const char *renamed = TEXT "\n\xe2\x80\x94 CarmenSandiego "
					   "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
		fails(verify_msg(renamed, p), CUSTOS_EINVALID, "no signature");
	}
	/* A good signature followed by a bad one from the same key rejects the note. */
	{
		const char *twice = TEXT "\n" PETER_SIG "\xe2\x80\x94 PeterNeumann "
					 "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n";
		fails(verify_msg(twice, p), CUSTOS_EINVALID, "invalid signature");
	}
	/* An unknown signature with a signature of any length is kept and ignored. */
	{
		const char *extra = TEXT "\n" PETER_SIG "\xe2\x80\x94 someone.example/else AAAAAQI=\n";
		custos_note n;
		ok(custos_note_parse(&n, extra, strlen(extra)));
		assert_int_equal(n.nsigs, 2);
		assert_int_equal(n.sigs[1].keyid, 1);
		assert_int_equal(n.sigs[1].siglen, 1);
		ok(custos_note_verify(&n, p));
		custos_note_dispose(&n);
	}
	free(msg);
	free(gen_skey);
	free(gen_vkey);
	custos_verifier_free(g);
	custos_signer_free(s);
	custos_verifier_free(p);
	custos_verifier_free(e);
}

static void test_note_sign_rejects(void **state)
{
	custos_signer *s = signer(PETER_SKEY);
	char *msg = NULL;
	(void)state;
	fails(custos_note_sign(&msg, "abc", 3, &s, 1), CUSTOS_EINVALID, "must end in a newline");
	fails(custos_note_sign(&msg, "", 0, &s, 1), CUSTOS_EINVALID, "must end in a newline");
	fails(custos_note_sign(&msg, "a\n\xe2\x80\x94 x y\n", 10, &s, 1), CUSTOS_EINVALID, "looks like a signature line");
	fails(custos_note_sign(&msg, "a\tb\n", 4, &s, 1), CUSTOS_EINVALID, "control character");
	fails(custos_note_sign(&msg, "a\xff\n", 3, &s, 1), CUSTOS_EINVALID, "UTF-8");
	fails(custos_note_sign(&msg, "a\n", 2, &s, 0), CUSTOS_EINVALID, "signers");
	assert_null(msg);
	/* A text with blank lines in it signs and parses back to itself. */
	ok(custos_note_sign(&msg, "a\n\nb\n\n", 6, &s, 1));
	{
		custos_note n;
		ok(custos_note_parse(&n, msg, strlen(msg)));
		assert_int_equal(n.text_len, 6);
		assert_memory_equal(n.text, "a\n\nb\n\n", 6);
		custos_note_dispose(&n);
	}
	free(msg);
	custos_signer_free(s);
}

/* ---- checkpoints -------------------------------------------------------------------------- */

static void test_checkpoint_round_trip(void **state)
{
	custos_checkpoint c, d;
	char *text, *ext[2] = {"ext one", "ext two"};
	static const uint8_t sofa_root[8] = {0x0a, 0xc5, 0x18, 0x6a, 0x91, 0x86, 0x3e, 0x8e};
	(void)state;
	ok(custos_checkpoint_parse(&c, SOFA, strlen(SOFA)));
	assert_string_equal(c.origin, "example.com/behind-the-sofa");
	assert_int_equal(c.size, 20852163);
	assert_memory_equal(c.root.b, sofa_root, sizeof(sofa_root));
	assert_int_equal(c.nextensions, 0);
	ok(custos_checkpoint_format(&text, &c));
	assert_string_equal(text, SOFA);
	free(text);
	c.extensions = ext;
	c.nextensions = 2;
	c.size = 0;
	ok(custos_checkpoint_format(&text, &c));
	assert_string_equal(text, "example.com/behind-the-sofa\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next one\next two\n");
	c.extensions = NULL;
	c.nextensions = 0;
	custos_checkpoint_dispose(&c);
	ok(custos_checkpoint_parse(&d, text, strlen(text)));
	assert_int_equal(d.size, 0);
	assert_int_equal(d.nextensions, 2);
	assert_string_equal(d.extensions[1], "ext two");
	custos_checkpoint_dispose(&d);
	free(text);
	/* The largest size. */
	{
		const char *max = "o\n18446744073709551615\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
		ok(custos_checkpoint_parse(&d, max, strlen(max)));
		assert_true(d.size == UINT64_MAX);
		custos_checkpoint_dispose(&d);
	}
}

static void test_checkpoint_errors(void **state)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{"", "newline"},
		{SOFA "x", "newline"},
		{"\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "origin (line 1) is empty"},
		{"o\n", "tree size (line 2) is missing"},
		{"o\n1\n", "root hash (line 3) is missing"},
		{"o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size (line 2) '01'"},
		{"o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size"},
		{"o\n 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size"},
		{"o\n\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size"},
		{"o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n", "root hash (line 3)"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", "root hash (line 3)"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "root hash (line 3)"},
		{"o\n1\nAAAA\n", "root hash (line 3)"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", "extension line 4 is empty"},
		{"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\na\x01\n", "control character"},
	};
	custos_checkpoint c = {0};
	char *text = NULL, *empty_ext[1] = {""};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = custos_checkpoint_parse(&c, bad[i].text, strlen(bad[i].text));
		if (rc != CUSTOS_EINVALID || !strstr(custos_error_last(), bad[i].needle))
			fail_msg("bad checkpoint %zu: rc %d, '%s' lacks '%s'", i, rc, custos_error_last(), bad[i].needle);
		assert_null(c.origin);
	}
	c.origin = "o\nx";
	fails(custos_checkpoint_format(&text, &c), CUSTOS_EINVALID, "origin contains a newline");
	c.origin = "";
	fails(custos_checkpoint_format(&text, &c), CUSTOS_EINVALID, "origin is empty");
	c.origin = "o";
	c.extensions = empty_ext;
	c.nextensions = 1;
	fails(custos_checkpoint_format(&text, &c), CUSTOS_EINVALID, "extension line is empty");
	assert_null(text);
}

static void test_signed_checkpoint(void **state)
{
	custos_signer *s = signer(PETER_SKEY);
	custos_verifier *v = verifier(PETER_VKEY);
	custos_checkpoint c = {0}, d;
	custos_note n;
	char *body, *msg;
	(void)state;
	c.origin = "PeterNeumann";
	c.size = 5;
	custos_merkle_empty_root(&c.root);
	ok(custos_checkpoint_format(&body, &c));
	ok(custos_note_sign(&msg, body, strlen(body), &s, 1));
	ok(custos_note_parse(&n, msg, strlen(msg)));
	ok(custos_note_verify(&n, v));
	ok(custos_checkpoint_parse(&d, n.text, n.text_len));
	assert_int_equal(d.size, 5);
	assert_memory_equal(d.root.b, c.root.b, 32);
	custos_checkpoint_dispose(&d);
	custos_note_dispose(&n);
	free(body);
	free(msg);
	custos_signer_free(s);
	custos_verifier_free(v);
}

/* ---- cosignatures -------------------------------------------------------------------------- */

static void test_cosignature_known_format(void **state)
{
	/* The spec's example: key ID 8d66cf3f, timestamp 1679315147 (its signed-message example), 64-byte signature. */
	const char *msg = SOFA "\n" SOFA_COSIG;
	custos_note n;
	uint64_t t = 0;
	(void)state;
	ok(custos_note_parse(&n, msg, strlen(msg)));
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.sigs[0].keyid, 0x8d66cf3f);
	assert_int_equal(n.sigs[0].siglen, 72);
	for (int i = 0; i < 8; i++)
		t = t << 8 | n.sigs[0].sig[i];
	assert_int_equal(t, 1679315147);
	custos_note_dispose(&n);
}

static void test_cosignature_round_trip(void **state)
{
	char *wskey, *wvkey, *wvkey4, *logsig, *line, *full;
	custos_signer *w, *log = signer(PETER_SKEY);
	custos_verifier *cv, *cv4, *plain, *other;
	custos_note n;
	uint64_t t;
	char *other_skey, *other_vkey;
	(void)state;
	ok(custos_key_generate(&wskey, &wvkey, "witness.example/w1"));
	w = signer(wskey);
	ok(custos_note_sign(&logsig, SOFA, strlen(SOFA), &log, 1));
	ok(custos_cosignature_sign(&line, w, SOFA, strlen(SOFA), 1679315147));
	assert_true(strncmp(line, "\xe2\x80\x94 witness.example/w1 ", 23) == 0);
	assert_int_equal(line[strlen(line) - 1], '\n');
	full = malloc(strlen(logsig) + strlen(line) + 1);
	memcpy(full, logsig, strlen(logsig));
	memcpy(full + strlen(logsig), line, strlen(line) + 1);
	free(line);
	ok(custos_note_parse(&n, full, strlen(full)));
	/* From the 0x01 vkey, and from the 0x04 vkey: the same cosignature key ID. */
	ok(custos_cosignature_verifier_new(&cv, wvkey));
	ok(custos_cosignature_vkey(w, &wvkey4));
	ok(custos_cosignature_verifier_new(&cv4, wvkey4));
	assert_int_equal(custos_verifier_keyid(cv), custos_verifier_keyid(cv4));
	assert_int_equal(n.sigs[1].keyid, custos_verifier_keyid(cv));
	ok(custos_cosignature_verify(&n, cv, &t));
	assert_int_equal(t, 1679315147);
	ok(custos_note_verify(&n, cv4)); /* a 0x04 verifier checks cosignatures through note_verify too */
	/* The plain note key does not see the cosignature (other key ID), nor is it a cosignature key. */
	plain = verifier(wvkey);
	assert_int_not_equal(custos_verifier_keyid(plain), custos_verifier_keyid(cv));
	fails(custos_note_verify(&n, plain), CUSTOS_EINVALID, "no signature");
	fails(custos_cosignature_verify(&n, plain, &t), CUSTOS_EINVALID, "not a cosignature key");
	/* A mismatched witness key. */
	ok(custos_key_generate(&other_skey, &other_vkey, "witness.example/w1"));
	ok(custos_cosignature_verifier_new(&other, other_vkey));
	fails(custos_cosignature_verify(&n, other, &t), CUSTOS_EINVALID, "none by key");
	custos_note_dispose(&n);
	/* A different timestamp or body does not verify. */
	{
		char *tampered = strdup(full);
		char *p = strstr(tampered, "20852163");
		p[7] = '4';
		ok(custos_note_parse(&n, tampered, strlen(tampered)));
		fails(custos_cosignature_verify(&n, cv, &t), CUSTOS_EINVALID, "invalid signature");
		custos_note_dispose(&n);
		free(tampered);
	}
	fails(custos_cosignature_sign(&line, w, SOFA, strlen(SOFA), (uint64_t)1 << 63), CUSTOS_EINVALID, "2^63");
	fails(custos_cosignature_sign(&line, w, "not a checkpoint\n", 17, 1), CUSTOS_EINVALID, "cosignature: checkpoint");
	free(wskey);
	free(wvkey);
	free(wvkey4);
	free(logsig);
	free(full);
	free(other_skey);
	free(other_vkey);
	custos_signer_free(w);
	custos_signer_free(log);
	custos_verifier_free(cv);
	custos_verifier_free(cv4);
	custos_verifier_free(plain);
	custos_verifier_free(other);
}

/* ---- a small tree, for receipts and the witness ---------------------------------------------------- */

#define NLEAVES 13
static custos_hash leaves[NLEAVES];

static void leaf_bytes(char out[32], unsigned i)
{
	snprintf(out, 32, "leaf %u", i);
}

static void make_leaves(void)
{
	for (unsigned i = 0; i < NLEAVES; i++) {
		char b[32];
		leaf_bytes(b, i);
		custos_merkle_leaf_hash(&leaves[i], b, strlen(b));
	}
}

/* The hash of the complete subtree of 2^level leaves starting at index * 2^level. */
static int read_tree(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	custos_hash l, r;
	(void)ctx;
	if (level == 0) {
		if (index >= NLEAVES)
			return CUSTOS_ERROR;
		*out = leaves[index];
		return 0;
	}
	if (read_tree(ctx, level - 1, 2 * index, &l) || read_tree(ctx, level - 1, 2 * index + 1, &r))
		return CUSTOS_ERROR;
	custos_merkle_node_hash(out, &l, &r);
	return 0;
}

/* A checkpoint of the first `size` leaves, signed by Peter. */
static char *signed_checkpoint(uint64_t size, custos_hash *root)
{
	custos_signer *s = signer(PETER_SKEY);
	custos_checkpoint c = {0};
	char *body, *msg;
	c.origin = "PeterNeumann";
	c.size = size;
	ok(custos_merkle_root(&c.root, size, read_tree, NULL));
	if (root)
		*root = c.root;
	ok(custos_checkpoint_format(&body, &c));
	ok(custos_note_sign(&msg, body, strlen(body), &s, 1));
	free(body);
	custos_signer_free(s);
	return msg;
}

/* ---- receipts ------------------------------------------------------------------------------------ */

static void test_receipt_round_trip(void **state)
{
	custos_verifier *v = verifier(PETER_VKEY), *e = verifier(ENOCH_VKEY);
	char *cp = signed_checkpoint(NLEAVES, NULL);
	(void)state;
	make_leaves();
	free(cp);
	cp = signed_checkpoint(NLEAVES, NULL);
	for (unsigned i = 0; i < NLEAVES; i++) {
		custos_receipt r = {0}, p;
		char *text, *again, b[32];
		uint8_t extra[3] = {1, 2, 3};
		r.index = i;
		r.checkpoint = cp;
		if (i % 2) {
			r.extra = extra;
			r.extra_len = sizeof(extra);
		}
		ok(custos_merkle_prove_inclusion(&r.proof, &r.nproof, i, NLEAVES, read_tree, NULL));
		ok(custos_receipt_format(&text, &r));
		assert_true(strncmp(text, "c2sp.org/tlog-proof@v1\n", 23) == 0);
		if (i % 2)
			assert_true(strncmp(text + 23, "extra AQID\nindex ", 17) == 0);
		ok(custos_receipt_parse(&p, text, strlen(text)));
		assert_int_equal(p.index, i);
		assert_int_equal(p.nproof, r.nproof);
		assert_int_equal(p.extra_len, i % 2 ? 3 : 0);
		ok(custos_receipt_format(&again, &p));
		assert_string_equal(again, text);
		leaf_bytes(b, i);
		ok(custos_receipt_verify(&p, v, b, strlen(b)));
		fails(custos_receipt_verify(&p, e, b, strlen(b)), CUSTOS_EINVALID, "receipt: signed note");
		leaf_bytes(b, i + 1);
		fails(custos_receipt_verify(&p, v, b, strlen(b)), CUSTOS_EINVALID, "inclusion proof");
		if (p.nproof) {
			p.proof[0].b[0] ^= 1;
			leaf_bytes(b, i);
			fails(custos_receipt_verify(&p, v, b, strlen(b)), CUSTOS_EINVALID, "inclusion proof");
		}
		p.index = NLEAVES;
		fails(custos_receipt_verify(&p, v, b, strlen(b)), CUSTOS_EINVALID, "not below the tree size");
		free(text);
		free(again);
		free(r.proof);
		custos_receipt_dispose(&p);
	}
	free(cp);
	custos_verifier_free(v);
	custos_verifier_free(e);
}

static void test_receipt_errors(void **state)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{"", "first line"},
		{"c2sp.org/tlog-proof@v2\nindex 0\n\n" SOFA "\n" SOFA_COSIG, "first line"},
		{"c2sp.org/tlog-proof@v1\n", "index line is missing"},
		{"c2sp.org/tlog-proof@v1\nindex 01\n\n" SOFA "\n" SOFA_COSIG, "index N"},
		{"c2sp.org/tlog-proof@v1\nextra \nindex 1\n\n" SOFA "\n" SOFA_COSIG, "extra data"},
		{"c2sp.org/tlog-proof@v1\nextra A=\nindex 1\n\n" SOFA "\n" SOFA_COSIG, "extra data"},
		{"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" SOFA "\n" SOFA_COSIG, "proof hash 1"},
		{"c2sp.org/tlog-proof@v1\nindex 1\n" SOFA, "proof hash 1"},
		{"c2sp.org/tlog-proof@v1\nindex 1\n\n" SOFA, "receipt: signed note"},
		{"c2sp.org/tlog-proof@v1\nindex 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "no empty line"},
	};
	custos_receipt r;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = custos_receipt_parse(&r, bad[i].text, strlen(bad[i].text));
		if (rc != CUSTOS_EINVALID || !strstr(custos_error_last(), bad[i].needle))
			fail_msg("bad receipt %zu: rc %d, '%s' lacks '%s'", i, rc, custos_error_last(), bad[i].needle);
		assert_null(r.checkpoint);
	}
}

/* ---- the witness -------------------------------------------------------------------------------- */

typedef struct witness_fixture {
	custos_signer *w;
	custos_verifier *log, *cosig;
	custos_witness_state st;
} witness_fixture;

/* add-checkpoint from `old` to `size` with a real consistency proof (or `proof` when given). */
static int add(witness_fixture *f, uint64_t old, uint64_t size, char **cosig, custos_witness_state *next)
{
	custos_witness_request req = {0}, parsed;
	char *body;
	int rc;
	req.old_size = old;
	req.checkpoint = signed_checkpoint(size, NULL);
	req.checkpoint_len = strlen(req.checkpoint);
	if (old > 0 && old <= size && size <= NLEAVES)
		ok(custos_merkle_prove_consistency(&req.proof, &req.nproof, old, size, read_tree, NULL));
	ok(custos_witness_request_format(&body, &req));
	ok(custos_witness_request_parse(&parsed, body, strlen(body)));
	assert_int_equal(parsed.old_size, old);
	assert_int_equal(parsed.nproof, req.nproof);
	assert_string_equal(parsed.checkpoint, req.checkpoint);
	rc = custos_witness_add_checkpoint(cosig, next, &f->st, &parsed, "PeterNeumann", f->log, f->w, 1700000000);
	custos_witness_request_dispose(&parsed);
	custos_witness_request_dispose(&req);
	free(body);
	return rc;
}

static void test_witness(void **state)
{
	witness_fixture f;
	char *skey, *vkey, *cosig = NULL;
	custos_witness_state next;
	custos_hash root5;
	(void)state;
	make_leaves();
	ok(custos_key_generate(&skey, &vkey, "witness.example/w1"));
	f.w = signer(skey);
	f.log = verifier(PETER_VKEY);
	ok(custos_cosignature_verifier_new(&f.cosig, vkey));
	f.st.size = 0;
	custos_merkle_empty_root(&f.st.root);

	/* The first checkpoint: old 0, empty proof. */
	assert_int_equal(add(&f, 0, 5, &cosig, &next), CUSTOS_WITNESS_OK);
	free(signed_checkpoint(5, &root5));
	assert_int_equal(next.size, 5);
	assert_memory_equal(next.root.b, root5.b, 32);
	{
		/* The answer is a cosignature that verifies on the checkpoint. */
		char *cp = signed_checkpoint(5, NULL), *full = malloc(strlen(cp) + strlen(cosig) + 1);
		custos_note n;
		uint64_t t;
		memcpy(full, cp, strlen(cp));
		memcpy(full + strlen(cp), cosig, strlen(cosig) + 1);
		ok(custos_note_parse(&n, full, strlen(full)));
		ok(custos_cosignature_verify(&n, f.cosig, &t));
		assert_int_equal(t, 1700000000);
		custos_note_dispose(&n);
		free(cp);
		free(full);
	}
	free(cosig);
	f.st = next;

	/* The next consistent checkpoint, and the same one again. */
	assert_int_equal(add(&f, 5, 13, &cosig, &next), CUSTOS_WITNESS_OK);
	free(cosig);
	assert_int_equal(next.size, 13);
	f.st = next;
	assert_int_equal(add(&f, 13, 13, &cosig, &next), CUSTOS_WITNESS_OK);
	free(cosig);

	/* A wrong old size: 409, and the witness's size stays in the state. */
	fails(add(&f, 5, 13, &cosig, &next), CUSTOS_WITNESS_CONFLICT, "the witness is at 13");
	assert_null(cosig);
	/* Shrinking: old above the checkpoint size. */
	fails(add(&f, 13, 7, &cosig, &next), CUSTOS_WITNESS_BAD_REQUEST, "above the checkpoint size");

	/* An inconsistent proof: 422. */
	{
		custos_witness_request req = {0};
		f.st.size = 5;
		free(signed_checkpoint(5, &f.st.root));
		req.old_size = 5;
		req.checkpoint = signed_checkpoint(13, NULL);
		req.checkpoint_len = strlen(req.checkpoint);
		ok(custos_merkle_prove_consistency(&req.proof, &req.nproof, 5, 13, read_tree, NULL));
		req.proof[0].b[7] ^= 0x40;
		fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1),
		      CUSTOS_WITNESS_BAD_PROOF, "does not verify");
		req.proof[0].b[7] ^= 0x40;
		/* The right proof from a different remembered root: 422 as well. */
		f.st.root.b[0] ^= 1;
		fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1),
		      CUSTOS_WITNESS_BAD_PROOF, NULL);
		f.st.root.b[0] ^= 1;
		ok(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1));
		free(cosig);
		/* Unknown origin: 404; a signature by another key: 403. */
		fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "other.example/log", f.log, f.w, 1),
		      CUSTOS_WITNESS_UNKNOWN_LOG, "unknown log origin 'PeterNeumann'");
		{
			custos_verifier *enoch = verifier(ENOCH_VKEY);
			fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", enoch, f.w, 1),
			      CUSTOS_WITNESS_BAD_SIGNATURE, "no signature by key EnochRoot");
			custos_verifier_free(enoch);
		}
		/* A bad signature by the right key: 403. */
		{
			char *p = strstr(req.checkpoint, "\n\n\xe2\x80\x94 PeterNeumann ") + 20;
			p[10] = p[10] == 'A' ? 'B' : 'A';
			fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1),
			      CUSTOS_WITNESS_BAD_SIGNATURE, "invalid signature");
		}
		custos_witness_request_dispose(&req);
	}
	/* Same size, another root: 409. */
	{
		custos_witness_request req = {0};
		f.st.size = 13;
		memset(f.st.root.b, 7, 32);
		req.old_size = 13;
		req.checkpoint = signed_checkpoint(13, NULL);
		req.checkpoint_len = strlen(req.checkpoint);
		fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1),
		      CUSTOS_WITNESS_CONFLICT, "root hash other");
		/* A malformed checkpoint: 400. */
		free(req.checkpoint);
		req.checkpoint = strdup("nonsense\n\n\xe2\x80\x94 x AAAAAAA=\n");
		req.checkpoint_len = strlen(req.checkpoint);
		fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1),
		      CUSTOS_WITNESS_BAD_REQUEST, "add-checkpoint: checkpoint");
		custos_witness_request_dispose(&req);
	}
	/* From size 0 a proof must be empty: 400. */
	{
		custos_witness_request req = {0};
		f.st.size = 0;
		req.checkpoint = signed_checkpoint(5, NULL);
		req.checkpoint_len = strlen(req.checkpoint);
		req.proof = calloc(1, sizeof(custos_hash));
		req.nproof = 1;
		fails(custos_witness_add_checkpoint(&cosig, &next, &f.st, &req, "PeterNeumann", f.log, f.w, 1),
		      CUSTOS_WITNESS_BAD_REQUEST, "must be empty");
		custos_witness_request_dispose(&req);
	}
	free(skey);
	free(vkey);
	custos_signer_free(f.w);
	custos_verifier_free(f.log);
	custos_verifier_free(f.cosig);
}

static void test_witness_request_errors(void **state)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{"", "old N"},
		{"old 1", "old N"},
		{"old 01\n\n" SOFA, "old N"},
		{"old -1\n\n" SOFA, "old N"},
		{"Old 1\n\n" SOFA, "old N"},
		{"old 1\n", "no empty line"},
		{"old 1\nAAAA\n\n" SOFA, "line 1 is not"},
		{"old 1\n\n", "no checkpoint"},
	};
	custos_witness_request r;
	char *body;
	size_t len = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = custos_witness_request_parse(&r, bad[i].text, strlen(bad[i].text));
		if (rc != CUSTOS_EINVALID || !strstr(custos_error_last(), bad[i].needle))
			fail_msg("bad request %zu: rc %d, '%s' lacks '%s'", i, rc, custos_error_last(), bad[i].needle);
		assert_null(r.checkpoint);
	}
	/* 63 proof lines pass, 64 do not. */
	body = malloc(16 + 64 * 45 + sizeof(SOFA));
	len += (size_t)snprintf(body, 16, "old 9\n");
	for (int i = 0; i < 64; i++) {
		memcpy(body + len, "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", 45);
		len += 45;
	}
	memcpy(body + len, "\n" SOFA, sizeof(SOFA) + 1);
	fails(custos_witness_request_parse(&r, body, strlen(body)), CUSTOS_EINVALID, "more than 63");
	ok(custos_witness_request_parse(&r, body + 45, strlen(body + 45)) == 0 ? CUSTOS_ERROR : 0);
	memmove(body + 6, body + 6 + 45, strlen(body + 6 + 45) + 1);
	ok(custos_witness_request_parse(&r, body, strlen(body)));
	assert_int_equal(r.nproof, 63);
	assert_int_equal(r.old_size, 9);
	assert_string_equal(r.checkpoint, SOFA);
	custos_witness_request_dispose(&r);
	free(body);
}

/* ---- the examples of docs/LOG.md stay true ------------------------------------------------------- */

#define DOC_LOG_VKEY "log.custos.example+43d44ffd+ATVgXVqp8d2Zw28vCLdza1NzYKKbIlZAGxLw1L9Drehq"
#define DOC_WITNESS_SKEY "PRIVATE+KEY+witness.custos.example/w1+582594cd+Af6iWwLLZBRL3yp8UJ11O8g8OlDMBZGpObZywT23Z1D+"
#define DOC_WITNESS_COSIG_VKEY "witness.custos.example/w1+8672f6cd+BLLHgDNpDfhb6c38diKMwkUp6hRmajzrjeNU5UATHbkv"
#define DOC_BODY "log.custos.example\n3\nOy14GdElpbmknm3s+fuLN91cCIebeLa4AfmeLbXAdBk=\n"
#define DOC_LOG_SIG                                                                                                    \
	"\xe2\x80\x94 log.custos.example "                                                                             \
	"Q9RP/Z3jqVPuAjSHy2mtTqK8WujfQ+pq9sgNcqGQN2ON5440SprS5lQFIa1zRIv8ACRgUSNvmfEz7x4MRYP7mQf87g4=\n"
#define DOC_COSIG                                                                                                      \
	"\xe2\x80\x94 witness.custos.example/w1 "                                                                      \
	"hnL2zQAAAABpJIEAYiF1keE+h37PUHNl7v4DHvE/X2+26Hhq1fN2kJZb6rcJS8fE4iKuRxPcTgJwKfmTrOeUK6uqV+PwoQ+yVutdCQ==\n"

static void test_docs_examples(void **state)
{
	const char *cosigned = DOC_BODY "\n" DOC_LOG_SIG DOC_COSIG;
	const char *receipt = "c2sp.org/tlog-proof@v1\nindex 1\nVKbcG/yZDO0/V1cmTzV61wip7lTOPRFymWQbI09tWAA=\n"
			      "g/CwyqIHHqf26FQehhWmJPNbOyImVrj9BAhD0MBl6yU=\n\n" DOC_BODY "\n" DOC_LOG_SIG;
	const char *request = "old 2\ng/CwyqIHHqf26FQehhWmJPNbOyImVrj9BAhD0MBl6yU=\n\n" DOC_BODY "\n" DOC_LOG_SIG;
	custos_verifier *log = verifier(DOC_LOG_VKEY), *cv;
	custos_signer *w = signer(DOC_WITNESS_SKEY);
	custos_note n;
	custos_receipt r;
	custos_witness_request q;
	custos_witness_state st = {2, {{0}}}, next;
	custos_hash l0, l1;
	char *vkey4, *cosig;
	uint64_t t;
	(void)state;
	ok(custos_cosignature_vkey(w, &vkey4));
	assert_string_equal(vkey4, DOC_WITNESS_COSIG_VKEY);
	ok(custos_cosignature_verifier_new(&cv, vkey4));
	ok(custos_note_parse(&n, cosigned, strlen(cosigned)));
	ok(custos_note_verify(&n, log));
	ok(custos_cosignature_verify(&n, cv, &t));
	assert_int_equal(t, 1764000000);
	custos_note_dispose(&n);
	ok(custos_receipt_parse(&r, receipt, strlen(receipt)));
	ok(custos_receipt_verify(&r, log, "custos\n", 7));
	custos_receipt_dispose(&r);
	/* The witness, at size 2 (leaves "hello\n", "custos\n"), answers with the very cosignature shown. */
	custos_merkle_leaf_hash(&l0, "hello\n", 6);
	custos_merkle_leaf_hash(&l1, "custos\n", 7);
	custos_merkle_node_hash(&st.root, &l0, &l1);
	ok(custos_witness_request_parse(&q, request, strlen(request)));
	ok(custos_witness_add_checkpoint(&cosig, &next, &st, &q, "log.custos.example", log, w, 1764000000));
	assert_string_equal(cosig, DOC_COSIG);
	assert_int_equal(next.size, 3);
	custos_witness_request_dispose(&q);
	free(cosig);
	free(vkey4);
	custos_verifier_free(log);
	custos_verifier_free(cv);
	custos_signer_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_known_keys),
		cmocka_unit_test(test_key_manglings),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_go_sign_known_answer),
		cmocka_unit_test(test_go_open),
		cmocka_unit_test(test_note_parse_errors),
		cmocka_unit_test(test_note_tampering),
		cmocka_unit_test(test_note_sign_rejects),
		cmocka_unit_test(test_checkpoint_round_trip),
		cmocka_unit_test(test_checkpoint_errors),
		cmocka_unit_test(test_signed_checkpoint),
		cmocka_unit_test(test_cosignature_known_format),
		cmocka_unit_test(test_cosignature_round_trip),
		cmocka_unit_test(test_receipt_round_trip),
		cmocka_unit_test(test_receipt_errors),
		cmocka_unit_test(test_witness),
		cmocka_unit_test(test_witness_request_errors),
		cmocka_unit_test(test_docs_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
