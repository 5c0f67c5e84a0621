/* appender.c — group commit: concurrent appends share one transaction and one sync. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/log.h"
#include "util/util.h"

/* One caller's event, waiting in the queue on its own stack. */
typedef struct pending {
	const char *type, *actor, *ref, *payload;
	int64_t index;
	int rc;
	int done;
	char msg[512];
	struct pending *next;
} pending;

struct custos_appender {
	custos_store *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pending *head, *tail; /* waiting for a commit */
	int leading;	      /* a caller is committing a batch */
	size_t max_batch;
};

int custos_appender_new(custos_appender **out, const char *uri, size_t max_batch)
{
	custos_appender *a = calloc(1, sizeof(*a));
	int rc;
	*out = NULL;
	if (!a)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = custos_store_open(&a->st, uri, 0))) {
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->max_batch = max_batch ? max_batch : 1024;
	*out = a;
	return 0;
}

void custos_appender_free(custos_appender *a)
{
	if (!a)
		return;
	custos_store_close(a->st);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

/*
 * Commits one batch taken off the queue (called without the lock). Every
 * event of the batch shares the outcome of the commit: if any append fails,
 * the whole batch is rolled back and each caller gets the error, so nothing
 * is acknowledged that is not durable.
 */
static void commit_batch(custos_appender *a, pending *batch)
{
	int rc = custos_store_begin(a->st);
	pending *p;
	for (p = batch; !rc && p; p = p->next)
		rc = custos_store_event_append(a->st, p->type, p->actor, p->ref, p->payload, &p->index);
	if (!rc)
		rc = custos_store_commit(a->st);
	else
		custos_store_rollback(a->st);
	for (p = batch; p; p = p->next) {
		p->rc = rc;
		if (rc) {
			p->index = -1;
			snprintf(p->msg, sizeof(p->msg), "%s", custos_error_last());
		}
	}
}

int custos_appender_append(custos_appender *a, const char *type, const char *actor, const char *ref,
			   const char *payload, int64_t *index)
{
	pending me = {type, actor, ref, payload, -1, 0, 0, "", NULL};

	pthread_mutex_lock(&a->mu);
	if (a->tail)
		a->tail->next = &me;
	else
		a->head = &me;
	a->tail = &me;
	while (!me.done) {
		if (!a->leading) {
			/* lead: take up to max_batch waiting events and commit them together */
			pending *batch = a->head, *last = batch, *p;
			size_t n = 1;
			while (last->next && n < a->max_batch) {
				last = last->next;
				n++;
			}
			a->head = last->next;
			if (!a->head)
				a->tail = NULL;
			last->next = NULL;
			a->leading = 1;
			pthread_mutex_unlock(&a->mu);
			commit_batch(a, batch);
			pthread_mutex_lock(&a->mu);
			for (p = batch; p;) {
				pending *next = p->next;
				p->done = 1;
				p = next;
			}
			a->leading = 0;
			pthread_cond_broadcast(&a->cv);
		} else {
			pthread_cond_wait(&a->cv, &a->mu);
		}
	}
	pthread_mutex_unlock(&a->mu);
	*index = me.index;
	if (me.rc)
		return custos_error_set(me.rc, "%s", me.msg);
	return 0;
}
