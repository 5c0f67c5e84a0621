/* measure_json.c — the measure JSON contract: strict decoding with named errors, canonical encoding. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "custos/measure.h"
#include "util/util.h"

/* The fields a measure may carry; anything else is rejected by name. */
static const char *const measure_fields[] = {
	"kind", "scope", "framework", "requested_by", "requesting_state", "targets", "persons", "offence",
	"political_offence", "period", "grounds", "grave_crime", "personal_involvement", "concerns_mandate",
	"political_motivation", "essential_interests", "reciprocity", "treaty", "transfer_basis", "waiver",
	"requested_measure", "diplomatic_bag", "place", "concerns_official_acts", "prevents_grave_threat",
	"suspects_use_means", "originating_state", "originating_authorisation", "consent", "liids", "agency_id", NULL,
};

static int known_field(const char *const *fields, const char *key)
{
	for (size_t i = 0; fields[i]; i++)
		if (strcmp(fields[i], key) == 0)
			return 1;
	return 0;
}

static int check_fields(json_t *obj, const char *const *fields, const char *where)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		(void)v;
		if (!known_field(fields, key))
			return custos_error_set(CUSTOS_EINVALID, "%sunknown field '%s'", where, key);
	}
	return 0;
}

/* An optional string: absent or null leaves *out NULL. Empty strings count as absent. */
static int get_string(char **out, json_t *obj, const char *field, int required)
{
	json_t *v = json_object_get(obj, field);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return custos_error_set(CUSTOS_EINVALID, "%s: required", field);
		return 0;
	}
	if (!json_is_string(v))
		return custos_error_set(CUSTOS_EINVALID, "%s: expected a string", field);
	if (json_string_length(v) == 0) {
		if (required)
			return custos_error_set(CUSTOS_EINVALID, "%s: must not be empty", field);
		return 0;
	}
	if (strlen(json_string_value(v)) != json_string_length(v))
		return custos_error_set(CUSTOS_EINVALID, "%s: contains a NUL character", field);
	*out = custos_strdup(json_string_value(v));
	return *out ? 0 : CUSTOS_ENOMEM;
}

/* get_string for a member of an entry: its errors name the member by its path ("waiver[0].party", "persons[1].name"). */
static int get_member_string(char **out, json_t *obj, const char *where, const char *key, int required)
{
	char msg[256];
	int rc = get_string(out, obj, key, required);
	if (!rc || rc == CUSTOS_ENOMEM)
		return rc;
	snprintf(msg, sizeof(msg), "%s", custos_error_last());
	return custos_error_set(rc, "%s.%s", where, msg);
}

/*
 * An intercept's LIID (ETSI TS 102 232-1: 1 to 25 octets) or the receiving
 * agency's id as the interception system knows it (OpenLI's agencyid): 1 to
 * 25 (64 for an agency) of A-Z a-z 0-9 . _ - — they appear in the
 * provisioner's URLs and in token lines, so nothing that needs escaping.
 */
int custos_liid_valid(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return 0; /* OpenLI reads "0x..." as the LIID's bytes in hex: not the string custos checks */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int decode_liids(custos_measure *m, json_t *root)
{
	json_t *arr = json_object_get(root, "liids"), *v;
	size_t i;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return custos_error_set(CUSTOS_EINVALID, "liids: expected an array of LIIDs");
	if (json_array_size(arr) > CUSTOS_MEASURE_TARGETS_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "liids: more than %d", CUSTOS_MEASURE_TARGETS_MAX);
	if (!(m->liids = calloc(json_array_size(arr) + 1, sizeof(*m->liids))))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		if (!s || strlen(s) != json_string_length(v) || !custos_liid_valid(s, CUSTOS_LIID_MAX))
			return custos_error_set(CUSTOS_EINVALID,
						"liids[%zu]: a LIID is 1 to %d characters of A-Z a-z 0-9 . _ - (and not 0x..., "
						"which OpenLI reads as hex)", i,
						CUSTOS_LIID_MAX);
		for (size_t j = 0; j < m->nliids; j++)
			if (strcmp(m->liids[j], s) == 0)
				return custos_error_set(CUSTOS_EINVALID, "liids[%zu]: %s is listed twice", i, s);
		if (!(m->liids[m->nliids] = custos_strdup(s)))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		m->nliids++;
	}
	return 0;
}

static int get_bool(bool *out, json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	*out = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return custos_error_set(CUSTOS_EINVALID, "%s: expected true or false", field);
	*out = json_is_true(v);
	return 0;
}

static int get_country(char out[3], json_t *obj, const char *field, const char *where)
{
	json_t *v = json_object_get(obj, field);
	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !custos_country_valid(json_string_value(v)))
		return custos_error_set(CUSTOS_EINVALID, "%s%s: expected an ISO 3166 alpha-2 code such as \"BE\"",
					where, field);
	memcpy(out, json_string_value(v), 3);
	return 0;
}

/* Reads an enumerated field through its vocabulary's from_name function. */
#define GET_ENUM(T, P, dst, obj, field, required, dflt)                                                               \
	do {                                                                                                           \
		json_t *v_ = json_object_get(obj, field);                                                              \
		*(dst) = (dflt);                                                                                       \
		if (!v_ || json_is_null(v_)) {                                                                         \
			if (required) {                                                                                \
				rc = custos_error_set(CUSTOS_EINVALID, "%s: required", field);                         \
				goto out;                                                                              \
			}                                                                                              \
		} else if (!json_is_string(v_) || custos_##P##_from_name(dst, json_string_value(v_)) ||              \
			   (int)*(dst) == (int)(dflt)) {                                                               \
			rc = custos_error_set(CUSTOS_EINVALID, "%s: unknown value %s%s%s", field,                      \
					      json_is_string(v_) ? "'" : "",                                           \
					      json_is_string(v_) ? json_string_value(v_) : "(not a string)",          \
					      json_is_string(v_) ? "'" : "");                                          \
			goto out;                                                                                      \
		}                                                                                                      \
	} while (0)

static int decode_targets(custos_measure *m, json_t *root)
{
	json_t *arr = json_object_get(root, "targets"), *v;
	size_t i;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return custos_error_set(CUSTOS_EINVALID, "targets: expected an array of selectors");
	if (json_array_size(arr) > CUSTOS_MEASURE_TARGETS_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "targets: more than %d", CUSTOS_MEASURE_TARGETS_MAX);
	m->targets = calloc(json_array_size(arr) + 1, sizeof(*m->targets));
	if (!m->targets)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	json_array_foreach(arr, i, v)
	{
		int rc;
		if (!json_is_string(v))
			return custos_error_set(CUSTOS_EINVALID, "targets[%zu]: expected a selector string", i);
		rc = custos_selector_parse(&m->targets[i], json_string_value(v), json_string_length(v));
		if (rc)
			return custos_error_prefix(rc, "targets[%zu]", i);
		m->ntargets++;
	}
	return 0;
}

static const char *const person_fields[] = {"name", "nationality", "refugee_in", "born", NULL};

/* A person's date of birth: a date YYYY-MM-DD, or absent or null. */
static int get_born(char out[11], json_t *obj, const char *where)
{
	json_t *v = json_object_get(obj, "born");
	custos_date d;
	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || custos_date_parse(&d, json_string_value(v)))
		return custos_error_set(CUSTOS_EINVALID, "%sborn: expected a date YYYY-MM-DD", where);
	custos_date_format(out, d);
	return 0;
}

static int decode_persons(custos_measure *m, json_t *root)
{
	json_t *arr = json_object_get(root, "persons"), *v;
	size_t i;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return custos_error_set(CUSTOS_EINVALID, "persons: expected an array of objects");
	if (json_array_size(arr) > CUSTOS_MEASURE_TARGETS_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "persons: more than %d", CUSTOS_MEASURE_TARGETS_MAX);
	m->persons = calloc(json_array_size(arr) + 1, sizeof(*m->persons));
	if (!m->persons)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	json_array_foreach(arr, i, v)
	{
		char where[48];
		custos_person *p = &m->persons[i];
		int rc;
		snprintf(where, sizeof(where), "persons[%zu].", i);
		if (!json_is_object(v))
			return custos_error_set(CUSTOS_EINVALID, "persons[%zu]: expected an object", i);
		m->npersons++;
		if ((rc = check_fields(v, person_fields, where)))
			return rc;
		{
			char at[40];
			snprintf(at, sizeof(at), "persons[%zu]", i);
			if ((rc = get_member_string(&p->name, v, at, "name", 0)))
				return rc;
		}
		if (p->name) {
			custos_selector probe;
			char sel[CUSTOS_SELECTOR_MAX + 8];
			int n = snprintf(sel, sizeof(sel), "name:%s", p->name);
			if (n < 0 || (size_t)n >= sizeof(sel))
				return custos_error_set(CUSTOS_EINVALID, "persons[%zu].name: too long", i);
			if ((rc = custos_selector_parse(&probe, sel, (size_t)n)))
				return custos_error_prefix(rc, "persons[%zu].name", i);
			custos_selector_dispose(&probe);
		}
		if ((rc = get_country(p->nationality, v, "nationality", where)) ||
		    (rc = get_country(p->refugee_in, v, "refugee_in", where)) || (rc = get_born(p->born, v, where)))
			return rc;
	}
	return 0;
}

/*
 * "waiver" / "consent": one object or an array of them, each
 * {"party": ID, "sending_state": "XX", "reference": "..."} (LAW.md §1:
 * a waiver is per party and comes from that party's sending state). The
 * old form of "waiver", a bare reference string, stays valid and names no
 * party, so it lifts nothing.
 */
static int decode_grants(custos_grant **out, size_t *n, json_t *root, const char *field)
{
	static const char *const grant_fields[] = {"party", "sending_state", "reference", NULL};
	json_t *v = json_object_get(root, field), *g;
	size_t i, count;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) && !json_is_object(v))
		return custos_error_set(CUSTOS_EINVALID,
					"%s: expected {\"party\": ID, \"sending_state\": \"XX\", \"reference\": \"...\"} or an array of them",
					field);
	count = json_is_array(v) ? json_array_size(v) : 1;
	if (count > CUSTOS_MEASURE_TARGETS_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "%s: more than %d", field, CUSTOS_MEASURE_TARGETS_MAX);
	if (!count)
		return 0;
	if (!(*out = calloc(count, sizeof(**out))))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (i = 0; i < count; i++) {
		char where[48];
		custos_grant *c = &(*out)[i];
		int rc;
		g = json_is_array(v) ? json_array_get(v, i) : v;
		if (json_is_array(v))
			snprintf(where, sizeof(where), "%s[%zu]", field, i);
		else
			snprintf(where, sizeof(where), "%s", field);
		if (!json_is_object(g))
			return custos_error_set(CUSTOS_EINVALID, "%s: expected an object with party, sending_state and reference",
						where);
		(*n)++;
		{
			char w2[56];
			snprintf(w2, sizeof(w2), "%s.", where);
			if ((rc = check_fields(g, grant_fields, w2)))
				return rc;
			if ((rc = get_member_string(&c->party, g, where, "party", 1)) ||
			    (rc = get_member_string(&c->reference, g, where, "reference", 1)))
				return rc;
			if (!json_object_get(g, "sending_state") || json_is_null(json_object_get(g, "sending_state")))
				return custos_error_set(CUSTOS_EINVALID, "%s.sending_state: required (the state that gave it)",
							where);
			if ((rc = get_country(c->state, g, "sending_state", w2)))
				return rc;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp((*out)[k].party, c->party) == 0)
				return custos_error_set(CUSTOS_EINVALID, "%s.party: '%s' is named twice", where, c->party);
	}
	return 0;
}

static int decode_period(custos_measure *m, json_t *root)
{
	static const char *const period_fields[] = {"from", "to", NULL};
	json_t *p = json_object_get(root, "period");
	json_t *from, *to;
	int rc;
	if (!p || json_is_null(p))
		return custos_error_set(CUSTOS_EINVALID, "period: required ({\"from\": \"YYYY-MM-DD\", \"to\": ...})");
	if (!json_is_object(p))
		return custos_error_set(CUSTOS_EINVALID, "period: expected an object with from and to");
	if ((rc = check_fields(p, period_fields, "period.")))
		return rc;
	from = json_object_get(p, "from");
	to = json_object_get(p, "to");
	if (!json_is_string(from) || custos_date_parse(&m->from, json_string_value(from)))
		return custos_error_set(CUSTOS_EINVALID, "period.from: %s%s%s is not a date (YYYY-MM-DD)",
					json_is_string(from) ? "'" : "", json_is_string(from) ? json_string_value(from) : "value",
					json_is_string(from) ? "'" : "");
	if (!json_is_string(to) || custos_date_parse(&m->to, json_string_value(to)))
		return custos_error_set(CUSTOS_EINVALID, "period.to: %s%s%s is not a date (YYYY-MM-DD)",
					json_is_string(to) ? "'" : "", json_is_string(to) ? json_string_value(to) : "value",
					json_is_string(to) ? "'" : "");
	if (m->to < m->from)
		return custos_error_set(CUSTOS_EINVALID, "period: 'to' (%s) is before 'from' (%s)",
					json_string_value(to), json_string_value(from));
	return 0;
}

int custos_measure_decode(custos_measure *out, const char *json, size_t len)
{
	static const char *const flags[] = {"grave_crime",	    "personal_involvement",  "concerns_mandate",
					    "political_offence",    "political_motivation",  "essential_interests",
					    "reciprocity",	    "concerns_official_acts", "prevents_grave_threat",
					    "suspects_use_means"};
	custos_measure m;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	m.requested_measure = -1;
	if (len > CUSTOS_MEASURE_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "measure larger than %d bytes", CUSTOS_MEASURE_MAX);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = custos_error_set(CUSTOS_EINVALID, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = custos_error_set(CUSTOS_EINVALID, "a measure must be a JSON object");
		goto out;
	}
	if ((rc = check_fields(root, measure_fields, "")))
		goto out;
	GET_ENUM(custos_kind, kind, &m.kind, root, "kind", 1, CUSTOS_KIND__COUNT);
	GET_ENUM(custos_scope, scope, &m.scope, root, "scope", 0, CUSTOS_SCOPE_NONE);
	GET_ENUM(custos_framework, framework, &m.framework, root, "framework", 1, CUSTOS_FW__COUNT);
	GET_ENUM(custos_transfer_basis, transfer_basis, &m.transfer_basis, root, "transfer_basis", 0,
		 CUSTOS_BASIS_NONE);
	{
		custos_kind rk = CUSTOS_KIND__COUNT;
		GET_ENUM(custos_kind, kind, &rk, root, "requested_measure", 0, CUSTOS_KIND__COUNT);
		m.requested_measure = rk == CUSTOS_KIND__COUNT ? -1 : (int)rk;
	}
	if ((rc = get_string(&m.requested_by, root, "requested_by", 1)) ||
	    (rc = get_string(&m.offence, root, "offence", 0)) || (rc = get_string(&m.grounds, root, "grounds", 0)) ||
	    (rc = get_string(&m.treaty, root, "treaty", 0)) ||
	    (rc = get_string(&m.originating_authorisation, root, "originating_authorisation", 0)) ||
	    (rc = get_country(m.requesting_state, root, "requesting_state", "")) ||
	    (rc = get_country(m.originating_state, root, "originating_state", "")))
		goto out;
	GET_ENUM(custos_place, place, &m.place, root, "place", 0, CUSTOS_PLACE__COUNT);
	if (m.place == CUSTOS_PLACE__COUNT)
		m.place = CUSTOS_PLACE_PRIVATE;
	{
		json_t *w = json_object_get(root, "waiver"), *bag = json_object_get(root, "diplomatic_bag");
		if (json_is_string(w))
			rc = get_string(&m.waiver, root, "waiver", 0);
		else
			rc = decode_grants(&m.waivers, &m.nwaivers, root, "waiver");
		if (rc || (rc = decode_grants(&m.consents, &m.nconsents, root, "consent")))
			goto out;
		/* true is the old form of "diplomatic" */
		if (json_is_boolean(bag))
			m.diplomatic_bag = json_is_true(bag) ? CUSTOS_BAG_DIPLOMATIC : CUSTOS_BAG_NONE;
		else if (bag && !json_is_null(bag) &&
			 (!json_is_string(bag) || custos_bag_from_name(&m.diplomatic_bag, json_string_value(bag)) ||
			  m.diplomatic_bag == CUSTOS_BAG_NONE)) {
			rc = custos_error_set(CUSTOS_EINVALID, "diplomatic_bag: unknown value (expected \"diplomatic\", \"consular\" or false)");
			goto out;
		}
	}
	{
		bool *dst[] = {&m.grave_crime,		&m.personal_involvement,   &m.concerns_mandate,
			       &m.political_offence,	&m.political_motivation,   &m.essential_interests,
			       &m.reciprocity,		&m.concerns_official_acts, &m.prevents_grave_threat,
			       &m.suspects_use_means};
		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if ((rc = get_bool(dst[i], root, flags[i])))
				goto out;
	}
	if ((rc = decode_targets(&m, root)) || (rc = decode_persons(&m, root)) || (rc = decode_period(&m, root)) ||
	    (rc = decode_liids(&m, root)) || (rc = get_string(&m.agency_id, root, "agency_id", 0)))
		goto out;
	if (m.agency_id && !custos_liid_valid(m.agency_id, 64)) {
		rc = custos_error_set(CUSTOS_EINVALID, "agency_id: 1 to 64 characters of A-Z a-z 0-9 . _ -");
		goto out;
	}
	if ((m.nliids || m.agency_id) && m.kind != CUSTOS_KIND_INTERCEPTION) {
		rc = custos_error_set(CUSTOS_EINVALID, "%s: only an interception is provisioned under LIIDs, not %s",
				      m.nliids ? "liids" : "agency_id", custos_kind_name(m.kind));
		goto out;
	}

	/* Cross-field rules of DESIGN.md §4. */
	if (m.kind == CUSTOS_KIND_INTERCEPTION && m.scope == CUSTOS_SCOPE_NONE) {
		rc = custos_error_set(CUSTOS_EINVALID, "scope: required for an interception (content or metadata)");
		goto out;
	}
	if (m.kind != CUSTOS_KIND_INTERCEPTION && m.scope != CUSTOS_SCOPE_NONE) {
		rc = custos_error_set(CUSTOS_EINVALID, "scope: only an interception has a scope, not %s",
				      custos_kind_name(m.kind));
		goto out;
	}
	if ((m.kind == CUSTOS_KIND_DATA_TRANSFER || m.kind == CUSTOS_KIND_MLA_REQUEST ||
	     m.kind == CUSTOS_KIND_INTELLIGENCE_EXCHANGE) &&
	    !m.requesting_state[0]) {
		rc = custos_error_set(CUSTOS_EINVALID, "requesting_state: required for %s", custos_kind_name(m.kind));
		goto out;
	}
	if (m.requested_measure >= 0 && m.kind != CUSTOS_KIND_MLA_REQUEST) {
		rc = custos_error_set(CUSTOS_EINVALID, "requested_measure: only for an mla_request");
		goto out;
	}
	if (m.transfer_basis != CUSTOS_BASIS_NONE && m.kind != CUSTOS_KIND_DATA_TRANSFER) {
		rc = custos_error_set(CUSTOS_EINVALID, "transfer_basis: only for a data_transfer");
		goto out;
	}
	if ((m.originating_state[0] || m.originating_authorisation) && m.kind != CUSTOS_KIND_DATA_TRANSFER) {
		rc = custos_error_set(CUSTOS_EINVALID, "%s: only for a data_transfer",
				      m.originating_state[0] ? "originating_state" : "originating_authorisation");
		goto out;
	}
	if (m.originating_authorisation && !m.originating_state[0]) {
		rc = custos_error_set(CUSTOS_EINVALID,
				      "originating_authorisation: names no state (set originating_state, the Member State the data came from)");
		goto out;
	}
	if (m.ntargets == 0 && m.npersons == 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "targets: a measure names at least one target or person");
		goto out;
	}
out:
	json_decref(root);
	if (rc) {
		custos_measure_dispose(&m);
		return rc;
	}
	*out = m;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *country_or_null(const char *c)
{
	return c[0] ? json_string(c) : json_null();
}

static json_t *grants_json(const custos_grant *g, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "party", g[i].party, "sending_state", g[i].state,
						   "reference", g[i].reference));
	return a;
}

int custos_measure_encode(char **out, const custos_measure *m)
{
	char from[11], to[11];
	json_t *root = json_object(), *targets = json_array(), *persons = json_array(), *period = json_object();
	int rc = 0;

	*out = NULL;
	if (!root || !targets || !persons || !period) {
		json_decref(root);
		json_decref(targets);
		json_decref(persons);
		json_decref(period);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < m->ntargets; i++)
		json_array_append_new(targets, json_string(m->targets[i].text));
	for (size_t i = 0; i < m->npersons; i++) {
		json_t *p = json_object();
		json_object_set_new(p, "name", str_or_null(m->persons[i].name));
		json_object_set_new(p, "nationality", country_or_null(m->persons[i].nationality));
		json_object_set_new(p, "refugee_in", country_or_null(m->persons[i].refugee_in));
		if (m->persons[i].born[0]) /* only when given: measures without it encode as before */
			json_object_set_new(p, "born", json_string(m->persons[i].born));
		json_array_append_new(persons, p);
	}
	custos_date_format(from, m->from);
	custos_date_format(to, m->to);
	json_object_set_new(period, "from", json_string(from));
	json_object_set_new(period, "to", json_string(to));

	json_object_set_new(root, "kind", json_string(custos_kind_name(m->kind)));
	json_object_set_new(root, "scope",
			    m->scope == CUSTOS_SCOPE_NONE ? json_null() : json_string(custos_scope_name(m->scope)));
	json_object_set_new(root, "framework", json_string(custos_framework_name(m->framework)));
	json_object_set_new(root, "requested_by", str_or_null(m->requested_by));
	json_object_set_new(root, "requesting_state", country_or_null(m->requesting_state));
	json_object_set_new(root, "targets", targets);
	json_object_set_new(root, "persons", persons);
	json_object_set_new(root, "offence", str_or_null(m->offence));
	json_object_set_new(root, "political_offence", json_boolean(m->political_offence));
	json_object_set_new(root, "period", period);
	json_object_set_new(root, "grounds", str_or_null(m->grounds));
	json_object_set_new(root, "grave_crime", json_boolean(m->grave_crime));
	json_object_set_new(root, "personal_involvement", json_boolean(m->personal_involvement));
	json_object_set_new(root, "concerns_mandate", json_boolean(m->concerns_mandate));
	json_object_set_new(root, "political_motivation", json_boolean(m->political_motivation));
	json_object_set_new(root, "essential_interests", json_boolean(m->essential_interests));
	json_object_set_new(root, "reciprocity", json_boolean(m->reciprocity));
	json_object_set_new(root, "treaty", str_or_null(m->treaty));
	json_object_set_new(root, "transfer_basis",
			    m->transfer_basis == CUSTOS_BASIS_NONE
				    ? json_null()
				    : json_string(custos_transfer_basis_name(m->transfer_basis)));
	json_object_set_new(root, "waiver", m->nwaivers ? grants_json(m->waivers, m->nwaivers) : str_or_null(m->waiver));
	json_object_set_new(root, "requested_measure",
			    m->requested_measure < 0 ? json_null()
						     : json_string(custos_kind_name((custos_kind)m->requested_measure)));
	/* the fields LAW.md added are written only when set, so every older measure keeps its bytes */
	json_object_set_new(root, "diplomatic_bag", m->diplomatic_bag == CUSTOS_BAG_CONSULAR
							    ? json_string("consular")
							    : json_boolean(m->diplomatic_bag == CUSTOS_BAG_DIPLOMATIC));
	if (m->place != CUSTOS_PLACE_PRIVATE)
		json_object_set_new(root, "place", json_string(custos_place_name(m->place)));
	if (m->concerns_official_acts)
		json_object_set_new(root, "concerns_official_acts", json_true());
	if (m->prevents_grave_threat)
		json_object_set_new(root, "prevents_grave_threat", json_true());
	if (m->suspects_use_means)
		json_object_set_new(root, "suspects_use_means", json_true());
	if (m->originating_state[0])
		json_object_set_new(root, "originating_state", json_string(m->originating_state));
	if (m->originating_authorisation)
		json_object_set_new(root, "originating_authorisation", json_string(m->originating_authorisation));
	if (m->nconsents)
		json_object_set_new(root, "consent", grants_json(m->consents, m->nconsents));
	if (m->nliids) {
		json_t *l = json_array();
		for (size_t i = 0; i < m->nliids; i++)
			json_array_append_new(l, json_string(m->liids[i]));
		json_object_set_new(root, "liids", l);
	}
	if (m->agency_id)
		json_object_set_new(root, "agency_id", json_string(m->agency_id));

	*out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	json_decref(root);
	return rc;
}
