/* test_screen.c — unit tests for the registry index and screening: containment both ways, dates, dedup, order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/registry.h"

static custos_date D(const char *s)
{
	custos_date d;
	assert_int_equal(custos_date_parse(&d, s), CUSTOS_OK);
	return d;
}

/* Fills party p: id, validity ("" = open) and a NULL-terminated list of selectors. */
static void make_party(custos_party *p, const char *id, const char *from, const char *to, ...)
{
	va_list ap;
	const char *s;
	memset(p, 0, sizeof(*p));
	p->id = strdup(id);
	p->category = CUSTOS_CAT_DIPLOMATIC_AGENT;
	p->valid_from = *from ? D(from) : CUSTOS_DATE_NONE;
	p->valid_to = *to ? D(to) : CUSTOS_DATE_NONE;
	p->selectors = calloc(16, sizeof(custos_selector));
	va_start(ap, to);
	while ((s = va_arg(ap, const char *)) != NULL) {
		int rc = custos_selector_parse(&p->selectors[p->nselectors], s, strlen(s));
		if (rc)
			print_error("%s: %s\n", s, custos_error_last());
		assert_int_equal(rc, CUSTOS_OK);
		p->nselectors++;
	}
	va_end(ap);
}

/* The registry used by most tests. Parties are given out of id order on purpose. */
static custos_registry *fixture(void)
{
	custos_party *ps = calloc(12, sizeof(*ps));
	custos_registry *reg;
	size_t n = 0;
	make_party(&ps[n++], "P-09", "2016-09-01", "", "mailto:ambassador@example-embassy.be", "tel:+3227360000",
		   "name:Ahmed Ould Mohamed", NULL);
	make_party(&ps[n++], "M-01", "2000-01-01", "", "domain:mission.example", "tel:+32255512*", "ip:192.0.2.0/24",
		   "ip:2001:db8:1::/48", "address:Rue de la Loi 16, 1000 Brussels", NULL);
	make_party(&ps[n++], "P-02", "2020-01-01", "2024-06-30", "mailto:consul@sub.mission.example",
		   "tel:+3225551234", "ip:192.0.2.7", "imsi:206011234567890", "imei:490154203237518", NULL);
	make_party(&ps[n++], "P-03", "2030-01-01", "", "domain:deep.sub.mission.example", "ip:198.51.100.9",
		   "tel:+3225559*", "name:Zo\xc3\xab M\xc3\xbcller", NULL);
	make_party(&ps[n++], "P-04", "", "", "party:P-09", "ip:2001:db8:1:2::5", NULL);
	make_party(&ps[n++], "A-00", "", "2010-01-01", "ip:10.0.0.0/8", NULL);
	assert_int_equal(custos_registry_new(&reg, ps, n), CUSTOS_OK);
	return reg;
}

/* Screens `query` with all=1 over an open period and returns "ID=matched-text ..." of the hits. */
static char *screen_str(const custos_registry *reg, const char *query)
{
	static char buf[1024];
	custos_selector s;
	custos_hit *hits;
	size_t n, o = 0;
	assert_int_equal(custos_selector_parse(&s, query, strlen(query)), CUSTOS_OK);
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, CUSTOS_DATE_NONE, CUSTOS_DATE_NONE, 0, 1),
			 CUSTOS_OK);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=%s", i ? " " : "", hits[i].party->id,
				      hits[i].matched->text);
	free(hits);
	custos_selector_dispose(&s);
	return buf;
}

#define SCREEN(q, expect) assert_string_equal(screen_str(reg, q), expect)

static void test_basics(void **state)
{
	custos_registry *reg = fixture();
	(void)state;
	assert_int_equal(custos_registry_count(reg), 6);
	assert_string_equal(custos_registry_party(reg, 0)->id, "A-00");
	assert_string_equal(custos_registry_party(reg, 5)->id, "P-09");
	assert_null(custos_registry_party(reg, 6));
	assert_string_equal(custos_registry_find(reg, "P-03")->id, "P-03");
	assert_null(custos_registry_find(reg, "P-3"));
	assert_int_equal(strncmp(custos_registry_hash(reg), "sha256:", 7), 0);
	assert_int_equal(strlen(custos_registry_hash(reg)), 71);
	custos_registry_free(reg);
}

static void test_exact(void **state)
{
	custos_registry *reg = fixture();
	(void)state;
	SCREEN("mailto:Ambassador@EXAMPLE-embassy.be", "P-09=mailto:ambassador@example-embassy.be");
	SCREEN("mailto:other@example-embassy.be", "");
	SCREEN("tel:+32 2 736 00 00", "P-09=tel:+3227360000");
	SCREEN("tel:+3227360001", "");
	SCREEN("imsi:206011234567890", "P-02=imsi:206011234567890");
	SCREEN("IMEI:49015420323751", "P-02=imei:490154203237518");
	SCREEN("imsi:490154203237518", ""); /* same digits, other kind */
	SCREEN("name:ahmed ould-mohamed", "P-09=name:Ahmed Ould Mohamed");
	SCREEN("name:ZOE MULLER", "P-03=name:Zo\xc3\xab M\xc3\xbcller");
	SCREEN("name:Ahmed Ould", "");
	SCREEN("address:rue de la loi 16 1000 brussels", "M-01=address:Rue de la Loi 16, 1000 Brussels");
	custos_registry_free(reg);
}

static void test_party(void **state)
{
	custos_registry *reg = fixture();
	(void)state;
	/* By id, and through P-04's own party:P-09 selector. */
	SCREEN("party:P-09", "P-04=party:P-09 P-09=party:P-09");
	SCREEN("party:P-03", "P-03=party:P-03");
	SCREEN("party:p-03", "");
	custos_registry_free(reg);
}

static void test_domains(void **state)
{
	custos_registry *reg = fixture();
	(void)state;
	/* Registry domain covers query addresses and domains at or below it. */
	SCREEN("mailto:x@mission.example", "M-01=domain:mission.example");
	SCREEN("mailto:x@a.b.mission.example", "M-01=domain:mission.example");
	/* labels found eight bytes at a time: '@' and dots in one word, long labels and local parts across words */
	SCREEN("mailto:a@mission.example", "M-01=domain:mission.example");
	SCREEN("mailto:averyveryverylonglocalpart@mission.example", "M-01=domain:mission.example");
	SCREEN("mailto:x@abcdefghijklmnopqrstuvwxyz.mission.example", "M-01=domain:mission.example");
	SCREEN("mailto:x.y.z@mission.examplex", "");
	SCREEN("mailto:mission.example@example", "");
	SCREEN("domain:a.b.c.d.e.f.g.h.i.j.deep.sub.mission.example",
	       "M-01=domain:mission.example P-03=domain:deep.sub.mission.example");
	SCREEN("mailto:x@deep.sub.mission.example", "M-01=domain:mission.example P-03=domain:deep.sub.mission.example");
	SCREEN("mailto:consul@sub.mission.example", "M-01=domain:mission.example P-02=mailto:consul@sub.mission.example");
	SCREEN("domain:sub.mission.example",
	       "M-01=domain:mission.example P-02=mailto:consul@sub.mission.example P-03=domain:deep.sub.mission.example");
	SCREEN("domain:mission.example",
	       "M-01=domain:mission.example P-02=mailto:consul@sub.mission.example P-03=domain:deep.sub.mission.example");
	/* Query domain covers registry addresses and domains below it. */
	SCREEN("domain:example", "M-01=domain:mission.example P-02=mailto:consul@sub.mission.example "
				 "P-03=domain:deep.sub.mission.example");
	SCREEN("domain:example-embassy.be", "P-09=mailto:ambassador@example-embassy.be");
	SCREEN("domain:be", "P-09=mailto:ambassador@example-embassy.be");
	/* Label boundaries matter. */
	SCREEN("mailto:x@xmission.example", "");
	SCREEN("domain:embassy.be", "");
	SCREEN("domain:ission.example", "");
	SCREEN("domain:other.example", "");
	custos_registry_free(reg);
}

static void test_phones(void **state)
{
	custos_registry *reg = fixture();
	(void)state;
	/* A number inside a registry range. */
	SCREEN("tel:+3225551299", "M-01=tel:+32255512*");
	SCREEN("tel:+3225551234", "M-01=tel:+32255512* P-02=tel:+3225551234");
	SCREEN("tel:+32255512", "M-01=tel:+32255512*");
	SCREEN("tel:+3225551", "");
	/* A query range covering registry numbers and ranges. */
	SCREEN("tel:+3225551*", "M-01=tel:+32255512* P-02=tel:+3225551234");
	SCREEN("tel:+32*", "M-01=tel:+32255512* P-02=tel:+3225551234 P-03=tel:+3225559* P-09=tel:+3227360000");
	/* A query range inside a registry range, and the same range. */
	SCREEN("tel:+322555123*", "M-01=tel:+32255512* P-02=tel:+3225551234");
	SCREEN("tel:+32255512*", "M-01=tel:+32255512* P-02=tel:+3225551234");
	SCREEN("tel:+33*", "");
	custos_registry_free(reg);
}

static void test_ips(void **state)
{
	custos_registry *reg = fixture();
	(void)state;
	/* An address in a registry network, and the address itself. */
	SCREEN("ip:192.0.2.7", "M-01=ip:192.0.2.0/24 P-02=ip:192.0.2.7");
	SCREEN("ip:192.0.2.8", "M-01=ip:192.0.2.0/24");
	SCREEN("ip:192.0.2.128/25", "M-01=ip:192.0.2.0/24");
	SCREEN("ip:192.0.3.1", "");
	/* A query network holding registry addresses and networks. */
	SCREEN("ip:192.0.0.0/16", "M-01=ip:192.0.2.0/24 P-02=ip:192.0.2.7");
	SCREEN("ip:192.0.2.0/24", "M-01=ip:192.0.2.0/24 P-02=ip:192.0.2.7");
	SCREEN("ip:198.51.100.0/24", "P-03=ip:198.51.100.9");
	SCREEN("ip:0.0.0.0/0", "A-00=ip:10.0.0.0/8 M-01=ip:192.0.2.0/24 P-02=ip:192.0.2.7 P-03=ip:198.51.100.9");
	SCREEN("ip:10.1.2.3", "A-00=ip:10.0.0.0/8");
	/* IPv6 both ways; the families do not mix. */
	SCREEN("ip:2001:db8:1:2::5", "M-01=ip:2001:db8:1::/48 P-04=ip:2001:db8:1:2::5");
	SCREEN("ip:2001:db8::/32", "M-01=ip:2001:db8:1::/48 P-04=ip:2001:db8:1:2::5");
	SCREEN("ip:2001:db8:1:2::/64", "M-01=ip:2001:db8:1::/48 P-04=ip:2001:db8:1:2::5");
	SCREEN("ip:2001:db8:2::1", "");
	SCREEN("ip:::ffff:192.0.2.7", "M-01=ip:192.0.2.0/24 P-02=ip:192.0.2.7"); /* v4-mapped is v4 */
	SCREEN("ip:c000:207::", "");
	custos_registry_free(reg);
}

static void test_dates(void **state)
{
	custos_registry *reg = fixture();
	custos_selector s;
	custos_hit *hits;
	size_t n;
	(void)state;
	/* M-01 (from 2000), P-02 (2020..2024-06-30), P-03 (from 2030), A-00 (until 2010) are all in 0.0.0.0/0. */
	assert_int_equal(custos_selector_parse(&s, "ip:0.0.0.0/0", 12), CUSTOS_OK);
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, D("2024-07-10"), D("2024-08-01"), 30, 1), CUSTOS_OK);
	assert_int_equal(n, 4);
	assert_string_equal(hits[0].party->id, "A-00");
	assert_int_equal(hits[0].status, CUSTOS_STATUS_FORMER);
	assert_string_equal(hits[1].party->id, "M-01");
	assert_int_equal(hits[1].status, CUSTOS_STATUS_ACTIVE);
	assert_string_equal(hits[2].party->id, "P-02");
	assert_int_equal(hits[2].status, CUSTOS_STATUS_GRACE);
	assert_string_equal(hits[3].party->id, "P-03");
	assert_int_equal(hits[3].status, CUSTOS_STATUS_FUTURE);
	free(hits);
	/* all=0 keeps ACTIVE and GRACE only. */
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, D("2024-07-10"), D("2024-08-01"), 30, 0), CUSTOS_OK);
	assert_int_equal(n, 2);
	assert_string_equal(hits[0].party->id, "M-01");
	assert_string_equal(hits[1].party->id, "P-02");
	assert_int_equal(hits[1].status, CUSTOS_STATUS_GRACE);
	free(hits);
	/* The grace ends on valid_to + grace_days inclusive. */
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, D("2024-07-30"), D("2024-08-01"), 30, 1), CUSTOS_OK);
	assert_int_equal(hits[2].status, CUSTOS_STATUS_GRACE);
	free(hits);
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, D("2024-07-31"), D("2024-08-01"), 30, 1), CUSTOS_OK);
	assert_int_equal(hits[2].status, CUSTOS_STATUS_FORMER);
	free(hits);
	/* A period overlapping the last day is ACTIVE; one that ends the day before valid_from is FUTURE. */
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, D("2024-06-30"), D("2024-06-30"), 0, 1), CUSTOS_OK);
	assert_int_equal(hits[2].status, CUSTOS_STATUS_ACTIVE);
	free(hits);
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, D("2019-01-01"), D("2019-12-31"), 0, 1), CUSTOS_OK);
	assert_int_equal(hits[2].status, CUSTOS_STATUS_FUTURE);
	assert_int_equal(hits[0].status, CUSTOS_STATUS_FORMER);
	free(hits);
	/* An open period overlaps everything. */
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, CUSTOS_DATE_NONE, CUSTOS_DATE_NONE, 0, 0), CUSTOS_OK);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hits[i].status, CUSTOS_STATUS_ACTIVE);
	free(hits);
	custos_selector_dispose(&s);
	/* No hit: NULL and 0. */
	assert_int_equal(custos_selector_parse(&s, "imsi:999999", 11), CUSTOS_OK);
	assert_int_equal(custos_registry_screen(&hits, &n, reg, &s, CUSTOS_DATE_NONE, CUSTOS_DATE_NONE, 0, 1), CUSTOS_OK);
	assert_int_equal(n, 0);
	assert_null(hits);
	custos_selector_dispose(&s);
	custos_registry_free(reg);
}

static void count_fn(void *ctx, size_t party, size_t sel)
{
	(void)party;
	(void)sel;
	(*(size_t *)ctx)++;
}

/* One hit per party, its first matching selector in the party's order; match() reports them all. */
static void test_dedup(void **state)
{
	custos_party *ps = calloc(2, sizeof(*ps));
	custos_registry *reg;
	custos_selector s;
	size_t calls = 0;
	(void)state;
	make_party(&ps[0], "Z", "", "", "tel:+3222*", "ip:10.0.0.1", "tel:+32222*", "tel:+3222222", NULL);
	make_party(&ps[1], "B", "", "", "tel:+3222222", NULL);
	assert_int_equal(custos_registry_new(&reg, ps, 2), CUSTOS_OK);
	SCREEN("tel:+3222222", "B=tel:+3222222 Z=tel:+3222*");
	assert_int_equal(custos_selector_parse(&s, "tel:+3222222", 12), CUSTOS_OK);
	assert_int_equal(custos_registry_match(reg, &s, count_fn, &calls), 4);
	assert_int_equal(calls, 4);
	custos_selector_dispose(&s);
	custos_registry_free(reg);
}

static void test_duplicate_id(void **state)
{
	custos_party *ps = calloc(3, sizeof(*ps));
	custos_registry *reg = (custos_registry *)1;
	(void)state;
	make_party(&ps[0], "P-1", "", "", "tel:+321", NULL);
	make_party(&ps[1], "P-2", "", "", NULL);
	make_party(&ps[2], "P-1", "", "", NULL);
	assert_int_equal(custos_registry_new(&reg, ps, 3), CUSTOS_EINVALID);
	assert_null(reg);
	assert_string_equal(custos_error_last(), "duplicate party id 'P-1'");
	/* An empty registry is fine. */
	assert_int_equal(custos_registry_new(&reg, NULL, 0), CUSTOS_OK);
	assert_int_equal(custos_registry_count(reg), 0);
	SCREEN("ip:0.0.0.0/0", "");
	custos_registry_free(reg);
}

/* The hash depends on content, not on the order parties were given in. */
static void test_hash(void **state)
{
	custos_party *a = calloc(2, sizeof(*a)), *b = calloc(2, sizeof(*b)), *c = calloc(2, sizeof(*c));
	custos_registry *ra, *rb, *rc;
	(void)state;
	make_party(&a[0], "X", "2020-01-01", "", "tel:+321", NULL);
	make_party(&a[1], "Y", "", "", "ip:10.0.0.1", NULL);
	make_party(&b[0], "Y", "", "", "ip:10.0.0.1", NULL);
	make_party(&b[1], "X", "2020-01-01", "", "tel:+321", NULL);
	make_party(&c[0], "X", "2020-01-02", "", "tel:+321", NULL);
	make_party(&c[1], "Y", "", "", "ip:10.0.0.1", NULL);
	assert_int_equal(custos_registry_new(&ra, a, 2), CUSTOS_OK);
	assert_int_equal(custos_registry_new(&rb, b, 2), CUSTOS_OK);
	assert_int_equal(custos_registry_new(&rc, c, 2), CUSTOS_OK);
	assert_string_equal(custos_registry_hash(ra), custos_registry_hash(rb));
	assert_string_not_equal(custos_registry_hash(ra), custos_registry_hash(rc));
	custos_registry_free(ra);
	custos_registry_free(rb);
	custos_registry_free(rc);
}

struct batch_ctx {
	size_t *counts;
};

static void batch_fn(void *ctx, size_t q, size_t party, size_t sel)
{
	struct batch_ctx *c = ctx;
	(void)party;
	(void)sel;
	c->counts[q]++;
}

/* The batched look-up finds exactly what one look-up at a time finds. */
static void test_batch(void **state)
{
	static const char *const qs[] = {
		"ip:192.0.2.7",	    "tel:+3225551234", "mailto:x@deep.sub.mission.example", "domain:example",
		"party:P-09",	    "imsi:1234567",    "ip:0.0.0.0/0",			    "tel:+32*",
		"name:zoe muller", "ip:2001:db8::/32",
	};
	enum { N = 3000 };
	custos_registry *reg = fixture();
	custos_selector *sels = calloc(N, sizeof(*sels));
	size_t *counts = calloc(N, sizeof(size_t)), total = 0, got;
	struct batch_ctx bc = {counts};
	(void)state;
	for (size_t i = 0; i < N; i++) {
		const char *q = qs[i % (sizeof(qs) / sizeof(qs[0]))];
		assert_int_equal(custos_selector_parse(&sels[i], q, strlen(q)), CUSTOS_OK);
	}
	got = custos_registry_match_batch(reg, sels, N, batch_fn, &bc);
	for (size_t i = 0; i < N; i++) {
		size_t one = 0, ret = custos_registry_match(reg, &sels[i], count_fn, &one);
		assert_int_equal(ret, one);
		assert_int_equal(counts[i], one);
		total += one;
		custos_selector_dispose(&sels[i]);
	}
	assert_int_equal(got, total);
	assert_true(total > N);
	free(sels);
	free(counts);
	custos_registry_free(reg);
}

/* A selector filled in by hand (no key hash) finds what the parsed one finds. */
static void test_hand_built(void **state)
{
	static const char *const qs[] = {"tel:+3225551234", "mailto:x@deep.sub.mission.example", "ip:192.0.2.7",
					 "ip:2001:db8::/32", "name:zoe muller", "party:P-09", "tel:+3225551*"};
	custos_registry *reg = fixture();
	(void)state;
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		custos_selector s, bare;
		size_t a = 0, b = 0, ra, rb;
		assert_int_equal(custos_selector_parse(&s, qs[i], strlen(qs[i])), CUSTOS_OK);
		bare = s;
		bare.hash = 0;
		bare.keylen = 0;
		ra = custos_registry_match(reg, &s, count_fn, &a);
		rb = custos_registry_match(reg, &bare, count_fn, &b);
		assert_int_equal(ra, a);
		assert_int_equal(rb, b);
		assert_true(a > 0);
		assert_int_equal(a, b);
		custos_selector_dispose(&s);
	}
	custos_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics), cmocka_unit_test(test_exact),	    cmocka_unit_test(test_party),
		cmocka_unit_test(test_domains), cmocka_unit_test(test_phones),	    cmocka_unit_test(test_ips),
		cmocka_unit_test(test_dates),	cmocka_unit_test(test_dedup),	    cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_hash),	cmocka_unit_test(test_batch),	    cmocka_unit_test(test_hand_built),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
