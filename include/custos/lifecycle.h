/* custos/lifecycle.h — the life of a measure: signed approvals, authorisations, extension, revocation, re-screening. */
#ifndef CUSTOS_LIFECYCLE_H
#define CUSTOS_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "custos/model.h"
#include "custos/note.h"
#include "custos/principal.h"
#include "custos/registry.h"
#include "custos/rules.h"
#include "custos/store.h"

/*
 * States of a measure (docs/LIFECYCLE.md):
 *   forbidden                 a rule forbids it; it can never be authorised
 *   pending                   waiting for the approvals its decision lists
 *   refused                   a required role refused
 *   authorised                every approval given, its window not yet begun
 *   active                    inside its authorised window
 *   extended                  inside a window reached by an approved extension
 *   expired                   its window is over
 *   suspended                 a registry change made it touch a protected party
 *   revoked                   stopped by comite_r
 *   ended                     ended early by the requesting authority
 * authorised, active, extended and expired are one stored state read
 * against today's date; the others are stored as they are.
 */

/*
 * Files, decides and records a measure (see custos_measure_file), on behalf
 * of `principal` (an active principal holding `requester` whose authority is
 * the measure's requested_by), or of the operator when principal is NULL.
 * A permitted measure is authorised at once.
 */
int custos_measure_file_by(custos_store *st, const char *json, size_t len, const char *actor, const char *principal,
			   char **id_out, char **decision_json);

/*
 * A rule set and registry already in memory (a server's), read when the log
 * held `seen` events. Filing with them skips reading both again; if a
 * registry import or rule set came after `seen`, the filing reads them again
 * inside its transaction and decides on those, so nothing is ever filed on
 * out-of-date rules or registry.
 */
typedef struct custos_filing_basis {
	const custos_ruleset *rules;
	const custos_registry *registry;
	int64_t seen;
} custos_filing_basis;

/* custos_measure_file_by deciding on `basis` (NULL: read the rules and registry in force). */
int custos_measure_file_on(custos_store *st, const custos_filing_basis *basis, const char *json, size_t len,
			   const char *actor, const char *principal, char **id_out, char **decision_json);

/*
 * Checks a signed statement (custos/principal.h) and applies it, in one
 * transaction, or changes nothing and says why: the signature against the
 * principal's registered key, the principal active and holding the role,
 * the time within 5 minutes of now, the measure's current round and
 * decision, the role still to sign, nobody approving their own measure,
 * no principal signing two roles of one measure. *result (malloc'd) is the
 * measure's life after the statement, as JSON.
 */
int custos_statement_submit(custos_store *st, const char *note, size_t len, const char *actor, char **result);

/*
 * Builds the statement for `action` on measure `id` as the principal holding
 * `key` (its current round and decision, now), signs it and submits it.
 * role: the role signed under (approve, refuse, acknowledge; NULL for the
 * others: revoke signs as comite_r, end and extend as requester or
 * service_head). until: the new last day (extend only).
 */
int custos_measure_act(custos_store *st, const char *id, custos_action action, const char *role, const char *reason,
		       const char *until, const custos_signer *key, const char *actor, char **result);

/*
 * The same statement, signed but not submitted (*note, malloc'd): to carry
 * to custos_statement_submit elsewhere, within 5 minutes.
 */
int custos_measure_statement(custos_store *st, const char *id, custos_action action, const char *role,
			     const char *reason, const char *until, const custos_signer *key, char **note);

/*
 * An approval under `role` that names the asserted facts it confirms
 * (LAW.md, "Asserted facts"): confirm NULL lists every fact the decision
 * asks the role to confirm, "none" lists none, "FLAG[@PARTY],..." names
 * them. print_only: *result is the signed statement, not submitted.
 */
int custos_measure_approve(custos_store *st, const char *id, const char *role, const char *confirm, int print_only,
			   const custos_signer *key, const char *actor, char **result);

/* The statement's text, unsigned, for `principal` to sign elsewhere (a browser): the note's text. */
int custos_measure_statement_text(custos_store *st, const char *id, custos_action action, const char *role,
				  const char *reason, const char *until, const char *principal, char **text);

/* The state of a measure as of `today` (one of the names above). */
int custos_measure_state(custos_store *st, const char *id, custos_date today, char state[16]);

/*
 * The measure's life as JSON: state, filed_by, round, decision hash,
 * approvals with who signed and when, window, authorisations, history.
 */
int custos_measure_life(custos_store *st, const char *id, custos_date today, char **json);

/*
 * True (1) if the measure waits for `role`: a pending approval or
 * acknowledgement of that role, or (for comite_r) a suspension to review.
 */
int custos_measure_waits_for(custos_store *st, const char *id, const char *role);
/* 1 if the measure waits for one of p's roles or p signed for it in any round (one read of its life), else 0. */
int custos_measure_concerns(custos_store *st, const char *id, const custos_principal *p);

/* ---- authorisations ------------------------------------------------------------------ */

/*
 * An authorisation is a C2SP signed note signed with the log's key, so an
 * executing system verifies it offline with the log's verifier key:
 *
 *   custos-authorization/v1
 *   <log origin>
 *   id M-000001.1
 *   measure M-000001
 *   kind interception
 *   scope content             (when the measure has one)
 *   framework intelligence
 *   requested_by vsse
 *   from 2026-12-01
 *   to 2027-01-31             (inclusive, UTC days)
 *   decision sha256:<hex>
 *   log_size 1234             (the log's size with this token's authorization.issued
 *                              event in it; absent from tokens issued before it existed)
 *   agency vsse               (the receiving agency, when the measure names one)
 *   liid LP45NNST3            (one per intercept it may be provisioned under, when the measure names them)
 *   selector <normalised selector>   (one per target)
 *   condition max_days 60            (zero or more)
 *   condition minimise <what>
 */
typedef struct custos_authorization {
	char *origin;
	char id[24];
	char measure[16];
	char kind[32], scope[16], framework[16];
	char requested_by[65];
	custos_date from, to;
	char decision[72];
	uint64_t log_size; /* 0: the token has no log_size line (issued before it existed) */
	char agency[65];   /* "" when the measure names no agency */
	char **liids;
	size_t nliids;
	char **selectors;
	size_t nselectors;
	char **conditions;
	size_t nconditions;
	char **confirmed; /* the asserted facts confirmed before it was issued: "ROLE FLAG PARTY VALUE" */
	size_t nconfirmed;
} custos_authorization;

int custos_authorization_format(char **text, const custos_authorization *a);
/* Parses a token's note text strictly; errors name the line. */
int custos_authorization_parse(custos_authorization *out, const char *text, size_t len);
void custos_authorization_dispose(custos_authorization *a);

/* The signed token of authorisation `id` ("M-000001.1"), as issued. */
int custos_authorization_get(custos_store *st, const char *id, char **token);

/*
 * The revocation list, signed with the log key and published beside the
 * checkpoint: every authorisation withdrawn before its window ended.
 *
 *   custos-revocations/v1
 *   <log origin>
 *   size <log size when signed>
 *   time 2026-11-24T09:00:00Z
 *   revoked M-000001.1        (or suspended / ended), sorted by id
 */
int custos_revocations(custos_store *st, char **note);
/* Writes it as DIR/revocations, beside the checkpoint and tiles of `custos log tiles DIR`. */
int custos_revocations_publish(custos_store *st, const char *dir);

/*
 * How to check a token offline (custos_authorization_check).
 *   vkey         the log's verifier key ("name+hash+base64")
 *   revocations  a signed revocation list (rlen bytes), or NULL for none
 *   today        the day that must lie inside the token's window
 *   max_age      seconds: > 0 refuses a list whose `time` is further than
 *                that behind the installed clock (custos_clock_now); 0: any age
 */
typedef struct custos_token_checks {
	const char *vkey;
	const char *revocations;
	size_t rlen;
	custos_date today;
	int64_t max_age;
} custos_token_checks;

/*
 * What a check established about revocation. `checked` is 1 only when a list
 * signed by the log's key, for the token's origin, and provably not older
 * than the token (its size at least the token's log_size; for a token
 * without log_size, its time within max_age) does not list it. Otherwise
 * `unchecked` says why not (no list; an old token and no max_age).
 */
typedef struct custos_revocation_check {
	int checked;
	uint64_t list_size; /* the list's size and time, when one was read */
	char list_time[21];
	char unchecked[192];
} custos_revocation_check;

/*
 * Verifies a token offline: its signature by the log's key, that `today` lies
 * inside its window, and against the revocation list when one is given. A
 * list that names the token refuses it, however old the list (a withdrawn
 * token never comes back: a new approval issues a new token). A list older
 * than the token (size below the token's log_size, so signed before the
 * token existed) or older than max_age is refused: it cannot clear the
 * token. Returns 0 for a valid token, with *rev saying whether revocation
 * was checked; every refusal is CUSTOS_EINVALID with the reason. On success
 * *out (may be NULL) holds the parsed token.
 */
int custos_authorization_check(custos_authorization *out, custos_revocation_check *rev, const char *token, size_t len,
			       const custos_token_checks *checks);

/*
 * custos_authorization_check without a max_age, for callers that do not ask
 * whether revocation was checked: 0 means valid, and says nothing about a
 * token the list could not vouch for (no list, or an old token). New code
 * calls custos_authorization_check.
 */
int custos_authorization_verify(custos_authorization *out, const char *token, size_t len, const char *vkey,
				const char *revocations, size_t rlen, custos_date today);

/* ---- the registry changes ------------------------------------------------------------ */

/*
 * Imports registry lines (custos_registry_import) and, in the same
 * transaction, screens every authorised measure whose window has not ended
 * again against the new registry. A measure that now touches a protected
 * party it did not touch, needs a role that did not approve it, or is
 * forbidden, is suspended at once (event "measure.suspended"; its
 * authorisation is listed as suspended) and, unless forbidden, opens a new
 * round of approvals for the roles concerned. *report (may be NULL)
 * receives one JSON line per suspended measure.
 */
int custos_registry_import_rescreen(custos_store *st, const char *text, size_t len, const char *source,
				    const char *actor, size_t *count, char **report);

/*
 * What custos_registry_import_rescreen would do, done inside a transaction
 * that is rolled back: nothing is stored. *json (malloc'd) is
 * {"count", "registry_hash": {"before", "after"}, "added": [party...],
 * "changed": [{"id", "before", "after"}], "removed": [party...],
 * "unchanged": n, "suspended": [the import's report lines]}; bad lines fail
 * as the import does (CUSTOS_EINVALID "SOURCE:LINE: field: problem").
 */
int custos_registry_import_preview(custos_store *st, const char *text, size_t len, const char *source,
				   const char *actor, char **json);

/* ---- audit ---------------------------------------------------------------------------- */

/*
 * `custos log verify`, in one pass over the log: the log itself
 * (custos_log_verify), every statement's and token's signature again under
 * the keys of their time, and every event replayed, from the first, into
 * projections of its own (in memory), against which every row of the
 * store's projections is then checked byte for byte. Returns 0, or
 * CUSTOS_EINVALID naming the first problem: the log's ("event 17: ..."), a
 * signature's, or a row missing, extra or different ("table parties, key
 * P-1, field valid_to: ..."). The counts are those checked.
 */
int custos_workflow_verify(custos_store *st, uint64_t *events, uint64_t *signatures, uint64_t *rows);
/*
 * Verifies the log, then empties every projection and folds the log into
 * them again, in one transaction; *events receives the events replayed.
 */
int custos_workflow_rebuild(custos_store *st, int64_t *events);
/*
 * Copies store `from` into the empty store `to` (another backend, or the
 * same), by its log: `from` is verified first; then in one transaction of
 * `to` its events as they are (times, payload hashes, erased payloads), its
 * signed checkpoints and their cosignatures, the log's settings, and the
 * projections folded from those events as a rebuild does. The copy is then
 * verified, and its tree root and latest checkpoint must be byte for byte
 * the source's. *events receives the events copied.
 */
int custos_workflow_copy(custos_store *from, custos_store *to, uint64_t *events);
/*
 * Erases the payload of event `index` at the end of its retention (a
 * log.erase event records it) and what the projections kept of it: a measure
 * any of whose events is erased keeps its id, number and filing time, and its
 * authorisations their ids and windows (a valid one withdrawn as "erased");
 * the rest of it goes. Registry imports and rule sets are never erased.
 */
int custos_workflow_erase(custos_store *st, uint64_t index, const char *reason, const char *actor,
			  int64_t *erase_index);

#endif
