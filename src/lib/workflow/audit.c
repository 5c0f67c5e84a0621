/* audit.c — re-checks the log's workflow events: every statement's and token's signature again, under the keys of the time. */
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

/*
 * A signature to check: the note as logged, and the key it must verify under
 * (a principal's, or the log's when vkey is NULL). The checks are pure, so
 * they run on a second thread while the pass goes on (Ed25519 is a third of
 * `log verify`'s own work); the pass decides everything else in log order.
 */
typedef struct sig_job {
	struct sig_job *next;
	int64_t index;
	char *note, *vkey;
	char *failure; /* the message if it does not verify */
} sig_job;

struct wf_audit {
	custos_store *st;
	custos_verifier *log_key;
	json_t *principals; /* id -> principal JSON as the log last had it */
	uint64_t checked;
	/* the signature checker: jobs in log order */
	pthread_t worker;
	int running, closed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sig_job *head, *tail;
	int64_t bad_index; /* the first job that failed (-1: none), and why */
	char *bad_why;
};
typedef struct wf_audit audit;

static int check_job(audit *a, const sig_job *j)
{
	custos_note n;
	custos_verifier *v = NULL;
	int ok = custos_note_parse(&n, j->note, strlen(j->note)) == 0;
	if (ok) {
		ok = (j->vkey ? custos_verifier_new(&v, j->vkey) == 0 : 1) && custos_note_verify(&n, v ? v : a->log_key) == 0;
		custos_note_dispose(&n);
	}
	custos_verifier_free(v);
	return ok;
}

static void job_free(sig_job *j)
{
	free(j->note);
	free(j->vkey);
	free(j->failure);
	free(j);
}

/* Records job j's failure if it is the first in log order. */
static void job_failed(audit *a, sig_job *j)
{
	if (a->bad_index < 0 || j->index < a->bad_index) {
		free(a->bad_why);
		a->bad_index = j->index;
		a->bad_why = j->failure;
		j->failure = NULL;
	}
}

static void *sig_worker(void *arg)
{
	audit *a = arg;
	for (;;) {
		sig_job *j;
		int ok;
		pthread_mutex_lock(&a->mu);
		while (!a->head && !a->closed)
			pthread_cond_wait(&a->cv, &a->mu);
		if (!(j = a->head)) {
			pthread_mutex_unlock(&a->mu);
			return NULL;
		}
		if (!(a->head = j->next))
			a->tail = NULL;
		pthread_mutex_unlock(&a->mu);
		ok = check_job(a, j);
		pthread_mutex_lock(&a->mu);
		if (ok)
			a->checked++;
		else
			job_failed(a, j);
		pthread_mutex_unlock(&a->mu);
		job_free(j);
	}
}

/* Queues a signature check (or runs it here without a worker); `failure` is its message (taken). */
static int check_signature(audit *a, int64_t index, const char *note, const char *vkey, char *failure)
{
	sig_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->note = custos_strdup(note)) || (vkey && !(j->vkey = custos_strdup(vkey)))) {
		free(failure);
		if (j)
			job_free(j);
		return wf_oom();
	}
	j->index = index;
	j->failure = failure;
	if (!a->running) {
		int ok = check_job(a, j);
		if (ok)
			a->checked++;
		else
			job_failed(a, j);
		job_free(j);
		return 0;
	}
	pthread_mutex_lock(&a->mu);
	if (a->tail)
		a->tail->next = j;
	else
		a->head = j;
	a->tail = j;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* A failure message, formatted (NULL when out of memory: the check then fails with a plain one). */
static char *failure_of(int64_t index, const char *fmt, ...) CUSTOS_PRINTF(2, 3);
static char *failure_of(int64_t index, const char *fmt, ...)
{
	char what[512], *out = malloc(600);
	va_list ap;
	if (!out)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(out, 600, "event %lld: %s", (long long)index, what);
	return out;
}

static int bad(int64_t index, const char *fmt, ...) CUSTOS_PRINTF(2, 3);
static int bad(int64_t index, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return custos_error_set(CUSTOS_EINVALID, "event %lld: %s", (long long)index, what);
}

/* A principal's statement: signed by the key the principal had here in the log, under a role it held. */
static int audit_statement(audit *a, const custos_store_event *e, json_t *payload)
{
	const char *note = json_string_value(json_object_get(payload, "statement"));
	const char *who = json_string_value(json_object_get(payload, "principal"));
	custos_note n;
	custos_statement s;
	json_t *p, *roles, *r;
	size_t i;
	int rc, has_role = 0;
	if (!note || !who)
		return bad(e->index, "%s: payload without its statement", e->type);
	if (custos_note_parse(&n, note, strlen(note)))
		return bad(e->index, "%s: the statement is not a signed note", e->type);
	if ((rc = custos_statement_parse(&s, n.text, n.text_len))) {
		custos_note_dispose(&n);
		return bad(e->index, "%s: %s", e->type, custos_error_last());
	}
	p = json_object_get(a->principals, s.principal);
	if (strcmp(s.principal, who) != 0 || !e->ref || strcmp(e->ref, s.measure) != 0 ||
	    strcmp(wf_action_event(s.action), e->type) != 0) {
		rc = bad(e->index, "%s: the statement does not match its event (principal %s)", e->type, s.principal);
	} else if (!p) {
		rc = bad(e->index, "statement by %s, who is not a registered principal at this point of the log",
			 s.principal);
	} else if (json_is_string(json_object_get(p, "revoked_at"))) {
		rc = bad(e->index, "statement by %s, revoked before it signed", s.principal);
	} else {
		roles = json_object_get(p, "roles");
		json_array_foreach(roles, i, r) has_role |= strcmp(json_string_value(r), s.role) == 0;
		rc = has_role ? 0 : bad(e->index, "statement by %s under role %s, which it does not hold", s.principal, s.role);
	}
	custos_note_dispose(&n);
	if (rc)
		return rc;
	/* its signature under the key the principal had here */
	return check_signature(a, e->index, note, json_string_value(json_object_get(p, "pubkey")),
			       failure_of(e->index,
					  "statement by %s: the signature does not verify under its registered key",
					  s.principal));
}

static int audit_token(audit *a, const custos_store_event *e, json_t *payload)
{
	const char *note = json_string_value(json_object_get(payload, "token"));
	const char *id = json_string_value(json_object_get(payload, "authorization"));
	custos_note n;
	custos_authorization t;
	int rc;
	if (!note || !id)
		return bad(e->index, "authorization.issued: payload without its token");
	if (custos_note_parse(&n, note, strlen(note)))
		return bad(e->index, "authorisation %s: not a signed note", id);
	rc = custos_authorization_parse(&t, n.text, n.text_len);
	custos_note_dispose(&n);
	if (rc)
		return bad(e->index, "authorisation %s: %s", id, custos_error_last());
	if (strcmp(t.id, id) != 0 || !e->ref || strcmp(t.measure, e->ref) != 0)
		rc = bad(e->index, "authorisation %s: the token names another id or measure (%s)", id, t.id);
	else if (t.log_size && t.log_size != (uint64_t)e->index + 1)
		rc = bad(e->index, "authorisation %s: the token says log size %llu, but its event makes the log %lld long",
			 id, (unsigned long long)t.log_size, (long long)e->index + 1);
	custos_authorization_dispose(&t);
	if (rc)
		return rc;
	return check_signature(a, e->index, note, NULL,
			       failure_of(e->index, "authorisation %s: not signed by the log's key", id));
}

int wf_audit_event(void *ctx, const custos_store_event *e)
{
	audit *a = ctx;
	json_t *payload;
	int rc = 0;
	if (strncmp(e->type, "principal.", 10) != 0 && strncmp(e->type, "measure.", 8) != 0 &&
	    strcmp(e->type, "authorization.issued") != 0)
		return 0;
	if (!e->payload[0])
		return 0; /* erased at the end of its retention: the log's own verify vouches for that */
	payload = json_loads(e->payload, 0, NULL);
	if (!payload)
		return bad(e->index, "%s: payload is not JSON", e->type);
	if (strcmp(e->type, "principal.added") == 0) {
		const char *id = json_string_value(json_object_get(payload, "id"));
		if (!id || json_object_get(a->principals, id))
			rc = bad(e->index, "principal.added: missing or repeated id %s", id ? id : "");
		else
			json_object_set(a->principals, id, payload);
	} else if (strcmp(e->type, "principal.revoked") == 0) {
		const char *id = json_string_value(json_object_get(payload, "id"));
		json_t *p = id ? json_object_get(a->principals, id) : NULL;
		if (!p)
			rc = bad(e->index, "principal.revoked: unknown principal %s", id ? id : "");
		else
			json_object_set(p, "revoked_at", json_object_get(payload, "revoked_at"));
	} else if (strcmp(e->type, "authorization.issued") == 0) {
		rc = audit_token(a, e, payload);
	} else if (json_object_get(payload, "statement")) {
		rc = audit_statement(a, e, payload);
	}
	json_decref(payload);
	return rc;
}

int wf_audit_new(wf_audit **out, custos_store *st)
{
	audit *a = calloc(1, sizeof(*a));
	char *vkey = NULL;
	int rc;
	*out = NULL;
	if (!a || !(a->principals = json_object())) {
		free(a);
		return wf_oom();
	}
	a->st = st;
	a->bad_index = -1;
	if ((rc = custos_log_vkey(st, &vkey)) || (rc = custos_verifier_new(&a->log_key, vkey))) {
		free(vkey);
		wf_audit_free(a);
		return rc;
	}
	free(vkey);
	/* a second thread for the signatures, if one can be had (else they are checked in the pass) */
	if (pthread_mutex_init(&a->mu, NULL) == 0) {
		if (pthread_cond_init(&a->cv, NULL) == 0) {
			a->running = pthread_create(&a->worker, NULL, sig_worker, a) == 0;
			if (!a->running)
				pthread_cond_destroy(&a->cv);
		}
		if (!a->running)
			pthread_mutex_destroy(&a->mu);
	}
	*out = a;
	return 0;
}

/* Waits for the signature checks; the first that failed, in log order, as CUSTOS_EINVALID (*index: its event). */
static void audit_join(audit *a)
{
	if (!a->running)
		return;
	pthread_mutex_lock(&a->mu);
	a->closed = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->worker, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	a->running = 0;
}

int wf_audit_finish(wf_audit *a, int64_t *index)
{
	audit_join(a);
	*index = a->bad_index;
	if (a->bad_index < 0)
		return 0;
	return custos_error_set(CUSTOS_EINVALID, "%s",
				a->bad_why ? a->bad_why : "a signature does not verify under its key");
}

uint64_t wf_audit_signatures(const wf_audit *a)
{
	return a->checked;
}

void wf_audit_free(wf_audit *a)
{
	if (!a)
		return;
	audit_join(a);
	while (a->head) {
		sig_job *j = a->head;
		a->head = j->next;
		job_free(j);
	}
	free(a->bad_why);
	custos_verifier_free(a->log_key);
	json_decref(a->principals);
	free(a);
}
