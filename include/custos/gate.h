/* custos/gate.h — the gate in front of an interception system (OpenLI's provisioner), and its audit. */
#ifndef CUSTOS_GATE_H
#define CUSTOS_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "custos/openli.h"
#include "custos/store.h"

/*
 * `custos gate openli` is the only client of OpenLI's provisioner REST API.
 * An intercept is created or changed (POST, PUT) only with a custos
 * authorisation for its LIID, given base64-encoded in the request header
 * `Custos-Authorization`; DELETEs always pass. Every change it forwards is two
 * events — `openli.sending` (the token and the exact body, before it is
 * sent) and `openli.sent` (the provisioner's answer) —, every refusal one,
 * `openli.refused`; `openli.withdrawn` records an intercept the gate removed
 * because its authorisation ended. The record "intercept" (id KIND/LIID) is
 * the projection of those events: what the register knows runs upstream.
 */
#define CUSTOS_GATE_TOKEN_HEADER "Custos-Authorization"

typedef struct custos_gate_check {
	int status;	   /* 0: allowed; else the HTTP status of the refusal (400 unreadable, 403 not authorised) */
	char reason[1024]; /* a refusal's reason, naming the field ("user: nai:x is not among ...") */
	char liid[64];	   /* the intercept's LIID as sent ("" when unreadable) */
	char measure[16], authorization[24];
	char *token; /* the token's note text (NULL when none could be read), malloc'd */
	char *body;  /* allowed: the JSON to forward, starttime and endtime set to the window when absent */
	int64_t starttime, endtime;
} custos_gate_check;

/*
 * Decides whether a POST or PUT of `body` at /KIND may pass with the header
 * value `header` (NULL: none): the token's signature by this log's key, its
 * window around today, its authorisation still valid in this store (not
 * revoked, suspended, ended or erased), the LIID among the token's, the
 * agency the token names, every target of the intercept within the token's
 * selectors (custos_openli_targets, custos_selector_covers), starttime and
 * endtime inside the window (set to it when absent or 0). Returns 0 with
 * out->status set (0 allowed) or a store error; dispose `out` after.
 */
int custos_gate_check_change(custos_store *st, custos_openli_kind kind, const char *body, size_t len,
			     const char *header, custos_gate_check *out);
void custos_gate_check_dispose(custos_gate_check *c);

/* What the gate logs. `path` as the client sent it; `body` (len bytes) the exact bytes; `upstream` the base URL. */
int custos_gate_log_refused(custos_store *st, const char *method, const char *path, const custos_gate_check *c,
			    const char *body, size_t len);
int custos_gate_log_sending(custos_store *st, const char *method, const char *path, int kind, const char *liid,
			    const custos_gate_check *c, const char *body, const char *upstream);
int custos_gate_log_sent(custos_store *st, const char *method, const char *path, int kind, const char *liid,
			 const char *measure, long status, const char *answer);
int custos_gate_log_withdrawn(custos_store *st, custos_openli_kind kind, const char *liid, const char *measure,
			      const char *reason, long status);

/*
 * The intercepts the register says may run upstream (provisioned, or sent
 * without an answer logged) whose authorisation no longer holds on the
 * installed clock: fn(ctx, kind, liid, measure, reason) for each, reason one
 * of revoked, suspended, ended, erased, expired (its window
 * passed), unknown (no authorisation in the register). A nonzero return of fn
 * stops the walk and is returned.
 */
typedef int (*custos_gate_due_fn)(void *ctx, custos_openli_kind kind, const char *liid, const char *measure,
				  const char *reason);
int custos_gate_due(custos_store *st, custos_gate_due_fn fn, void *ctx);

/*
 * The intercepts the gate provisioned for `measure` (NULL: all), as a JSON
 * array of {kind, liid, measure, authorization, state, since, body, ...}:
 * state "provisioned", "sent" (no answer logged), "failed", "removed",
 * "withdrawn". malloc'd.
 */
int custos_gate_intercepts(custos_store *st, const char *measure, char **json);

/* ---- the audit of what runs ----------------------------------------------------------------------------- */

/*
 * Compares intercepts read from OpenLI (its YAML file or its REST listing)
 * with the register on the installed clock. Each intercept is held against
 * every authorisation whose token names its LIID: findings are
 *   no_authorisation  no token of this register names the LIID
 *   unreadable        custos cannot read its targets (xids, vendor mirrors, UDP sinks, a bad target)
 *   target_outside    a target is not within the token's selectors
 *   window_beyond     starttime/endtime outside the token's window (or no endtime)
 *   agency            delivered to another agency than the token names
 *   revoked / suspended / ended / erased / expired
 *                     the authorisation no longer holds while the intercept runs
 * *json (malloc'd) is {"source", "checked_at", "intercepts": n, "findings": [{liid, kind, line, finding,
 * detail, measure, authorization}], "clean": [liid...]}; *nfindings the count.
 * Nothing is written: custos_gate_audit_log records a report.
 */
int custos_gate_audit(custos_store *st, const custos_openli_intercept *list, size_t n, const char *source,
		      char **json, size_t *nfindings);
/* Logs a report of custos_gate_audit as the event "openli.audit" (actor: who ran it). */
int custos_gate_audit_log(custos_store *st, const char *report, const char *actor, int64_t *index);
/* The latest audit report logged ({} when none), malloc'd: what comite_r's overview shows. */
int custos_gate_audit_latest(custos_store *st, char **json);

#endif
