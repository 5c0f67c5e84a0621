/* test_life.c — the life of a measure as a value: its one transition per event, pure, and its storage edge. */
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
#include "custos/note.h"
#include "workflow/life.h"

static const char *const measure_json =
	"{\"kind\":\"interception\",\"scope\":\"metadata\",\"framework\":\"intelligence\",\"requested_by\":\"vsse\","
	"\"targets\":[\"tel:+32470555123\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}";
static const char *const decision_json =
	"{\"outcome\":\"needs_approval\",\"findings\":[{\"party\":\"P-1\"},{\"party\":\"P-1\"},{\"party\":\"P-2\"}],"
	"\"approvals\":[{\"role\":\"service_head\",\"kind\":\"approve\",\"state\":\"pending\"},"
	"{\"role\":\"comite_r\",\"kind\":\"notify\",\"state\":\"pending\"}],"
	"\"assertions\":[{\"flag\":\"waiver\",\"value\":\"NV 40\",\"rule\":\"r1\",\"confirm_by\":\"service_head\","
	"\"party\":\"P-1\"}],\"conditions\":[],\"subjects\":[],\"rules_hash\":\"x\",\"registry_hash\":\"y\"}";

static custos_signer *key;

static int setup(void **state)
{
	char *skey = NULL, *vkey = NULL;
	(void)state;
	assert_int_equal(custos_key_generate(&skey, &vkey, "test"), 0);
	assert_int_equal(custos_signer_new(&key, skey), 0);
	free(skey);
	free(vkey);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	custos_signer_free(key);
	return 0;
}

static custos_store_event event(int64_t index, const char *type, const char *time, const char *actor,
				const char *payload)
{
	return (custos_store_event){index, (char *)type, (char *)time, (char *)actor, (char *)"M-000001",
				    (char *)payload, NULL};
}

/* {"principal": P, "statement": <signed statement of `action` by P as `role`, round 1>} */
static char *statement(custos_action action, const char *role, const char *principal, const char *confirm)
{
	custos_statement s;
	char *note = NULL, *payload;
	size_t n;
	memset(&s, 0, sizeof(s));
	s.action = action;
	snprintf(s.measure, sizeof(s.measure), "M-000001");
	s.round = 1;
	snprintf(s.decision, sizeof(s.decision), "sha256:%064d", 0);
	snprintf(s.role, sizeof(s.role), "%s", role);
	snprintf(s.principal, sizeof(s.principal), "%s", principal);
	snprintf(s.time, sizeof(s.time), "2026-11-24T09:00:00Z");
	if (action == CUSTOS_ACT_REVOKE)
		snprintf(s.reason, sizeof(s.reason), "disproportionate");
	if (confirm)
		snprintf(s.confirms[s.nconfirms++], CUSTOS_CONFIRM_LINE, "%s", confirm);
	assert_int_equal(custos_statement_sign(&note, &s, key), 0);
	n = strlen(note) * 2 + 64;
	payload = malloc(n);
	assert_non_null(payload);
	/* the note as a JSON string: only newlines need escaping in it */
	{
		size_t j = (size_t)snprintf(payload, n, "{\"principal\":\"%s\",\"statement\":\"", principal);
		for (const char *p = note; *p; p++) {
			if (*p == '\n') {
				payload[j++] = '\\';
				payload[j++] = 'n';
			} else {
				payload[j++] = *p;
			}
		}
		snprintf(payload + j, n - j, "\"}");
	}
	free(note);
	return payload;
}

/* The life after filing and deciding: pending, its first round asking service_head and informing comite_r. */
static void filed_and_decided(wf_life *l, wf_effects *fx)
{
	wf_step_in in = {1, NULL};
	custos_store_event e = event(3, "measure.filed", "2026-11-24T09:00:00Z", "REQ", measure_json);
	memset(l, 0, sizeof(*l));
	assert_int_equal(wf_life_step(l, &e, &in, fx), 0);
	e = event(4, "measure.decided", "2026-11-24T09:00:00Z", "REQ", decision_json);
	assert_int_equal(wf_life_step(l, &e, &in, fx), 0);
}

static void test_filing(void **state)
{
	wf_life l;
	wf_effects fx;
	(void)state;
	filed_and_decided(&l, &fx);
	assert_int_equal(l.state, WF_LIFE_PENDING);
	assert_string_equal(l.filed_by, "REQ");
	assert_int_equal(l.round, 1);
	assert_int_equal(l.round_kind, WF_ROUND_FILING);
	assert_true(l.round_open);
	assert_int_equal(l.decision_index, 4);
	assert_int_equal(l.napprovals, 2);
	assert_int_equal(l.nsubjects, 2); /* each party once */
	assert_int_equal(l.nassertions, 1);
	assert_int_equal(l.nhistory, 1);
	assert_false(fx.complete);
	wf_life_dispose(&l);
}

static void test_approval_authorises(void **state)
{
	wf_life l;
	wf_effects fx;
	wf_step_in in = {0, "M-000001/0001"};
	char *ack = statement(CUSTOS_ACT_ACKNOWLEDGE, "comite_r", "COMR", NULL);
	char *approve = statement(CUSTOS_ACT_APPROVE, "service_head", "HEAD", "waiver P-1 NV 40");
	custos_store_event e;
	(void)state;
	filed_and_decided(&l, &fx);
	e = event(5, "measure.acknowledged", "2026-11-24T09:01:00Z", "x", ack);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), 0);
	assert_false(fx.complete);
	assert_int_equal(l.approvals[1].state, WF_ASK_ACKNOWLEDGED);
	in.statement_id = "M-000001/0002";
	e = event(6, "measure.approved", "2026-11-24T09:02:00Z", "x", approve);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), 0);
	assert_true(fx.complete); /* the live command issues the token now */
	assert_int_equal(l.state, WF_LIFE_AUTHORISED);
	assert_false(l.round_open);
	assert_int_equal(l.assertions[0].state, WF_FACT_CONFIRMED);
	assert_string_equal(l.assertions[0].statement, "M-000001/0002");
	assert_int_equal(l.nsigners, 2);
	assert_string_equal(l.history[2].time, "2026-11-24T09:02:00Z"); /* the event's time, not the clock's */
	/* the same role again: refused, as a replay must refuse what the commands refused */
	e.index = 7;
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), CUSTOS_EINVALID);
	free(ack);
	free(approve);
	wf_life_dispose(&l);
}

static void test_refusals(void **state)
{
	wf_life l;
	wf_effects fx;
	wf_step_in in = {0, "M-000001/0001"};
	char *unlisted = statement(CUSTOS_ACT_APPROVE, "service_head", "HEAD", NULL);
	char *other = statement(CUSTOS_ACT_APPROVE, "foreign_affairs", "FA", NULL);
	custos_store_event e;
	(void)state;
	filed_and_decided(&l, &fx);
	e = event(5, "measure.approved", "2026-11-24T09:01:00Z", "x", unlisted);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), CUSTOS_EINVALID); /* the waiver not confirmed */
	assert_non_null(strstr(custos_error_last(), "without confirming"));
	e = event(5, "measure.approved", "2026-11-24T09:01:00Z", "x", other);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), CUSTOS_EINVALID); /* a role not asked */
	e = event(5, "measure.extension_decided", "2026-11-24T09:01:00Z", "x", decision_json);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), CUSTOS_EINVALID); /* no window, no extension asked */
	e = event(5, "measure.decided", "2026-11-24T09:01:00Z", "x", decision_json);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), CUSTOS_EINVALID); /* decided twice */
	assert_int_equal(l.state, WF_LIFE_PENDING);
	free(unlisted);
	free(other);
	wf_life_dispose(&l);
}

static void test_revoke_withdraws(void **state)
{
	wf_life l;
	wf_effects fx;
	wf_step_in in = {0, "M-000001/0001"};
	char *revoke = statement(CUSTOS_ACT_REVOKE, "comite_r", "COMR", NULL);
	custos_store_event e = event(5, "measure.revoked", "2026-11-24T09:01:00Z", "x", revoke);
	(void)state;
	filed_and_decided(&l, &fx);
	assert_int_equal(wf_life_step(&l, &e, &in, &fx), 0);
	assert_int_equal(l.state, WF_LIFE_REVOKED);
	assert_string_equal(fx.withdraw, "revoked");
	assert_string_equal(l.history[1].detail, "disproportionate");
	free(revoke);
	wf_life_dispose(&l);
}

/* The storage edge: encode, decode, encode gives the same bytes; the step reads no clock. */
static void test_round_trip_and_purity(void **state)
{
	wf_life a, b;
	wf_effects fx;
	char *one = NULL, *two = NULL, *three = NULL;
	(void)state;
	assert_int_equal(custos_clock_pin("2026-11-24T09:00:00Z"), 0);
	filed_and_decided(&a, &fx);
	assert_int_equal(wf_life_encode(&one, &a, NULL), 0);
	assert_int_equal(wf_life_decode(&b, one), 0);
	assert_int_equal(wf_life_encode(&two, &b, NULL), 0);
	assert_string_equal(one, two);
	wf_life_dispose(&b);
	assert_int_equal(custos_clock_pin("2031-06-01T00:00:00Z"), 0);
	filed_and_decided(&b, &fx);
	assert_int_equal(wf_life_encode(&three, &b, NULL), 0);
	assert_string_equal(one, three);
	assert_string_equal(wf_life_shown(&b, 0), "pending");
	wf_life_dispose(&b);
	assert_int_equal(wf_life_decode(&b, "{\"measure\":\"M-1\"}"), CUSTOS_EINVALID);
	assert_int_equal(wf_life_decode(&b, "[]"), CUSTOS_EINVALID);
	wf_life_dispose(&a);
	free(one);
	free(two);
	free(three);
	custos_clock_set(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filing),
		cmocka_unit_test(test_approval_authorises),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_revoke_withdraws),
		cmocka_unit_test(test_round_trip_and_purity),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
