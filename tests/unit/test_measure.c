/* test_measure.c — the measure JSON contract: every field, every rejection, canonical round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/measure.h"

#define PERIOD "\"period\":{\"from\":\"2026-12-01\",\"to\":\"2027-01-31\"}"
#define BASE "\"framework\":\"criminal\",\"requested_by\":\"police\",\"targets\":[\"tel:+32 2 555 12 34\"]," PERIOD

static void decode_ok(custos_measure *m, const char *json)
{
	int rc = custos_measure_decode(m, json, strlen(json));
	if (rc)
		fail_msg("decode failed: %s", custos_error_last());
}

/* Decoding must fail with CUSTOS_EINVALID (or ELIMIT) and a message containing `want`. */
static void decode_err(const char *json, const char *want)
{
	custos_measure m;
	int rc = custos_measure_decode(&m, json, strlen(json));
	assert_true(rc == CUSTOS_EINVALID || rc == CUSTOS_ELIMIT);
	if (!strstr(custos_error_last(), want))
		fail_msg("error '%s' does not mention '%s'", custos_error_last(), want);
}

static void test_full_measure(void **state)
{
	custos_measure m;
	(void)state;
	decode_ok(&m, "{\"kind\":\"mla_request\",\"framework\":\"criminal\",\"requested_by\":\"fps_justice\","
		      "\"requesting_state\":\"KZ\",\"targets\":[\"EmailAddress:A@B.example\",\"ip:192.0.2.7/24\"],"
		      "\"persons\":[{\"name\":\"Aigerim Exempla\",\"nationality\":\"KZ\",\"refugee_in\":\"BE\","
		      "\"born\":\"1985-03-02\"}],"
		      "\"offence\":\"fraud\",\"political_offence\":false,\"grounds\":\"g\",\"reciprocity\":true,"
		      "\"treaty\":null,\"requested_measure\":\"interception\"," PERIOD "}");
	assert_int_equal(m.kind, CUSTOS_KIND_MLA_REQUEST);
	assert_int_equal(m.requested_measure, CUSTOS_KIND_INTERCEPTION);
	assert_string_equal(m.requesting_state, "KZ");
	assert_int_equal(m.ntargets, 2);
	assert_string_equal(m.targets[0].text, "mailto:a@b.example");
	assert_string_equal(m.targets[1].text, "ip:192.0.2.0/24");
	assert_int_equal(m.npersons, 1);
	assert_string_equal(m.persons[0].refugee_in, "BE");
	assert_string_equal(m.persons[0].born, "1985-03-02");
	assert_true(m.reciprocity);
	assert_false(m.political_offence);
	assert_null(m.treaty);
	assert_int_equal(m.to - m.from, 61);
	custos_measure_dispose(&m);
}

static void test_canonical_round_trip(void **state)
{
	custos_measure m, again;
	char *a = NULL, *b = NULL;
	(void)state;
	decode_ok(&m, "{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"grave_crime\":true}");
	assert_int_equal(custos_measure_encode(&a, &m), 0);
	decode_ok(&again, a);
	assert_int_equal(custos_measure_encode(&b, &again), 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"targets\":[\"tel:+3225551234\"]"));
	assert_non_null(strstr(a, "\"grave_crime\":true"));
	assert_non_null(strstr(a, "\"scope\":\"content\""));
	free(a);
	free(b);
	custos_measure_dispose(&m);
	custos_measure_dispose(&again);
}

static void test_rejections(void **state)
{
	(void)state;
	decode_err("{\"kind\":\"search\"," BASE ",\"colour\":1}", "unknown field 'colour'");
	decode_err("{\"kind\":\"wiretap\"," BASE "}", "kind: unknown value 'wiretap'");
	decode_err("{\"kind\":5," BASE "}", "kind: unknown value (not a string)");
	decode_err("{" BASE "}", "kind: required");
	decode_err("{\"kind\":\"search\",\"framework\":\"civil\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"]," PERIOD
		   "}",
		   "framework: unknown value 'civil'");
	decode_err("{\"kind\":\"search\"," BASE ",\"reciprocity\":1}", "reciprocity: expected true or false");
	decode_err("{\"kind\":\"search\"," BASE ",\"transfer_basis\":\"none\"}", "transfer_basis: unknown value 'none'");
	decode_err("{\"kind\":\"search\"," BASE ",\"scope\":\"content\"}", "scope: only an interception");
	decode_err("{\"kind\":\"interception\"," BASE "}", "scope: required for an interception");
	decode_err("{\"kind\":\"mla_request\"," BASE "}", "requesting_state: required for mla_request");
	decode_err("{\"kind\":\"search\"," BASE ",\"requesting_state\":\"be\"}", "requesting_state: expected an ISO");
	decode_err("{\"kind\":\"search\"," BASE ",\"requested_measure\":\"search\"}", "requested_measure: only for an mla");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:12\"]," PERIOD "}",
		   "targets[0]");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":\"tel:+3212\"," PERIOD
		   "}",
		   "targets: expected an array");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[]," PERIOD "}",
		   "at least one target or person");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],"
		   "\"persons\":[{\"name\":\"x\",\"age\":3}]," PERIOD "}",
		   "persons[0].unknown field 'age'");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],"
		   "\"persons\":[{\"nationality\":\"Kazakh\"}]," PERIOD "}",
		   "persons[0].nationality");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],"
		   "\"persons\":[{\"name\":\"x y\",\"born\":\"1985-02-30\"}]," PERIOD "}",
		   "persons[0].born: expected a date YYYY-MM-DD");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"]}",
		   "period: required");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],"
		   "\"period\":{\"from\":\"2027-01-01\",\"to\":\"2026-01-01\"}}",
		   "'to' (2026-01-01) is before 'from' (2027-01-01)");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],"
		   "\"period\":{\"from\":\"2026-02-29\",\"to\":\"2026-03-01\"}}",
		   "period.from: '2026-02-29' is not a date");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],"
		   "\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-03-01\",\"x\":1}}",
		   "period.unknown field 'x'");
	decode_err("{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"\",\"targets\":[\"tel:+3212\"]," PERIOD
		   "}",
		   "requested_by: must not be empty");
	decode_err("{\"kind\":\"search\",\"kind\":\"search\"}", "duplicate object key");
	decode_err("{\"kind\":", "line 1");
	decode_err("[]", "must be a JSON object");
}

/* The fields LAW.md added (revised 2026-12-04), and waivers and consents per party. */
static void test_law_fields(void **state)
{
	custos_measure m, again;
	char *a = NULL, *b = NULL;
	(void)state;
	decode_ok(&m, "{\"kind\":\"data_transfer\"," BASE ",\"requesting_state\":\"US\",\"transfer_basis\":\"safeguards\","
		      "\"originating_state\":\"DE\",\"originating_authorisation\":\"BKA 2026/77\","
		      "\"concerns_official_acts\":true,\"prevents_grave_threat\":true,\"suspects_use_means\":true,"
		      "\"waiver\":[{\"party\":\"D1\",\"sending_state\":\"QA\",\"reference\":\"NV 40\"},"
		      "{\"party\":\"D2\",\"sending_state\":\"MR\",\"reference\":\"NV 41\"}],"
		      "\"consent\":{\"party\":\"D1\",\"sending_state\":\"QA\",\"reference\":\"NV 42\"},"
		      "\"diplomatic_bag\":\"consular\"}");
	assert_int_equal(m.nwaivers, 2);
	assert_string_equal(m.waivers[1].party, "D2");
	assert_string_equal(m.waivers[1].state, "MR");
	assert_string_equal(m.waivers[1].reference, "NV 41");
	assert_int_equal(m.nconsents, 1);
	assert_string_equal(m.consents[0].reference, "NV 42");
	assert_null(m.waiver);
	assert_int_equal(m.diplomatic_bag, CUSTOS_BAG_CONSULAR);
	assert_int_equal(m.place, CUSTOS_PLACE_PRIVATE);
	assert_string_equal(m.originating_state, "DE");
	assert_true(m.concerns_official_acts && m.prevents_grave_threat && m.suspects_use_means);
	assert_int_equal(custos_measure_encode(&a, &m), 0);
	decode_ok(&again, a);
	assert_int_equal(custos_measure_encode(&b, &again), 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"consent\":[{\"party\":\"D1\",\"sending_state\":\"QA\",\"reference\":\"NV 42\"}]"));
	free(a);
	free(b);
	custos_measure_dispose(&m);
	custos_measure_dispose(&again);

	/* the old forms stay valid and keep their bytes: a bare waiver reference, diplomatic_bag true */
	decode_ok(&m, "{\"kind\":\"observation\"," BASE ",\"waiver\":\"NV 17\",\"diplomatic_bag\":true,\"place\":\"public\"}");
	assert_string_equal(m.waiver, "NV 17");
	assert_int_equal(m.nwaivers, 0);
	assert_int_equal(m.diplomatic_bag, CUSTOS_BAG_DIPLOMATIC);
	assert_int_equal(m.place, CUSTOS_PLACE_PUBLIC);
	assert_int_equal(custos_measure_encode(&a, &m), 0);
	assert_non_null(strstr(a, "\"waiver\":\"NV 17\""));
	assert_non_null(strstr(a, "\"diplomatic_bag\":true"));
	assert_non_null(strstr(a, "\"place\":\"public\""));
	free(a);
	custos_measure_dispose(&m);
	decode_ok(&m, "{\"kind\":\"observation\"," BASE "}");
	assert_int_equal(custos_measure_encode(&a, &m), 0);
	assert_null(strstr(a, "\"place\""));
	assert_null(strstr(a, "\"consent\""));
	free(a);
	custos_measure_dispose(&m);
}

static void test_law_rejections(void **state)
{
	(void)state;
	decode_err("{\"kind\":\"search\"," BASE ",\"waiver\":[{\"sending_state\":\"QA\",\"reference\":\"r\"}]}",
		   "waiver[0].party: required");
	decode_err("{\"kind\":\"search\"," BASE ",\"waiver\":{\"party\":\"D1\",\"reference\":\"r\"}}",
		   "waiver.sending_state: required (the state that gave it)");
	decode_err("{\"kind\":\"search\"," BASE ",\"waiver\":{\"party\":\"D1\",\"sending_state\":\"Qatar\",\"reference\":\"r\"}}",
		   "waiver.sending_state: expected an ISO 3166 alpha-2 code");
	decode_err("{\"kind\":\"search\"," BASE ",\"waiver\":{\"party\":\"D1\",\"sending_state\":\"QA\"}}",
		   "waiver.reference: required");
	decode_err("{\"kind\":\"search\"," BASE ",\"consent\":[{\"party\":\"D1\",\"sending_state\":\"QA\",\"reference\":\"r\","
		   "\"scope\":\"all\"}]}",
		   "consent[0].unknown field 'scope'");
	decode_err("{\"kind\":\"search\"," BASE ",\"consent\":[{\"party\":\"D1\",\"sending_state\":\"QA\",\"reference\":\"r\"},"
		   "{\"party\":\"D1\",\"sending_state\":\"QA\",\"reference\":\"s\"}]}",
		   "consent[1].party: 'D1' is named twice");
	decode_err("{\"kind\":\"search\"," BASE ",\"consent\":[\"D1\"]}", "consent[0]: expected an object");
	decode_err("{\"kind\":\"search\"," BASE ",\"consent\":true}", "consent: expected {");
	decode_err("{\"kind\":\"search\"," BASE ",\"diplomatic_bag\":\"pouch\"}", "diplomatic_bag: unknown value");
	decode_err("{\"kind\":\"search\"," BASE ",\"place\":\"street\"}", "place: unknown value 'street'");
	decode_err("{\"kind\":\"search\"," BASE ",\"originating_state\":\"DE\"}", "originating_state: only for a data_transfer");
	decode_err("{\"kind\":\"data_transfer\"," BASE ",\"requesting_state\":\"US\",\"originating_authorisation\":\"x\"}",
		   "originating_authorisation: names no state");
	decode_err("{\"kind\":\"search\"," BASE ",\"suspects_use_means\":\"yes\"}", "suspects_use_means: expected true or false");
}

/* The intercepts a measure will be provisioned under (issue 15): kept, encoded only when set, checked. */
static void test_liids(void **state)
{
	custos_measure m, again;
	char *enc = NULL, *enc2 = NULL;
	(void)state;
	decode_ok(&m, "{\"kind\":\"interception\",\"scope\":\"content\"," BASE
		      ",\"liids\":[\"LP45NNST3\",\"X7811DFWS\"],\"agency_id\":\"vsse\"}");
	assert_int_equal(m.nliids, 2);
	assert_string_equal(m.liids[1], "X7811DFWS");
	assert_string_equal(m.agency_id, "vsse");
	assert_int_equal(custos_measure_encode(&enc, &m), 0);
	assert_non_null(strstr(enc, "\"liids\":[\"LP45NNST3\",\"X7811DFWS\"],\"agency_id\":\"vsse\"}"));
	decode_ok(&again, enc);
	assert_int_equal(custos_measure_encode(&enc2, &again), 0);
	assert_string_equal(enc, enc2);
	custos_measure_dispose(&m);
	custos_measure_dispose(&again);
	free(enc);
	free(enc2);
	/* a measure without them encodes as before: no member */
	decode_ok(&m, "{\"kind\":\"interception\",\"scope\":\"content\"," BASE "}");
	assert_int_equal(custos_measure_encode(&enc, &m), 0);
	assert_null(strstr(enc, "liids"));
	assert_null(strstr(enc, "agency_id"));
	custos_measure_dispose(&m);
	free(enc);
	decode_err("{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"liids\":\"LP45\"}",
		   "liids: expected an array of LIIDs");
	decode_err("{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"liids\":[\"a/b\"]}",
		   "liids[0]: a LIID is 1 to 25 characters");
	decode_err("{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"liids\":[\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"]}",
		   "liids[0]: a LIID is 1 to 25 characters");
	decode_err("{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"liids\":[\"0x4142\"]}",
		   "liids[0]: a LIID is 1 to 25 characters");
	decode_err("{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"liids\":[\"A1\",\"A1\"]}",
		   "liids[1]: A1 is listed twice");
	decode_err("{\"kind\":\"interception\",\"scope\":\"content\"," BASE ",\"agency_id\":\"the police\"}",
		   "agency_id: 1 to 64 characters");
	decode_err("{\"kind\":\"search\"," BASE ",\"liids\":[\"A1\"]}",
		   "liids: only an interception is provisioned under LIIDs, not search");
}

static void test_limits(void **state)
{
	size_t n = CUSTOS_MEASURE_MAX + 10;
	char *big = malloc(n + 1);
	custos_measure m;
	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	big[n] = '\0';
	assert_int_equal(custos_measure_decode(&m, big, n), CUSTOS_ELIMIT);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_measure),
		cmocka_unit_test(test_canonical_round_trip),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_law_fields),
		cmocka_unit_test(test_law_rejections),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_liids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
