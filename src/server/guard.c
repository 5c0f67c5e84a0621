/* guard.c — the connection guard: limits per server and per client, checked before a socket is handed over, and a deadline for each request. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_int.h"

/*
 * Why this exists. libmicrohttpd 0.9.75 checks its connection limit only
 * after a socket handed to it by MHD_add_connection() is queued, and on that
 * branch returns without unlocking a mutex: a connection flood froze both
 * workers for good. So the guard admits a socket before it is handed over,
 * and libmicrohttpd's own limit is set where the guard never lets it be
 * reached. One address may hold only `per_client` of the `total` connections,
 * so nobody can take them all from one address. And each connection must
 * send a whole request (headers and content) within `deadline` seconds of
 * opening or of its previous answer: libmicrohttpd's idle timeout starts again
 * on every byte, so a client sending a header line every 20 s (slowloris)
 * held its connection for ever.
 *
 * A connection is cut by shutdown() through the guard's own duplicate of its
 * socket: the duplicate keeps the socket alive until libmicrohttpd reports
 * the connection closed, so a descriptor number reused meanwhile is never hit.
 */

/* ---- connections per client: open addressing, linear probing, backward-shift deletion ---- */

static size_t client_slot(const srv_guard *g, uint32_t client)
{
	uint32_t h = client * 2654435761u;
	size_t i = (size_t)(h >> 7) & (g->nclients - 1);
	while (g->clients[i].count && g->clients[i].addr != client)
		i = (i + 1) & (g->nclients - 1);
	return i;
}

static unsigned client_count(const srv_guard *g, uint32_t client)
{
	return g->clients[client_slot(g, client)].count;
}

static void client_add(srv_guard *g, uint32_t client)
{
	size_t i = client_slot(g, client);
	g->clients[i].addr = client;
	g->clients[i].count++;
}

static void client_remove(srv_guard *g, uint32_t client)
{
	size_t i = client_slot(g, client), j, mask = g->nclients - 1;
	if (!g->clients[i].count || --g->clients[i].count)
		return;
	/* the slot is free: move back the entries of the run after it that probed past it */
	for (j = (i + 1) & mask; g->clients[j].count; j = (j + 1) & mask) {
		size_t home = (size_t)((g->clients[j].addr * 2654435761u) >> 7) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			g->clients[i] = g->clients[j];
			g->clients[j].count = 0;
			i = j;
		}
	}
}

/* ---- the guard -------------------------------------------------------------------------- */

int srv_guard_init(srv_guard *g, unsigned total, unsigned per_client, unsigned deadline)
{
	memset(g, 0, sizeof(*g));
	g->total = total;
	g->per_client = per_client;
	g->deadline = deadline;
	g->list.prev = g->list.next = &g->list;
	for (g->nclients = 64; g->nclients < 2 * (size_t)total; g->nclients *= 2)
		;
	if (!(g->clients = calloc(g->nclients, sizeof(*g->clients))))
		return CUSTOS_ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	g->inited = 1;
	return 0;
}

static void unlink_conn(srv_guard *g, srv_guard_conn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
	g->open--;
	client_remove(g, c->client);
	close(c->ref);
	free(c);
}

void srv_guard_dispose(srv_guard *g)
{
	if (!g->inited)
		return;
	while (g->list.next != &g->list)
		unlink_conn(g, g->list.next);
	free(g->clients);
	pthread_mutex_destroy(&g->lock);
	g->inited = 0;
}

srv_guard_verdict srv_guard_admit(srv_guard *g, int fd, uint32_t client)
{
	srv_guard_conn *c;
	srv_guard_verdict v = SRV_GUARD_ADMITTED;
	pthread_mutex_lock(&g->lock);
	/* a connection handed over that libmicrohttpd dropped before taking it up: its number is ours again */
	for (c = g->list.next; c != &g->list; c = c->next)
		if (!c->started && c->fd == fd) {
			unlink_conn(g, c);
			break;
		}
	if (g->open >= g->total)
		v = SRV_GUARD_FULL;
	else if (client_count(g, client) >= g->per_client)
		v = SRV_GUARD_CLIENT_FULL;
	else if (!(c = calloc(1, sizeof(*c))) || (c->ref = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		free(c);
		v = SRV_GUARD_FULL;
	} else {
		c->fd = fd;
		c->client = client;
		c->ready_since = srv_now_seconds();
		c->next = &g->list;
		c->prev = g->list.prev;
		c->prev->next = c;
		g->list.prev = c;
		g->open++;
		client_add(g, client);
	}
	if (v == SRV_GUARD_FULL)
		g->refused_full++;
	else if (v == SRV_GUARD_CLIENT_FULL)
		g->refused_client++;
	pthread_mutex_unlock(&g->lock);
	return v;
}

void srv_guard_forget(srv_guard *g, int fd)
{
	pthread_mutex_lock(&g->lock);
	for (srv_guard_conn *c = g->list.next; c != &g->list; c = c->next)
		if (!c->started && c->fd == fd) {
			unlink_conn(g, c);
			break;
		}
	pthread_mutex_unlock(&g->lock);
}

srv_guard_conn *srv_guard_started(srv_guard *g, int fd)
{
	srv_guard_conn *found = NULL;
	pthread_mutex_lock(&g->lock);
	for (srv_guard_conn *c = g->list.prev; c != &g->list; c = c->prev) /* the newest first */
		if (!c->started && c->fd == fd) {
			c->started = 1;
			found = c;
			break;
		}
	pthread_mutex_unlock(&g->lock);
	return found;
}

void srv_guard_closed(srv_guard *g, srv_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(g, c);
	pthread_mutex_unlock(&g->lock);
}

/*
 * Only the connection's own worker calls this (and before libmicrohttpd
 * reports it closed), and the sweep only reads the two fields: atomics, and
 * no lock on every request's path.
 */
void srv_guard_busy(srv_guard *g, srv_guard_conn *c, int busy)
{
	(void)g;
	if (!c)
		return;
	if (!busy) /* the answer, or the next request, gets a whole deadline */
		atomic_store(&c->ready_since, srv_now_seconds());
	atomic_store(&c->busy, busy);
}

unsigned srv_guard_sweep(srv_guard *g)
{
	double now = srv_now_seconds();
	unsigned cut = 0;
	srv_guard_conn *c, *next;
	pthread_mutex_lock(&g->lock);
	for (c = g->list.next; c != &g->list; c = next) {
		next = c->next;
		if (atomic_load(&c->busy) || c->cut || now - atomic_load(&c->ready_since) <= g->deadline)
			continue;
		if (!c->started) { /* handed over long ago and never taken up: libmicrohttpd dropped it */
			unlink_conn(g, c);
			continue;
		}
		shutdown(c->ref, SHUT_RDWR); /* libmicrohttpd sees the end of the stream and closes it */
		c->cut = 1;
		cut++;
	}
	g->cut += cut;
	pthread_mutex_unlock(&g->lock);
	return cut;
}

void srv_guard_stats(srv_guard *g, srv_guard_stats_t *out)
{
	pthread_mutex_lock(&g->lock);
	out->open = g->open;
	out->refused_full = g->refused_full;
	out->refused_client = g->refused_client;
	out->cut = g->cut;
	pthread_mutex_unlock(&g->lock);
}
