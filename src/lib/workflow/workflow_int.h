/* workflow_int.h — internals shared by the workflow files: a strict line reader and the life record. */
#ifndef CUSTOS_WORKFLOW_INT_H
#define CUSTOS_WORKFLOW_INT_H

#include <stddef.h>

#include "custos/lifecycle.h"
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
/* An asserted fact of a life or decision as a statement's "confirm" value: "FLAG PARTY VALUE" (PARTY "-": none). */
void wf_assertion_line(char *out, size_t n, const struct json_t *a);
/* The first asserted fact that statement s's role confirms but s does not list, or NULL. */
const struct json_t *wf_assertion_unlisted(const struct json_t *assertions, const custos_statement *s);

int wf_confirm_valid(const char *c);  /* a statement's "confirm" value: FLAG PARTY VALUE */
int wf_hash_valid(const char *s);       /* "sha256:" + 64 lower-case hex */
int wf_measure_id_valid(const char *s); /* "M-" + digits */

/* Record kinds in the store. */
#define WF_LIFE "life"
#define WF_STATEMENT "statement"
#define WF_AUTHORIZATION "authorization"

/*
 * Starts the life of a measure just filed (in the filing's transaction): its
 * first round of approvals for the decision logged at decision_index
 * (decision_text, as logged), authorised at once when permitted.
 */
int wf_life_filed(custos_store *st, const char *id, const custos_measure *m, const char *decision_text,
		  int64_t decision_index, const char *filed_by, const char *actor);
/* The event type of a statement's action ("measure.approved", ...). */
const char *wf_action_event(custos_action a);

#endif
