/* intercept.c — an OpenLI intercept: its kinds, its disposal, its JSON (the REST API's), and the selectors it names. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "custos/error.h"
#include "custos/openli.h"
#include "screen/screen.h"
#include "util/util.h"

static const char *const kind_names[CUSTOS_OPENLI__KINDS] = {
	[CUSTOS_OPENLI_IP] = "ipintercept",
	[CUSTOS_OPENLI_VOIP] = "voipintercept",
	[CUSTOS_OPENLI_EMAIL] = "emailintercept",
};

const char *custos_openli_kind_name(custos_openli_kind kind)
{
	return (unsigned)kind < CUSTOS_OPENLI__KINDS ? kind_names[kind] : "?";
}

int custos_openli_kind_parse(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	for (int k = 0; k < CUSTOS_OPENLI__KINDS; k++) {
		size_t kl = strlen(kind_names[k]);
		if (strcmp(name ? name : "", kind_names[k]) == 0 ||
		    (n == kl + 1 && strncmp(name, kind_names[k], kl) == 0 && name[kl] == 's'))
			return k;
	}
	return -1;
}

void custos_openli_intercept_dispose(custos_openli_intercept *ic)
{
	if (!ic)
		return;
	free(ic->liid);
	free(ic->agencyid);
	free(ic->authcc);
	free(ic->delivcc);
	free(ic->user);
	free(ic->accesstype);
	free(ic->mobileident);
	free(ic->radiusident);
	for (size_t i = 0; i < ic->nstaticips; i++)
		free(ic->staticips[i].iprange);
	free(ic->staticips);
	for (size_t i = 0; i < ic->nsiptargets; i++) {
		free(ic->siptargets[i].username);
		free(ic->siptargets[i].realm);
	}
	free(ic->siptargets);
	for (size_t i = 0; i < ic->naddresses; i++)
		free(ic->addresses[i]);
	free(ic->addresses);
	memset(ic, 0, sizeof(*ic));
	ic->mediator = -1;
}

void custos_openli_intercepts_free(custos_openli_intercept *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		custos_openli_intercept_dispose(&list[i]);
	free(list);
}

/* ---- the REST API's JSON ------------------------------------------------------------------------------ */

/*
 * OpenLI reads its fields with json-c, which turns any JSON value into a
 * string and any string of digits into an integer. custos reads what OpenLI
 * will act on, and refuses what it cannot read the same way: a string field
 * may be a string or an integer (written in decimal, as json-c prints it); an
 * integer field an integer or a string of decimal digits. Anything else is
 * refused, naming the field.
 */
static int json_text(char **out, const json_t *v, const char *where, const char *field, int required)
{
	char num[24];
	const char *s;
	size_t n;
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? custos_error_set(CUSTOS_EINVALID, "%s%s: required", where, field) : 0;
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		s = num;
		n = strlen(num);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
		if (strlen(s) != n)
			return custos_error_set(CUSTOS_EINVALID, "%s%s: contains a NUL character", where, field);
	} else {
		return custos_error_set(CUSTOS_EINVALID, "%s%s: not a string", where, field);
	}
	if (n == 0 && required)
		return custos_error_set(CUSTOS_EINVALID, "%s%s: empty", where, field);
	if (n > 1024)
		return custos_error_set(CUSTOS_EINVALID, "%s%s: longer than 1024 bytes", where, field);
	return (*out = custos_strndup(s, n)) ? 0 : custos_error_set(CUSTOS_ENOMEM, "out of memory");
}

static int json_int(int64_t *out, const json_t *v, const char *where, const char *field)
{
	const char *s;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	s = json_string_value(v);
	if (s && *s && strlen(s) < 19) {
		int64_t x = 0;
		size_t i = s[0] == '-';
		for (; s[i] >= '0' && s[i] <= '9'; i++)
			x = x * 10 + (s[i] - '0');
		if (!s[i] && i > (size_t)(s[0] == '-')) {
			*out = s[0] == '-' ? -x : x;
			return 0;
		}
	}
	return custos_error_set(CUSTOS_EINVALID, "%s%s: not an integer", where, field);
}

static const json_t *json_list(const json_t *o, const char *field, const char *where, int *rc)
{
	const json_t *v = json_object_get(o, field);
	*rc = 0;
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		*rc = custos_error_set(CUSTOS_EINVALID, "%s%s: not an array", where, field);
		return NULL;
	}
	if (json_array_size(v) > 4096) {
		*rc = custos_error_set(CUSTOS_EINVALID, "%s%s: more than 4096 entries", where, field);
		return NULL;
	}
	return v;
}

static int from_object(custos_openli_intercept *ic, custos_openli_kind kind, const json_t *o, const char *where)
{
	const json_t *l, *e;
	char at[64];
	size_t i;
	int rc;
	memset(ic, 0, sizeof(*ic));
	ic->kind = kind;
	ic->mediator = -1;
	if (!json_is_object(o))
		return custos_error_set(CUSTOS_EINVALID, "%snot a JSON object", where);
	if ((rc = json_text(&ic->liid, json_object_get(o, "liid"), where, "liid", 1)) ||
	    (rc = json_text(&ic->agencyid, json_object_get(o, "agencyid"), where, "agencyid", 0)) ||
	    (rc = json_text(&ic->authcc, json_object_get(o, "authcc"), where, "authcc", 0)) ||
	    (rc = json_text(&ic->delivcc, json_object_get(o, "delivcc"), where, "delivcc", 0)) ||
	    (rc = json_int(&ic->mediator, json_object_get(o, "mediator"), where, "mediator")) ||
	    (rc = json_int(&ic->starttime, json_object_get(o, "starttime"), where, "starttime")) ||
	    (rc = json_int(&ic->endtime, json_object_get(o, "endtime"), where, "endtime")))
		return rc;
	l = json_list(o, "xids", where, &rc);
	if (rc)
		return rc;
	ic->nxids = json_array_size(l) + (json_object_get(o, "xid") && !json_is_null(json_object_get(o, "xid")));
	if (kind == CUSTOS_OPENLI_IP) {
		if ((rc = json_text(&ic->user, json_object_get(o, "user"), where, "user", 0)) ||
		    (rc = json_text(&ic->accesstype, json_object_get(o, "accesstype"), where, "accesstype", 0)) ||
		    (rc = json_text(&ic->mobileident, json_object_get(o, "mobileident"), where, "mobileident", 0)) ||
		    (rc = json_text(&ic->radiusident, json_object_get(o, "radiusident"), where, "radiusident", 0)))
			return rc;
		ic->nvendmirror = json_object_get(o, "vendmirrorid") && !json_is_null(json_object_get(o, "vendmirrorid"));
		l = json_list(o, "udpsinks", where, &rc);
		if (rc)
			return rc;
		ic->nudpsinks = json_array_size(l);
		if (!(l = json_list(o, "staticips", where, &rc)))
			return rc;
		if (!(ic->staticips = calloc(json_array_size(l) + 1, sizeof(*ic->staticips))))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		json_array_foreach(l, i, e)
		{
			custos_openli_iprange *r = &ic->staticips[ic->nstaticips];
			snprintf(at, sizeof(at), "%sstaticips[%zu].", where, i);
			r->sessionid = -1;
			if (!json_is_object(e))
				return custos_error_set(CUSTOS_EINVALID, "%sstaticips[%zu]: not an object", where, i);
			ic->nstaticips++;
			if ((rc = json_text(&r->iprange, json_object_get(e, "iprange"), at, "iprange", 1)) ||
			    (rc = json_int(&r->sessionid, json_object_get(e, "sessionid"), at, "sessionid")))
				return rc;
		}
	} else if (kind == CUSTOS_OPENLI_VOIP) {
		if (!(l = json_list(o, "siptargets", where, &rc)))
			return rc;
		if (!(ic->siptargets = calloc(json_array_size(l) + 1, sizeof(*ic->siptargets))))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		json_array_foreach(l, i, e)
		{
			custos_openli_sip *t = &ic->siptargets[ic->nsiptargets];
			snprintf(at, sizeof(at), "%ssiptargets[%zu].", where, i);
			if (!json_is_object(e))
				return custos_error_set(CUSTOS_EINVALID, "%ssiptargets[%zu]: not an object", where, i);
			ic->nsiptargets++;
			if ((rc = json_text(&t->username, json_object_get(e, "username"), at, "username", 1)) ||
			    (rc = json_text(&t->realm, json_object_get(e, "realm"), at, "realm", 0)))
				return rc;
		}
	} else {
		if (!(l = json_list(o, "targets", where, &rc)))
			return rc;
		if (!(ic->addresses = calloc(json_array_size(l) + 1, sizeof(*ic->addresses))))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		json_array_foreach(l, i, e)
		{
			snprintf(at, sizeof(at), "%stargets[%zu].", where, i);
			if (!json_is_object(e))
				return custos_error_set(CUSTOS_EINVALID, "%stargets[%zu]: not an object", where, i);
			if ((rc = json_text(&ic->addresses[ic->naddresses], json_object_get(e, "address"), at, "address",
					    1)))
				return rc;
			ic->naddresses++;
		}
	}
	return 0;
}

int custos_openli_from_json(custos_openli_intercept *out, custos_openli_kind kind, const char *json, size_t len)
{
	json_error_t jerr;
	json_t *o;
	int rc;
	if ((unsigned)kind >= CUSTOS_OPENLI__KINDS)
		return custos_error_set(CUSTOS_EINVALID, "no such intercept kind");
	memset(out, 0, sizeof(*out));
	out->mediator = -1;
	if (len > (1u << 20))
		return custos_error_set(CUSTOS_ELIMIT, "intercept larger than 1 MiB");
	if (!(o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)))
		return custos_error_set(CUSTOS_EINVALID, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
	rc = from_object(out, kind, o, "");
	json_decref(o);
	if (rc)
		custos_openli_intercept_dispose(out);
	return rc;
}

int custos_openli_list_json(custos_openli_intercept **list, size_t *n, custos_openli_kind kind, const char *json,
			    size_t len)
{
	json_error_t jerr;
	json_t *a, *e;
	size_t i, cap = *n;
	int rc = 0;
	if (!(a = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)))
		return custos_error_set(CUSTOS_EINVALID, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
	if (!json_is_array(a)) {
		json_decref(a);
		return custos_error_set(CUSTOS_EINVALID, "the %s listing is not a JSON array", custos_openli_kind_name(kind));
	}
	json_array_foreach(a, i, e)
	{
		char where[32];
		custos_openli_intercept *grown = realloc(*list, (*n + 1) * sizeof(**list));
		if (!grown) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			break;
		}
		*list = grown;
		snprintf(where, sizeof(where), "[%zu].", i);
		if ((rc = from_object(&(*list)[*n], kind, e, where))) {
			custos_openli_intercept_dispose(&(*list)[*n]);
			break;
		}
		(*n)++;
	}
	(void)cap;
	json_decref(a);
	return rc;
}

/* ---- the selectors an intercept names ----------------------------------------------------------------- */

typedef struct {
	custos_selector *sels;
	char **fields;
	size_t n;
} targets_t;

static int add_target(targets_t *t, const char *field, const char *text)
{
	custos_selector *gs = realloc(t->sels, (t->n + 1) * sizeof(*gs));
	char **gf;
	int rc;
	if (!gs)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	t->sels = gs;
	if (!(gf = realloc(t->fields, (t->n + 1) * sizeof(*gf))))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	t->fields = gf;
	if ((rc = custos_selector_parse(&t->sels[t->n], text, strlen(text))))
		return custos_error_prefix(rc, "%s", field);
	if (!(t->fields[t->n] = custos_strdup(field))) {
		custos_selector_dispose(&t->sels[t->n]);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	t->n++;
	return 0;
}

/* A telephone number as a SIP username or an MSISDN carries it: '+' and digits, or digits only (international). */
static int is_number(const char *s)
{
	size_t i = s[0] == '+', d = 0;
	for (; s[i]; i++, d++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return d >= 3 && d <= 15;
}

static int number_target(targets_t *t, const char *field, const char *number)
{
	char text[32];
	snprintf(text, sizeof(text), "tel:%s%s", number[0] == '+' ? "" : "+", number);
	return add_target(t, field, text);
}

static int is_mobile(const char *a)
{
	static const char *const mobile[] = {"mobile", "3g", "4g", "5g", "lte"};
	for (size_t i = 0; a && i < sizeof(mobile) / sizeof(mobile[0]); i++)
		if (strcasecmp(a, mobile[i]) == 0)
			return 1;
	return 0;
}

static int ip_targets(targets_t *t, const custos_openli_intercept *ic)
{
	char text[CUSTOS_SELECTOR_MAX + 8], field[48];
	const char *ident = ic->mobileident;
	int rc;
	if (ic->nvendmirror || ic->nudpsinks)
		return custos_error_set(CUSTOS_EINVALID, "%s: custos cannot see whose traffic a %s carries",
					ic->nvendmirror ? "vendmirrorid" : "udpsinks",
					ic->nvendmirror ? "vendor's mirror" : "UDP sink");
	if (!ic->user || !ic->user[0])
		return custos_error_set(CUSTOS_EINVALID, "user: required (the target's AAA user name, or its "
							 "MSISDN, IMSI or IMEI)");
	/*
	 * OpenLI reads mobileident only for a mobile access type (intercept.c, map_access_type_string: mobile, 3g,
	 * 4g, 5g, lte); there the user is the MSISDN unless mobileident says IMSI or IMEI. Elsewhere the user is
	 * the AAA user name, whatever mobileident says.
	 */
	if (!is_mobile(ic->accesstype))
		ident = NULL;
	else if (!ident)
		ident = "msisdn";
	if (ident && strcasecmp(ident, "msisdn") == 0) {
		if (!is_number(ic->user))
			return custos_error_set(CUSTOS_EINVALID, "user: '%s' is not an MSISDN", ic->user);
		rc = number_target(t, "user", ic->user);
	} else if (ident && (strcasecmp(ident, "imsi") == 0 || strcasecmp(ident, "imei") == 0)) {
		snprintf(text, sizeof(text), "%s:%s", strcasecmp(ident, "imsi") == 0 ? "imsi" : "imei", ic->user);
		rc = add_target(t, "user", text);
	} else if (ident) {
		return custos_error_set(CUSTOS_EINVALID, "mobileident: '%s' is not msisdn, imsi or imei", ident);
	} else {
		snprintf(text, sizeof(text), "nai:%s", ic->user);
		rc = add_target(t, "user", text);
	}
	for (size_t i = 0; !rc && i < ic->nstaticips; i++) {
		snprintf(field, sizeof(field), "staticips[%zu].iprange", i);
		snprintf(text, sizeof(text), "ip:%s", ic->staticips[i].iprange);
		rc = add_target(t, field, text);
	}
	return rc;
}

static int voip_targets(targets_t *t, const custos_openli_intercept *ic)
{
	char text[CUSTOS_SELECTOR_MAX + 8], field[48];
	int rc = 0;
	if (ic->nxids)
		return custos_error_set(CUSTOS_EINVALID, "xids: custos cannot see the targets of an intercept "
							 "provisioned over X1");
	if (!ic->nsiptargets)
		return custos_error_set(CUSTOS_EINVALID, "siptargets: required (the target's SIP identities)");
	for (size_t i = 0; !rc && i < ic->nsiptargets; i++) {
		const custos_openli_sip *s = &ic->siptargets[i];
		snprintf(field, sizeof(field), "siptargets[%zu]", i);
		if (is_number(s->username))
			rc = number_target(t, field, s->username);
		else if (!s->realm || !s->realm[0])
			rc = custos_error_set(CUSTOS_EINVALID, "%s: '%s' without a realm matches at every realm; custos "
							       "authorises an identity at its realm",
					      field, s->username);
		else {
			snprintf(text, sizeof(text), "sip:%s@%s", s->username, s->realm);
			rc = add_target(t, field, text);
		}
	}
	return rc;
}

int custos_openli_targets(const custos_openli_intercept *ic, custos_selector **sels, char ***fields, size_t *n)
{
	targets_t t = {NULL, NULL, 0};
	char text[CUSTOS_SELECTOR_MAX + 8], field[48];
	int rc = 0;
	*sels = NULL;
	*fields = NULL;
	*n = 0;
	if (ic->kind == CUSTOS_OPENLI_IP)
		rc = ip_targets(&t, ic);
	else if (ic->kind == CUSTOS_OPENLI_VOIP)
		rc = voip_targets(&t, ic);
	else if (ic->nxids)
		rc = custos_error_set(CUSTOS_EINVALID, "xids: custos cannot see the targets of an intercept "
						       "provisioned over X1");
	else if (!ic->naddresses)
		rc = custos_error_set(CUSTOS_EINVALID, "targets: required (the target's email addresses)");
	for (size_t i = 0; !rc && ic->kind == CUSTOS_OPENLI_EMAIL && i < ic->naddresses; i++) {
		snprintf(field, sizeof(field), "targets[%zu].address", i);
		snprintf(text, sizeof(text), "mailto:%s", ic->addresses[i]);
		rc = add_target(&t, field, text);
	}
	if (rc) {
		custos_openli_targets_free(t.sels, t.fields, t.n);
		return rc;
	}
	*sels = t.sels;
	*fields = t.fields;
	*n = t.n;
	return 0;
}

void custos_openli_targets_free(custos_selector *sels, char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (sels)
			custos_selector_dispose(&sels[i]);
		if (fields)
			free(fields[i]);
	}
	free(sels);
	free(fields);
}

/* ---- whether a token's selector covers a target ------------------------------------------------------- */

/* 1 if domain key d (n bytes) is `dom` or a subdomain of it. */
static int in_domain(const char *d, size_t n, const char *dom)
{
	size_t dl = strlen(dom);
	if (n < dl || memcmp(d + n - dl, dom, dl) != 0)
		return 0;
	return n == dl || d[n - dl - 1] == '.';
}

int custos_selector_covers(const custos_selector *g, const custos_selector *t)
{
	if (g->kind == CUSTOS_SEL_IP || t->kind == CUSTOS_SEL_IP) {
		uint64_t m[2], gw[2], tw[2];
		if (g->kind != t->kind || t->prefix < g->prefix)
			return 0;
		custos_ip_mask(m, g->prefix);
		memcpy(gw, g->ip, 16);
		memcpy(tw, t->ip, 16);
		return ((gw[0] ^ tw[0]) & m[0]) == 0 && ((gw[1] ^ tw[1]) & m[1]) == 0;
	}
	if (!g->key || !t->key)
		return 0;
	if (g->kind == t->kind && strcmp(g->key, t->key) == 0)
		return 1;
	if (g->kind == CUSTOS_SEL_TEL_RANGE && (t->kind == CUSTOS_SEL_TEL || t->kind == CUSTOS_SEL_TEL_RANGE))
		return strncmp(t->key, g->key, strlen(g->key)) == 0;
	if (g->kind == CUSTOS_SEL_DOMAIN && (t->kind == CUSTOS_SEL_EMAIL || t->kind == CUSTOS_SEL_DOMAIN)) {
		const char *at = t->kind == CUSTOS_SEL_EMAIL ? strchr(t->key, '@') : NULL;
		const char *d = at ? at + 1 : t->key;
		return in_domain(d, strlen(d), g->key);
	}
	return 0;
}
