/* test_rules.c — unit tests for the rules language: parsing, every error, canonical form, evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/rules.h"

/* ---- helpers ---------------------------------------------------------------- */

static custos_ruleset *parse_named(const char *name, const char *text)
{
	custos_rules_source s = {name, text, strlen(text)};
	custos_ruleset *rs = NULL;
	int rc = custos_rules_parse(&rs, &s, 1);
	if (rc)
		print_error("unexpected parse failure: %s\n", custos_error_last());
	assert_int_equal(rc, 0);
	assert_non_null(rs);
	return rs;
}

static custos_ruleset *parse(const char *text)
{
	return parse_named("t.rules", text);
}

static const char *hash_of(const char *text, char out[72])
{
	custos_ruleset *rs = parse(text);
	memcpy(out, custos_rules_hash(rs), 72);
	custos_ruleset_free(rs);
	return out;
}

/* A measure with every optional field null. */
static custos_measure measure(custos_kind kind)
{
	custos_measure m;
	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.requested_measure = -1;
	m.scope = CUSTOS_SCOPE_NONE;
	m.framework = CUSTOS_FW_INTELLIGENCE;
	m.transfer_basis = CUSTOS_BASIS_NONE;
	return m;
}

static custos_party party(const char *id, custos_category cat, const char *nationality)
{
	custos_party p;
	memset(&p, 0, sizeof(p));
	p.id = (char *)id;
	p.category = cat;
	if (nationality)
		memcpy(p.nationality, nationality, 3);
	p.valid_from = p.valid_to = CUSTOS_DATE_NONE;
	return p;
}

/* The rule set of the last decide(): findings point into it, so it lives until done(). */
static custos_ruleset *kept;

static custos_decision decide(const char *rules, const custos_measure *m, const custos_subject *s, size_t n)
{
	custos_decision d;
	custos_ruleset_free(kept);
	kept = parse(rules);
	assert_int_equal(custos_rules_evaluate(&d, kept, m, s, n), 0);
	return d;
}

static void done(custos_decision *d)
{
	custos_decision_dispose(d);
	custos_ruleset_free(kept);
	kept = NULL;
}

/* Evaluates and returns the number of findings, keeping the rule set for string checks. */
static size_t fire_count(const char *rules, const custos_measure *m, const custos_subject *s, size_t n)
{
	custos_ruleset *rs = parse(rules);
	custos_decision d;
	size_t k;
	assert_int_equal(custos_rules_evaluate(&d, rs, m, s, n), 0);
	k = d.nfindings;
	custos_decision_dispose(&d);
	custos_ruleset_free(rs);
	return k;
}

#define R(ID, WHEN, EFFECT) "rule " ID " cite \"c\" explain \"e\" when " WHEN " " EFFECT " end\n"

/* ---- parsing ------------------------------------------------------------------ */

static const char *const full_src =
	"# every construct of the language\n"
	"grace_days 30\n"
	"set intrusive = [interception, it_intrusion, audio_surveillance, observation, search]\n"
	"set diplomatic = [diplomatic_agent, diplomatic_family]\n"
	"set eu = [BE, FR, \"DE\"]\n"
	"set mixed = [null, party.sending_state]\n"
	"rule vcdr.29.person\n"
	"  cite \"VCDR art. 29\"\n"
	"  when measure.kind in intrusive\n"
	"   and party.category in diplomatic\n"
	"   and party.status in [active, grace]\n"
	"   and not party.waiver\n"
	"  forbid\n"
	"  explain \"The person of a diplomatic agent is \\\"inviolable\\\" \\\\ here.\"\n"
	"end\n"
	"rule a.b_c.90ter\n"
	"  explain \"x\" cite \"y\"\n"
	"  when (measure.framework = criminal or measure.scope != null) and measure.requesting_state not in eu\n"
	"  require investigating_judge, prosecutor\n"
	"  notify comite_r\n"
	"  condition max_days 30\n"
	"  condition minimise content\n"
	"end\n"
	"rule always cite \"c\" explain \"e\" reject end\n"
	"rule cmp cite \"c\" explain \"e\"\n"
	"  when party.country_of_origin = measure.requesting_state and party.nationality in mixed\n"
	"   and measure.grave_crime = true and measure.treaty != \"x\" and measure.transfer_basis in [adequacy, null]\n"
	"   and measure.requested_measure = search and party.permanent_resident = false and not not party.id\n"
	"  notify bar_president\n"
	"end\n";

static void test_parse_constructs(void **state)
{
	custos_ruleset *rs = parse(full_src);
	assert_int_equal(custos_rules_count(rs), 4);
	assert_string_equal(custos_rules_id(rs, 0), "vcdr.29.person");
	assert_string_equal(custos_rules_id(rs, 1), "a.b_c.90ter");
	assert_string_equal(custos_rules_id(rs, 2), "always");
	assert_string_equal(custos_rules_id(rs, 3), "cmp");
	assert_null(custos_rules_id(rs, 4));
	assert_int_equal(custos_rules_grace_days(rs), 30);
	assert_int_equal(strncmp(custos_rules_hash(rs), "sha256:", 7), 0);
	assert_int_equal(strlen(custos_rules_hash(rs)), 71);
	size_t len;
	const char *c = custos_rules_canonical(rs, &len);
	assert_int_equal(strlen(c), len);
	assert_non_null(strstr(c, "grace_days 30\n"));
	assert_non_null(strstr(c, "explain \"The person of a diplomatic agent is \\\"inviolable\\\" \\\\ here.\""));
	assert_non_null(strstr(c, "  require investigating_judge, prosecutor\n  notify comite_r\n"));
	assert_non_null(strstr(c, "when (measure.framework = criminal or measure.scope != null) and "
				  "measure.requesting_state not in eu\n"));
	custos_ruleset_free(rs);

	/* an empty rule set is valid; grace_days defaults to 0 */
	rs = parse("# nothing\n");
	assert_int_equal(custos_rules_count(rs), 0);
	assert_int_equal(custos_rules_grace_days(rs), 0);
	custos_ruleset_free(rs);
}

struct bad {
	const char *src;
	const char *msg; /* the whole message */
};

static const struct bad bads[] = {
	{"rule x cite \"c\" explain \"e\"\n  when party.category = diplomat forbid end",
	 "t.rules:2:25: unknown category 'diplomat' (expected one of diplomatic_agent, diplomatic_family, "
	 "admin_technical_staff, service_staff, private_servant, consular_officer, consular_employee, io_official, "
	 "mep, member_of_parliament, refugee, lawyer, physician, journalist, mission, consular_post, io_premises, head_of_state, special_mission)"},
	{"rule x cite \"c\" explain \"e\" when measure.kindd = search forbid end",
	 "t.rules:1:34: unknown attribute 'measure.kindd'"},
	{"rule x cite \"c\" explain \"e\" require judge end",
	 "t.rules:1:37: unknown role 'judge' (expected one of foreign_affairs, investigating_judge, prosecutor, "
	 "bim_commission, service_head, central_authority, data_protection_officer, bar_president, medical_order, "
	 "parliament_president, comite_r, first_president, supervisory_authority)"},
	{"rule vcdr.29 cite \"c\" explain \"e\" forbid end\nrule vcdr.29 cite \"c\" explain \"e\" forbid end",
	 "t.rules:2:6: duplicate rule id 'vcdr.29'"},
	{"\n\nrule x explain \"e\" forbid end", "t.rules:3:1: rule 'x' has no cite"},
	{"rule x cite \"c\" forbid end", "t.rules:1:1: rule 'x' has no explain"},
	{"rule x cite \"c\" explain \"e\" end", "t.rules:1:1: rule 'x' has no effect (forbid, require, notify, condition or reject)"},
	{"rule x cite \"c\n\" explain \"e\" forbid end", "t.rules:1:13: unterminated string"},
	{"rule x cite \"c\" explain \"caf\xe9\" forbid end", "t.rules:1:25: string is not valid UTF-8"},
	{"rule x cite \"\xed\xa0\x80\" explain \"e\" forbid end", "t.rules:1:13: string is not valid UTF-8"},
	{"grace_days 3\ngrace_days 4", "t.rules:2:1: 'grace_days' set twice"},
	{"rule x cite \"c\" explain \"e\" when measure.requesting_state in eu forbid end\nset eu = [BE]",
	 "t.rules:1:62: set 'eu' used before definition"},
	{"rule x cite \"c\" explain \"e\" when measure.requesting_state in eu forbid end",
	 "t.rules:1:62: unknown set 'eu'"},
	{"rule x cite \"c\" explain \"e\" when party.nationality = interception forbid end",
	 "t.rules:1:54: cannot compare party.nationality (country) with interception (expected a country: two "
	 "upper-case letters)"},
	{"rule x cite \"c\" explain \"e\" when party.nationality = measure.kind forbid end",
	 "t.rules:1:54: cannot compare party.nationality (country) with measure.kind (kind)"},
	{"rule x cite \"c\" explain \"e\" when party.nationality = Be forbid end",
	 "t.rules:1:54: malformed country 'Be' (expected two upper-case letters)"},
	{"set eu = [BE, fr]\nrule x cite \"c\" explain \"e\" when measure.requesting_state in eu forbid end",
	 "t.rules:1:15: malformed country 'fr' (expected two upper-case letters) (in set 'eu', used with "
	 "measure.requesting_state at t.rules:2:34)"},
	{"rule x cite \"c\" cite \"d\" explain \"e\" forbid end", "t.rules:1:17: 'cite' given twice in rule 'x'"},
	{"rule x cite \"c\" explain \"e\" when measure.grave_crime when measure.reciprocity forbid end",
	 "t.rules:1:54: 'when' given twice in rule 'x'"},
	{"set a = [BE]\nset a = [FR]", "t.rules:2:5: set 'a' defined twice"},
	{"rule x cite \"c\" explain \"e\" when measure.kind = 3 forbid end",
	 "t.rules:1:49: cannot compare measure.kind (kind) with 3 (no attribute is a number)"},
	{"rule x cite \"c\" explain \"e\" when measure.grounds = none forbid end",
	 "t.rules:1:52: cannot compare measure.grounds (string) with none (write strings in double quotes)"},
	{"rule x cite \"c\" explain \"e\" when measure.scope = none forbid end",
	 "t.rules:1:50: unknown scope 'none' (expected one of content, metadata)"},
	{"rule x cite \"c\" explain \"e\" when measure.kind = \"search\" forbid end",
	 "t.rules:1:49: cannot compare measure.kind (kind) with \"search\""},
	{"rule x cite \"c\" explain \"e\" when measure.reciprocity = yes forbid end",
	 "t.rules:1:56: cannot compare measure.reciprocity (bool) with yes (expected true or false)"},
	{"rule x cite \"c\" explain \"e\" condition max_days 0 end", "t.rules:1:48: max_days must be at least 1"},
	{"rule x cite \"c\" explain \"e\" condition shortest end",
	 "t.rules:1:39: unknown condition 'shortest' (expected max_days or minimise)"},
	{"rule x cite \"c\" explain \"e\" forbid", "t.rules:1:35: expected a clause (cite, explain, when, forbid, "
					     "require, notify, condition, reject, confirm) or 'end' in rule 'x', found end of file"},
	{"rule x cite \"c\" explain \"e\" when measure.kind in [search forbid end",
	 "t.rules:1:58: expected ',' or ']', found 'forbid'"},
	{"rule x cite \"c\" explain \"e\" when (measure.grave_crime forbid end",
	 "t.rules:1:55: expected ')', found 'forbid'"},
	{"rule x cite \"c\" explain \"e\" when measure.kind not search forbid end",
	 "t.rules:1:51: expected 'in' after 'not', found 'search'"},
	{"rule x cite \"c\" explain \"e\" when kind = search forbid end",
	 "t.rules:1:34: unknown attribute 'kind'"},
	{"rule x cite \"c\\n\" explain \"e\" forbid end",
	 "t.rules:1:15: unknown escape in string (only \\\" and \\\\)"},
	{"rule x cite \"c\" explain \"e\" when measure.kind @ search forbid end",
	 "t.rules:1:47: unexpected character '@'"},
	{"rule x cite \"c\" explain \"e\" require foreign_affairs, foreign_affairs end",
	 "t.rules:1:54: role 'foreign_affairs' listed twice in rule 'x'"},
	{"rules x", "t.rules:1:1: expected 'rule', 'set', 'grace_days' or 'name_match', found 'rules'"},
	{"name_match min_words 1 min_score 75",
	 "t.rules:1:22: min_words must be 2 to 8 (a first name or a surname alone never hits)"},
	{"name_match min_words 2 min_score 101", "t.rules:1:34: min_score must be 1 to 100"},
	{"name_match min_score 75", "t.rules:1:12: expected 'min_words', found 'min_score'"},
	{"name_match min_words 2 min_score 75\nname_match min_words 2 min_score 75", "t.rules:2:1: 'name_match' set twice"},
	{"grace_days 99999999", "t.rules:1:12: number too large (at most 1000000)"},
	{"rule end cite \"c\" explain \"e\" forbid end", "t.rules:1:6: expected a rule id after 'rule', found 'end'"},
	{"rule x cite \"c\" explain \"e\" when measure.kind = search or forbid end",
	 "t.rules:1:59: expected an attribute (measure.* or party.*), found 'forbid'"},
	{"rule x cite \"c\" explain \"e\" when measure.kind in 5 forbid end",
	 "t.rules:1:50: expected a list '[...]' or a set name after 'in', found number 5"},
	{"set d = [diplomatic_agent]\nrule x cite \"c\" explain \"e\" when measure.kind in d forbid end",
	 "t.rules:1:10: unknown kind 'diplomatic_agent' (expected one of interception, it_intrusion, "
	 "audio_surveillance, observation, search, data_access, data_transfer, mla_request, intelligence_exchange) "
	 "(in set 'd', used with measure.kind at t.rules:2:34)"},
	/* confirm: an asserted flag and the role that confirms it */
	{"rule x cite \"c\" explain \"e\" require investigating_judge confirm measure.grave_crime by prosecutor end",
	 "t.rules:1:57: rule 'x' asks prosecutor to confirm measure.grave_crime but does not require prosecutor"},
	{"rule x cite \"c\" explain \"e\" require foreign_affairs confirm measure.kind by foreign_affairs end",
	 "t.rules:1:61: confirm reads a flag: measure.kind is a kind, not a bool or string"},
	{"rule x cite \"c\" explain \"e\" require foreign_affairs confirm not party.waiver by foreign_affairs end",
	 "t.rules:1:65: confirm reads a flag: party.waiver is a string, not a bool"},
	{"rule x cite \"c\" explain \"e\" require foreign_affairs confirm party.waiver foreign_affairs end",
	 "t.rules:1:74: expected 'by' and the confirming role, found 'foreign_affairs'"},
	{"rule x cite \"c\" explain \"e\" require foreign_affairs confirm party.waiver by judge end",
	 "t.rules:1:77: unknown role 'judge' (expected one of foreign_affairs, investigating_judge, prosecutor, "
	 "bim_commission, service_head, central_authority, data_protection_officer, bar_president, medical_order, "
	 "parliament_president, comite_r, first_president, supervisory_authority)"},
	{"rule x cite \"c\" explain \"e\" require foreign_affairs confirm party.waiver by foreign_affairs "
	 "confirm party.waiver by foreign_affairs end",
	 "t.rules:1:93: party.waiver confirmed twice in rule 'x'"},
	{"rule x cite \"c\" explain \"e\" when measure.place = inside forbid end",
	 "t.rules:1:50: unknown place 'inside' (expected one of private, public)"},
	{"rule x cite \"c\" explain \"e\" when measure.diplomatic_bag = true forbid end",
	 "t.rules:1:59: cannot compare measure.diplomatic_bag (bag) with true"},
	{"set eu = [FR from \"1958-13-01\"]", "t.rules:1:19: expected a date \"YYYY-MM-DD\" after 'from'"},
	{"set eu = [FR from \"2000-01-01\" to \"1999-01-01\"]", "t.rules:1:14: 'to' is before 'from'"},
	{"set k = [search from \"2000-01-01\"]\nrule x cite \"c\" explain \"e\" when measure.kind in k forbid end",
	 "t.rules:1:10: only a country may carry dates (from, to)"},
	{"rule x cite \"c\" explain \"e\" when measure.diplomatic_bag = none forbid end",
	 "t.rules:1:59: unknown bag 'none' (expected one of diplomatic, consular)"},
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		custos_rules_source s = {"t.rules", bads[i].src, strlen(bads[i].src)};
		custos_ruleset *rs = (custos_ruleset *)1;
		int rc = custos_rules_parse(&rs, &s, 1);
		if (rc != CUSTOS_EINVALID || strcmp(custos_error_last(), bads[i].msg) != 0)
			print_error("case %zu: rc %d\n  got:  %s\n  want: %s\n", i, rc, custos_error_last(), bads[i].msg);
		assert_int_equal(rc, CUSTOS_EINVALID);
		assert_null(rs);
		assert_string_equal(custos_error_last(), bads[i].msg);
	}
}

/* Errors in a later file name that file; sets carry over from earlier files. */
static void test_multi_source(void **state)
{
	custos_rules_source s[2] = {
		{"dir/a.rules", "set eu = [BE]\n", 14},
		{"dir/b.rules", "rule x cite \"c\" explain \"e\" when measure.requesting_state in eu forbid end\n"
			      "rule y cite \"c\" explain \"e\" when measure.kind = bad forbid end\n", 0},
	};
	custos_ruleset *rs;
	s[1].len = strlen(s[1].text);
	assert_int_equal(custos_rules_parse(&rs, s, 2), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "dir/b.rules:2:49: unknown kind 'bad'"));

	/* used before definition across files */
	custos_rules_source t[2] = {
		{"a.rules", "rule x cite \"c\" explain \"e\" when measure.requesting_state in eu forbid end\n", 0},
		{"b.rules", "set eu = [BE]\n", 14},
	};
	t[0].len = strlen(t[0].text);
	assert_int_equal(custos_rules_parse(&rs, t, 2), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "a.rules:1:62: set 'eu' used before definition");

	/* duplicate ids across files */
	custos_rules_source u[2] = {
		{"a.rules", "rule x cite \"c\" explain \"e\" forbid end\n", 0},
		{"b.rules", "\nrule x cite \"c\" explain \"e\" forbid end\n", 0},
	};
	u[0].len = strlen(u[0].text);
	u[1].len = strlen(u[1].text);
	assert_int_equal(custos_rules_parse(&rs, u, 2), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "b.rules:2:6: duplicate rule id 'x'");
}

static void test_limits(void **state)
{
	char *big;
	size_t n, cap = 2u << 20;
	custos_ruleset *rs;
	custos_rules_source s = {"t.rules", NULL, 0};

	big = malloc(cap);
	assert_non_null(big);

	/* nesting: 64 levels pass, 65 fail */
	for (int depth = 64; depth <= 65; depth++) {
		n = (size_t)snprintf(big, cap, "rule x cite \"c\" explain \"e\" when ");
		for (int i = 0; i < depth; i++)
			big[n++] = '(';
		n += (size_t)snprintf(big + n, cap - n, "measure.grave_crime");
		for (int i = 0; i < depth; i++)
			big[n++] = ')';
		n += (size_t)snprintf(big + n, cap - n, " forbid end");
		s.text = big;
		s.len = n;
		int rc = custos_rules_parse(&rs, &s, 1);
		if (depth == 64) {
			assert_int_equal(rc, 0);
			custos_ruleset_free(rs);
		} else {
			assert_int_equal(rc, CUSTOS_EINVALID);
			assert_string_equal(custos_error_last(), "t.rules:1:98: expression nested deeper than 64 levels");
		}
	}
	/* a deep chain of 'not' is refused too, without recursion trouble */
	n = (size_t)snprintf(big, cap, "rule x cite \"c\" explain \"e\" when ");
	for (int i = 0; i < 100000; i++)
		n += (size_t)snprintf(big + n, cap - n, "not ");
	n += (size_t)snprintf(big + n, cap - n, "measure.grave_crime forbid end");
	s.len = n;
	assert_int_equal(custos_rules_parse(&rs, &s, 1), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "nested deeper than 64 levels"));

	/* a string of 4096 bytes passes, 4097 fails */
	for (int len = 4096; len <= 4097; len++) {
		n = (size_t)snprintf(big, cap, "rule x cite \"");
		memset(big + n, 'a', (size_t)len);
		n += (size_t)len;
		n += (size_t)snprintf(big + n, cap - n, "\" explain \"e\" forbid end");
		s.len = n;
		int rc = custos_rules_parse(&rs, &s, 1);
		if (len == 4096) {
			assert_int_equal(rc, 0);
			custos_ruleset_free(rs);
		} else {
			assert_int_equal(rc, CUSTOS_EINVALID);
			assert_string_equal(custos_error_last(), "t.rules:1:13: string longer than 4096 bytes");
		}
	}

	/* 10,000 rules pass, 10,001 fail */
	for (int count = 10000; count <= 10001; count++) {
		n = 0;
		for (int i = 0; i < count; i++)
			n += (size_t)snprintf(big + n, cap - n, "rule r%d cite \"c\" explain \"e\" forbid end\n", i);
		s.len = n;
		int rc = custos_rules_parse(&rs, &s, 1);
		if (count == 10000) {
			assert_int_equal(rc, 0);
			assert_int_equal(custos_rules_count(rs), 10000);
			custos_ruleset_free(rs);
		} else {
			assert_int_equal(rc, CUSTOS_EINVALID);
			assert_string_equal(custos_error_last(), "t.rules:10001:1: more than 10000 rules");
		}
	}

	/* a source over 1 MiB */
	memset(big, ' ', (1u << 20) + 1);
	s.len = (1u << 20) + 1;
	assert_int_equal(custos_rules_parse(&rs, &s, 1), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "t.rules: larger than 1048576 bytes");

	/* a NUL byte in a string */
	s.text = "rule x cite \"a\0b\" explain \"e\" forbid end";
	s.len = 41;
	assert_int_equal(custos_rules_parse(&rs, &s, 1), CUSTOS_EINVALID);
	assert_string_equal(custos_error_last(), "t.rules:1:15: NUL byte in string");
	free(big);
}

/* ---- canonical form and hash --------------------------------------------------- */

static const char *const base_src = "grace_days 30\n"
				    "set intrusive = [interception, search]\n"
				    "rule a.1 cite \"A\" explain \"why\"\n"
				    "  when measure.kind in intrusive and party.category = mission\n"
				    "  forbid\n"
				    "end\n"
				    "rule a.2 cite \"B\" explain \"why\" when measure.kind = mla_request require central_authority, "
				    "prosecutor notify comite_r end\n";

static void test_canonical(void **state)
{
	char h0[72], h1[72];
	hash_of(base_src, h0);

	/* comments, whitespace, clause order of cite/explain/when, split role lists: same hash */
	hash_of("# a comment\n\n\ngrace_days    30   # thirty\n"
		"set intrusive=[ interception ,search ]\n"
		"rule a.1\n\texplain \"why\"\n\tcite \"A\"\n\twhen (measure.kind in intrusive) and (party.category = mission)\n"
		"\tforbid\nend\n"
		"rule a.2 when measure.kind = mla_request\n cite \"B\" explain \"why\" require central_authority\n"
		"require prosecutor notify comite_r end # done\n",
		h1);
	assert_string_equal(h0, h1);

	/* grace_days 0 is the default */
	assert_string_equal(hash_of("rule x cite \"c\" explain \"e\" forbid end", h0),
			    hash_of("grace_days 0 rule x cite \"c\" explain \"e\" forbid end", h1));

	/* a split over files hashes as one text */
	{
		custos_rules_source s[2] = {{"a", base_src, 0}, {"b", "", 0}};
		custos_ruleset *rs;
		size_t cut = strstr(base_src, "rule a.2") - base_src;
		s[0].len = cut;
		s[1].text = base_src + cut;
		s[1].len = strlen(base_src + cut);
		assert_int_equal(custos_rules_parse(&rs, s, 2), 0);
		assert_string_equal(custos_rules_hash(rs), hash_of(base_src, h0));
		custos_ruleset_free(rs);
	}

	/* every semantic change changes the hash */
	static const char *const changes[][2] = {
		{"grace_days 30", "grace_days 31"},
		{"[interception, search]", "[interception, observation]"},
		{"party.category = mission", "party.category != mission"},
		{"cite \"A\"", "cite \"A.\""},
		{"explain \"why\" when", "explain \"why?\" when"},
		{"forbid", "require foreign_affairs"},
		{"central_authority, prosecutor", "prosecutor, central_authority"},
		{"notify comite_r", "notify comite_r condition max_days 5"},
		{"rule a.1", "rule a.one"},
		{"measure.kind in intrusive and", "measure.kind in intrusive or"},
	};
	hash_of(base_src, h0);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		const char *at = strstr(base_src, changes[i][0]);
		char text[1024];
		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base_src), base_src, changes[i][1],
			 at + strlen(changes[i][0]));
		hash_of(text, h1);
		if (strcmp(h0, h1) == 0)
			print_error("change %zu did not change the hash\n", i);
		assert_string_not_equal(h0, h1);
	}
}

/* The canonical text re-parses to itself, and its hash is sha256 of it. */
static void test_canonical_round_trip(void **state)
{
	const char *srcs[] = {full_src, base_src,
			      "rule x cite \"c\" explain \"e\" when not (measure.grave_crime or measure.reciprocity) and "
			      "(measure.kind = search and (measure.offence or not not measure.waiver)) forbid end"};
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		custos_ruleset *a = parse(srcs[i]), *b;
		size_t la, lb;
		const char *ca = custos_rules_canonical(a, &la);
		b = parse(ca);
		const char *cb = custos_rules_canonical(b, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(ca, cb, la);
		assert_string_equal(custos_rules_hash(a), custos_rules_hash(b));
		custos_ruleset_free(a);
		custos_ruleset_free(b);
	}
	custos_ruleset *rs = parse(srcs[2]);
	assert_non_null(strstr(custos_rules_canonical(rs, NULL),
			       "when not (measure.grave_crime or measure.reciprocity) and measure.kind = search and "
			       "(measure.offence or not not measure.waiver)\n"));
	custos_ruleset_free(rs);
}

/* ---- evaluation ----------------------------------------------------------------- */

static void test_deny_overrides(void **state)
{
	const char *rules = R("r1", "measure.kind = search", "require foreign_affairs")
		R("r2", "party.category = mission", "forbid") R("r3", "measure.kind = search", "notify comite_r");
	custos_measure m = measure(CUSTOS_KIND_SEARCH);
	custos_party p = party("P-1", CUSTOS_CAT_MISSION, "MR");
	custos_subject s = {&p, CUSTOS_STATUS_ACTIVE, "x", "y"};
	custos_decision d = decide(rules, &m, &s, 1);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	assert_int_equal(d.nfindings, 3);
	assert_string_equal(d.findings[0].rule, "r1");
	assert_null(d.findings[0].party);
	assert_int_equal(d.findings[1].effect, CUSTOS_EFFECT_FORBID);
	assert_string_equal(d.findings[1].party, "P-1");
	assert_int_equal(d.napprovals, 2);
	done(&d);

	/* without the mission: needs approval; notify alone: permitted */
	d = decide(rules, &m, NULL, 0);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_NEEDS_APPROVAL);
	done(&d);
	d = decide(R("r3", "measure.kind = search", "notify comite_r"), &m, NULL, 0);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_PERMITTED);
	assert_int_equal(d.napprovals, 1);
	assert_int_equal(d.approvals[0].notify, 1);
	done(&d);
	/* nothing fires */
	m.kind = CUSTOS_KIND_DATA_ACCESS;
	d = decide(rules, &m, NULL, 0);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_PERMITTED);
	assert_int_equal(d.nfindings, 0);
	assert_null(d.findings);
	assert_null(d.reject);
	done(&d);
}

static void test_require_notify_dedup(void **state)
{
	const char *rules = "rule n cite \"c\" explain \"e\" notify comite_r, foreign_affairs, bar_president end\n"
			    "rule q cite \"c\" explain \"e\" require service_head, foreign_affairs end\n"
			    "rule q2 cite \"c\" explain \"e\" require foreign_affairs end\n";
	custos_measure m = measure(CUSTOS_KIND_OBSERVATION);
	custos_decision d = decide(rules, &m, NULL, 0);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_NEEDS_APPROVAL);
	assert_int_equal(d.nfindings, 6);
	assert_int_equal(d.findings[0].effect, CUSTOS_EFFECT_NOTIFY);
	assert_int_equal(d.findings[0].role, CUSTOS_ROLE_COMITE_R);
	assert_int_equal(d.napprovals, 4);
	/* enum order: foreign_affairs, service_head, bar_president, comite_r */
	assert_int_equal(d.approvals[0].role, CUSTOS_ROLE_FOREIGN_AFFAIRS);
	assert_int_equal(d.approvals[0].notify, 0);
	assert_int_equal(d.approvals[1].role, CUSTOS_ROLE_SERVICE_HEAD);
	assert_int_equal(d.approvals[1].notify, 0);
	assert_int_equal(d.approvals[2].role, CUSTOS_ROLE_BAR_PRESIDENT);
	assert_int_equal(d.approvals[2].notify, 1);
	assert_int_equal(d.approvals[3].role, CUSTOS_ROLE_COMITE_R);
	assert_int_equal(d.approvals[3].notify, 1);
	done(&d);
}

static void test_conditions(void **state)
{
	const char *rules = "rule a cite \"c\" explain \"e\" condition max_days 60 condition minimise content end\n"
			    "rule b cite \"c\" explain \"e\" condition minimise third_parties condition max_days 30 end\n"
			    "rule c cite \"c\" explain \"e\" condition max_days 45 condition minimise content end\n";
	custos_measure m = measure(CUSTOS_KIND_INTERCEPTION);
	custos_decision d = decide(rules, &m, NULL, 0);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_PERMITTED);
	assert_int_equal(d.max_days, 30);
	assert_int_equal(d.nminimise, 2);
	assert_string_equal(d.minimise[0], "content");
	assert_string_equal(d.minimise[1], "third_parties");
	assert_int_equal(d.nfindings, 6);
	assert_int_equal(d.findings[0].max_days, 60);
	assert_null(d.findings[0].minimise);
	assert_int_equal(d.findings[1].max_days, 0);
	done(&d);
}

static void test_per_party(void **state)
{
	const char *rules = R("m", "measure.kind = interception", "notify comite_r")
		R("p", "party.category in [lawyer, journalist]", "require bim_commission")
			R("q", "measure.kind = interception and party.status = grace", "forbid");
	custos_measure m = measure(CUSTOS_KIND_INTERCEPTION);
	custos_party a = party("A", CUSTOS_CAT_LAWYER, "BE"), b = party("B", CUSTOS_CAT_PHYSICIAN, "BE"),
		     c = party("C", CUSTOS_CAT_JOURNALIST, NULL);
	custos_subject s[3] = {{&a, CUSTOS_STATUS_ACTIVE, 0, 0}, {&b, CUSTOS_STATUS_GRACE, 0, 0},
			       {&c, CUSTOS_STATUS_GRACE, 0, 0}};
	custos_decision d = decide(rules, &m, s, 3);
	/* m once; p for A and C; q for B and C — by rule, then subject */
	assert_int_equal(d.nfindings, 5);
	assert_string_equal(d.findings[0].rule, "m");
	assert_null(d.findings[0].party);
	assert_string_equal(d.findings[1].rule, "p");
	assert_string_equal(d.findings[1].party, "A");
	assert_string_equal(d.findings[2].rule, "p");
	assert_string_equal(d.findings[2].party, "C");
	assert_string_equal(d.findings[3].rule, "q");
	assert_string_equal(d.findings[3].party, "B");
	assert_string_equal(d.findings[4].party, "C");
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	done(&d);

	/* no subjects: per-party rules never fire, per-measure rules still do */
	assert_int_equal(fire_count(rules, &m, NULL, 0), 1);
	/* a rule reading a party attribute only through a set is per-party too */
	assert_int_equal(fire_count("set s = [party.nationality]\n" R("x", "measure.requesting_state in s", "forbid"),
				    &m, NULL, 0),
			 0);
}

/*
 * Asserted facts: a waiver counts only for the party it names and only from
 * that party's sending state; a finding that rests on it lists the
 * assertion and the role that must confirm it, once per (flag, party, role).
 */
static void test_assertions(void **state)
{
	const char *rules = R("w", "party.waiver", "require foreign_affairs confirm party.waiver by foreign_affairs")
		R("nw", "not party.waiver", "forbid")
			R("pi", "measure.personal_involvement", "require investigating_judge confirm measure.personal_involvement by investigating_judge")
				R("pi2", "measure.personal_involvement", "require investigating_judge, prosecutor confirm measure.personal_involvement by investigating_judge");
	custos_measure m = measure(CUSTOS_KIND_DATA_TRANSFER);
	custos_party a = party("A", CUSTOS_CAT_DIPLOMATIC_AGENT, "QA"), b = party("B", CUSTOS_CAT_DIPLOMATIC_AGENT, "MR"),
		     c = party("C", CUSTOS_CAT_DIPLOMATIC_AGENT, "QA");
	custos_grant w[2] = {{"A", "QA", "NV 40"}, {"C", "MR", "NV 41"}};
	custos_subject s[3] = {{&a, CUSTOS_STATUS_ACTIVE, 0, 0}, {&b, CUSTOS_STATUS_ACTIVE, 0, 0},
			       {&c, CUSTOS_STATUS_ACTIVE, 0, 0}};
	custos_decision d;
	(void)state;
	memcpy(a.sending_state, "QA", 3);
	memcpy(b.sending_state, "MR", 3);
	memcpy(c.sending_state, "QA", 3);
	m.waivers = w;
	m.nwaivers = 2;
	m.personal_involvement = true;
	d = decide(rules, &m, s, 3);
	/* A's waiver lifts A only; B has none; C's comes from the wrong state */
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	assert_int_equal(d.nassertions, 2);
	assert_string_equal(d.assertions[0].flag, "waiver");
	assert_string_equal(d.assertions[0].value, "NV 40");
	assert_string_equal(d.assertions[0].party, "A");
	assert_string_equal(d.assertions[0].rule, "w");
	assert_int_equal(d.assertions[0].confirm_by, CUSTOS_ROLE_FOREIGN_AFFAIRS);
	assert_string_equal(d.assertions[1].flag, "personal_involvement");
	assert_string_equal(d.assertions[1].value, "true");
	assert_null(d.assertions[1].party);
	assert_string_equal(d.assertions[1].rule, "pi"); /* pi2 rests on the same fact: listed once */
	assert_int_equal(d.assertions[1].confirm_by, CUSTOS_ROLE_INVESTIGATING_JUDGE);
	assert_int_equal(d.nfindings, 6); /* w(A), nw(B), nw(C), pi, pi2 x2 */
	done(&d);

	/* without the flags nothing is asserted */
	m.nwaivers = 0;
	m.personal_involvement = false;
	d = decide(rules, &m, s, 1);
	assert_int_equal(d.nassertions, 0);
	assert_null(d.assertions);
	done(&d);

	/* a ground confirmed absent: asserted only while the flag is false */
	{
		const char *neg = R("g", "measure.kind = data_transfer",
				    "require central_authority confirm not measure.political_offence by central_authority");
		d = decide(neg, &m, NULL, 0);
		assert_int_equal(d.nassertions, 1);
		assert_string_equal(d.assertions[0].flag, "political_offence");
		assert_string_equal(d.assertions[0].value, "false");
		done(&d);
		m.political_offence = true;
		d = decide(neg, &m, NULL, 0);
		assert_int_equal(d.nassertions, 0);
		done(&d);
		m.political_offence = false;
		kept = parse(neg);
		assert_non_null(strstr(custos_rules_canonical(kept, NULL), "  confirm not measure.political_offence by central_authority\n"));
		custos_ruleset_free(kept);
		kept = NULL;
	}

	/* the canonical form keeps the confirm clause */
	kept = parse(rules);
	assert_non_null(strstr(custos_rules_canonical(kept, NULL), "  require foreign_affairs\n  confirm party.waiver by foreign_affairs\nend\n"));
	custos_ruleset_free(kept);
	kept = NULL;
}

/* A dated list member counts only if it is a member on every day of the measure's period. */
static void test_dated_lists(void **state)
{
	const char *rules = "set eu = [FR, GB from \"1973-01-01\" to \"2020-01-31\", HR from \"2013-07-01\"]\n" R(
		"member", "measure.requesting_state in eu", "notify comite_r") R("out", "measure.requesting_state not in eu", "forbid");
	custos_measure m = measure(CUSTOS_KIND_DATA_TRANSFER);
	struct {
		const char *state, *from, *to;
		const char *rule;
	} cases[] = {
		{"FR", "1950-01-01", "1950-01-02", "member"}, {"GB", "2019-01-01", "2019-12-31", "member"},
		{"GB", "2020-01-15", "2020-02-15", "out"},    {"GB", "2021-01-01", "2021-01-01", "out"},
		{"HR", "2013-06-30", "2013-07-01", "out"},    {"HR", "2013-07-01", "2013-07-01", "member"},
		{"US", "2013-07-01", "2013-07-01", "out"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		custos_decision d;
		memcpy(m.requesting_state, cases[i].state, 3);
		assert_int_equal(custos_date_parse(&m.from, cases[i].from), 0);
		assert_int_equal(custos_date_parse(&m.to, cases[i].to), 0);
		d = decide(rules, &m, NULL, 0);
		if (d.nfindings != 1 || strcmp(d.findings[0].rule, cases[i].rule) != 0)
			fail_msg("case %zu: %s %s..%s: want %s", i, cases[i].state, cases[i].from, cases[i].to, cases[i].rule);
		done(&d);
	}
	kept = parse(rules);
	assert_non_null(strstr(custos_rules_canonical(kept, NULL),
			       "set eu = [FR, GB from \"1973-01-01\" to \"2020-01-31\", HR from \"2013-07-01\"]\n"));
	custos_ruleset_free(kept);
	kept = NULL;
}

/* custos rules check's analysis: rules that never fire, shadowed ones, forbids that disagree with a lifted protection. */
static void test_analysis(void **state)
{
	const char *rules =
		"set eu = [FR, HR from \"2013-07-01\"]\n"
		R("never.kind", "measure.kind = search and measure.kind = interception", "forbid")
		R("never.scope", "measure.kind = search and measure.scope = content", "require prosecutor")
		R("never.dated", "measure.requesting_state in eu and measure.requesting_state not in eu", "notify comite_r")
		R("never.attrs", "party.nationality = measure.requesting_state and party.nationality != measure.requesting_state",
		  "forbid")
		R("sometimes.dated", "measure.requesting_state = HR and measure.requesting_state not in eu", "forbid")
		R("lawyer.forbid", "party.category = lawyer and not measure.personal_involvement", "forbid")
		R("lawyer.bar", "party.category = lawyer and not measure.personal_involvement and measure.kind = search",
		  "notify bar_president")
		R("lawyer.ok", "party.category = lawyer and measure.personal_involvement",
		  "require investigating_judge confirm measure.personal_involvement by investigating_judge")
		"rule mandate cite \"other source\" explain \"e\" when party.category = lawyer and measure.concerns_mandate forbid end\n";
	custos_ruleset *rs = parse(rules);
	char *json = NULL;
	(void)state;
	assert_int_equal(custos_rules_analyse(rs, &json), 0);
	assert_string_equal(json, "{\"never_fires\":[\"never.kind\",\"never.scope\",\"never.dated\",\"never.attrs\"],"
				  "\"shadowed\":[{\"rule\":\"lawyer.bar\",\"by\":\"lawyer.forbid\"}],"
				  "\"disagree\":[{\"forbid\":\"mandate\",\"lifts\":\"lawyer.ok\",\"cites\":[\"other source\",\"c\"]}],"
				  "\"unsearched\":0}");
	free(json);
	custos_ruleset_free(rs);
}

static void test_nulls(void **state)
{
	custos_measure m = measure(CUSTOS_KIND_INTERCEPTION);
	custos_party p = party("P", CUSTOS_CAT_REFUGEE, NULL);
	custos_subject s = {&p, CUSTOS_STATUS_ACTIVE, 0, 0};
	/* everything optional is null */
	assert_int_equal(fire_count(R("a", "measure.scope = null", "forbid") R("b", "measure.transfer_basis = null", "forbid")
					    R("c", "measure.requesting_state = null", "forbid")
						    R("d", "measure.grounds = null", "forbid")
							    R("e", "measure.requested_measure = null", "forbid")
								    R("f", "party.nationality = null", "forbid")
									    R("g", "party.mission = null", "forbid"),
				    &m, &s, 1),
			 7);
	/* null equals no value; != is its negation; truth of null is false */
	assert_int_equal(fire_count(R("a", "measure.scope = content", "forbid") R("b", "measure.scope != content", "forbid")
					    R("c", "measure.scope", "forbid") R("d", "measure.grounds", "forbid")
						    R("e", "measure.scope in [content, metadata]", "forbid")
							    R("f", "measure.scope in [content, null]", "forbid")
								    R("g", "measure.scope not in [content]", "forbid"),
				    &m, &s, 1),
			 3); /* b, f, g */
	/* null = null between two attributes is false */
	assert_int_equal(fire_count(R("a", "party.country_of_origin = measure.requesting_state", "forbid"), &m, &s, 1), 0);
	assert_int_equal(fire_count(R("a", "party.country_of_origin != measure.requesting_state", "forbid"), &m, &s, 1), 1);

	/* with values set */
	m.scope = CUSTOS_SCOPE_CONTENT;
	m.grounds = "";
	m.requested_by = "vsse";
	m.requested_measure = CUSTOS_KIND_SEARCH;
	memcpy(m.requesting_state, "KZ", 3);
	assert_int_equal(fire_count(R("a", "measure.scope = null", "forbid") R("b", "measure.scope = content", "forbid")
					    R("c", "measure.grounds", "forbid") R("d", "measure.grounds = null", "forbid")
						    R("e", "measure.grounds = \"\"", "forbid")
							    R("f", "measure.requested_by = \"vsse\"", "forbid")
								    R("g", "measure.requested_measure = search", "forbid")
									    R("h", "measure.requesting_state = KZ", "forbid"),
				    &m, &s, 1),
			 5); /* b, e, f, g, h */
}

static void test_not_in_and_sets(void **state)
{
	const char *rules = "set eu = [BE, FR, DE]\n"
			    "set dipl = [diplomatic_agent, diplomatic_family]\n"
			    "set services = [\"vsse\", \"sgrs\"]\n" R("in_eu", "measure.requesting_state in eu", "forbid")
				    R("not_eu", "measure.requesting_state not in eu", "require central_authority")
					    R("dip", "party.category in dipl", "notify foreign_affairs")
						    R("notdip", "party.category not in dipl", "notify comite_r")
							    R("svc", "measure.requested_by in services", "condition max_days 9");
	custos_measure m = measure(CUSTOS_KIND_MLA_REQUEST);
	custos_party a = party("A", CUSTOS_CAT_DIPLOMATIC_FAMILY, NULL), b = party("B", CUSTOS_CAT_MEP, NULL);
	custos_subject s[2] = {{&a, CUSTOS_STATUS_ACTIVE, 0, 0}, {&b, CUSTOS_STATUS_ACTIVE, 0, 0}};
	memcpy(m.requesting_state, "KZ", 3);
	m.requested_by = "sgrs";
	custos_decision d = decide(rules, &m, s, 2);
	assert_int_equal(d.nfindings, 4);
	assert_string_equal(d.findings[0].rule, "not_eu");
	assert_string_equal(d.findings[1].rule, "dip");
	assert_string_equal(d.findings[1].party, "A");
	assert_string_equal(d.findings[2].rule, "notdip");
	assert_string_equal(d.findings[2].party, "B");
	assert_string_equal(d.findings[3].rule, "svc");
	assert_int_equal(d.max_days, 9);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_NEEDS_APPROVAL);
	done(&d);

	memcpy(m.requesting_state, "FR", 3);
	m.requested_by = "police";
	d = decide(rules, &m, NULL, 0);
	assert_int_equal(d.nfindings, 1);
	assert_string_equal(d.findings[0].rule, "in_eu");
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	done(&d);

	/* null is not in a set, so it is "not in" it */
	m.requesting_state[0] = '\0';
	d = decide(rules, &m, NULL, 0);
	assert_int_equal(d.nfindings, 1);
	assert_string_equal(d.findings[0].rule, "not_eu");
	done(&d);
}

static void test_attr_compare(void **state)
{
	const char *rules = R("refoul", "party.category = refugee and party.country_of_origin = measure.requesting_state",
			      "forbid") R("own", "party.nationality = party.sending_state", "notify comite_r")
		R("lst", "measure.requesting_state in [party.nationality, party.country_of_origin]", "notify foreign_affairs")
			R("kinds", "measure.kind != measure.requested_measure", "condition max_days 3");
	custos_measure m = measure(CUSTOS_KIND_MLA_REQUEST);
	custos_party p = party("R", CUSTOS_CAT_REFUGEE, "KZ");
	custos_subject s = {&p, CUSTOS_STATUS_ACTIVE, 0, 0};
	memcpy(p.country_of_origin, "KZ", 3);
	memcpy(m.requesting_state, "KZ", 3);
	m.requested_measure = CUSTOS_KIND_MLA_REQUEST;
	custos_decision d = decide(rules, &m, &s, 1);
	assert_int_equal(d.nfindings, 2);
	assert_string_equal(d.findings[0].rule, "refoul");
	assert_string_equal(d.findings[1].rule, "lst");
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	done(&d);

	memcpy(m.requesting_state, "RU", 3);
	memcpy(p.sending_state, "KZ", 3);
	m.requested_measure = CUSTOS_KIND_SEARCH;
	d = decide(rules, &m, &s, 1);
	assert_int_equal(d.nfindings, 2);
	assert_string_equal(d.findings[0].rule, "own");
	assert_string_equal(d.findings[1].rule, "kinds");
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_PERMITTED);
	done(&d);
}

static void test_reject(void **state)
{
	const char *rules = R("ok", "measure.grounds", "notify comite_r")
		R("nogrounds", "not measure.grounds", "notify comite_r reject")
			R("nogrounds2", "measure.kind = search and not measure.grounds", "reject");
	custos_measure m = measure(CUSTOS_KIND_SEARCH);
	custos_decision d = decide(rules, &m, NULL, 0);
	assert_non_null(d.reject);
	assert_string_equal(d.reject->rule, "nogrounds");
	assert_int_equal(d.reject->effect, CUSTOS_EFFECT_REJECT);
	assert_ptr_equal(d.reject, &d.findings[1]);
	done(&d);
	m.grounds = "serious threat";
	d = decide(rules, &m, NULL, 0);
	assert_null(d.reject);
	assert_int_equal(d.nfindings, 1);
	done(&d);
}

/* Same inputs twice give the same findings, field by field; cite and explain come from the rules. */
static void test_determinism(void **state)
{
	custos_ruleset *rs = parse(full_src);
	custos_measure m = measure(CUSTOS_KIND_INTERCEPTION);
	custos_party a = party("A", CUSTOS_CAT_DIPLOMATIC_AGENT, "MR"), b = party("B", CUSTOS_CAT_DIPLOMATIC_FAMILY, "MR");
	custos_subject s[2] = {{&a, CUSTOS_STATUS_ACTIVE, 0, 0}, {&b, CUSTOS_STATUS_GRACE, 0, 0}};
	custos_decision d1, d2;
	m.framework = CUSTOS_FW_CRIMINAL;
	assert_int_equal(custos_rules_evaluate(&d1, rs, &m, s, 2), 0);
	assert_int_equal(custos_rules_evaluate(&d2, rs, &m, s, 2), 0);
	assert_int_equal(d1.nfindings, d2.nfindings);
	assert_true(d1.nfindings >= 6);
	for (size_t i = 0; i < d1.nfindings; i++) {
		assert_string_equal(d1.findings[i].rule, d2.findings[i].rule);
		assert_int_equal(d1.findings[i].effect, d2.findings[i].effect);
		assert_int_equal(d1.findings[i].role, d2.findings[i].role);
		assert_ptr_equal(d1.findings[i].party, d2.findings[i].party);
	}
	assert_string_equal(d1.findings[0].cite, "VCDR art. 29");
	assert_string_equal(d1.findings[0].explain, "The person of a diplomatic agent is \"inviolable\" \\ here.");
	assert_int_equal(d1.outcome, d2.outcome);
	assert_int_equal(d1.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	assert_int_equal(d1.napprovals, d2.napprovals);
	assert_int_equal(d1.max_days, 30);
	/* vcdr.29 for A and B, five from a.b_c.90ter, then 'always' */
	assert_ptr_equal(d1.reject, &d1.findings[7]);
	assert_string_equal(d1.reject->rule, "always");
	custos_decision_dispose(&d1);
	custos_decision_dispose(&d2);
	assert_null(d1.findings);
	custos_ruleset_free(rs);
}

/* Many subjects and many findings (past the evaluator's stack buffers). */
static void test_many(void **state)
{
	custos_ruleset *rs = parse(R("p", "party.status = active", "require foreign_affairs notify comite_r forbid"));
	custos_measure m = measure(CUSTOS_KIND_SEARCH);
	enum { N = 300 };
	custos_party *ps = calloc(N, sizeof(*ps));
	custos_subject *ss = calloc(N, sizeof(*ss));
	char ids[N][16];
	custos_decision d;
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "P%d", i);
		ps[i] = party(ids[i], CUSTOS_CAT_MISSION, "FR");
		ss[i].party = &ps[i];
		ss[i].status = CUSTOS_STATUS_ACTIVE;
	}
	assert_int_equal(custos_rules_evaluate(&d, rs, &m, ss, N), 0);
	assert_int_equal(d.nfindings, 3 * N);
	assert_string_equal(d.findings[3 * N - 1].party, "P299");
	assert_int_equal(d.napprovals, 2);
	custos_decision_dispose(&d);
	free(ps);
	free(ss);
	custos_ruleset_free(rs);
}

/* The worked examples of docs/RULES.md, exactly as written there. */
static const char *const worked_src =
	"grace_days 30\n"
	"set intrusive = [interception, it_intrusion, audio_surveillance, observation, search]\n"
	"set secrecy   = [lawyer, physician, journalist]\n"
	"\n"
	"rule bim.exceptional\n"
	"  cite \"Law of 30 Nov 1998, art. 18/2 §2\"\n"
	"  explain \"An exceptional method needs the head of service and the prior assent of the BIM Commission.\"\n"
	"  when measure.framework = intelligence and measure.kind in intrusive\n"
	"  require service_head, bim_commission\n"
	"  condition max_days 60\n"
	"end\n"
	"\n"
	"rule bim.secrecy\n"
	"  cite \"Law of 30 Nov 1998, art. 2 §2\"\n"
	"  explain \"Professional secrecy of lawyers, physicians and journalists may not be breached unless the person takes part in the threat.\"\n"
	"  when party.category in secrecy and not measure.personal_involvement\n"
	"  forbid\n"
	"end\n"
	"\n"
	"rule bim.secrecy.involved\n"
	"  cite \"Law of 30 Nov 1998, art. 2 §2\"\n"
	"  explain \"The person takes part in the threat: the BIM Commission must assent and the bar is informed.\"\n"
	"  when party.category = lawyer and measure.personal_involvement\n"
	"  require bim_commission\n"
	"  notify bar_president\n"
	"end\n"
	"\n"
	"rule bim.grounds\n"
	"  cite \"Law of 30 Nov 1998, art. 2 §1\"\n"
	"  explain \"A specific or exceptional method must state its grounds.\"\n"
	"  when measure.framework = intelligence and measure.kind in intrusive and not measure.grounds\n"
	"  reject\n"
	"end\n"
	"";

static void test_worked_examples(void **state)
{
	custos_measure m = measure(CUSTOS_KIND_OBSERVATION);
	custos_party p9 = party("P-9", CUSTOS_CAT_LAWYER, "BE"), p1 = party("P-1", CUSTOS_CAT_LAWYER, "BE"),
		     p2 = party("P-2", CUSTOS_CAT_LAWYER, "FR");
	custos_subject s9 = {&p9, CUSTOS_STATUS_ACTIVE, 0, 0}, s12[2] = {{&p1, CUSTOS_STATUS_ACTIVE, 0, 0},
									{&p2, CUSTOS_STATUS_ACTIVE, 0, 0}};
	custos_decision d;
	m.grounds = "a threat";

	/* 1 */
	d = decide(worked_src, &m, NULL, 0);
	assert_int_equal(d.nfindings, 3);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_NEEDS_APPROVAL);
	assert_int_equal(d.napprovals, 2);
	assert_int_equal(d.approvals[0].role, CUSTOS_ROLE_BIM_COMMISSION);
	assert_int_equal(d.approvals[1].role, CUSTOS_ROLE_SERVICE_HEAD);
	assert_int_equal(d.max_days, 60);
	assert_int_equal(custos_rules_grace_days(kept), 30);
	done(&d);
	/* 2 */
	d = decide(worked_src, &m, &s9, 1);
	assert_int_equal(d.nfindings, 4);
	assert_string_equal(d.findings[3].rule, "bim.secrecy");
	assert_string_equal(d.findings[3].party, "P-9");
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	assert_int_equal(d.napprovals, 2);
	done(&d);
	/* 3 */
	m.personal_involvement = true;
	d = decide(worked_src, &m, &s9, 1);
	assert_int_equal(d.nfindings, 5);
	assert_int_equal(d.outcome, CUSTOS_OUTCOME_NEEDS_APPROVAL);
	assert_int_equal(d.napprovals, 3);
	assert_int_equal(d.approvals[0].role, CUSTOS_ROLE_BIM_COMMISSION);
	assert_int_equal(d.approvals[0].notify, 0);
	assert_int_equal(d.approvals[1].role, CUSTOS_ROLE_SERVICE_HEAD);
	assert_int_equal(d.approvals[2].role, CUSTOS_ROLE_BAR_PRESIDENT);
	assert_int_equal(d.approvals[2].notify, 1);
	done(&d);
	/* 4 */
	m.grounds = NULL;
	d = decide(worked_src, &m, NULL, 0);
	assert_non_null(d.reject);
	assert_string_equal(d.reject->rule, "bim.grounds");
	done(&d);
	/* 5 */
	m.personal_involvement = false;
	m.grounds = "x";
	d = decide(worked_src, &m, s12, 2);
	assert_int_equal(d.nfindings, 5);
	assert_string_equal(d.findings[3].party, "P-1");
	assert_string_equal(d.findings[4].party, "P-2");
	done(&d);
}

/* The kind and category pre-filters never change a result: negations, mixed or/and, nulls. */
static void test_prefilter(void **state)
{
	const char *rules = R("a", "not measure.kind in [search]", "notify comite_r")
		R("b", "measure.kind != search or measure.grave_crime", "notify comite_r")
			R("c", "not (measure.kind = search and measure.grave_crime)", "notify comite_r")
				R("d", "measure.kind not in [observation] and party.category not in [lawyer]", "notify comite_r")
					R("e", "not (party.category = lawyer or measure.kind = search)", "notify comite_r")
						R("f", "party.category != lawyer", "notify comite_r")
							R("g", "measure.kind = observation and party.category = mission", "notify comite_r");
	custos_measure m = measure(CUSTOS_KIND_OBSERVATION);
	custos_party p = party("P", CUSTOS_CAT_MISSION, NULL);
	custos_subject s = {&p, CUSTOS_STATUS_ACTIVE, 0, 0}, nul = {NULL, CUSTOS_STATUS_ACTIVE, 0, 0};
	assert_int_equal(fire_count(rules, &m, &s, 1), 6);	 /* all but d */
	assert_int_equal(fire_count(rules, &m, &nul, 1), 5); /* a, b, c, e, f (a null category is no lawyer) */
	m.kind = CUSTOS_KIND_SEARCH;
	assert_int_equal(fire_count(rules, &m, &s, 1), 3);	 /* c, d, f */
	m.grave_crime = true;
	assert_int_equal(fire_count(rules, &m, &s, 1), 3);	 /* b, d, f */

	/* an out-of-range kind is refused, not silently permitted */
	custos_ruleset *rs = parse(rules);
	custos_decision d;
	m.kind = (custos_kind)99;
	assert_int_equal(custos_rules_evaluate(&d, rs, &m, NULL, 0), CUSTOS_EINVALID);
	assert_int_equal(d.nfindings, 0);
	custos_ruleset_free(rs);
}

/* ---- loading -------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_dir(void **state)
{
	char dir[] = "/tmp/custos_rules_XXXXXX", path[256];
	custos_ruleset *rs;
	assert_non_null(mkdtemp(dir));

	assert_int_equal(custos_rules_load_dir(&rs, dir), CUSTOS_ENOTFOUND);
	assert_non_null(strstr(custos_error_last(), "no *.rules file"));

	snprintf(path, sizeof(path), "%s/20-b.rules", dir);
	write_file(path, "rule b cite \"c\" explain \"e\" when measure.requesting_state in eu forbid end\n");
	snprintf(path, sizeof(path), "%s/10-a.rules", dir);
	write_file(path, "set eu = [BE]\nrule a cite \"c\" explain \"e\" forbid end\n");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not rules");
	assert_int_equal(custos_rules_load_dir(&rs, dir), 0);
	assert_int_equal(custos_rules_count(rs), 2);
	assert_string_equal(custos_rules_id(rs, 0), "a");
	assert_string_equal(custos_rules_id(rs, 1), "b");
	custos_ruleset_free(rs);

	snprintf(path, sizeof(path), "%s/30-c.rules", dir);
	write_file(path, "\nrule c cite \"c\" explain \"e\" require nobody end\n");
	assert_int_equal(custos_rules_load_dir(&rs, dir), CUSTOS_EINVALID);
	{
		char want[512];
		snprintf(want, sizeof(want), "%s/30-c.rules:2:37: unknown role 'nobody'", dir);
		assert_int_equal(strncmp(custos_error_last(), want, strlen(want)), 0);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/10-a.rules", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/20-b.rules", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	unlink(path);
	rmdir(dir);

	assert_int_equal(custos_rules_load_dir(&rs, "/nonexistent/custos"), CUSTOS_ENOTFOUND);
}

static void test_builtin(void **state)
{
	custos_ruleset *rs;
	int rc = custos_rules_load_builtin(&rs);
	if (rc)
		print_error("%s\n", custos_error_last());
	assert_int_equal(rc, 0);
	assert_true(custos_rules_count(rs) > 0);
	/* the built-in set re-parses from its canonical text to the same hash */
	custos_ruleset *again = parse(custos_rules_canonical(rs, NULL));
	assert_string_equal(custos_rules_hash(rs), custos_rules_hash(again));
	custos_ruleset_free(again);
	custos_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_constructs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_assertions),
		cmocka_unit_test(test_dated_lists),
		cmocka_unit_test(test_analysis),
		cmocka_unit_test(test_multi_source),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_canonical_round_trip),
		cmocka_unit_test(test_deny_overrides),
		cmocka_unit_test(test_require_notify_dedup),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_per_party),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_not_in_and_sets),
		cmocka_unit_test(test_attr_compare),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_worked_examples),
		cmocka_unit_test(test_prefilter),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_builtin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
