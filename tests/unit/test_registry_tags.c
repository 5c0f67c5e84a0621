/* test_registry_tags.c — the registry index built with 2-bit slot tags: every look-up is told apart by its key bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*
 * The registry's own code, compiled here with tags of two bits (1 or 3):
 * nearly every slot of a cluster carries the probe's tag, so a look-up finds
 * the right entry, or none, only by comparing keys. Production tags are 32
 * bits and such a collision is one in two billion: this is its test.
 */
#define CUSTOS_SLOT_TAG_MASK 0x3u
#include "registry/registry.c"

#define NPARTIES 3000

static const char *const FIRST[] = {"Karim", "Zoe", "Mukhtar", "Ahmed", "Olga", "Ivan", "Sara", "Jean"};

/* The text of selector j of party i (4 per party: tel, mailto, ip, name); a different set when absent is set. */
static void sel_text(char *out, size_t cap, size_t i, unsigned j, int absent)
{
	switch (j) {
	case 0:
		snprintf(out, cap, "tel:+32%d%07zu", absent ? 3 : 2, i);
		break;
	case 1:
		snprintf(out, cap, "mailto:%s%zu@example.be", absent ? "q" : "p", i);
		break;
	case 2:
		snprintf(out, cap, "ip:10.%d.%zu.%zu", absent ? 2 : 1, i / 256, i % 256);
		break;
	default: {
		/* a surname spelling the party's number in syllables of eight consonants that no transliteration
		 * confuses and one vowel, so no two surnames are the same name to the matcher */
		static const char cons[] = "bdklmnrt";
		char sur[16];
		size_t v = i + (absent ? NPARTIES : 0), k = 0;
		for (unsigned d = 0; d < 5; d++, v /= 8) {
			sur[k++] = cons[v % 8];
			sur[k++] = 'a';
		}
		sur[k] = '\0';
		snprintf(out, cap, "name:%s Q%sov", FIRST[i % 8], sur);
	}
	}
}

static void parse_into(custos_selector *s, const char *text)
{
	int rc = custos_selector_parse(s, text, strlen(text));
	if (rc)
		print_error("%s: %s\n", text, custos_error_last());
	assert_int_equal(rc, CUSTOS_OK);
}

static custos_registry *build(void)
{
	custos_party *ps = calloc(NPARTIES, sizeof(*ps));
	custos_registry *reg;
	char id[32], text[96];
	assert_non_null(ps);
	for (size_t i = 0; i < NPARTIES; i++) {
		snprintf(id, sizeof(id), "T-%05zu", i);
		ps[i].id = strdup(id);
		ps[i].category = CUSTOS_CAT_DIPLOMATIC_AGENT;
		ps[i].valid_from = ps[i].valid_to = CUSTOS_DATE_NONE;
		ps[i].selectors = calloc(4, sizeof(custos_selector));
		for (unsigned j = 0; j < 4; j++) {
			sel_text(text, sizeof(text), i, j, 0);
			parse_into(&ps[i].selectors[ps[i].nselectors++], text);
		}
	}
	assert_int_equal(custos_registry_new(&reg, ps, NPARTIES), CUSTOS_OK);
	return reg;
}

typedef struct seen {
	size_t n, party, sel;
} seen;

static void one(void *ctx, size_t party, size_t sel)
{
	seen *s = ctx;
	s->n++;
	s->party = party;
	s->sel = sel;
}

typedef struct batch_seen {
	seen *by_query;
} batch_seen;

static void batch_one(void *ctx, size_t query, size_t party, size_t sel)
{
	one(&((batch_seen *)ctx)->by_query[query], party, sel);
}

#define NQUERIES ((size_t)NPARTIES * 4)

/* The NQUERIES selectors of every party, in order (query q is selector q % 4 of party q / 4), or their absent twins. */
static custos_selector *queries(int absent)
{
	custos_selector *qs = calloc(NQUERIES, sizeof(*qs));
	char text[96];
	assert_non_null(qs);
	for (size_t q = 0; q < NQUERIES; q++) {
		sel_text(text, sizeof(text), q / 4, (unsigned)(q % 4), absent);
		parse_into(&qs[q], text);
	}
	return qs;
}

static void queries_free(custos_selector *qs)
{
	for (size_t q = 0; q < NQUERIES; q++)
		custos_selector_dispose(&qs[q]);
	free(qs);
}

/* Every selector of every party finds that party and selector alone, one at a time and in a batch. */
static void test_present_keys_find_their_own(void **state)
{
	custos_registry *reg = build();
	size_t n = NQUERIES;
	custos_selector *qs = queries(0);
	batch_seen bs = {calloc(n, sizeof(seen))};
	(void)state;
	assert_non_null(bs.by_query);
	for (size_t q = 0; q < n; q++) {
		seen s = {0, 0, 0};
		const custos_party *p;
		custos_registry_match(reg, &qs[q], one, &s);
		if (s.n != 1)
			print_error("query %zu (%s): %zu matches\n", q, qs[q].text, s.n);
		assert_int_equal(s.n, 1);
		p = custos_registry_party(reg, s.party);
		assert_int_equal(s.party, q / 4);
		assert_string_equal(p->selectors[s.sel].text, qs[q].text);
	}
	assert_int_equal(custos_registry_match_batch(reg, qs, n, batch_one, &bs), n);
	for (size_t q = 0; q < n; q++) {
		assert_int_equal(bs.by_query[q].n, 1);
		assert_int_equal(bs.by_query[q].party, q / 4);
		assert_int_equal(bs.by_query[q].sel, q % 4);
	}
	queries_free(qs);
	free(bs.by_query);
	custos_registry_free(reg);
}

/* Selectors of the same kinds that no party has find nothing, though their tags match many slots. */
static void test_absent_keys_find_nothing(void **state)
{
	custos_registry *reg = build();
	size_t n = NQUERIES, single = 0;
	custos_selector *qs = queries(1);
	batch_seen bs = {calloc(n, sizeof(seen))};
	(void)state;
	assert_non_null(bs.by_query);
	for (size_t q = 0; q < n; q++) {
		seen s = {0, 0, 0};
		custos_registry_match(reg, &qs[q], one, &s);
		if (s.n)
			print_error("absent %s matched party %zu\n", qs[q].text, s.party);
		single += s.n;
	}
	assert_int_equal(single, 0);
	assert_int_equal(custos_registry_match_batch(reg, qs, n, batch_one, &bs), 0);
	queries_free(qs);
	free(bs.by_query);
	custos_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_present_keys_find_their_own),
		cmocka_unit_test(test_absent_keys_find_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
