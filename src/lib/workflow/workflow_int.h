/* workflow_int.h — internals shared by the workflow files: a strict line reader and the life record. */
#ifndef CUSTOS_WORKFLOW_INT_H
#define CUSTOS_WORKFLOW_INT_H

#include <stddef.h>

#include "custos/lifecycle.h"
#include "custos/registry.h"
#include "custos/store.h"
#include "custos/workflow.h"

/* Reads a signed text line by line; messages say "<what>: line N: ...". */
typedef struct wf_lines {
	const char *p, *end;
	unsigned line;
	const char *what;
} wf_lines;

void wf_lines_init(wf_lines *r, const char *text, size_t len, const char *what);
/* 1 and the line (without "\n") into s/n; 0 at the end; < 0 on a line without "\n" or with a control character. */
int wf_lines_next(wf_lines *r, const char **s, size_t *n);
/* The next line as "key value"; an optional field that is absent leaves out "" and consumes nothing. */
int wf_lines_field(wf_lines *r, const char *key, char *out, size_t cap, int optional);
/* CUSTOS_EINVALID if anything follows the last field. */
int wf_lines_end(wf_lines *r);

/* The string member `key` of a JSON object, or "" when absent or not a string. */
struct json_t;
const char *wf_jstr(const struct json_t *o, const char *key);

int wf_confirm_valid(const char *c);  /* a statement's "confirm" value: FLAG PARTY VALUE */
int wf_hash_valid(const char *s);       /* "sha256:" + 64 lower-case hex */
int wf_measure_id_valid(const char *s); /* "M-" + digits */

/* Record kinds in the store. */
#define WF_LIFE "life"
#define WF_STATEMENT "statement"
#define WF_AUTHORIZATION "authorization"
#define WF_PRINCIPAL "principal"
/* Meta key holding the hash of the rule set in force. */
#define WF_META_RULES "rules_hash"

/* ---- the projections (project.c, life.c) ----------------------------------------------------------- */

struct json_t;
typedef struct wf_apply {
	custos_store *st; /* where the projections are read and written */
	int complete;	  /* out: the event completed a round (the live command then issues its token) */
	int legacy;	  /* out: an event of an older format whose payload lacks what it set was met */
	const struct json_t *legacy_rules; /* hash -> text of rule sets loaded before their text went into the log */
	struct wf_life *last; /* a replay's last life stepped, kept decoded (its events come in runs); NULL: none */
} wf_apply;
/* Frees what a replay kept (a->last). */
void wf_apply_dispose(wf_apply *a);

/* Applies one event of the log to the projections: the one way any of them changes. */
int wf_apply_event(wf_apply *a, const custos_store_event *e);
/* The gate's events: the intercepts it provisioned and withdrew, the audits of what runs (gate.c). */
int wf_gate_apply(wf_apply *a, const custos_store_event *e);
/* The measure events' part: the life, statements, authorisations (life.c). */
int wf_life_apply(wf_apply *a, const custos_store_event *e);
/*
 * Appends an event and applies it, inside the caller's write transaction;
 * *complete (optional) is set when it completed a round of approvals.
 */
int wf_append(custos_store *st, const char *type, const char *actor, const char *ref, const char *payload,
	      int64_t *index, int *complete);
/*
 * The audit of the log's workflow events (audit.c), one event at a time in
 * log order: every statement's signature under the key its principal had at
 * that point, its role, every token's signature by the log's key.
 */
typedef struct wf_audit wf_audit;
int wf_audit_new(wf_audit **out, custos_store *st);
int wf_audit_event(void *a, const custos_store_event *e); /* a custos_store_event_fn */
uint64_t wf_audit_signatures(const wf_audit *a);	   /* how many signatures it checked (after finish) */
/* Waits for the signature checks (run on a second thread); the first failure in log order, *index its event. */
int wf_audit_finish(wf_audit *a, int64_t *index);
void wf_audit_free(wf_audit *a);

/* Empties the projections and folds the whole log into them again (inside the caller's write transaction). */
int wf_rebuild(custos_store *st, int64_t *events);
/* The decision as answered for measure id at log index: {"id":..., <the logged decision>, "log_index":...}. */
int wf_decision_placed(char **out, const char *undecided, const char *id, int64_t index);

char *wf_jdump(const struct json_t *o); /* compact, keys in order; NULL when out of memory */
int wf_oom(void);

/*
 * Issues the authorisation of the round of measure id just completed (its
 * token signed with the log key, logged as authorization.issued).
 */
int wf_authorize(custos_store *st, const char *id, const char *actor);
/* Decides measure id again (current rules, and reg or the stored registry) for from..to; *text is the decision. */

int wf_decide_again(custos_store *st, const char *id, const custos_registry *reg, custos_date from,
		    custos_date to, char **text);
/* The event type of a statement's action ("measure.approved", ...). */
const char *wf_action_event(custos_action a);

#endif
