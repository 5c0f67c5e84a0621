/* test_openli.c — OpenLI's REST JSON as the gate reads it, the mapping of its targets onto selectors, coverage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/openli.h"

/* The selectors (canonical text) and fields the mapping gives, as "field=selector;..." */
static char *mapped(custos_openli_kind kind, const char *json)
{
	custos_openli_intercept ic;
	custos_selector *sels;
	char **fields, *out = calloc(1, 4096);
	size_t n;
	int rc = custos_openli_from_json(&ic, kind, json, strlen(json));
	if (rc)
		fail_msg("%s: %s", json, custos_error_last());
	if (custos_openli_targets(&ic, &sels, &fields, &n)) {
		snprintf(out, 4096, "error: %s", custos_error_last());
	} else {
		for (size_t i = 0; i < n; i++) {
			size_t used = strlen(out);
			snprintf(out + used, 4096 - used, "%s=%s;", fields[i], sels[i].text);
		}
		custos_openli_targets_free(sels, fields, n);
	}
	custos_openli_intercept_dispose(&ic);
	return out;
}

static void expect_map(custos_openli_kind kind, const char *json, const char *want)
{
	char *got = mapped(kind, json);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  got:  %s\n  want: %s", json, got, want);
	free(got);
}

static void test_mapping(void **state)
{
	(void)state;
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"ImaCriminal\"}", "user=nai:imacriminal;");
	expect_map(CUSTOS_OPENLI_IP,
		   "{\"liid\":\"L\",\"user\":\"edwardnigma\",\"staticips\":[{\"iprange\":\"192.168.10.0/26\",\"sessionid\":7},"
		   "{\"iprange\":\"2001:db8::/56\"}]}",
		   "user=nai:edwardnigma;staticips[0].iprange=ip:192.168.10.0/26;staticips[1].iprange=ip:2001:db8::/56;");
	/* a mobile intercept's user is its MSISDN unless mobileident says otherwise; numbers may come as JSON numbers */
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":64211234567,\"accesstype\":\"mobile\"}", "user=tel:+64211234567;");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"206011234567890\",\"accesstype\":\"mobile\",\"mobileident\":\"imsi\"}",
		   "user=imsi:206011234567890;");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"490154203237518\",\"accesstype\":\"LTE\",\"mobileident\":\"imei\"}",
		   "user=imei:490154203237518;");
	/* OpenLI reads mobileident only for a mobile access: elsewhere the user is an AAA user name */
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"490154203237518\",\"accesstype\":\"LAN\",\"mobileident\":\"imei\"}",
		   "user=nai:490154203237518;");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"x\",\"accesstype\":\"4g\",\"mobileident\":\"msisdn\"}",
		   "error: user: 'x' is not an MSISDN");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"x\",\"vendmirrorid\":522781}",
		   "error: vendmirrorid: custos cannot see whose traffic a vendor's mirror carries");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"x\",\"udpsinks\":[{}]}",
		   "error: udpsinks: custos cannot see whose traffic a UDP sink carries");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\"}", "error: user: required (the target's AAA user name, or its MSISDN, IMSI or IMEI)");
	expect_map(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"user\":\"a\",\"staticips\":[{\"iprange\":\"300.1.1.1\"}]}",
		   "error: staticips[0].iprange: ip:300.1.1.1: invalid IPv4 address");
	/* VoIP: username@realm, or a number at any realm */
	expect_map(CUSTOS_OPENLI_VOIP,
		   "{\"liid\":\"V\",\"siptargets\":[{\"username\":\"target\",\"realm\":\"MyISP.com\"},{\"username\":\"6478564444\"},"
		   "{\"username\":\"+3225551234\",\"realm\":\"x.be\"}]}",
		   "siptargets[0]=sip:target@myisp.com;siptargets[1]=tel:+6478564444;siptargets[2]=tel:+3225551234;");
	expect_map(CUSTOS_OPENLI_VOIP, "{\"liid\":\"V\",\"siptargets\":[{\"username\":\"target\"}]}",
		   "error: siptargets[0]: 'target' without a realm matches at every realm; custos authorises an identity at its realm");
	expect_map(CUSTOS_OPENLI_VOIP, "{\"liid\":\"V\",\"xids\":[\"29f28e1c-f230-486a-a860-f5a784ab9172\"]}",
		   "error: xids: custos cannot see the targets of an intercept provisioned over X1");
	expect_map(CUSTOS_OPENLI_VOIP, "{\"liid\":\"V\"}", "error: siptargets: required (the target's SIP identities)");
	/* email */
	expect_map(CUSTOS_OPENLI_EMAIL,
		   "{\"liid\":\"E\",\"targets\":[{\"address\":\"ABadPerson@Example.org\"},{\"address\":\"myalias@example.org\"}]}",
		   "targets[0].address=mailto:abadperson@example.org;targets[1].address=mailto:myalias@example.org;");
	expect_map(CUSTOS_OPENLI_EMAIL, "{\"liid\":\"E\",\"targets\":[]}", "error: targets: required (the target's email addresses)");
}

static void json_err(custos_openli_kind kind, const char *json, const char *want)
{
	custos_openli_intercept ic;
	assert_int_equal(custos_openli_from_json(&ic, kind, json, strlen(json)), CUSTOS_EINVALID);
	if (!strstr(custos_error_last(), want))
		fail_msg("'%s' does not mention '%s'", custos_error_last(), want);
}

static void test_json(void **state)
{
	custos_openli_intercept ic, *list = NULL;
	const char *j = "{\"liid\":\"LP45NNST3\",\"authcc\":\"NZ\",\"delivcc\":\"NZ\",\"agencyid\":\"Police\",\"mediator\":\"6001\","
			"\"starttime\":1796083200,\"endtime\":\"1798761600\",\"payloadencryption\":\"none\",\"user\":\"u\"}";
	size_t n = 0;
	(void)state;
	assert_int_equal(custos_openli_from_json(&ic, CUSTOS_OPENLI_IP, j, strlen(j)), 0);
	assert_string_equal(ic.liid, "LP45NNST3");
	assert_string_equal(ic.agencyid, "Police");
	assert_string_equal(ic.authcc, "NZ");
	assert_int_equal(ic.mediator, 6001);
	assert_int_equal(ic.starttime, 1796083200);
	assert_int_equal(ic.endtime, 1798761600);
	assert_int_equal(ic.line, 0);
	custos_openli_intercept_dispose(&ic);
	json_err(CUSTOS_OPENLI_IP, "{\"user\":\"u\"}", "liid: required");
	json_err(CUSTOS_OPENLI_IP, "{\"liid\":[1]}", "liid: not a string");
	json_err(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"starttime\":\"soon\"}", "starttime: not an integer");
	json_err(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"staticips\":{}}", "staticips: not an array");
	json_err(CUSTOS_OPENLI_IP, "{\"liid\":\"L\",\"staticips\":[{\"sessionid\":1}]}", "staticips[0].iprange: required");
	json_err(CUSTOS_OPENLI_VOIP, "{\"liid\":\"V\",\"siptargets\":[{\"realm\":\"x\"}]}", "siptargets[0].username: required");
	json_err(CUSTOS_OPENLI_EMAIL, "{\"liid\":\"E\",\"targets\":[\"a@b\"]}", "targets[0]: not an object");
	json_err(CUSTOS_OPENLI_IP, "{\"liid\":\"a\",\"liid\":\"b\"}", "duplicate");
	json_err(CUSTOS_OPENLI_IP, "[1]", "not a JSON object");
	/* a listing */
	j = "[{\"liid\":\"A\",\"targets\":[{\"address\":\"a@b.org\"}]},{\"liid\":\"B\"}]";
	assert_int_equal(custos_openli_list_json(&list, &n, CUSTOS_OPENLI_EMAIL, j, strlen(j)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].liid, "B");
	assert_int_equal(list[0].naddresses, 1);
	custos_openli_intercepts_free(list, n);
	list = NULL;
	n = 0;
	j = "[{\"liid\":\"A\"},{\"nope\":1}]";
	assert_int_equal(custos_openli_list_json(&list, &n, CUSTOS_OPENLI_EMAIL, j, strlen(j)), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "[1].liid: required");
	custos_openli_intercepts_free(list, n);
	assert_int_equal(custos_openli_kind_parse("voipintercepts"), CUSTOS_OPENLI_VOIP);
	assert_int_equal(custos_openli_kind_parse("ipintercept"), CUSTOS_OPENLI_IP);
	assert_int_equal(custos_openli_kind_parse("agency"), -1);
}

static int covers(const char *g, const char *t)
{
	custos_selector a, b;
	int r;
	assert_int_equal(custos_selector_parse(&a, g, strlen(g)), 0);
	assert_int_equal(custos_selector_parse(&b, t, strlen(t)), 0);
	r = custos_selector_covers(&a, &b);
	custos_selector_dispose(&a);
	custos_selector_dispose(&b);
	return r;
}

static void test_covers(void **state)
{
	(void)state;
	assert_true(covers("ip:192.168.10.0/24", "ip:192.168.10.0/26"));
	assert_true(covers("ip:192.168.10.0/24", "ip:192.168.10.77"));
	assert_false(covers("ip:192.168.10.0/26", "ip:192.168.10.0/24"));
	assert_false(covers("ip:192.168.10.0/24", "ip:192.168.11.0/26"));
	assert_true(covers("ip:2001:db8::/32", "ip:2001:db8:1::/56"));
	assert_false(covers("ip:0.0.0.0/0", "ip:2001:db8::/56")); /* IPv4's everything is not IPv6's */
	assert_true(covers("tel:+3247055*", "tel:+32470555999"));
	assert_true(covers("tel:+3247055*", "tel:+324705559*"));
	assert_false(covers("tel:+32470555999", "tel:+3247055*"));
	assert_true(covers("domain:example.org", "mailto:a@example.org"));
	assert_true(covers("domain:example.org", "mailto:a@mail.example.org"));
	assert_false(covers("domain:example.org", "mailto:a@badexample.org"));
	assert_false(covers("mailto:a@example.org", "mailto:b@example.org"));
	assert_true(covers("nai:imacriminal", "nai:ImaCriminal"));
	assert_false(covers("nai:imacriminal", "sip:imacriminal@x.org"));
	assert_true(covers("sip:badguy@myisp.com", "sip:BadGuy@MyISP.com"));
	assert_false(covers("domain:myisp.com", "sip:badguy@myisp.com")); /* a domain covers its addresses only */
}

static const char yaml_file[] =
	"# an OpenLI running-intercept file\n"
	"sipservers:\n"
	"  - ip: 192.168.110.100\n"
	"    port_lower: 5060\n"
	"agencies:\n"
	" - agencyid: \"Police\"\n"
	"   hi2address: 192.168.200.1\n"
	"ipintercepts:\n"
	" - liid:  LP45NNST3             # a comment\n"
	"   authcountrycode: NZ\n"
	"   deliverycountrycode: NZ\n"
	"   user: \"imacriminal\"\n"
	"   mediator: 6001\n"
	"   agencyid: \"Police\"\n"
	"   accesstype: \"Fiber\"\n"
	"   starttime: 1796083200\n"
	" - liid: TH473NNOQ\n"
	"   user: 64211234567\n"
	"   accesstype: \"mobile\"\n"
	"   mobileident: \"msisdn\"\n"
	"   vendmirrorid: 0x12121212\n"
	"   udpsinks:\n"
	"    - collectorid: \"c1\"\n"
	"      listenport: 17870\n"
	"   staticips:\n"
	"     - iprange: \"192.168.10.0/26\"\n"
	"       sessionid: 7\n"
	"     - iprange: \"2001:db8::/56\"\n"
	"voipintercepts:\n"
	" - liid: X7811DFWS\n"
	"   agencyid: \"Spooks\"\n"
	"   siptargets:\n"
	"     - username: target\n"
	"       realm: myisp.com\n"
	"     - username: 6478564444\n"
	" - liid: ABC6RTN90\n"
	"   xids:\n"
	"    - \"29f28e1c-f230-486a-a860-f5a784ab9172\"\n"
	"emailintercepts:\n"
	" - liid: N72007RT4\n"
	"   targets:\n"
	"     - address: abadperson@example.org\n"
	"     - address: myalias@example.org\n"
	"   delivercompressed: decompressed\n"
	"email-defaultdelivercompressed: as-is\n";

static void test_yaml(void **state)
{
	custos_openli_intercept *l = NULL;
	size_t n = 0;
	(void)state;
	if (custos_openli_read_yaml(&l, &n, yaml_file, strlen(yaml_file), "running.yaml"))
		fail_msg("%s", custos_error_last());
	assert_int_equal(n, 5);
	assert_int_equal(l[0].kind, CUSTOS_OPENLI_IP);
	assert_string_equal(l[0].liid, "LP45NNST3");
	assert_int_equal(l[0].line, 9);
	assert_string_equal(l[0].authcc, "NZ");
	assert_string_equal(l[0].delivcc, "NZ");
	assert_string_equal(l[0].agencyid, "Police");
	assert_int_equal(l[0].mediator, 6001);
	assert_int_equal(l[0].starttime, 1796083200);
	assert_int_equal(l[0].endtime, 0);
	assert_string_equal(l[1].user, "64211234567");
	assert_string_equal(l[1].mobileident, "msisdn");
	assert_int_equal(l[1].nvendmirror, 1);
	assert_int_equal(l[1].nudpsinks, 1);
	assert_int_equal(l[1].nstaticips, 2);
	assert_string_equal(l[1].staticips[1].iprange, "2001:db8::/56");
	assert_int_equal(l[1].staticips[0].sessionid, 7);
	assert_int_equal(l[1].staticips[1].sessionid, -1);
	assert_int_equal(l[2].kind, CUSTOS_OPENLI_VOIP);
	assert_int_equal(l[2].nsiptargets, 2);
	assert_string_equal(l[2].siptargets[0].realm, "myisp.com");
	assert_null(l[2].siptargets[1].realm);
	assert_int_equal(l[3].nxids, 1);
	assert_int_equal(l[4].kind, CUSTOS_OPENLI_EMAIL);
	assert_int_equal(l[4].line, 40);
	assert_int_equal(l[4].naddresses, 2);
	assert_string_equal(l[4].addresses[1], "myalias@example.org");
	custos_openli_intercepts_free(l, n);
	/* keys in any case, and the second names OpenLI reads (targetID, alushimid), as its own parser does */
	{
		const char *t = "IPIntercepts:\n - LIID: UP\n   User: someone\n   ALUShimID: 5\n"
				"emailintercepts:\n - liid: E\n   targets:\n     - targetID: a@b.org\n";
		assert_int_equal(custos_openli_read_yaml(&l, &n, t, strlen(t), "f"), 0);
		assert_int_equal(n, 2);
		assert_string_equal(l[0].liid, "UP");
		assert_string_equal(l[0].user, "someone");
		assert_int_equal(l[0].nvendmirror, 1);
		assert_string_equal(l[1].addresses[0], "a@b.org");
		custos_openli_intercepts_free(l, n);
	}
	/* nothing, or only comments, or other keys: no intercept */
	assert_int_equal(custos_openli_read_yaml(&l, &n, "# nothing\n", 10, "f"), 0);
	assert_int_equal(n, 0);
	assert_int_equal(custos_openli_read_yaml(&l, &n, "ipintercepts:\nagencies: []\n", 27, "f"), 0);
	assert_int_equal(n, 0);
}

static void yaml_err(const char *text, const char *want)
{
	custos_openli_intercept *l = (custos_openli_intercept *)1;
	size_t n = 7;
	assert_int_equal(custos_openli_read_yaml(&l, &n, text, strlen(text), "f.yaml"), CUSTOS_EINVALID);
	assert_null(l);
	assert_int_equal(n, 0);
	if (strcmp(custos_error_last(), want) != 0)
		fail_msg("got '%s', want '%s'", custos_error_last(), want);
}

static void test_yaml_errors(void **state)
{
	(void)state;
	yaml_err("ipintercepts:\n - liid: A\n   user: [\n", "f.yaml:4: not YAML: did not find expected node content while parsing a flow node");
	yaml_err("ipintercepts:\n - liid: A\n  bad indentation: x\n", "f.yaml:3: not YAML: did not find expected '-' indicator while parsing a block collection begun on line 2");
	yaml_err("ipintercepts:\n - user: u\n", "f.yaml:2: ipintercepts[0].liid: required");
	yaml_err("ipintercepts:\n - liid: [A]\n", "f.yaml:2: ipintercepts[0].liid: expected a value, not a list");
	yaml_err("ipintercepts:\n - liid: A\n   mediator: soon\n", "f.yaml:3: ipintercepts[0].mediator: 'soon' is not an integer");
	yaml_err("ipintercepts:\n - liid: A\n   liid: B\n", "f.yaml:3: ipintercepts[0]: 'liid' is given twice");
	yaml_err("ipintercepts: x\n", "f.yaml:1: ipintercepts: expected a list of intercepts");
	yaml_err("ipintercepts:\n - A\n", "f.yaml:2: ipintercepts[0]: expected a mapping (an intercept)");
	yaml_err("ipintercepts:\n - liid: A\n   staticips:\n     - sessionid: 1\n",
		 "f.yaml:4: ipintercepts[0].staticips[0].iprange: required");
	yaml_err("voipintercepts:\n - liid: V\n   siptargets: [x]\n", "f.yaml:3: voipintercepts[0].siptargets[0]: expected a mapping");
	yaml_err("emailintercepts:\n - liid: E\n   targets:\n     - {}\n", "f.yaml:4: emailintercepts[0].targets[0].address: required");
	yaml_err("x: &a [1]\nipintercepts:\n - liid: *a\n",
		 "f.yaml:3: an alias (*a): the running-intercept file has none, and custos reads none");
	yaml_err("- 1\n", "f.yaml:1: expected a mapping (ipintercepts:, voipintercepts:, emailintercepts:, ...)");
	yaml_err("a: 1\n---\nb: 2\n", "f.yaml:2: more than one YAML document");
	yaml_err("ipintercepts:\nipintercepts:\n", "f.yaml:2: the file: 'ipintercepts' is given twice");
	yaml_err("ipintercepts:\n - liid: A\n   LIID: B\n", "f.yaml:3: ipintercepts[0]: 'LIID' is given twice");
	yaml_err("emailintercepts:\n - liid: E\n   targets:\n     - address: a@b.org\n       targetID: c@d.org\n",
		 "f.yaml:5: emailintercepts[0].targets[0]: 'address' is given twice");
	{
		char deep[200] = "ipintercepts: ";
		memset(deep + strlen(deep), '[', 40);
		deep[14 + 40] = '\0';
		yaml_err(deep, "f.yaml:1: nested deeper than 32 levels");
	}
}

static void test_upstream_url(void **state)
{
	static const char *const good[] = {"http://127.0.0.1:8992", "https://prov.example:8992/", "http://[::1]:8992",
					   "https://prov.example/openli"};
	static const char *const bad[] = {"http://127.0.0.1:", "http://:80", "http://127.0.0.1:99999", "ftp://x",
					  "prov:8992", "http://h/?q=1", "http://h/#f", ""};
	custos_openli_upstream *u = NULL;
	char *e;
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (custos_openli_upstream_new(&u, good[i], "key"))
			fail_msg("%s: %s", good[i], custos_error_last());
		custos_openli_upstream_free(u);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (custos_openli_upstream_new(&u, bad[i], NULL) != CUSTOS_EINVALID)
			fail_msg("%s: accepted", bad[i]);
		assert_null(u);
	}
	assert_int_equal(custos_openli_upstream_new(&u, "http://h:1", "two\nlines"), CUSTOS_EINVALID);
	e = custos_openli_path_escape("L 1/..%");
	assert_string_equal(e, "L%201%2F..%25");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_upstream_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
