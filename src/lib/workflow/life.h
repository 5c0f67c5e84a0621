/* life.h — the life of a measure as a value: a struct with enum states, and one pure transition per event. */
#ifndef CUSTOS_WORKFLOW_LIFE_H
#define CUSTOS_WORKFLOW_LIFE_H

#include <stddef.h>
#include <stdint.h>

#include "custos/model.h"
#include "custos/principal.h"
#include "custos/store.h"

/*
 * Where a measure stands. The stored state; what is shown reads an
 * authorised window against a day (wf_life_shown: "active", "expired").
 */
typedef enum {
	WF_LIFE_PENDING,
	WF_LIFE_FORBIDDEN,
	WF_LIFE_REFUSED,
	WF_LIFE_AUTHORISED,
	WF_LIFE_EXTENDED,
	WF_LIFE_SUSPENDED,
	WF_LIFE_REVOKED,
	WF_LIFE_ENDED,
	WF_LIFE__COUNT
} wf_life_state;

typedef enum { WF_ROUND_NONE, WF_ROUND_FILING, WF_ROUND_EXTENSION, WF_ROUND_RESCREEN, WF_ROUND__COUNT } wf_round_kind;
typedef enum { WF_ASK_PENDING, WF_ASK_APPROVED, WF_ASK_REFUSED, WF_ASK_ACKNOWLEDGED, WF_ASK__COUNT } wf_ask_state;
typedef enum { WF_FACT_PENDING, WF_FACT_CONFIRMED, WF_FACT_REFUSED, WF_FACT__COUNT } wf_fact_state;

/* A role the current round asks: to approve, or (notify) to acknowledge. */
typedef struct wf_approval {
	char *role;
	int notify;
	wf_ask_state state;
	char *principal, *time, *statement, *reason; /* once answered (reason: a refusal's, optional) */
} wf_approval;

/* A fact the round's decision rests on, which a role must confirm (LAW.md, "Asserted facts"). */
typedef struct wf_assertion {
	char *flag;
	char *value; /* "true", "false", or the string value */
	int value_is_string;
	char *rule, *confirm_by;
	char *party; /* NULL: the fact is about the measure */
	wf_fact_state state;
	char *principal, *statement; /* once answered */
} wf_assertion;

typedef struct wf_history {
	char *time, *what;
	int64_t index; /* the event */
	char *detail;  /* NULL if none */
} wf_history;

typedef struct wf_signer {
	char *principal, *role;
} wf_signer;

typedef struct wf_life {
	char *measure, *requested_by;
	char *filed_by; /* the principal who filed it, who may sign nothing for it; NULL if none did */
	wf_life_state state;
	unsigned round;
	wf_round_kind round_kind;
	int round_open;
	custos_outcome outcome; /* of the current round's decision */
	char *decision;		/* its hash */
	int64_t decision_index; /* the event that logged it; -1 before any */
	custos_date from, to;	/* the current round's period */
	wf_approval *approvals;
	size_t napprovals;
	char **subjects; /* party ids the round's findings turned on */
	size_t nsubjects;
	wf_assertion *assertions;
	size_t nassertions;
	wf_signer *signers;
	size_t nsigners;
	int has_window;
	custos_date window_from, window_to;
	char **authorizations;
	size_t nauthorizations;
	unsigned extensions;
	custos_date extension_until; /* asked for, not yet decided; 0 if none */
	wf_history *history;
	size_t nhistory;
} wf_life;

const char *wf_life_state_name(wf_life_state s);
const char *wf_ask_state_name(wf_ask_state s); /* "pending", "approved", ... */
void wf_life_dispose(wf_life *l);
/* The current round's approvals, subjects and asserted facts freed (a new round replaces them). */
void wf_life_free_round(wf_life *l);
void wf_life_free_assertions(wf_life *l);
/* A decision's (or a stored life's) "approvals" and "assertions" arrays into the life's. */
struct json_t;
int wf_life_decode_approvals(wf_life *l, const struct json_t *arr);
int wf_life_decode_assertions(wf_life *l, const struct json_t *arr);
/* The stored JSON of a life (the storage edge: nothing else reads or writes it). */
int wf_life_decode(wf_life *out, const char *json);
int wf_life_encode(char **json, const wf_life *l, const char *shown_state);
/* The state to show on `today`: an authorised window read against it ("active", "expired", ...). */
const char *wf_life_shown(const wf_life *l, custos_date today);
const wf_approval *wf_life_approval(const wf_life *l, const char *role);
/* "FLAG PARTY VALUE": an asserted fact as a statement's "confirm" line. */
void wf_fact_line(char *out, size_t n, const wf_assertion *a);
/* The first asserted fact that statement s's role confirms but s does not list, or NULL. */
const wf_assertion *wf_fact_unlisted(const wf_life *l, const custos_statement *s);

/* What a transition asks of the other projections. */
typedef struct wf_effects {
	int complete;	      /* the round is complete: the measure is authorised (its token is the next event) */
	const char *withdraw; /* every valid authorisation of the measure withdrawn as this ("revoked", ...) */
} wf_effects;

/*
 * The one transition: the life after event e, from the life before it, the
 * event and nothing else (its type, time, index and payload), except two
 * facts the log holds elsewhere: whether e's actor is a registered principal
 * (measure.filed) and the id the event's statement is kept under. Pure: no
 * store, no clock. A statement the life cannot take (no such role asked, an
 * approval missing a fact its role confirms) is CUSTOS_EINVALID; the
 * commands (lifecycle.c) refuse those before they are logged.
 */
typedef struct wf_step_in {
	int actor_is_principal;
	const char *statement_id;
} wf_step_in;
int wf_life_step(wf_life *l, const custos_store_event *e, const wf_step_in *in, wf_effects *fx);

/* The life of measure id, from its stored record (CUSTOS_ENOTFOUND: no such measure). */
int wf_life_load(custos_store *st, const char *id, wf_life *out);

#endif
