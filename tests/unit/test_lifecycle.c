/* test_lifecycle.c — statements and authorisation tokens: format, strict parse, signatures, windows, revocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/lifecycle.h"
#include "custos/model.h"

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define HASH "sha256:06608cca2c27e7bc15a089a57fd5b90788079edf3bc0bea9208b1cc9a0b3b1b7"

static void ok(int rc)
{
	if (rc)
		fail_msg("rc %d: %s", rc, custos_error_last());
}

static void refused(int rc, const char *needle)
{
	assert_int_equal(rc, CUSTOS_EINVALID);
	if (!strstr(custos_error_last(), needle))
		fail_msg("message '%s' does not mention '%s'", custos_error_last(), needle);
}

static custos_statement sample(void)
{
	custos_statement s;
	memset(&s, 0, sizeof(s));
	s.action = CUSTOS_ACT_APPROVE;
	snprintf(s.measure, sizeof(s.measure), "%s", "M-000042");
	s.round = 2;
	snprintf(s.decision, sizeof(s.decision), "%s", HASH);
	snprintf(s.role, sizeof(s.role), "%s", "foreign_affairs");
	snprintf(s.principal, sizeof(s.principal), "%s", "FA-1");
	snprintf(s.time, sizeof(s.time), "%s", "2026-11-24T09:00:00Z");
	return s;
}

static void test_statement_round_trip(void **state)
{
	custos_statement s = sample(), back;
	char *text = NULL;
	(void)state;
	ok(custos_statement_format(&text, &s));
	assert_string_equal(text, "custos-statement/v1\naction approve\nmeasure M-000042\nround 2\ndecision " HASH
				  "\nrole foreign_affairs\nprincipal FA-1\ntime 2026-11-24T09:00:00Z\n");
	ok(custos_statement_parse(&back, text, strlen(text)));
	assert_memory_equal(&back, &s, sizeof(s));
	free(text);
	s.action = CUSTOS_ACT_EXTEND;
	snprintf(s.until, sizeof(s.until), "%s", "2027-03-31");
	snprintf(s.reason, sizeof(s.reason), "%s", "new grounds");
	ok(custos_statement_format(&text, &s));
	assert_non_null(strstr(text, "until 2027-03-31\nreason new grounds\n"));
	ok(custos_statement_parse(&back, text, strlen(text)));
	assert_string_equal(back.until, "2027-03-31");
	assert_string_equal(back.reason, "new grounds");
	free(text);
}

static void test_statement_errors(void **state)
{
	custos_statement s = sample(), out;
	char *text = NULL;
	(void)state;
	ok(custos_statement_format(&text, &s));
	{
		static const struct {
			const char *from, *to, *needle;
		} edits[] = {
			{"custos-statement/v1", "custos-statement/v2", "line 1"},
			{"action approve", "action bless", "unknown action 'bless'"},
			{"round 2", "round 02", "round"},
			{"role foreign_affairs", "role spy", "unknown role 'spy'"},
			{"decision sha256:0660", "decision sha256:X660", "decision"},
			{"time 2026-11-24T09:00:00Z", "time 2026-11-24 09:00", "time"},
			{"principal FA-1\n", "principal FA-1\nuntil 2027-01-01\n", "line 8"},
			{"measure M-000042", "measure X-1", "measure"},
		};
		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			char buf[1024];
			const char *at = strstr(text, edits[i].from);
			assert_non_null(at);
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - text), text, edits[i].to,
				 at + strlen(edits[i].from));
			refused(custos_statement_parse(&out, buf, strlen(buf)), edits[i].needle);
		}
	}
	refused(custos_statement_parse(&out, text, strlen(text) - 1), "newline");
	free(text);
	s.action = CUSTOS_ACT_EXTEND;
	refused(custos_statement_format(&text, &s), "until");
	assert_null(text);
}

/* An approval lists the asserted facts it confirms, one "confirm" line each; nothing else may. */
static void test_statement_confirms(void **state)
{
	custos_statement s = sample(), back;
	char *text = NULL;
	(void)state;
	s.nconfirms = 2;
	snprintf(s.confirms[0], sizeof(s.confirms[0]), "%s", "waiver P-MR-1 Note verbale MR 2026/114");
	snprintf(s.confirms[1], sizeof(s.confirms[1]), "%s", "personal_involvement - true");
	ok(custos_statement_format(&text, &s));
	assert_non_null(strstr(text, "time 2026-11-24T09:00:00Z\nconfirm waiver P-MR-1 Note verbale MR 2026/114\n"
				     "confirm personal_involvement - true\n"));
	ok(custos_statement_parse(&back, text, strlen(text)));
	assert_int_equal(back.nconfirms, 2);
	assert_string_equal(back.confirms[0], "waiver P-MR-1 Note verbale MR 2026/114");
	assert_memory_equal(&back, &s, sizeof(s));
	free(text);
	/* malformed lines and confirmations outside an approval are refused by name */
	snprintf(s.confirms[1], sizeof(s.confirms[1]), "%s", "Waiver P-1 x");
	refused(custos_statement_format(&text, &s), "confirm: 'Waiver P-1 x' is not FLAG PARTY VALUE");
	snprintf(s.confirms[1], sizeof(s.confirms[1]), "%s", "waiver P-1");
	refused(custos_statement_format(&text, &s), "is not FLAG PARTY VALUE");
	s.nconfirms = 1;
	s.action = CUSTOS_ACT_REFUSE;
	snprintf(s.reason, sizeof(s.reason), "%s", "no");
	refused(custos_statement_format(&text, &s), "only an approval confirms");
	assert_null(text);
}

/* A token signed by a fixed key, verified at the edges of its window and against revocation lists. */
static void test_token_window_and_revocation(void **state)
{
	custos_authorization a, got;
	custos_signer *peter = NULL;
	char *text = NULL, *token = NULL, *revs = NULL, *sel[] = {"tel:+32470555123"}, *cond[] = {"max_days 60"};
	custos_date from, to;
	(void)state;
	memset(&a, 0, sizeof(a));
	a.origin = "PeterNeumann";
	snprintf(a.id, sizeof(a.id), "%s", "M-000042.1");
	snprintf(a.measure, sizeof(a.measure), "%s", "M-000042");
	snprintf(a.kind, sizeof(a.kind), "%s", "interception");
	snprintf(a.scope, sizeof(a.scope), "%s", "content");
	snprintf(a.framework, sizeof(a.framework), "%s", "criminal");
	snprintf(a.requested_by, sizeof(a.requested_by), "%s", "federal_police");
	ok(custos_date_parse(&from, "2026-12-01"));
	ok(custos_date_parse(&to, "2026-12-31"));
	a.from = from;
	a.to = to;
	snprintf(a.decision, sizeof(a.decision), "%s", HASH);
	a.selectors = sel;
	a.nselectors = 1;
	a.conditions = cond;
	a.nconditions = 1;
	ok(custos_authorization_format(&text, &a));
	ok(custos_signer_new(&peter, PETER_SKEY));
	ok(custos_note_sign(&token, text, strlen(text), &peter, 1));
	ok(custos_authorization_verify(&got, token, strlen(token), PETER_VKEY, NULL, 0, from));
	assert_string_equal(got.selectors[0], "tel:+32470555123");
	assert_string_equal(got.conditions[0], "max_days 60");
	custos_authorization_dispose(&got);
	ok(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, NULL, 0, to));
	refused(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, NULL, 0, from - 1), "before");
	refused(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, NULL, 0, to + 1), "after");
	/* a revocation list that lists it, one that lists another, one not signed by the log */
	{
		const char *lists[] = {
			"custos-revocations/v1\nPeterNeumann\nsize 10\ntime 2026-12-02T00:00:00Z\nrevoked M-000042.1\n",
			"custos-revocations/v1\nPeterNeumann\nsize 10\ntime 2026-12-02T00:00:00Z\nrevoked M-000042.10\n",
		};
		ok(custos_note_sign(&revs, lists[0], strlen(lists[0]), &peter, 1));
		refused(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, revs, strlen(revs), from),
			"revoked");
		free(revs);
		ok(custos_note_sign(&revs, lists[1], strlen(lists[1]), &peter, 1));
		ok(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, revs, strlen(revs), from));
		revs[strlen(revs) - 5] ^= 1; /* break the list's signature */
		refused(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, revs, strlen(revs), from),
			"revocation list");
		free(revs);
	}
	/* a token whose text was changed after signing */
	token[strstr(token, "to 2026-12-31") - token + 5] = '7';
	refused(custos_authorization_verify(NULL, token, strlen(token), PETER_VKEY, NULL, 0, from), "bad signature");
	custos_signer_free(peter);
	free(token);
	free(text);
}

/* A token of M-000042 for December 2026, issued at `log_size` (0: an old token without the line), signed by Peter. */
static char *peter_token(uint64_t log_size)
{
	custos_authorization a;
	custos_signer *peter = NULL;
	char *text = NULL, *token = NULL, *sel[] = {"tel:+32470555123"};
	memset(&a, 0, sizeof(a));
	a.origin = "PeterNeumann";
	snprintf(a.id, sizeof(a.id), "%s", "M-000042.1");
	snprintf(a.measure, sizeof(a.measure), "%s", "M-000042");
	snprintf(a.kind, sizeof(a.kind), "%s", "observation");
	snprintf(a.framework, sizeof(a.framework), "%s", "criminal");
	snprintf(a.requested_by, sizeof(a.requested_by), "%s", "federal_police");
	ok(custos_date_parse(&a.from, "2026-12-01"));
	ok(custos_date_parse(&a.to, "2026-12-31"));
	snprintf(a.decision, sizeof(a.decision), "%s", HASH);
	a.selectors = sel;
	a.nselectors = 1;
	a.log_size = log_size;
	ok(custos_authorization_format(&text, &a));
	ok(custos_signer_new(&peter, PETER_SKEY));
	ok(custos_note_sign(&token, text, strlen(text), &peter, 1));
	custos_signer_free(peter);
	free(text);
	return token;
}

/* A revocation list of Peter's log at `size` and `time`, listing `line` ("revoked M-000042.1") or nothing. */
static char *peter_list(uint64_t size, const char *time, const char *line)
{
	custos_signer *peter = NULL;
	char text[256], *note = NULL;
	snprintf(text, sizeof(text), "custos-revocations/v1\nPeterNeumann\nsize %llu\ntime %s\n%s%s",
		 (unsigned long long)size, time, line ? line : "", line ? "\n" : "");
	ok(custos_signer_new(&peter, PETER_SKEY));
	ok(custos_note_sign(&note, text, strlen(text), &peter, 1));
	custos_signer_free(peter);
	return note;
}

/* Checks `token` against `list` (NULL: none) on 2026-12-15 with max_age; *checked receives rev.checked. */
static int check(const char *token, const char *list, int64_t max_age, int *checked)
{
	custos_token_checks c = {PETER_VKEY, list, list ? strlen(list) : 0, 0, max_age};
	custos_revocation_check rev;
	int rc;
	ok(custos_date_parse(&c.today, "2026-12-15"));
	memset(&rev, 0xff, sizeof(rev));
	rc = custos_authorization_check(NULL, &rev, token, strlen(token), &c);
	*checked = rc ? -1 : rev.checked;
	if (!rc && !rev.checked)
		assert_true(rev.unchecked[0] != '\0' && strlen(rev.unchecked) < sizeof(rev.unchecked));
	return rc;
}

/*
 * Revocation lists cannot be stale: the token's log_size round-trips; a list smaller than it (signed before
 * the token existed) is refused, one at least as large clears it; a listing refuses it however old the list;
 * max_age refuses an old list by the clock; no list, or an old token (no log_size) without max_age, is valid
 * but "not checked".
 */
static void test_token_revocation_freshness(void **state)
{
	char *token = peter_token(20), *old = peter_token(0), *l;
	custos_authorization got;
	custos_date day;
	int checked;
	(void)state;
	ok(custos_date_parse(&day, "2026-12-15"));
	ok(custos_clock_pin("2026-12-02T12:00:00Z"));
	assert_non_null(strstr(token, "\nlog_size 20\nselector "));
	assert_null(strstr(old, "log_size"));
	ok(custos_authorization_verify(&got, token, strlen(token), PETER_VKEY, NULL, 0, day));
	assert_int_equal(got.log_size, 20);
	custos_authorization_dispose(&got);

	ok(check(token, NULL, 0, &checked));
	assert_int_equal(checked, 0);
	l = peter_list(19, "2026-12-02T11:00:00Z", NULL);
	refused(check(token, l, 0, &checked), "older than the token (issued at log size 20)");
	free(l);
	l = peter_list(20, "2026-12-02T11:00:00Z", NULL);
	ok(check(token, l, 0, &checked));
	assert_int_equal(checked, 1);
	ok(check(token, l, 3600, &checked));
	assert_int_equal(checked, 1);
	refused(check(token, l, 3599, &checked), "older than the maximum age of 3599s");
	free(l);
	l = peter_list(3, "2026-01-01T00:00:00Z", "suspended M-000042.1");
	refused(check(token, l, 60, &checked), "suspended (on the revocation list)");
	refused(check(old, l, 0, &checked), "suspended (on the revocation list)");
	free(l);
	/* an old token: only the clock can show a list is newer than it */
	l = peter_list(3, "2026-12-02T11:59:00Z", NULL);
	ok(check(old, l, 0, &checked));
	assert_int_equal(checked, 0);
	ok(check(old, l, 60, &checked));
	assert_int_equal(checked, 1);
	refused(check(old, l, 59, &checked), "maximum age");
	free(l);
	/* lists whose size or time is not one */
	l = peter_list(20, "2026-12-02 11:00:00", NULL);
	refused(check(token, l, 0, &checked), "time '2026-12-02 11:00:00'");
	free(l);
	{
		custos_signer *peter = NULL;
		const char *bad = "custos-revocations/v1\nPeterNeumann\nsize 020\ntime 2026-12-02T11:00:00Z\n";
		ok(custos_signer_new(&peter, PETER_SKEY));
		ok(custos_note_sign(&l, bad, strlen(bad), &peter, 1));
		custos_signer_free(peter);
		refused(check(token, l, 0, &checked), "size '020'");
		free(l);
	}
	/* a token whose log_size is not one */
	{
		custos_authorization a;
		const char *texts[] = {"log_size 0\n", "log_size 07\n", "log_size x\n", "log_size \n"};
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			char text[1024];
			const char *sig = strstr(token, "\n\n");
			int n = snprintf(text, sizeof(text), "%.*s", (int)(strstr(token, "log_size") - token), token);
			snprintf(text + n, sizeof(text) - (size_t)n, "%s%.*s", texts[i],
				 (int)(sig + 1 - strstr(token, "selector ")), strstr(token, "selector "));
			assert_int_not_equal(custos_authorization_parse(&a, text, strlen(text)), 0);
			if (!strstr(custos_error_last(), "log_size"))
				fail_msg("'%s' refused for another reason: %s", texts[i], custos_error_last());
		}
	}
	custos_clock_set(NULL, NULL);
	free(token);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statement_round_trip),
		cmocka_unit_test(test_statement_errors),
		cmocka_unit_test(test_statement_confirms),
		cmocka_unit_test(test_token_window_and_revocation),
		cmocka_unit_test(test_token_revocation_freshness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
