/* test_registry_json.c — the registry line codec and the all-or-nothing import/export through a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "custos/error.h"
#include "custos/registry.h"
#include "custos/store.h"
#include "util/util.h"

static char tmpdir[256];
static int db_counter;

#define EXAMPLE                                                                                                        \
	"{\"id\": \"P-17\", \"category\": \"diplomatic_agent\", \"name\": \"Ahmed Ould Mohamed\",\n"                   \
	" \"sending_state\": \"MR\", \"nationality\": \"MR\", \"permanent_resident\": false,"                          \
	" \"valid_from\": \"2016-09-01\", \"valid_to\": null, \"mission\": \"M-MR\","                                 \
	" \"country_of_origin\": null,"                                                                                \
	" \"selectors\": [\"mailto:Ambassador@Example-Embassy.BE\", \"tel:+32 2 736 00 00\"]}"

#define EXAMPLE_CANON                                                                                                  \
	"{\"id\":\"P-17\",\"category\":\"diplomatic_agent\",\"name\":\"Ahmed Ould Mohamed\","                          \
	"\"sending_state\":\"MR\",\"nationality\":\"MR\",\"permanent_resident\":false,"                                \
	"\"valid_from\":\"2016-09-01\",\"valid_to\":null,\"mission\":\"M-MR\",\"country_of_origin\":null,"           \
	"\"waiver\":null,\"selectors\":[\"mailto:ambassador@example-embassy.be\",\"tel:+3227360000\"]}"

/* Decodes s (expecting success) and returns its encoding (malloc'd). */
static char *canon(const char *s)
{
	custos_party p;
	char *out = NULL;
	int rc = custos_party_decode(&p, s, strlen(s));
	if (rc)
		fail_msg("decode failed: %s", custos_error_last());
	assert_int_equal(custos_party_encode(&out, &p), 0);
	custos_party_dispose(&p);
	return out;
}

/* A clock that reads before 1970: what custos_time_now refuses (a failing append, on purpose). */
static int64_t broken_clock(void *ctx)
{
	(void)ctx;
	return -1;
}

/* Decodes s expecting failure with `code` and a message holding `needle`. */
static void expect_error(const char *s, int code, const char *needle)
{
	custos_party p;
	int rc = custos_party_decode(&p, s, strlen(s));
	if (rc != code || !strstr(custos_error_last(), needle))
		fail_msg("decoding %s: got %d '%s', wanted %d with '%s'", s, rc, custos_error_last(), code, needle);
	assert_null(p.id);
	assert_null(p.selectors);
}

static void test_decode_example(void **state)
{
	custos_party p;
	char from[11];
	assert_int_equal(custos_party_decode(&p, EXAMPLE, strlen(EXAMPLE)), 0);
	assert_string_equal(p.id, "P-17");
	assert_int_equal(p.category, CUSTOS_CAT_DIPLOMATIC_AGENT);
	assert_string_equal(p.name, "Ahmed Ould Mohamed");
	assert_string_equal(p.sending_state, "MR");
	assert_string_equal(p.nationality, "MR");
	assert_false(p.permanent_resident);
	custos_date_format(from, p.valid_from);
	assert_string_equal(from, "2016-09-01");
	assert_int_equal(p.valid_to, CUSTOS_DATE_NONE);
	assert_string_equal(p.mission, "M-MR");
	assert_string_equal(p.country_of_origin, "");
	assert_null(p.waiver);
	assert_int_equal(p.nselectors, 2);
	assert_int_equal(p.selectors[0].kind, CUSTOS_SEL_EMAIL);
	assert_string_equal(p.selectors[1].text, "tel:+3227360000");
	custos_party_dispose(&p);
}

static void test_encode_canonical(void **state)
{
	char *c = canon(EXAMPLE), *c2;
	assert_string_equal(c, EXAMPLE_CANON);
	c2 = canon(c); /* the canonical form is a fixed point */
	assert_string_equal(c2, c);
	free(c);
	free(c2);

	/* Minimal entry, keys in another order: every key present, in canonical order. */
	c = canon("{\"category\":\"refugee\",\"id\":\"R.1_a\",\"country_of_origin\":\"KZ\",\"permanent_resident\":true,"
		  "\"waiver\":\"W-1\",\"selectors\":null}");
	assert_string_equal(c, "{\"id\":\"R.1_a\",\"category\":\"refugee\",\"name\":null,\"sending_state\":null,"
			       "\"nationality\":null,\"permanent_resident\":true,\"valid_from\":null,\"valid_to\":null,"
			       "\"mission\":null,\"country_of_origin\":\"KZ\",\"waiver\":\"W-1\",\"selectors\":[]}");
	free(c);

	/* UTF-8 is kept as is; duplicates after normalisation go, the first stays. */
	c = canon("{\"id\":\"J\",\"category\":\"journalist\",\"name\":\"Zoë Ł\\u00e9\",\"selectors\":"
		  "[\"name:Zoë  Łé\",\"tel:+3225551234\",\"name:ZOË ŁÉ\",\"E164Number:+32 2 555 12 34\"]}");
	assert_string_equal(c, "{\"id\":\"J\",\"category\":\"journalist\",\"name\":\"Zoë Łé\",\"sending_state\":null,"
			       "\"nationality\":null,\"permanent_resident\":false,\"valid_from\":null,\"valid_to\":null,"
			       "\"mission\":null,\"country_of_origin\":null,\"waiver\":null,"
			       "\"selectors\":[\"name:Zoë Łé\",\"tel:+3225551234\"]}");
	free(c);

	/* Same dates on both ends are fine. */
	c = canon("{\"id\":\"D\",\"category\":\"mep\",\"valid_from\":\"2024-02-29\",\"valid_to\":\"2024-02-29\"}");
	assert_non_null(strstr(c, "\"valid_from\":\"2024-02-29\",\"valid_to\":\"2024-02-29\""));
	free(c);
}

/* aliases and born: written only when given, after every other key, and read back byte for byte. */
static void test_aliases_born(void **state)
{
	static const char line[] =
		"{\"id\":\"R-1\",\"category\":\"refugee\",\"name\":\"Moukhtar Abliazov\",\"sending_state\":null,"
		"\"nationality\":\"KZ\",\"permanent_resident\":true,\"valid_from\":null,\"valid_to\":null,"
		"\"mission\":null,\"country_of_origin\":\"KZ\",\"waiver\":null,\"selectors\":[],"
		"\"aliases\":[\"\xd0\x9c\xd1\x83\xd1\x85\xd1\x82\xd0\xb0\xd1\x80 \xd0\x90\xd0\xb1\xd0\xbb\xd1\x8f\xd0\xb7\xd0\xbe\xd0\xb2\","
		"\"Mukhtar Ablyazov\"],\"born\":\"1963-05-16\"}";
	char *out;
	(void)state;
	out = canon(line);
	assert_string_equal(out, line);
	free(out);
	/* an empty list of aliases is no aliases: the line is as it was before aliases existed */
	out = canon("{\"id\":\"R-2\",\"category\":\"refugee\",\"aliases\":[]}");
	assert_null(strstr(out, "aliases"));
	assert_null(strstr(out, "born"));
	free(out);
	expect_error("{\"id\":\"R-3\",\"category\":\"refugee\",\"aliases\":\"x\"}", CUSTOS_EINVALID,
		     "aliases: expected an array of strings");
	expect_error("{\"id\":\"R-3\",\"category\":\"refugee\",\"aliases\":[\"A  B\"]}", CUSTOS_EINVALID,
		     "aliases[0]: write the name with single spaces");
	expect_error("{\"id\":\"R-3\",\"category\":\"refugee\",\"aliases\":[\"---\"]}", CUSTOS_EINVALID,
		     "aliases[0]: name:---: the name has no letters to match");
	expect_error("{\"id\":\"R-3\",\"category\":\"refugee\",\"born\":\"1963-5-16\"}", CUSTOS_EINVALID,
		     "born: '1963-5-16' is not a date");
}

static void test_decode_errors(void **state)
{
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"colour\":\"red\"}", CUSTOS_EINVALID, "unknown field 'colour'");
	expect_error("{\"category\":\"mep\"}", CUSTOS_EINVALID, "id: required field missing");
	expect_error("{\"id\":\"P\"}", CUSTOS_EINVALID, "category: required field missing");
	expect_error("{\"id\":\"P\",\"category\":\"king\"}", CUSTOS_EINVALID, "category: unknown category 'king'");
	expect_error("{\"id\":\"P\",\"category\":null}", CUSTOS_EINVALID, "category: expected a string, got null");
	expect_error("{\"id\":\"P Q\",\"category\":\"mep\"}", CUSTOS_EINVALID, "id: 'P Q' may hold only");
	expect_error("{\"id\":\"\",\"category\":\"mep\"}", CUSTOS_EINVALID, "id: must be 1 to 64");
	expect_error("{\"id\":\"x1234567890123456789012345678901234567890123456789012345678901234\",\"category\":"
		     "\"mep\"}",
		     CUSTOS_EINVALID, "id: must be 1 to 64");
	expect_error("{\"id\":17,\"category\":\"mep\"}", CUSTOS_EINVALID, "id: expected a string, got a number");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"valid_from\":\"2024-02-30\"}", CUSTOS_EINVALID,
		     "valid_from: '2024-02-30' is not a date YYYY-MM-DD");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"valid_to\":\"1/2/2024\"}", CUSTOS_EINVALID,
		     "valid_to: '1/2/2024' is not a date");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"valid_to\":20240101}", CUSTOS_EINVALID,
		     "valid_to: expected a date YYYY-MM-DD or null, got a number");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"valid_from\":\"2024-03-01\",\"valid_to\":\"2024-02-01\"}",
		     CUSTOS_EINVALID, "valid_to: 2024-02-01 is before valid_from 2024-03-01");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"nationality\":\"be\"}", CUSTOS_EINVALID,
		     "nationality: 'be' is not an ISO 3166 alpha-2 code");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"sending_state\":\"BEL\"}", CUSTOS_EINVALID,
		     "sending_state: 'BEL' is not");
	expect_error("{\"id\":\"P\",\"category\":\"refugee\",\"country_of_origin\":1}", CUSTOS_EINVALID,
		     "country_of_origin: expected an ISO 3166 alpha-2 code or null, got a number");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"permanent_resident\":\"yes\"}", CUSTOS_EINVALID,
		     "permanent_resident: expected true or false, got a string");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"name\":[\"a\"]}", CUSTOS_EINVALID,
		     "name: expected a string or null, got an array");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"mission\":{}}", CUSTOS_EINVALID,
		     "mission: expected a string or null, got an object");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"waiver\":\"\"}", CUSTOS_EINVALID,
		     "waiver: must not be empty (use null)");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"selectors\":\"tel:+3225551234\"}", CUSTOS_EINVALID,
		     "selectors: expected an array of strings, got a string");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"selectors\":[\"tel:+3225551234\",true]}", CUSTOS_EINVALID,
		     "selectors[1]: expected a string, got a boolean");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"selectors\":[\"tel:+3225551234\",\"domain:x.org\","
		     "\"bogus\"]}",
		     CUSTOS_EINVALID, "selectors[2]: ");
	expect_error("[1,2]", CUSTOS_EINVALID, "expected one JSON object, got an array");
	expect_error("\"P-1\"", CUSTOS_EINVALID, "expected one JSON object, got a string");
	expect_error("{\"id\":\"P\",\"category\":\"mep\"} {\"id\":\"Q\"}", CUSTOS_EINVALID, "invalid JSON at column");
	expect_error("{\"id\":\"P\",\"category\":\"mep\"} x", CUSTOS_EINVALID, "invalid JSON");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",}", CUSTOS_EINVALID, "invalid JSON at column");
	expect_error("{\"id\":\"P\",\"id\":\"Q\",\"category\":\"mep\"}", CUSTOS_EINVALID, "duplicate");
	expect_error("", CUSTOS_EINVALID, "invalid JSON");
	expect_error("{\"id\":\"P\",\"category\":\"mep\",\"name\":\"\xff\"}", CUSTOS_EINVALID, "invalid JSON");
}

static void test_decode_limit(void **state)
{
	size_t n = CUSTOS_REGISTRY_LINE_MAX + 1;
	char *big = malloc(n + 1);
	custos_party p;
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	assert_int_equal(custos_party_decode(&p, big, n), CUSTOS_ELIMIT);
	free(big);
}

/* --- import / export through a real store --------------------------------------------------------------------- */

static custos_store *open_new(void)
{
	char path[512];
	custos_store *st = NULL;
	snprintf(path, sizeof(path), "%s/r%d.db", tmpdir, ++db_counter);
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	return st;
}

static char *export_all(custos_store *st)
{
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(custos_registry_export(st, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	return out;
}

static const char FILE1[] = "{\"id\":\"P-2\",\"category\":\"mep\",\"name\":\"B\",\"selectors\":[\"mailto:b@ep.europa.eu\"]}\n"
			    "\n"
			    "   \r\n"
			    "{\"id\":\"P-1\",\"category\":\"diplomatic_agent\",\"sending_state\":\"QA\","
			    "\"selectors\":[\"domain:Embassy-QA.example\"]}\r\n"
			    "{\"id\":\"P-3\",\"category\":\"refugee\",\"country_of_origin\":\"KZ\","
			    "\"valid_from\":\"2020-01-01\"}";

typedef struct last_event {
	int64_t n;
	char type[64], actor[64], payload[4096];
} last_event;

static int grab_event(void *ctx, const custos_store_event *e)
{
	last_event *l = ctx;
	l->n++;
	snprintf(l->type, sizeof(l->type), "%s", e->type);
	snprintf(l->actor, sizeof(l->actor), "%s", e->actor ? e->actor : "(null)");
	snprintf(l->payload, sizeof(l->payload), "%s", e->payload);
	return 0;
}

static void test_import_export(void **state)
{
	custos_store *st = open_new();
	size_t count = 99;
	char *out, *out2, *line = NULL, hash[72], want[256];
	last_event ev = {0};
	uint8_t d[32];

	assert_int_equal(custos_clock_pin("2026-11-24T10:00:00Z"), 0);
	assert_int_equal(custos_registry_import(st, FILE1, strlen(FILE1), "parties.jsonl", "registrar", &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(custos_store_party_count(st), 3);

	out = export_all(st);
	assert_string_equal(
		out, "{\"id\":\"P-1\",\"category\":\"diplomatic_agent\",\"name\":null,\"sending_state\":\"QA\","
		     "\"nationality\":null,\"permanent_resident\":false,\"valid_from\":null,\"valid_to\":null,"
		     "\"mission\":null,\"country_of_origin\":null,\"waiver\":null,\"selectors\":[\"domain:embassy-qa.example\"]}\n"
		     "{\"id\":\"P-2\",\"category\":\"mep\",\"name\":\"B\",\"sending_state\":null,\"nationality\":null,"
		     "\"permanent_resident\":false,\"valid_from\":null,\"valid_to\":null,\"mission\":null,"
		     "\"country_of_origin\":null,\"waiver\":null,\"selectors\":[\"mailto:b@ep.europa.eu\"]}\n"
		     "{\"id\":\"P-3\",\"category\":\"refugee\",\"name\":null,\"sending_state\":null,\"nationality\":null,"
		     "\"permanent_resident\":false,\"valid_from\":\"2020-01-01\",\"valid_to\":null,\"mission\":null,"
		     "\"country_of_origin\":\"KZ\",\"waiver\":null,\"selectors\":[]}\n");

	/*
	 * The event records the source, the ids in file order, the hash of the
	 * registry after import, and the canonical lines it set (what log verify
	 * replays the parties table from).
	 */
	assert_int_equal(custos_store_event_each(st, grab_event, &ev), 0);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.type, "registry.import");
	assert_string_equal(ev.actor, "registrar");
	custos_sha256(d, out, strlen(out));
	custos_sha256_label(hash, d);
	{
		const char *l1 = out, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
		json_t *e = json_pack("{s:s, s:i, s:[sss], s:s, s:[s#s#s#]}", "source", "parties.jsonl", "count", 3, "ids",
				      "P-2", "P-1", "P-3", "registry_hash", hash, "parties", l2, (int)(strchr(l2, '\n') - l2),
				      l1, (int)(strchr(l1, '\n') - l1), l3, (int)(strchr(l3, '\n') - l3));
		char *w = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
		assert_string_equal(ev.payload, w);
		free(w);
		json_decref(e);
	}
	assert_int_equal(custos_registry_store_hash(st, want), 0);
	assert_string_equal(want, hash);

	/* export -> import -> export is byte-identical (in a fresh store too). */
	custos_store *st2 = open_new();
	assert_int_equal(custos_registry_import(st2, out, strlen(out), "export", NULL, &count), 0);
	out2 = export_all(st2);
	assert_string_equal(out2, out);
	free(out2);
	custos_store_close(st2);
	assert_int_equal(custos_registry_import(st, out, strlen(out), "export", NULL, NULL), 0);
	out2 = export_all(st);
	assert_string_equal(out2, out);
	free(out2);
	assert_int_equal(custos_store_event_count(st), 2);

	/* show */
	assert_int_equal(custos_registry_show(st, "P-3", &line), 0);
	assert_non_null(strstr(line, "\"country_of_origin\":\"KZ\""));
	assert_null(strchr(line, '\n'));
	free(line);
	assert_int_equal(custos_registry_show(st, "P-404", &line), CUSTOS_ENOTFOUND);
	assert_string_equal(custos_error_last(), "no party 'P-404'");

	/* An import replaces a party with the same id. */
	const char upd[] = "{\"id\":\"P-3\",\"category\":\"refugee\",\"country_of_origin\":\"UZ\"}\n";
	assert_int_equal(custos_registry_import(st, upd, strlen(upd), "upd", NULL, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(custos_store_party_count(st), 3);
	assert_int_equal(custos_registry_show(st, "P-3", &line), 0);
	assert_non_null(strstr(line, "\"country_of_origin\":\"UZ\""));
	free(line);

	free(out);
	custos_store_close(st);
	custos_clock_set(NULL, NULL);
}

/* Imports `text` expecting failure with `code` and `needle`, and checks that nothing changed. */
static void expect_import_error(custos_store *st, const char *text, int code, const char *needle)
{
	char *before = export_all(st), *after;
	int64_t events = custos_store_event_count(st);
	size_t count = 7;
	int rc = custos_registry_import(st, text, strlen(text), "bad.jsonl", "x", &count);
	if (rc != code || !strstr(custos_error_last(), needle))
		fail_msg("import: got %d '%s', wanted %d with '%s'", rc, custos_error_last(), code, needle);
	assert_int_equal(count, 0);
	after = export_all(st);
	assert_string_equal(after, before);
	assert_int_equal(custos_store_event_count(st), events);
	free(before);
	free(after);
}

static void test_import_all_or_nothing(void **state)
{
	custos_store *st = open_new();
	const char good[] = "{\"id\":\"P-1\",\"category\":\"mep\"}\n";
	assert_int_equal(custos_registry_import(st, good, strlen(good), "good", NULL, NULL), 0);

	expect_import_error(st,
			    "{\"id\":\"P-5\",\"category\":\"mep\"}\n"
			    "{\"id\":\"P-6\",\"category\":\"mep\"}\n"
			    "{\"id\":\"P-7\",\"category\":\"mep\",\"valid_from\":\"2024-13-01\"}\n"
			    "{\"id\":\"P-8\",\"category\":\"mep\"}\n",
			    CUSTOS_EINVALID, "bad.jsonl:3: valid_from: '2024-13-01' is not a date");
	/* Blank lines count in the numbering. */
	expect_import_error(st, "\n{\"id\":\"P-5\",\"category\":\"mep\"}\n\n{\"id\":\"P-6\",\"category\":\"spy\"}\n",
			    CUSTOS_EINVALID, "bad.jsonl:4: category: unknown category 'spy'");
	expect_import_error(st,
			    "{\"id\":\"P-5\",\"category\":\"mep\"}\n"
			    "{\"id\":\"P-6\",\"category\":\"mep\"}\n"
			    "{\"id\":\"P-5\",\"category\":\"lawyer\"}\n",
			    CUSTOS_EINVALID, "bad.jsonl:3: id: 'P-5' is also the id of line 1");
	/* A duplicate before a malformed line is the first bad line. */
	expect_import_error(st,
			    "{\"id\":\"A\",\"category\":\"mep\"}\n"
			    "{\"id\":\"A\",\"category\":\"mep\"}\n"
			    "not json\n",
			    CUSTOS_EINVALID, "bad.jsonl:2: id: 'A' is also the id of line 1");
	expect_import_error(st,
			    "{\"id\":\"A\",\"category\":\"mep\"}\n"
			    "not json\n"
			    "{\"id\":\"A\",\"category\":\"mep\"}\n",
			    CUSTOS_EINVALID, "bad.jsonl:2: invalid JSON at column");
	expect_import_error(st, "{\"id\":\"P-9\",\"category\":\"mep\",\"selectors\":[\"mailto:a@b.org\",\"tel:abc\"]}\n",
			    CUSTOS_EINVALID, "bad.jsonl:1: selectors[1]: ");
	expect_import_error(st, "{\"id\":\"P-9\",\"category\":\"mep\"}\n{\"id\":\"P-10\",\"category\":\"mep\"", CUSTOS_EINVALID,
			    "bad.jsonl:2: invalid JSON");

	/* A line over the ceiling. */
	size_t n = CUSTOS_REGISTRY_LINE_MAX + 10;
	char *big = malloc(n + 64);
	assert_non_null(big);
	int k = snprintf(big, 64, "{\"id\":\"P-5\",\"category\":\"mep\"}\n{\"name\":\"");
	memset(big + k, 'a', n);
	memcpy(big + k + n, "\"}\n", 4);
	expect_import_error(st, big, CUSTOS_ELIMIT, "bad.jsonl:2: line longer than");
	free(big);

	assert_int_equal(custos_store_party_count(st), 1);
	custos_store_close(st);
}

/* An import that fails inside the transaction (a write refused by the store) leaves nothing behind. */
static void test_import_rollback(void **state)
{
	custos_store *st = open_new();
	char *before, *after;
	const char text[] = "{\"id\":\"P-1\",\"category\":\"mep\"}\n";
	before = export_all(st);
	custos_clock_set(broken_clock, NULL); /* event_append fails after the parties were written */
	assert_int_equal(custos_registry_import(st, text, strlen(text), "f", NULL, NULL), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "the clock reads"));
	custos_clock_set(NULL, NULL);
	after = export_all(st);
	assert_string_equal(after, before);
	assert_int_equal(custos_store_party_count(st), 0);
	assert_int_equal(custos_store_event_count(st), 0);
	free(before);
	free(after);
	/* The store is usable afterwards (no transaction left open). */
	assert_int_equal(custos_registry_import(st, text, strlen(text), "f", NULL, NULL), 0);
	assert_int_equal(custos_store_party_count(st), 1);
	custos_store_close(st);
}

static void test_import_empty(void **state)
{
	custos_store *st = open_new();
	size_t count = 5;
	assert_int_equal(custos_registry_import(st, "\n\n", 2, "empty", NULL, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(custos_store_event_count(st), 1);
	custos_store_close(st);
}

static void test_load(void **state)
{
	custos_store *st = open_new();
	custos_registry *reg = NULL;
	assert_int_equal(custos_registry_import(st, FILE1, strlen(FILE1), "f", NULL, NULL), 0);
	assert_int_equal(custos_registry_load(st, &reg), 0);
	assert_non_null(reg);
	assert_int_equal(custos_registry_count(reg), 3);
	/* The in-memory registry and the store agree on the registry hash. */
	char hash[72];
	assert_int_equal(custos_registry_store_hash(st, hash), 0);
	assert_string_equal(custos_registry_hash(reg), hash);
	custos_registry_free(reg);

	/* A stored line that no longer decodes names the party. */
	assert_int_equal(custos_store_party_put(st, "P-9", "{\"id\":\"P-9\"}"), 0);
	assert_int_equal(custos_registry_load(st, &reg), CUSTOS_EINVALID);
	assert_null(reg);
	assert_non_null(strstr(custos_error_last(), "stored party 'P-9': category: required field missing"));
	custos_store_close(st);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/custos-reg-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_example),	  cmocka_unit_test(test_encode_canonical),
		cmocka_unit_test(test_aliases_born), cmocka_unit_test(test_decode_errors),	  cmocka_unit_test(test_decode_limit),
		cmocka_unit_test(test_import_export),	  cmocka_unit_test(test_import_all_or_nothing),
		cmocka_unit_test(test_import_rollback),	  cmocka_unit_test(test_import_empty),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
