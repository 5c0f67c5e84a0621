/* custos/principal.h — principals (who may sign what), their key files, and the statements they sign. */
#ifndef CUSTOS_PRINCIPAL_H
#define CUSTOS_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

#include "custos/note.h"
#include "custos/store.h"

/* ---- principals ----------------------------------------------------------------------- */

/*
 * The roles a principal may hold: the approval roles of LAW.md
 * (foreign_affairs, investigating_judge, ...), comite_r (reads everything,
 * may revoke), registrar (may change the registry) and requester (files
 * measures for its authority). 1 if `role` is one of them.
 */
int custos_principal_role_valid(const char *role);
/* The valid roles, comma-separated, for messages. */
const char *custos_principal_roles_list(void);

typedef struct custos_principal {
	char *id;	  /* [A-Za-z0-9._-]{1,64}; never reused */
	char *name;	  /* a person or office, for people to read */
	char *authority;  /* e.g. "vsse", "fps_foreign_affairs"; a requester files for it */
	char **roles;	  /* each custos_principal_role_valid */
	size_t nroles;
	char *pubkey;	  /* signed-note verifier key "name+hash+base64" (Ed25519) */
	char *added_at;	  /* RFC 3339 */
	char *revoked_at; /* NULL while the principal may sign */
} custos_principal;

/* The principal as one JSON object (keys in the order above; revoked_at null while active). */
int custos_principal_encode(char **out, const custos_principal *p);
/* Strict decoding of that object; errors name the field. */
int custos_principal_decode(custos_principal *out, const char *json);
void custos_principal_dispose(custos_principal *p);
int custos_principal_has_role(const custos_principal *p, const char *role);

/*
 * Registers a principal (event "principal.added", in one transaction): the id
 * must be new, every role valid, the key a valid Ed25519 verifier key that no
 * active principal already holds. p->added_at and p->revoked_at are ignored.
 */
int custos_principal_add(custos_store *st, const custos_principal *p, const char *actor);
/* Revokes a principal (event "principal.revoked"): it signs nothing from now on. */
int custos_principal_revoke(custos_store *st, const char *id, const char *reason, const char *actor);
int custos_principal_get(custos_store *st, const char *id, custos_principal *out); /* ENOTFOUND */
/* The active principal holding this verifier key (ENOTFOUND naming the key otherwise). */
int custos_principal_by_key(custos_store *st, const char *vkey, custos_principal *out);
typedef int (*custos_principal_fn)(void *ctx, const custos_principal *p);
int custos_principal_each(custos_store *st, custos_principal_fn fn, void *ctx);

/* ---- signed statements ---------------------------------------------------------------- */

/*
 * What a principal signs. The text is a C2SP signed note signed with the
 * principal's own key:
 *
 *   custos-statement/v1
 *   action approve
 *   measure M-000001
 *   round 1
 *   decision sha256:<hex>
 *   role foreign_affairs
 *   principal FA-1
 *   time 2026-11-24T09:00:00Z
 *   until 2027-03-31          (extend only)
 *   reason <one line>         (optional)
 *
 * The decision hash and round bind it to one decision of one measure, the
 * time to a moment, so a statement cannot be replayed elsewhere.
 */
typedef enum {
	CUSTOS_ACT_APPROVE,
	CUSTOS_ACT_REFUSE,
	CUSTOS_ACT_ACKNOWLEDGE, /* a role the rules only inform */
	CUSTOS_ACT_REVOKE,	/* comite_r stops a measure */
	CUSTOS_ACT_END,		/* the requesting authority ends its measure */
	CUSTOS_ACT_EXTEND,	/* the requesting authority asks for a longer window */
	CUSTOS_ACT__COUNT
} custos_action;

const char *custos_action_name(custos_action a);
int custos_action_from_name(custos_action *out, const char *name); /* CUSTOS_EINVALID, no message */

#define CUSTOS_REASON_MAX 500
#define CUSTOS_CONFIRM_MAX 32   /* asserted facts one approval may confirm */
#define CUSTOS_CONFIRM_LINE 640 /* "FLAG PARTY VALUE" of one of them */

typedef struct custos_statement {
	custos_action action;
	char measure[16];
	unsigned round;
	char decision[72];
	char role[32];
	char principal[65];
	char time[21];
	char until[11]; /* "" unless extend */
	char reason[CUSTOS_REASON_MAX + 1]; /* "" if none */
	/*
	 * approve only: the asserted facts of the decision this approval
	 * confirms (LAW.md, "Asserted facts"), each "FLAG PARTY VALUE" with
	 * PARTY "-" for a fact of the whole measure: a "confirm" line each.
	 */
	unsigned nconfirms;
	char confirms[CUSTOS_CONFIRM_MAX][CUSTOS_CONFIRM_LINE];
} custos_statement;

/* The statement's note text (ending in "\n"); CUSTOS_EINVALID naming a bad field. */
int custos_statement_format(char **out, const custos_statement *s);
/* Parses the text of a statement (the note's text, not its signatures), strictly. */
int custos_statement_parse(custos_statement *out, const char *text, size_t len);
/* The signed note: text and one signature by `key`. */
int custos_statement_sign(char **note, const custos_statement *s, const custos_signer *key);

#endif
