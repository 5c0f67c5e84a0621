/* test_util.c — the helpers everything rests on: errors, bounded buffers, arrays, SHA-256, dates, vocabulary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "custos/model.h"
#include "util/util.h"

static void test_error_prefix(void **state)
{
	(void)state;
	assert_int_equal(custos_error_set(CUSTOS_EINVALID, "bad %s", "thing"), CUSTOS_EINVALID);
	assert_int_equal(custos_error_prefix(CUSTOS_EINVALID, "file.jsonl:%d", 3), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "file.jsonl:3: bad thing");
	custos_error_clear();
	assert_string_equal(custos_error_last(), "");
	/* a very long message keeps the prefix and stays terminated */
	{
		char big[4000];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		custos_error_set(CUSTOS_ERROR, "%s", big);
		custos_error_prefix(CUSTOS_ERROR, "where");
		assert_memory_equal(custos_error_last(), "where: xxx", 10);
		assert_true(strlen(custos_error_last()) < 2048);
	}
}

static void test_buf_ceiling(void **state)
{
	custos_buf b;
	char *s;
	(void)state;
	custos_buf_init(&b, 8);
	assert_int_equal(custos_buf_puts(&b, "12345"), 0);
	assert_int_equal(custos_buf_printf(&b, "%d", 678), 0);
	assert_int_equal(custos_buf_puts(&b, "9"), CUSTOS_ELIMIT);
	assert_string_equal(b.ptr, "12345678"); /* nothing half-appended */
	s = custos_buf_detach(&b);
	assert_string_equal(s, "12345678");
	free(s);
	custos_buf_init(&b, 8);
	s = custos_buf_detach(&b); /* an empty buffer detaches as "" */
	assert_string_equal(s, "");
	free(s);
}

/* What jansson's compact dump makes of `s` as a JSON string, beside custos_buf_json_string's. */
static void check_json_string(const char *s)
{
	json_t *j = json_string(s);
	char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	custos_buf b;
	assert_non_null(want);
	custos_buf_init(&b, 256);
	assert_int_equal(custos_buf_json_string(&b, s), 0);
	if (strcmp(b.ptr, want) != 0)
		fail_msg("%s, jansson %s", b.ptr, want);
	custos_buf_dispose(&b);
	free(want);
	json_decref(j);
}

/*
 * custos_buf_json_string writes what jansson's dump writes: every ASCII byte
 * at every position of a string long enough for the 8-byte scan, and UTF-8.
 */
static void test_buf_json_string(void **state)
{
	const char *wide[] = {"", "caf\xc3\xa9", "\xe2\x80\xa8 line separator", "\xf0\x9f\x94\x92 \\/\"", "tel:+32*",
			      "\x01\x1f\"\"\\\\\n\n\t\t\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"};
	(void)state;
	for (int c = 1; c < 0x80; c++)
		for (size_t at = 0; at < 19; at++) {
			char s[20];
			memset(s, 'x', sizeof(s) - 1);
			s[at] = (char)c;
			s[sizeof(s) - 1] = 0;
			check_json_string(s);
		}
	for (size_t i = 0; i < sizeof(wide) / sizeof(*wide); i++)
		check_json_string(wide[i]);
}

static void test_array_reserve(void **state)
{
	int *v = NULL;
	size_t cap = 0, n = 0;
	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(custos_array_reserve(&v, &cap, n, sizeof(*v), 4), 0);
		v[n++] = i;
	}
	assert_true(cap >= 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	assert_int_equal(custos_array_reserve(&v, &cap, cap, SIZE_MAX / 2, 4), CUSTOS_ENOMEM);
	assert_int_equal(v[999], 999); /* left as it was */
	free(v);
}

static void test_sha256(void **state)
{
	uint8_t d[32];
	char label[72];
	(void)state;
	custos_sha256(d, "abc", 3); /* FIPS 180-2 example */
	custos_sha256_label(label, d);
	assert_string_equal(label, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	custos_sha256(d, "", 0);
	custos_sha256_label(label, d);
	assert_string_equal(label, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_dates(void **state)
{
	custos_date d, e;
	char buf[11];
	(void)state;
	assert_int_equal(custos_date_parse(&d, "1970-01-01"), 0);
	assert_int_equal(d, 0);
	assert_int_equal(custos_date_parse(&d, "2024-02-29"), 0); /* leap year */
	assert_int_equal(custos_date_parse(&e, "2024-03-01"), 0);
	assert_int_equal(e - d, 1);
	assert_int_equal(custos_date_parse(&d, "2000-02-29"), 0);    /* divisible by 400 */
	assert_int_not_equal(custos_date_parse(&d, "1900-02-29"), 0); /* divisible by 100 */
	assert_int_not_equal(custos_date_parse(&d, "2026-02-29"), 0);
	assert_int_not_equal(custos_date_parse(&d, "2026-04-31"), 0);
	assert_int_not_equal(custos_date_parse(&d, "2026-1-01"), 0);
	assert_int_not_equal(custos_date_parse(&d, "2026-01-01T00"), 0);
	assert_int_not_equal(custos_date_parse(&d, ""), 0);
	assert_int_not_equal(custos_date_parse(&d, NULL), 0);
	assert_int_equal(custos_date_parse(&d, "2026-11-24"), 0);
	custos_date_format(buf, d);
	assert_string_equal(buf, "2026-11-24");
	custos_date_format(buf, d + 38);
	assert_string_equal(buf, "2027-01-01");
}

/* The clock: pinned to an instant, shifted, refused when malformed (and the clock left as it was). */
static void test_clock(void **state)
{
	char buf[21], day[11];
	int64_t t0;
	(void)state;
	assert_int_equal(custos_clock_pin("2030-06-15T23:59:59Z"), 0);
	custos_date_format(day, custos_date_today());
	assert_string_equal(day, "2030-06-15");
	assert_int_equal(custos_time_now(buf), 0);
	assert_string_equal(buf, "2030-06-15T23:59:59Z");
	/* malformed settings name themselves and change nothing */
	static const char *const bad[] = {"2030-06-15", "+", "+400", "400d", "+400y", "+4x0d", "+1234567890d", "tomorrow", "+1d "};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(custos_clock_pin(bad[i]), CUSTOS_EINVALID);
		assert_non_null(strstr(custos_error_last(), bad[i]));
		assert_int_equal(custos_time_now(buf), 0);
		assert_string_equal(buf, "2030-06-15T23:59:59Z");
	}
	/* a shift runs with the system clock */
	assert_int_equal(custos_clock_pin(NULL), 0);
	t0 = custos_clock_now();
	assert_int_equal(custos_clock_pin("+400d"), 0);
	assert_true(custos_clock_now() - t0 >= 400 * 86400 && custos_clock_now() - t0 <= 400 * 86400 + 5);
	assert_int_equal(custos_clock_pin("-2h"), 0);
	assert_true(t0 - custos_clock_now() >= 7200 - 5 && t0 - custos_clock_now() <= 7200);
	assert_int_equal(custos_clock_pin("+90s"), 0);
	assert_true(custos_clock_now() - t0 >= 90 && custos_clock_now() - t0 <= 95);
	assert_int_equal(custos_clock_pin(""), 0);
	assert_true(custos_clock_now() - t0 >= 0 && custos_clock_now() - t0 <= 5);
}

static void test_vocabulary(void **state)
{
	custos_category c;
	custos_role r;
	(void)state;
	for (int i = 0; i < CUSTOS_CAT__COUNT; i++) {
		assert_int_equal(custos_category_from_name(&c, custos_category_name((custos_category)i)), 0);
		assert_int_equal(c, i);
	}
	for (int i = 0; i < CUSTOS_ROLE__COUNT; i++) {
		assert_int_equal(custos_role_from_name(&r, custos_role_name((custos_role)i)), 0);
		assert_int_equal(r, i);
	}
	assert_int_equal(custos_category_from_name(&c, "diplomat"), CUSTOS_EINVALID);
	assert_int_equal(custos_role_from_name(&r, NULL), CUSTOS_EINVALID);
	assert_true(custos_country_valid("BE"));
	assert_false(custos_country_valid("be"));
	assert_false(custos_country_valid("BEL"));
	assert_false(custos_country_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_prefix), cmocka_unit_test(test_buf_ceiling),
		cmocka_unit_test(test_buf_json_string),
		cmocka_unit_test(test_array_reserve), cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_dates), cmocka_unit_test(test_clock),	     cmocka_unit_test(test_vocabulary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
