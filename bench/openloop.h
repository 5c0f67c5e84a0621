/* openloop.h — an open-loop HTTP/1.1 load generator: requests at a fixed rate, whatever the answers do. */
#ifndef CUSTOS_BENCH_OPENLOOP_H
#define CUSTOS_BENCH_OPENLOOP_H

/*
 * wrk is closed-loop: each connection sends its next request when the last
 * is answered, so a slow answer slows the load down and hides itself (what
 * Gil Tene calls coordinated omission). Here the requests are scheduled at
 * fixed instants (rate per second, spread evenly) and each latency runs from
 * its scheduled instant to the last byte of its answer: a request that waits
 * for a free connection, or behind a slow one, waits on the clock.
 *
 * Two threads, each with its own connections (kept alive, one request at a
 * time on each: no pipelining) and half the rate. Answers are read by their
 * Content-Length; a status other than 2xx, or a connection lost, counts as
 * an error (and its connection is opened again).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

typedef struct {
	double rate, achieved;			/* requests/s asked for, and answered */
	double p50_ms, p99_ms, p999_ms, max_ms; /* latency from each request's scheduled instant */
	long sent, answered, errors;
	double gen_cores, proc_cores; /* CPU the generator's threads, and the whole process, used: cores of the run */
} ol_result;

typedef struct {
	int fd;
	int busy;      /* a request is in flight */
	double sched;  /* its scheduled instant */
	size_t have;   /* bytes of its answer read so far */
	char buf[8192];
} ol_conn;

typedef struct {
	unsigned port;
	const char *req;
	size_t reqlen;
	double rate, t0, until;
	int nconns;
	ol_conn *conns;
	double *lat; /* latencies (seconds) of the answers, in order of arrival */
	size_t nlat, caplat;
	long sent, errors;
	double cpu; /* the thread's CPU seconds */
} ol_thread;

static int ol_connect(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Bytes of a complete answer in buf[0..n): its header and Content-Length; 0 while incomplete; -1 if malformed. */
static long ol_complete(const char *buf, size_t n, int *status)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4), *cl;
	long body = 0;
	if (!end)
		return n >= sizeof(((ol_conn *)0)->buf) ? -1 : 0;
	if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	*status = (int)strtol(buf + 9, NULL, 10);
	cl = memmem(buf, (size_t)(end - buf), "\r\nContent-Length:", 17);
	if (!cl)
		cl = memmem(buf, (size_t)(end - buf), "\r\ncontent-length:", 17);
	if (cl)
		body = strtol(cl + 17, NULL, 10);
	if ((size_t)(end + 4 - buf) + (size_t)body > n)
		return 0;
	return (long)(end + 4 - buf) + body;
}

static void ol_record(ol_thread *t, double lat)
{
	if (t->nlat == t->caplat) {
		size_t cap = t->caplat ? 2 * t->caplat : 65536;
		double *p = realloc(t->lat, cap * sizeof(*p));
		if (!p)
			bench_die("openloop", "out of memory");
		t->lat = p;
		t->caplat = cap;
	}
	t->lat[t->nlat++] = lat;
}

static int ol_send(ol_thread *t, ol_conn *c, double sched)
{
	size_t off = 0;
	while (off < t->reqlen) {
		ssize_t w = write(c->fd, t->req + off, t->reqlen - off);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	c->busy = 1;
	c->sched = sched;
	c->have = 0;
	return 0;
}

static void *ol_loop(void *arg)
{
	ol_thread *t = arg;
	int ep = epoll_create1(0);
	/* the instants not yet sent: a ring of scheduled times (a request waits here for a free connection) */
	size_t cap = 1 << 20, head = 0, tail = 0;
	double *queue = malloc(cap * sizeof(*queue)), next = t->t0;
	long k = 0;
	if (ep < 0 || !queue)
		bench_die("openloop", "epoll");
	for (int i = 0; i < t->nconns; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if ((t->conns[i].fd = ol_connect(t->port)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, t->conns[i].fd, &ev) != 0)
			bench_die("openloop", "connect");
	}
	for (;;) {
		double now = bench_now();
		int busy = 0, n;
		struct epoll_event evs[64];
		struct timespec wait;
		/* what is due now joins the queue; then the queue goes to free connections, oldest first */
		while (next <= now && next < t->until) {
			queue[tail++ % cap] = next;
			next = t->t0 + (double)(++k) / t->rate;
		}
		for (int i = 0; i < t->nconns && head != tail; i++)
			if (!t->conns[i].busy) {
				if (ol_send(t, &t->conns[i], queue[head % cap]) != 0)
					bench_die("openloop", "write");
				head++;
				t->sent++;
			}
		for (int i = 0; i < t->nconns; i++)
			busy += t->conns[i].busy;
		if (now >= t->until && head == tail && (busy == 0 || now > t->until + 2.0))
			break;
		{
			double d = next < t->until ? next - now : 0.05;
			if (d < 0)
				d = 0;
			wait.tv_sec = (time_t)d;
			wait.tv_nsec = (long)((d - (double)wait.tv_sec) * 1e9);
		}
		n = epoll_pwait2(ep, evs, 64, &wait, NULL);
		for (int e = 0; e < n; e++) {
			ol_conn *c = &t->conns[evs[e].data.u32];
			ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
			int status = 0;
			long whole;
			if (r <= 0) { /* lost: an error, and a new connection in its place */
				struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[e].data.u32};
				if (c->busy)
					t->errors++;
				close(c->fd);
				c->busy = 0;
				if ((c->fd = ol_connect(t->port)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
					bench_die("openloop", "reconnect");
				continue;
			}
			c->have += (size_t)r;
			whole = ol_complete(c->buf, c->have, &status);
			if (whole < 0)
				bench_die("openloop", "an answer it cannot read");
			if (whole > 0 && c->busy) {
				ol_record(t, bench_now() - c->sched);
				if (status < 200 || status > 299)
					t->errors++;
				c->busy = 0;
				memmove(c->buf, c->buf + whole, c->have - (size_t)whole);
				c->have -= (size_t)whole;
			}
		}
	}
	for (int i = 0; i < t->nconns; i++)
		close(t->conns[i].fd);
	close(ep);
	free(queue);
	t->cpu = bench_cpu_now();
	return NULL;
}

static int ol_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* `rate` requests/s of `req` to 127.0.0.1:port for `secs` seconds over 2 x `conns` connections. */
static ol_result openloop_run(unsigned port, const char *req, size_t reqlen, double rate, double secs, int conns)
{
	ol_thread t[2];
	pthread_t th[2];
	ol_result res = {rate, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	double *all, t0 = bench_now() + 0.05, cpu0 = bench_process_cpu_now(), wall0 = bench_now(), wall;
	size_t n = 0;
	for (int i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].port = port;
		t[i].req = req;
		t[i].reqlen = reqlen;
		t[i].rate = rate / 2;
		/* the two threads' instants interleave: thread 1 half a period after thread 0 */
		t[i].t0 = t0 + i / rate;
		t[i].until = t0 + secs;
		t[i].nconns = conns;
		if (!(t[i].conns = calloc((size_t)conns, sizeof(ol_conn))))
			bench_die("openloop", "out of memory");
		if (pthread_create(&th[i], NULL, ol_loop, &t[i]) != 0)
			bench_die("openloop", "thread");
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		n += t[i].nlat;
		res.sent += t[i].sent;
		res.errors += t[i].errors;
		res.gen_cores += t[i].cpu;
	}
	wall = bench_now() - wall0;
	res.proc_cores = (bench_process_cpu_now() - cpu0) / wall;
	res.gen_cores /= wall;
	if (!(all = malloc((n ? n : 1) * sizeof(*all))))
		bench_die("openloop", "out of memory");
	n = 0;
	for (int i = 0; i < 2; i++) {
		memcpy(all + n, t[i].lat, t[i].nlat * sizeof(*all));
		n += t[i].nlat;
		free(t[i].lat);
		free(t[i].conns);
	}
	qsort(all, n, sizeof(*all), ol_cmp);
	res.answered = (long)n;
	res.achieved = (double)n / secs;
	if (n) {
		res.p50_ms = all[n / 2] * 1e3;
		res.p99_ms = all[(size_t)((double)n * 0.99)] * 1e3;
		res.p999_ms = all[(size_t)((double)n * 0.999)] * 1e3;
		res.max_ms = all[n - 1] * 1e3;
	}
	free(all);
	return res;
}

#endif
