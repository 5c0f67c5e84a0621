/* test_selector.c — unit tests for selector parsing and normalisation (every form, every error, round trips). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/selector.h"

struct good {
	const char *in;
	custos_selector_kind kind;
	const char *text;
	const char *key;
};

static const struct good goods[] = {
	{"mailto:user@example.org", CUSTOS_SEL_EMAIL, "mailto:user@example.org", "user@example.org"},
	{"mailto:Ambassador@Example-Embassy.BE.", CUSTOS_SEL_EMAIL, "mailto:ambassador@example-embassy.be",
	 "ambassador@example-embassy.be"},
	{"MAILTO:  a.b+tag@x.y  ", CUSTOS_SEL_EMAIL, "mailto:a.b+tag@x.y", "a.b+tag@x.y"},
	{"EmailAddress:x@B\xc3\xbc" "cher.de", CUSTOS_SEL_EMAIL, "mailto:x@xn--bcher-kva.de", "x@xn--bcher-kva.de"},
	{"domain:example.org", CUSTOS_SEL_DOMAIN, "domain:example.org", "example.org"},
	{"DomainName:WWW.Example.ORG.", CUSTOS_SEL_DOMAIN, "domain:www.example.org", "www.example.org"},
	{"domain:\xc3\xa9xample.be", CUSTOS_SEL_DOMAIN, "domain:xn--xample-9ua.be", "xn--xample-9ua.be"},
	{"tel:+3225551234", CUSTOS_SEL_TEL, "tel:+3225551234", "+3225551234"},
	{"tel:+32 (2) 555-12.34", CUSTOS_SEL_TEL, "tel:+3225551234", "+3225551234"},
	{"tel:+32255512*", CUSTOS_SEL_TEL_RANGE, "tel:+32255512*", "+32255512"},
	{"tel:+3*", CUSTOS_SEL_TEL_RANGE, "tel:+3*", "+3"},
	{"tel:+123456789012345", CUSTOS_SEL_TEL, "tel:+123456789012345", "+123456789012345"},
	{"E164Number:3225551234", CUSTOS_SEL_TEL, "tel:+3225551234", "+3225551234"},
	{"E164Number:+3225551234", CUSTOS_SEL_TEL, "tel:+3225551234", "+3225551234"},
	{"ip:192.0.2.7", CUSTOS_SEL_IP, "ip:192.0.2.7", "192.0.2.7"},
	{"ip:192.0.2.7/32", CUSTOS_SEL_IP, "ip:192.0.2.7", "192.0.2.7"},
	{"ip:192.0.2.0/24", CUSTOS_SEL_IP, "ip:192.0.2.0/24", "192.0.2.0/24"},
	{"ip:192.0.2.77/24", CUSTOS_SEL_IP, "ip:192.0.2.0/24", "192.0.2.0/24"},
	{"ip:2001:DB8::1/32", CUSTOS_SEL_IP, "ip:2001:db8::/32", "2001:db8::/32"},
	{"ip:2001:0db8:0000::0001", CUSTOS_SEL_IP, "ip:2001:db8::1", "2001:db8::1"},
	{"IPv4Address:10.1.2.3", CUSTOS_SEL_IP, "ip:10.1.2.3", "10.1.2.3"},
	{"IPv4CIDR:10.0.0.0/8", CUSTOS_SEL_IP, "ip:10.0.0.0/8", "10.0.0.0/8"},
	{"IPv6Address:fe80::1", CUSTOS_SEL_IP, "ip:fe80::1", "fe80::1"},
	{"IPv6CIDR:fe80::/10", CUSTOS_SEL_IP, "ip:fe80::/10", "fe80::/10"},
	{"ip:0.0.0.0/0", CUSTOS_SEL_IP, "ip:0.0.0.0/0", "0.0.0.0/0"},
	{"imsi:206011234567890", CUSTOS_SEL_IMSI, "imsi:206011234567890", "206011234567890"},
	{"IMSI:206011", CUSTOS_SEL_IMSI, "imsi:206011", "206011"},
	{"imei:490154203237518", CUSTOS_SEL_IMEI, "imei:490154203237518", "490154203237518"},
	{"IMEI:49015420323751", CUSTOS_SEL_IMEI, "imei:490154203237518", "490154203237518"},
	{"name:Ahmed Ould Mohamed", CUSTOS_SEL_NAME, "name:Ahmed Ould Mohamed", "ahmed ould mohamed"},
	{"name:  Zo\xc3\xab \t \xc3\x93 Ceallaigh-M\xc3\xbcller ", CUSTOS_SEL_NAME, "name:Zo\xc3\xab \xc3\x93 Ceallaigh-M\xc3\xbcller",
	 "zoe o ceallaigh muller"},
	{"name:\xc5\x81ukasz \xc5\x92uvre \xc3\x9e\xc3\xb3r Stra\xc3\x9f" "e \xc3\x86sa \xc3\x98ster \xc4\x90or\xc4\x91" "e",
	 CUSTOS_SEL_NAME,
	 "name:\xc5\x81ukasz \xc5\x92uvre \xc3\x9e\xc3\xb3r Stra\xc3\x9f" "e \xc3\x86sa \xc3\x98ster \xc4\x90or\xc4\x91" "e",
	 "lukasz oeuvre thor strasse aesa oster dorde"},
	{"name:O'Brien J.R.", CUSTOS_SEL_NAME, "name:O'Brien J.R.", "obrien j r"},
	{"name:O\xe2\x80\x99" "Brien", CUSTOS_SEL_NAME, "name:O\xe2\x80\x99" "Brien", "obrien"},
	{"name:\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", CUSTOS_SEL_NAME, "name:\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "ivan"},
	{"name:\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", CUSTOS_SEL_NAME, "name:\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", "^mhmd"},
	{"name:Ivan Petrov ;born=1970-01-31", CUSTOS_SEL_NAME, "name:Ivan Petrov;born=1970-01-31",
	 "ivan petrov;born=1970-01-31"},
	{"address:Rue de la Loi 16, 1000 Brussels", CUSTOS_SEL_ADDRESS, "address:Rue de la Loi 16, 1000 Brussels",
	 "rue de la loi 16 1000 brussels"},
	{"address:  Rue  de la Loi 16 ,1000   BRUXELLES", CUSTOS_SEL_ADDRESS, "address:Rue de la Loi 16 ,1000 BRUXELLES",
	 "rue de la loi 16 1000 bruxelles"},
	{"party:P-17", CUSTOS_SEL_PARTY, "party:P-17", "P-17"},
	{"party:a.B_c-9", CUSTOS_SEL_PARTY, "party:a.B_c-9", "a.B_c-9"},
	{"sip:Badguy@MyISP.com", CUSTOS_SEL_SIP, "sip:badguy@myisp.com", "badguy@myisp.com"},
	{"SIPURI:sip:alice@Example.ORG.", CUSTOS_SEL_SIP, "sip:alice@example.org", "alice@example.org"},
	{"sip:+3227360000@operator.be", CUSTOS_SEL_SIP, "sip:+3227360000@operator.be", "+3227360000@operator.be"},
	{"sip:x@b\xc3\xbc" "cher.de", CUSTOS_SEL_SIP, "sip:x@xn--bcher-kva.de", "x@xn--bcher-kva.de"},
	{"nai:ImaCriminal", CUSTOS_SEL_NAI, "nai:imacriminal", "imacriminal"},
	{"NAI:user@Realm.Example", CUSTOS_SEL_NAI, "nai:user@realm.example", "user@realm.example"},
	{"nai:PHYUSR12110", CUSTOS_SEL_NAI, "nai:phyusr12110", "phyusr12110"},
};

static void test_good_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		custos_selector s, again;
		int rc = custos_selector_parse(&s, goods[i].in, strlen(goods[i].in));
		if (rc)
			print_error("%s: %s\n", goods[i].in, custos_error_last());
		assert_int_equal(rc, CUSTOS_OK);
		assert_int_equal(s.kind, goods[i].kind);
		assert_string_equal(s.text, goods[i].text);
		assert_string_equal(s.key, goods[i].key);
		/* The canonical text parses to itself (idempotence). */
		assert_int_equal(custos_selector_parse(&again, s.text, strlen(s.text)), CUSTOS_OK);
		assert_string_equal(again.text, s.text);
		assert_string_equal(again.key, s.key);
		assert_int_equal(again.kind, s.kind);
		assert_memory_equal(again.ip, s.ip, 16);
		assert_int_equal(again.prefix, s.prefix);
		/* The key length and index hash are set, and the same for the same selector. */
		assert_int_equal(s.keylen, strlen(s.key));
		assert_true(s.hash != 0);
		assert_true(again.hash == s.hash);
		custos_selector_dispose(&again);
		custos_selector_dispose(&s);
		assert_null(s.text);
		assert_true(s.hash == 0);
	}
}

static void test_ip_bytes(void **state)
{
	custos_selector s;
	static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 0};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	(void)state;
	assert_int_equal(custos_selector_parse(&s, "ip:192.0.2.99/24", 16), CUSTOS_OK);
	assert_memory_equal(s.ip, v4, 16);
	assert_int_equal(s.prefix, 120);
	assert_int_equal(s.is_v4, 1);
	custos_selector_dispose(&s);
	assert_int_equal(custos_selector_parse(&s, "ip:2001:db8:ffff::/32", 21), CUSTOS_OK);
	assert_memory_equal(s.ip, v6, 16);
	assert_int_equal(s.prefix, 32);
	assert_int_equal(s.is_v4, 0);
	custos_selector_dispose(&s);
	assert_int_equal(custos_selector_parse(&s, "ip:192.0.2.7", 12), CUSTOS_OK);
	assert_int_equal(s.prefix, 128);
	custos_selector_dispose(&s);
}

struct bad {
	const char *in;
	const char *msg; /* the whole expected message */
};

static const struct bad bads[] = {
	{"sip:alice", "sip:alice: a SIP identity needs its realm (sip:user@realm)"},
	{"sip:a;transport=tcp@x.org", "sip:a;transport=tcp@x.org: invalid character ';' in user part of SIP identity"},
	{"sip:@x.org", "sip:@x.org: empty user part in SIP identity"},
	{"nai:a@b@c.org", "nai:a@b@c.org: more than one '@' in network access identifier"},
	{"nai:a b", "nai:a b: invalid character space in user part of network access identifier"},
	{"tel:+32abc", "tel:+32abc: invalid character 'a' in phone number"},
	{"tel:3225551234", "tel:3225551234: phone number must start with '+' (E.164)"},
	{"tel:+1234567890123456", "tel:+1234567890123456: more than 15 digits in phone number"},
	{"tel:+32*5", "tel:+32*5: '*' must be the last character of a number range"},
	{"tel:+*", "tel:+*: no digits in phone number"},
	{"tel:+32+5", "tel:+32+5: misplaced '+' in phone number"},
	{"tel:+032", "tel:+032: country code cannot start with 0"},
	{"tel:+32;ext=1", "tel:+32;ext=1: invalid character ';' in phone number"},
	{"mailto:nobody", "mailto:nobody: missing '@' in email address"},
	{"mailto:@x.org", "mailto:@x.org: empty local part in email address"},
	{"mailto:a b@x.org", "mailto:a b@x.org: invalid character space in local part"},
	{"mailto:a@b@x.org", "mailto:a@b@x.org: more than one '@' in email address"},
	{"mailto:a@", "mailto:a@: empty domain"},
	{"mailto:a@x_y.org", "mailto:a@x_y.org: invalid character '_' in domain"},
	{"domain:a..b", "domain:a..b: empty label in domain"},
	{"domain:-a.b", "domain:-a.b: domain label starts or ends with '-'"},
	{"domain:a-.b", "domain:a-.b: domain label starts or ends with '-'"},
	{"domain:.", "domain:.: empty domain"},
	{"ip:1.2.3.4/33", "ip:1.2.3.4/33: prefix length 33 exceeds 32"},
	{"ip:1.2.3", "ip:1.2.3: invalid IPv4 address"},
	{"ip:1.2.3.4/", "ip:1.2.3.4/: invalid prefix length"},
	{"ip:1.2.3.4/2x", "ip:1.2.3.4/2x: invalid prefix length"},
	{"ip:2001:db8::g", "ip:2001:db8::g: invalid IPv6 address"},
	{"ip:::/129", "ip:::/129: prefix length 129 exceeds 128"},
	{"IPv4Address:10.0.0.0/8", "IPv4Address:10.0.0.0/8: an address takes no /prefix"},
	{"IPv4CIDR:10.0.0.0", "IPv4CIDR:10.0.0.0: missing /prefix"},
	{"IPv4Address:::1", "IPv4Address:::1: expected an IPv4 address"},
	{"IPv6Address:10.0.0.1", "IPv6Address:10.0.0.1: expected an IPv6 address"},
	{"imsi:12345", "imsi:12345: an IMSI has 6 to 15 digits, not 5"},
	{"imsi:20601123456789x", "imsi:20601123456789x: invalid character 'x' in IMSI"},
	{"imei:490154203237519", "imei:490154203237519: IMEI check digit 9 is wrong (expected 8)"},
	{"imei:4901542032375", "imei:4901542032375: an IMEI has 15 digits (or 14 without the check digit), not 13"},
	{"name:---", "name:---: the name has no letters to match"},
	{"name:Ivan;born=1970-02-31", "name:Ivan;born=1970-02-31: born=1970-02-31 is not a date YYYY-MM-DD"},
	{"name:ab\xc3(", "name:ab\\xc3(: invalid UTF-8 at byte 2 of the name"},
	{"name:a\x01" "b", "name:a\\x01b: control character in the name"},
	{"address:\xc0\xaf", "address:\\xc0\\xaf: invalid UTF-8 at byte 0 of the address"},
	{"party:P 17", "party:P 17: invalid character space in party id"},
	{"party:P/17", "party:P/17: invalid character '/' in party id"},
	{"foo:bar", "foo:bar: unknown selector type 'foo'"},
	{"mailto:", "mailto:: empty mailto selector"},
	{"tel:   ", "tel:   : empty tel selector"},
	{"nocolon", "nocolon: selector has no type (expected mailto:, domain:, tel:, ip:, imsi:, imei:, name:, address:, party:, sip: or nai:)"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		custos_selector s;
		int rc = custos_selector_parse(&s, bads[i].in, strlen(bads[i].in));
		if (rc != CUSTOS_EINVALID)
			print_error("%s: accepted as %s\n", bads[i].in, s.text ? s.text : "?");
		assert_int_equal(rc, CUSTOS_EINVALID);
		assert_string_equal(custos_error_last(), bads[i].msg);
		assert_null(s.text);
		assert_null(s.key);
	}
}

static void test_limits(void **state)
{
	char big[CUSTOS_SELECTOR_MAX + 10];
	custos_selector s;
	(void)state;
	assert_int_equal(custos_selector_parse(&s, "", 0), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "empty selector");
	assert_int_equal(custos_selector_parse(&s, NULL, 0), CUSTOS_EINVALID);
	memcpy(big, "name:", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	assert_int_equal(custos_selector_parse(&s, big, CUSTOS_SELECTOR_MAX), CUSTOS_OK);
	custos_selector_dispose(&s);
	assert_int_equal(custos_selector_parse(&s, big, CUSTOS_SELECTOR_MAX + 1), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "selector longer than 512 bytes"));
	assert_int_equal(custos_selector_parse(&s, "party:P\0-17", 11), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "party:P\\x00-17: NUL byte in selector");
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(custos_selector_parse(&s, "party:P-17XYZ", 10), CUSTOS_OK);
	assert_string_equal(s.text, "party:P-17");
	custos_selector_dispose(&s);
	/* Domain label of 63 is fine, 64 is not; 253 total is fine, 254 is not. */
	memcpy(big, "domain:", 7);
	memset(big + 7, 'a', 64);
	assert_int_equal(custos_selector_parse(&s, big, 7 + 63), CUSTOS_OK);
	custos_selector_dispose(&s);
	assert_int_equal(custos_selector_parse(&s, big, 7 + 64), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "domain label longer than 63 characters"));
	for (int i = 0; i < 4; i++) {
		memset(big + 7 + i * 64, 'a', 63);
		big[7 + i * 64 + 63] = '.';
	}
	assert_int_equal(custos_selector_parse(&s, big, 7 + 253), CUSTOS_OK);
	custos_selector_dispose(&s);
	big[7 + 253] = 'b';
	assert_int_equal(custos_selector_parse(&s, big, 7 + 254), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "domain longer than 253 characters"));
	/* Local part of 64 is fine, 65 is not. */
	memcpy(big, "mailto:", 7);
	memset(big + 7, 'x', 65);
	memcpy(big + 7 + 64, "@a.be", 5);
	assert_int_equal(custos_selector_parse(&s, big, 7 + 64 + 5), CUSTOS_OK);
	custos_selector_dispose(&s);
	memset(big + 7, 'x', 65);
	memcpy(big + 7 + 65, "@a.be", 5);
	assert_int_equal(custos_selector_parse(&s, big, 7 + 65 + 5), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "local part longer than 64 bytes"));
}

static void test_copy_and_names(void **state)
{
	custos_selector s, c;
	(void)state;
	assert_int_equal(custos_selector_parse(&s, "ip:10.0.0.0/8", 13), CUSTOS_OK);
	assert_int_equal(custos_selector_copy(&c, &s), CUSTOS_OK);
	assert_ptr_not_equal(c.text, s.text);
	assert_string_equal(c.text, s.text);
	assert_string_equal(c.key, s.key);
	assert_memory_equal(c.ip, s.ip, 16);
	assert_int_equal(c.prefix, 104);
	assert_int_equal(c.keylen, s.keylen);
	assert_true(c.hash == s.hash && c.hash != 0);
	custos_selector_dispose(&s);
	custos_selector_dispose(&c);
	assert_string_equal(custos_selector_kind_name(CUSTOS_SEL_EMAIL), "mailto");
	assert_string_equal(custos_selector_kind_name(CUSTOS_SEL_TEL_RANGE), "tel");
	assert_string_equal(custos_selector_kind_name(CUSTOS_SEL_ADDRESS), "address");
	assert_string_equal(custos_selector_kind_name(CUSTOS_SEL_PARTY), "party");
	assert_string_equal(custos_selector_kind_name(CUSTOS_SEL__COUNT), "?");
	custos_selector_dispose(NULL);
}

/* The index hash depends on the kind as well as the key: same digits, other kinds, other hashes. */
static void test_hash_kinds(void **state)
{
	static const char *const qs[] = {"imsi:206011234567", "tel:+206011234567", "tel:+206011234567*",
					 "party:206011234567", "ip:10.0.0.0/8", "ip:10.0.0.0/16"};
	uint64_t h[sizeof(qs) / sizeof(qs[0])];
	(void)state;
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		custos_selector s;
		assert_int_equal(custos_selector_parse(&s, qs[i], strlen(qs[i])), CUSTOS_OK);
		h[i] = s.hash;
		for (size_t j = 0; j < i; j++)
			assert_true(h[j] != h[i]);
		custos_selector_dispose(&s);
	}
}

/* Names that must fold to the same key, and ones that must not. */
static void test_name_fold(void **state)
{
	static const char *const same[][2] = {
		{"name:Jos\xc3\xa9 Mar\xc3\xad" "a Garc\xc3\xad" "a", "name:JOSE MARIA GARCIA"},
		{"name:Fran\xc3\xa7ois-Xavier", "name:francois xavier"},
		{"name:Ahmed  Ould\tMohamed", "name:ahmed ould mohamed"},
		{"address:Rue de la Loi, 16", "address:rue de la loi 16"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		custos_selector a, b;
		assert_int_equal(custos_selector_parse(&a, same[i][0], strlen(same[i][0])), CUSTOS_OK);
		assert_int_equal(custos_selector_parse(&b, same[i][1], strlen(same[i][1])), CUSTOS_OK);
		assert_string_equal(a.key, b.key);
		custos_selector_dispose(&a);
		custos_selector_dispose(&b);
	}
	{
		custos_selector a;
		/* A name's key is its Latin words: punctuation separates them. */
		assert_int_equal(custos_selector_parse(&a, "name:Smith, John", 16), CUSTOS_OK);
		assert_string_equal(a.key, "smith john");
		custos_selector_dispose(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_forms), cmocka_unit_test(test_ip_bytes),	  cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),	   cmocka_unit_test(test_copy_and_names), cmocka_unit_test(test_name_fold),
		cmocka_unit_test(test_hash_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
