/* statement.c — the texts that are signed: principals' statements and authorisation tokens (format and strict parse). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/measure.h"
#include "ledger/note_int.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

static const char *const action_names[CUSTOS_ACT__COUNT] = {
	[CUSTOS_ACT_APPROVE] = "approve", [CUSTOS_ACT_REFUSE] = "refuse", [CUSTOS_ACT_ACKNOWLEDGE] = "acknowledge",
	[CUSTOS_ACT_REVOKE] = "revoke",	  [CUSTOS_ACT_END] = "end",	  [CUSTOS_ACT_EXTEND] = "extend",
};

const char *custos_action_name(custos_action a)
{
	return (unsigned)a < CUSTOS_ACT__COUNT ? action_names[a] : "?";
}

int custos_action_from_name(custos_action *out, const char *name)
{
	for (int i = 0; i < CUSTOS_ACT__COUNT; i++)
		if (name && strcmp(name, action_names[i]) == 0) {
			*out = (custos_action)i;
			return 0;
		}
	return CUSTOS_EINVALID;
}

/* ---- a reader of "key value" lines ---------------------------------------------------- */

void wf_lines_init(wf_lines *r, const char *text, size_t len, const char *what)
{
	r->p = text;
	r->end = text + len;
	r->line = 0;
	r->what = what;
}

int wf_lines_next(wf_lines *r, const char **s, size_t *n)
{
	const char *nl;
	if (r->p >= r->end)
		return 0;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	if (!nl)
		return custos_error_set(CUSTOS_EINVALID, "%s: line %u does not end in a newline", r->what, r->line + 1);
	*s = r->p;
	*n = (size_t)(nl - r->p);
	r->p = nl + 1;
	r->line++;
	for (size_t i = 0; i < *n; i++)
		if ((unsigned char)(*s)[i] < 0x20 || (*s)[i] == 0x7f)
			return custos_error_set(CUSTOS_EINVALID, "%s: line %u: control character", r->what, r->line);
	return 1;
}

/*
 * Reads the next line as "key value" into out (cap bytes with its NUL).
 * When optional and the next line has another key, nothing is consumed and
 * out is "". A value is non-empty and fits.
 */
int wf_lines_field(wf_lines *r, const char *key, char *out, size_t cap, int optional)
{
	size_t klen = strlen(key), n;
	const char *s, *save = r->p;
	unsigned line = r->line;
	int got = wf_lines_next(r, &s, &n);
	out[0] = '\0';
	if (got < 0 || (got == 0 && !optional))
		return got < 0 ? got
			       : custos_error_set(CUSTOS_EINVALID, "%s: line %u: missing '%s'", r->what, r->line + 1, key);
	if (got == 0)
		return 0;
	if (n <= klen || memcmp(s, key, klen) != 0 || s[klen] != ' ') {
		if (optional) {
			r->p = save;
			r->line = line;
			return 0;
		}
		return custos_error_set(CUSTOS_EINVALID, "%s: line %u: expected '%s VALUE'", r->what, r->line, key);
	}
	s += klen + 1;
	n -= klen + 1;
	if (n == 0 || n >= cap)
		return custos_error_set(CUSTOS_EINVALID, "%s: line %u: %s: empty or longer than %zu bytes", r->what,
					r->line, key, cap - 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int wf_lines_end(wf_lines *r)
{
	if (r->p != r->end)
		return custos_error_set(CUSTOS_EINVALID, "%s: line %u: unexpected text after the last field", r->what,
					r->line + 1);
	return 0;
}

const char *wf_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "sha256:" and 64 lower-case hex digits */
int wf_hash_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		return 0;
	for (size_t i = 7; i < 71; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "M-" and six or more digits */
int wf_measure_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 8 || n > 15 || s[0] != 'M' || s[1] != '-')
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* ---- statements ----------------------------------------------------------------------- */

#define STATEMENT_HEADER "custos-statement/v1"

static int statement_check(const custos_statement *s)
{
	int64_t t;
	custos_date d;
	if ((unsigned)s->action >= CUSTOS_ACT__COUNT)
		return custos_error_set(CUSTOS_EINVALID, "statement: action: unknown");
	if (!wf_measure_id_valid(s->measure))
		return custos_error_set(CUSTOS_EINVALID, "statement: measure: '%s' is not a measure id", s->measure);
	if (s->round < 1 || s->round > 9999)
		return custos_error_set(CUSTOS_EINVALID, "statement: round: %u is not 1-9999", s->round);
	if (!wf_hash_valid(s->decision))
		return custos_error_set(CUSTOS_EINVALID, "statement: decision: not sha256:<64 hex>");
	if (!custos_principal_role_valid(s->role))
		return custos_error_set(CUSTOS_EINVALID, "statement: role: unknown role '%s'", s->role);
	if (!s->principal[0] || strchr(s->principal, ' '))
		return custos_error_set(CUSTOS_EINVALID, "statement: principal: missing or malformed");
	if (custos_time_parse(&t, s->time))
		return custos_error_set(CUSTOS_EINVALID, "statement: time: '%s' is not YYYY-MM-DDTHH:MM:SSZ", s->time);
	if ((s->action == CUSTOS_ACT_EXTEND) != (s->until[0] != '\0'))
		return custos_error_set(CUSTOS_EINVALID, "statement: until: %s",
					s->action == CUSTOS_ACT_EXTEND ? "an extension needs its new last day"
								       : "only an extension has one");
	if (s->until[0] && custos_date_parse(&d, s->until))
		return custos_error_set(CUSTOS_EINVALID, "statement: until: '%s' is not YYYY-MM-DD", s->until);
	for (const char *c = s->reason; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return custos_error_set(CUSTOS_EINVALID, "statement: reason: one line, no control characters");
	if (s->nconfirms > CUSTOS_CONFIRM_MAX)
		return custos_error_set(CUSTOS_EINVALID, "statement: confirm: more than %d", CUSTOS_CONFIRM_MAX);
	if (s->nconfirms && s->action != CUSTOS_ACT_APPROVE)
		return custos_error_set(CUSTOS_EINVALID, "statement: confirm: only an approval confirms asserted facts");
	for (unsigned i = 0; i < s->nconfirms; i++)
		if (!wf_confirm_valid(s->confirms[i]))
			return custos_error_set(CUSTOS_EINVALID,
						"statement: confirm: '%.80s' is not FLAG PARTY VALUE (PARTY - for the whole measure)",
						s->confirms[i]);
	return 0;
}

/* "FLAG PARTY VALUE": a flag of a-z and _, a party without spaces, a value on the rest of the line. */
int wf_confirm_valid(const char *c)
{
	const char *sp1 = strchr(c, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || sp1 == c || !sp2 || sp2 == sp1 + 1 || !sp2[1] || strlen(c) >= CUSTOS_CONFIRM_LINE)
		return 0;
	for (const char *p = c; p < sp1; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return 0;
	for (const char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int custos_statement_format(char **out, const custos_statement *s)
{
	custos_buf b;
	int rc;
	*out = NULL;
	if ((rc = statement_check(s)))
		return rc;
	custos_buf_init(&b, 4096);
	custos_buf_printf(&b,
			  STATEMENT_HEADER "\naction %s\nmeasure %s\nround %u\ndecision %s\nrole %s\nprincipal %s\n"
					   "time %s\n",
			  custos_action_name(s->action), s->measure, s->round, s->decision, s->role, s->principal,
			  s->time);
	if (s->until[0])
		custos_buf_printf(&b, "until %s\n", s->until);
	for (unsigned i = 0; i < s->nconfirms; i++)
		custos_buf_printf(&b, "confirm %s\n", s->confirms[i]);
	if (s->reason[0])
		custos_buf_printf(&b, "reason %s\n", s->reason);
	if (!(*out = custos_buf_detach(&b)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	return 0;
}

int custos_statement_parse(custos_statement *out, const char *text, size_t len)
{
	wf_lines r;
	char action[16], round[8];
	const char *s;
	size_t n;
	int rc;
	memset(out, 0, sizeof(*out));
	wf_lines_init(&r, text, len, "statement");
	if ((rc = wf_lines_next(&r, &s, &n)) < 0)
		return rc;
	if (rc == 0 || n != strlen(STATEMENT_HEADER) || memcmp(s, STATEMENT_HEADER, n) != 0)
		return custos_error_set(CUSTOS_EINVALID, "statement: line 1: expected '" STATEMENT_HEADER "'");
	if ((rc = wf_lines_field(&r, "action", action, sizeof(action), 0)))
		return rc;
	if (custos_action_from_name(&out->action, action))
		return custos_error_set(CUSTOS_EINVALID, "statement: line 2: action: unknown action '%s'", action);
	if ((rc = wf_lines_field(&r, "measure", out->measure, sizeof(out->measure), 0)) ||
	    (rc = wf_lines_field(&r, "round", round, sizeof(round), 0)))
		return rc;
	out->round = 0;
	for (const char *c = round; *c; c++) {
		if (*c < '0' || *c > '9' || (c == round && *c == '0'))
			return custos_error_set(CUSTOS_EINVALID, "statement: round: '%s' is not a number", round);
		out->round = out->round * 10 + (unsigned)(*c - '0');
	}
	if ((rc = wf_lines_field(&r, "decision", out->decision, sizeof(out->decision), 0)) ||
	    (rc = wf_lines_field(&r, "role", out->role, sizeof(out->role), 0)) ||
	    (rc = wf_lines_field(&r, "principal", out->principal, sizeof(out->principal), 0)) ||
	    (rc = wf_lines_field(&r, "time", out->time, sizeof(out->time), 0)) ||
	    (rc = wf_lines_field(&r, "until", out->until, sizeof(out->until), 1)))
		return rc;
	for (;;) {
		char line[CUSTOS_CONFIRM_LINE];
		if ((rc = wf_lines_field(&r, "confirm", line, sizeof(line), 1)))
			return rc;
		if (!line[0])
			break;
		if (out->nconfirms == CUSTOS_CONFIRM_MAX)
			return custos_error_set(CUSTOS_EINVALID, "statement: confirm: more than %d", CUSTOS_CONFIRM_MAX);
		memcpy(out->confirms[out->nconfirms++], line, strlen(line) + 1);
	}
	if ((rc = wf_lines_field(&r, "reason", out->reason, sizeof(out->reason), 1)) || (rc = wf_lines_end(&r)))
		return rc;
	return statement_check(out);
}

int custos_statement_sign(char **note, const custos_statement *s, const custos_signer *key)
{
	char *text = NULL;
	custos_signer *signers[1] = {(custos_signer *)key};
	int rc;
	*note = NULL;
	if ((rc = custos_statement_format(&text, s)))
		return rc;
	rc = custos_note_sign(note, text, strlen(text), signers, 1);
	free(text);
	return rc;
}

/* ---- authorisation tokens --------------------------------------------------------------- */

#define TOKEN_HEADER "custos-authorization/v1"
#define TOKEN_MAX_LIST 4096

void custos_authorization_dispose(custos_authorization *a)
{
	if (!a)
		return;
	free(a->origin);
	for (size_t i = 0; i < a->nliids; i++)
		free(a->liids[i]);
	free(a->liids);
	for (size_t i = 0; i < a->nselectors; i++)
		free(a->selectors[i]);
	free(a->selectors);
	for (size_t i = 0; i < a->nconditions; i++)
		free(a->conditions[i]);
	free(a->conditions);
	for (size_t i = 0; i < a->nconfirmed; i++)
		free(a->confirmed[i]);
	free(a->confirmed);
	memset(a, 0, sizeof(*a));
}

int custos_authorization_format(char **text, const custos_authorization *a)
{
	char from[11], to[11];
	custos_buf b;
	*text = NULL;
	custos_date_format(from, a->from);
	custos_date_format(to, a->to);
	custos_buf_init(&b, 1u << 20);
	custos_buf_printf(&b, TOKEN_HEADER "\n%s\nid %s\nmeasure %s\nkind %s\n", a->origin, a->id, a->measure, a->kind);
	if (a->scope[0])
		custos_buf_printf(&b, "scope %s\n", a->scope);
	custos_buf_printf(&b, "framework %s\nrequested_by %s\nfrom %s\nto %s\ndecision %s\n", a->framework,
			  a->requested_by, from, to, a->decision);
	if (a->log_size)
		custos_buf_printf(&b, "log_size %llu\n", (unsigned long long)a->log_size);
	if (a->agency[0])
		custos_buf_printf(&b, "agency %s\n", a->agency);
	for (size_t i = 0; i < a->nliids; i++)
		custos_buf_printf(&b, "liid %s\n", a->liids[i]);
	for (size_t i = 0; i < a->nselectors; i++)
		custos_buf_printf(&b, "selector %s\n", a->selectors[i]);
	for (size_t i = 0; i < a->nconditions; i++)
		custos_buf_printf(&b, "condition %s\n", a->conditions[i]);
	for (size_t i = 0; i < a->nconfirmed; i++)
		custos_buf_printf(&b, "confirmed %s\n", a->confirmed[i]);
	if (!(*text = custos_buf_detach(&b)))
		return custos_error_set(CUSTOS_ELIMIT, "authorisation: token too large");
	return 0;
}

/* Reads repeated "key value" lines into a growing list. */
static int read_list(wf_lines *r, const char *key, char ***list, size_t *n)
{
	size_t cap = 0;
	for (;;) {
		char value[2048];
		int rc = wf_lines_field(r, key, value, sizeof(value), 1);
		if (rc)
			return rc;
		if (!value[0])
			return 0;
		if (*n >= TOKEN_MAX_LIST)
			return custos_error_set(CUSTOS_ELIMIT, "%s: more than %d %s lines", r->what, TOKEN_MAX_LIST, key);
		if ((rc = custos_array_reserve(list, &cap, *n, sizeof(**list), 8)))
			return rc;
		if (!((*list)[*n] = custos_strdup(value)))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		(*n)++;
	}
}

int custos_authorization_parse(custos_authorization *out, const char *text, size_t len)
{
	wf_lines r;
	char from[16], to[16], origin[256], log_size[24];
	const char *s;
	size_t n;
	int rc;
	memset(out, 0, sizeof(*out));
	wf_lines_init(&r, text, len, "authorisation");
	if ((rc = wf_lines_next(&r, &s, &n)) < 0)
		return rc;
	if (rc == 0 || n != strlen(TOKEN_HEADER) || memcmp(s, TOKEN_HEADER, n) != 0)
		return custos_error_set(CUSTOS_EINVALID, "authorisation: line 1: expected '" TOKEN_HEADER "'");
	if ((rc = wf_lines_next(&r, &s, &n)) < 0)
		return rc;
	if (rc == 0 || n == 0 || n >= sizeof(origin))
		return custos_error_set(CUSTOS_EINVALID, "authorisation: line 2: expected the log's origin");
	memcpy(origin, s, n);
	origin[n] = '\0';
	if (!(out->origin = custos_strdup(origin)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = wf_lines_field(&r, "id", out->id, sizeof(out->id), 0)) ||
	    (rc = wf_lines_field(&r, "measure", out->measure, sizeof(out->measure), 0)) ||
	    (rc = wf_lines_field(&r, "kind", out->kind, sizeof(out->kind), 0)) ||
	    (rc = wf_lines_field(&r, "scope", out->scope, sizeof(out->scope), 1)) ||
	    (rc = wf_lines_field(&r, "framework", out->framework, sizeof(out->framework), 0)) ||
	    (rc = wf_lines_field(&r, "requested_by", out->requested_by, sizeof(out->requested_by), 0)) ||
	    (rc = wf_lines_field(&r, "from", from, sizeof(from), 0)) ||
	    (rc = wf_lines_field(&r, "to", to, sizeof(to), 0)) ||
	    (rc = wf_lines_field(&r, "decision", out->decision, sizeof(out->decision), 0)) ||
	    (rc = wf_lines_field(&r, "log_size", log_size, sizeof(log_size), 1)) ||
	    (rc = wf_lines_field(&r, "agency", out->agency, sizeof(out->agency), 1)) ||
	    (rc = read_list(&r, "liid", &out->liids, &out->nliids)) ||
	    (rc = read_list(&r, "selector", &out->selectors, &out->nselectors)) ||
	    (rc = read_list(&r, "condition", &out->conditions, &out->nconditions)) ||
	    (rc = read_list(&r, "confirmed", &out->confirmed, &out->nconfirmed)) || (rc = wf_lines_end(&r)))
		goto fail;
	if (!wf_measure_id_valid(out->measure) || strncmp(out->id, out->measure, strlen(out->measure)) != 0 ||
	    out->id[strlen(out->measure)] != '.') {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: id '%s' is not MEASURE.N of measure '%s'", out->id,
				      out->measure);
		goto fail;
	}
	if (custos_date_parse(&out->from, from) || custos_date_parse(&out->to, to) || out->to < out->from) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: from/to: '%s'..'%s' is not a window of days", from,
				      to);
		goto fail;
	}
	if (!wf_hash_valid(out->decision)) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: decision: not sha256:<64 hex>");
		goto fail;
	}
	if (out->agency[0] && !custos_liid_valid(out->agency, 64)) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: agency: '%s' is not an agency id", out->agency);
		goto fail;
	}
	for (size_t i = 0; i < out->nliids; i++)
		for (size_t j = 0; j <= i; j++)
			if (!custos_liid_valid(out->liids[i], CUSTOS_LIID_MAX) ||
			    (j < i && strcmp(out->liids[i], out->liids[j]) == 0)) {
				rc = custos_error_set(CUSTOS_EINVALID, "authorisation: liid: '%s' is not a LIID, or twice",
						      out->liids[i]);
				goto fail;
			}
	/* optional (tokens issued before it existed have none); when present, at least 1: its own event */
	if (log_size[0] && (note_parse_u64(log_size, strlen(log_size), &out->log_size) || out->log_size == 0)) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: log_size: '%s' is not a log size (1 or more, "
						       "decimal, no leading zeroes)", log_size);
		goto fail;
	}
	return 0;
fail:
	custos_authorization_dispose(out);
	return rc;
}
