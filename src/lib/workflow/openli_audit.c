/* openli_audit.c — `custos audit openli`: what an interception system runs, held against the register. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/gate.h"
#include "custos/lifecycle.h"
#include "custos/note.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

#define WF_AUDIT "openli_audit"

/* An authorisation of the register, its token read (its signature was checked when it was issued and by verify). */
typedef struct {
	custos_authorization a;
	char state[16];
	custos_selector *sels;
	size_t nsels;
} grant_t;

typedef struct {
	grant_t *g;
	size_t n;
} grants_t;

static void grants_free(grants_t *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		for (size_t j = 0; j < gs->g[i].nsels; j++)
			custos_selector_dispose(&gs->g[i].sels[j]);
		free(gs->g[i].sels);
		custos_authorization_dispose(&gs->g[i].a);
	}
	free(gs->g);
}

static int grant_row(void *vctx, const char *id, const char *body)
{
	grants_t *gs = vctx;
	json_t *r = json_loads(body, 0, NULL);
	const char *token = wf_jstr(r, "token");
	custos_note n;
	grant_t g;
	int rc = 0;
	if (!r)
		return custos_error_set(CUSTOS_ERROR, "authorisation %s: its record does not parse", id);
	memset(&g, 0, sizeof(g));
	if (!token[0] || custos_note_parse(&n, token, strlen(token))) { /* erased: it authorises nothing */
		json_decref(r);
		return 0;
	}
	rc = custos_authorization_parse(&g.a, n.text, n.text_len);
	custos_note_dispose(&n);
	if (rc) {
		json_decref(r);
		return custos_error_prefix(rc, "authorisation %s", id);
	}
	snprintf(g.state, sizeof(g.state), "%s", wf_jstr(r, "state"));
	json_decref(r);
	if (!g.a.nliids) {
		custos_authorization_dispose(&g.a);
		return 0;
	}
	if (!(g.sels = calloc(g.a.nselectors + 1, sizeof(*g.sels))))
		rc = wf_oom();
	for (size_t i = 0; !rc && i < g.a.nselectors; i++) {
		if (custos_selector_parse(&g.sels[g.nsels], g.a.selectors[i], strlen(g.a.selectors[i])) == 0)
			g.nsels++;
	}
	if (!rc) {
		grant_t *grown = realloc(gs->g, (gs->n + 1) * sizeof(*grown));
		if (grown) {
			gs->g = grown;
			gs->g[gs->n++] = g;
			return 0;
		}
		rc = wf_oom();
	}
	for (size_t j = 0; j < g.nsels; j++)
		custos_selector_dispose(&g.sels[j]);
	free(g.sels);
	custos_authorization_dispose(&g.a);
	return rc;
}

static int names_liid(const grant_t *g, const char *liid)
{
	for (size_t i = 0; i < g->a.nliids; i++)
		if (strcmp(g->a.liids[i], liid) == 0)
			return 1;
	return 0;
}

static void finding(json_t *arr, const custos_openli_intercept *ic, const grant_t *g, const char *what,
		    const char *fmt, ...) CUSTOS_PRINTF(5, 6);
static void finding(json_t *arr, const custos_openli_intercept *ic, const grant_t *g, const char *what,
		    const char *fmt, ...)
{
	char detail[600];
	va_list ap;
	json_t *f;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s}", "liid", ic->liid ? ic->liid : "", "kind", custos_openli_kind_name(ic->kind),
		      "finding", what, "detail", detail);
	if (!f)
		return;
	if (ic->line)
		json_object_set_new(f, "line", json_integer(ic->line));
	if (g) {
		json_object_set_new(f, "measure", json_string(g->a.measure));
		json_object_set_new(f, "authorization", json_string(g->a.id));
	}
	json_array_append_new(arr, f);
}

/* The findings of one intercept against one authorisation that names its LIID. */
static void against(json_t *out, const custos_openli_intercept *ic, const grant_t *g, const custos_selector *sels,
		    char **fields, size_t nsels, const char *unreadable, int64_t now)
{
	char from[11], to[11];
	int64_t ws = (int64_t)g->a.from * 86400, we = ((int64_t)g->a.to + 1) * 86400;
	custos_date_format(from, g->a.from);
	custos_date_format(to, g->a.to);
	/* a configured intercept runs from its starttime (0: now) to its endtime (0: for ever); one that has ended is
	 * history, not an interception */
	int ended = ic->endtime && ic->endtime <= now;
	if (strcmp(g->state, "valid") != 0)
		finding(out, ic, g, g->state, "authorisation %s is %s while the intercept is provisioned%s", g->a.id,
			g->state, ended ? " (its endtime has passed)" : "");
	else if (now >= we && !ended)
		finding(out, ic, g, "expired", "authorisation %s's window ended on %s; the intercept still runs", g->a.id, to);
	if (!ic->starttime && now < ws)
		finding(out, ic, g, "window_beyond", "no starttime: it runs now, before %s, the first day of authorisation %s",
			from, g->a.id);
	if (g->a.agency[0] && (!ic->agencyid || strcmp(ic->agencyid, g->a.agency) != 0))
		finding(out, ic, g, "agency", "delivered to agency '%s', authorisation %s names '%s'",
			ic->agencyid ? ic->agencyid : "", g->a.id, g->a.agency);
	if (unreadable)
		finding(out, ic, g, "unreadable", "%s", unreadable);
	for (size_t i = 0; i < nsels; i++) {
		int ok = 0;
		for (size_t j = 0; j < g->nsels && !ok; j++)
			ok = custos_selector_covers(&g->sels[j], &sels[i]);
		if (!ok)
			finding(out, ic, g, "target_outside", "%s: %s is not among the selectors of authorisation %s",
				fields[i], sels[i].text, g->a.id);
	}
	if (ic->starttime && ic->starttime < ws)
		finding(out, ic, g, "window_beyond", "starttime %lld is before %s, the first day of authorisation %s",
			(long long)ic->starttime, from, g->a.id);
	if (!ic->endtime)
		finding(out, ic, g, "window_beyond", "no endtime: it runs for ever, beyond %s, the last day of authorisation %s",
			to, g->a.id);
	else if (ic->endtime > we)
		finding(out, ic, g, "window_beyond", "endtime %lld is after %s, the last day of authorisation %s",
			(long long)ic->endtime, to, g->a.id);
}

int custos_gate_audit(custos_store *st, const custos_openli_intercept *list, size_t n, const char *source,
		      char **json, size_t *nfindings)
{
	grants_t gs = {NULL, 0};
	json_t *report = NULL, *findings = json_array(), *clean = json_array();
	int64_t now = custos_clock_now();
	char at[21];
	int rc;
	*json = NULL;
	*nfindings = 0;
	if (!findings || !clean) {
		rc = wf_oom();
		goto out;
	}
	if ((rc = custos_store_record_each(st, WF_AUTHORIZATION, NULL, grant_row, &gs)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const custos_openli_intercept *ic = &list[i];
		custos_selector *sels = NULL;
		char **fields = NULL, unreadable[600] = "";
		size_t nsels = 0;
		json_t *best = NULL;
		if (custos_openli_targets(ic, &sels, &fields, &nsels))
			snprintf(unreadable, sizeof(unreadable), "%s", custos_error_last());
		for (size_t k = 0; k < gs.n; k++) {
			json_t *fs;
			if (!names_liid(&gs.g[k], ic->liid ? ic->liid : ""))
				continue;
			if (!(fs = json_array())) {
				rc = wf_oom();
				break;
			}
			against(fs, ic, &gs.g[k], sels, fields, nsels, unreadable[0] ? unreadable : NULL, now);
			/* the authorisation that covers it best: fewest findings, the latest issued on a tie */
			if (!best || json_array_size(fs) <= json_array_size(best)) {
				json_decref(best);
				best = fs;
			} else {
				json_decref(fs);
			}
		}
		custos_openli_targets_free(sels, fields, nsels);
		if (rc) {
			json_decref(best);
			goto out;
		}
		if (!best) {
			if (!(best = json_array())) {
				rc = wf_oom();
				goto out;
			}
			finding(best, ic, NULL, "no_authorisation", "no authorisation of this register names LIID %s",
				ic->liid ? ic->liid : "");
		}
		if (json_array_size(best) == 0)
			json_array_append_new(clean, json_string(ic->liid));
		else
			json_array_extend(findings, best);
		json_decref(best);
	}
	custos_time_format(at, now);
	report = json_pack("{s:s, s:s, s:I, s:I, s:O, s:O}", "source", source ? source : "", "checked_at", at,
			   "intercepts", (json_int_t)n, "count", (json_int_t)json_array_size(findings), "findings",
			   findings, "clean", clean);
	if (!report || !(*json = wf_jdump(report)))
		rc = wf_oom();
	else
		*nfindings = json_array_size(findings);
out:
	json_decref(report);
	json_decref(findings);
	json_decref(clean);
	grants_free(&gs);
	return rc;
}

int custos_gate_audit_log(custos_store *st, const char *report, const char *actor, int64_t *index)
{
	int rc;
	if ((rc = custos_store_begin(st)))
		return rc;
	if ((rc = wf_append(st, "openli.audit", actor, NULL, report, index, NULL))) {
		custos_store_rollback(st);
		return rc;
	}
	return custos_store_commit(st);
}

static int latest_row(void *vctx, const char *id, const char *body)
{
	char **latest = vctx;
	(void)id;
	free(*latest);
	return (*latest = custos_strdup(body)) ? 0 : wf_oom();
}

int custos_gate_audit_latest(custos_store *st, char **json)
{
	char *latest = NULL;
	int rc = custos_store_record_each(st, WF_AUDIT, NULL, latest_row, &latest);
	if (rc) {
		free(latest);
		return rc;
	}
	*json = latest ? latest : custos_strdup("{}");
	return *json ? 0 : wf_oom();
}
