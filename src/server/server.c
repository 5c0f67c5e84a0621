/* server.c — the HTTP layer on libmicrohttpd: connections, limits, per-thread stores, the snapshot, dispatch. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "custos/log.h"
#include "custos/workflow.h"
#include "server_int.h"

double srv_now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void custos_server_options_init(custos_server_options *o)
{
	memset(o, 0, sizeof(*o));
	o->version = CUSTOS_SERVER_OPTIONS_VERSION;
	o->host = "127.0.0.1";
	o->port = 8080;
	o->threads = 2;
	o->max_body = 1u << 20;
	o->max_connections = 1024;
	o->max_per_client = 64;
	o->request_deadline = 10;
	o->timeout = 30;
	o->header_memory = 32 * 1024;
	o->max_signature_age = 300;
}

/* ---- one store handle per worker thread ------------------------------------------ */

static _Thread_local struct {
	custos_server *srv;
	custos_store *store;
} tls;

custos_store *srv_store(custos_server *s, srv_response *rs)
{
	custos_store *st = NULL;
	int rc;
	if (tls.srv == s && tls.store)
		return tls.store;
	if ((rc = custos_store_open(&st, s->store_uri, 0))) {
		srv_fail(rs, rc, NULL);
		rs->status = 503;
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	if (s->nstores == s->cap_stores) {
		size_t cap = s->cap_stores ? s->cap_stores * 2 : 8;
		custos_store **ns = realloc(s->stores, cap * sizeof(*ns));
		if (!ns) {
			pthread_mutex_unlock(&s->lock);
			custos_store_close(st);
			srv_error(rs, 503, NULL, "out of memory");
			return NULL;
		}
		s->stores = ns;
		s->cap_stores = cap;
	}
	s->stores[s->nstores++] = st;
	pthread_mutex_unlock(&s->lock);
	tls.srv = s;
	tls.store = st;
	return st;
}

/* ---- the snapshot: rule set and registry, shared by every worker --------------- */

static void snapshot_free(srv_snapshot *snap)
{
	custos_ruleset_free(snap->rules);
	custos_registry_free(snap->registry);
	free(snap);
}

void srv_snapshot_release(custos_server *s, srv_snapshot *snap)
{
	int last;
	pthread_mutex_lock(&s->lock);
	last = --snap->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		snapshot_free(snap);
}

void srv_snapshot_invalidate(custos_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->snap_stale = 1;
	pthread_mutex_unlock(&s->lock);
}

/*
 * True if an event from index `from` up to the log's end changed the
 * registry or the rule set (a change made by the command line or another
 * server on the same store). *upto receives the size scanned to.
 */
static int changed_since(custos_store *st, uint64_t from, uint64_t *upto)
{
	int64_t size = custos_store_log_size(st);
	if (size < 0)
		return 1;
	*upto = (uint64_t)size;
	return custos_workflow_changed_since(st, (int64_t)from) != 0; /* an error counts as a change */
}

/*
 * The snapshot is rebuilt when this server changed the registry, or when a
 * look at the events (at most once a second) shows that someone else did:
 * dry-run decisions see a change made elsewhere within about a second.
 */
srv_snapshot *srv_snapshot_get(srv_ctx *ctx, srv_response *rs)
{
	custos_server *s = ctx->srv;
	srv_snapshot *snap = NULL, *fresh, *old = NULL;
	double now = srv_now_seconds();
	uint64_t seen, upto = 0;
	int look = 0, rc;

	pthread_mutex_lock(&s->lock);
	if (s->snap && !s->snap_stale && now - s->snap_checked < 1.0) {
		snap = s->snap;
		snap->refs++;
	} else if (s->snap && !s->snap_stale) {
		s->snap_checked = now; /* this thread looks; the others go on with the current snapshot */
		look = 1;
	}
	seen = s->snap_seen;
	pthread_mutex_unlock(&s->lock);
	if (snap)
		return snap;
	if (look && !changed_since(ctx->store, seen, &upto)) {
		pthread_mutex_lock(&s->lock);
		if (upto > s->snap_seen)
			s->snap_seen = upto;
		snap = s->snap;
		snap->refs++;
		/* nothing changed the rules or registry up to here: what a filing on it must look past grows */
		if ((int64_t)upto > atomic_load(&snap->seen))
			atomic_store(&snap->seen, (int64_t)upto);
		pthread_mutex_unlock(&s->lock);
		return snap;
	}
	/* (re)load: the log size first, so that a change made while loading is seen next time */
	{
		int64_t n = custos_store_log_size(ctx->store);
		upto = n > 0 ? (uint64_t)n : 0;
	}
	if (!(fresh = calloc(1, sizeof(*fresh)))) {
		srv_error(rs, 503, NULL, "out of memory");
		return NULL;
	}
	if ((rc = custos_workflow_rules_current(ctx->store, &fresh->rules)) ||
	    (rc = custos_registry_load(ctx->store, &fresh->registry))) {
		snapshot_free(fresh);
		srv_fail(rs, rc, NULL);
		rs->status = 503;
		return NULL;
	}
	custos_workflow_name_policy(fresh->registry, fresh->rules); /* the rule set's name-matching thresholds */
	fresh->grace = custos_rules_grace_days(fresh->rules);
	atomic_store(&fresh->seen, (int64_t)upto);
	fresh->refs = 2; /* the server's and the caller's */
	pthread_mutex_lock(&s->lock);
	old = s->snap;
	s->snap = fresh;
	s->snap_stale = 0;
	s->snap_seen = upto;
	s->snap_checked = now;
	if (old && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&s->lock);
	if (old)
		snapshot_free(old);
	return fresh;
}

/* ---- connections ------------------------------------------------------------------ */

/* One request on a connection, from its request line to its completion. */
typedef struct srv_conn {
	custos_server *srv;
	char *uri;
	double t0;
	int started, done;
	srv_request rq;
	char *body;
	size_t len, cap;
	int too_big;
	int status;
} srv_conn;

/*
 * The request target, as sent: custos decodes its own copy (srv_decode_target)
 * and reads nothing of libmicrohttpd's parsed query arguments. So the query
 * is cut off in libmicrohttpd's buffer before it parses it: it would place
 * every argument in the connection's memory pool, and 2 000 of them filled
 * the pool and stalled the connection unanswered. libmicrohttpd calls this
 * with the target in its own writable buffer, before it looks at the query.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	srv_conn *cn = calloc(1, sizeof(*cn));
	char *query = strchr(uri, '?');
	(void)c;
	if (cn) {
		cn->srv = cls;
		cn->t0 = srv_now_seconds();
		cn->uri = strdup(uri);
	}
	if (query)
		query[1] = '\0'; /* libmicrohttpd's own copy: an empty query, nothing to parse */
	return cn;
}

static const char *header_of(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_response(struct MHD_Connection *c, srv_conn *cn, srv_response *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ok;
	r = MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (char *)"",
					    rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		srv_response_dispose(rs);
		return MHD_NO;
	}
	rs->body = NULL; /* libmicrohttpd frees it */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type ? rs->content_type : "text/plain");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* the page's own policy, sent as a header too, so that it also forbids framing (a meta tag cannot) */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
				"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
				"frame-ancestors 'none'");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (rs->allow[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
	if (rs->location[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location);
	if (rs->cache_control)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rs->cache_control);
	cn->status = rs->status;
	cn->done = 1;
	ok = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	srv_response_dispose(rs);
	return ok;
}

/*
 * Runs a request whose content has arrived: authentication first (nothing
 * about the content is answered to a caller who may not send it), then the
 * content's decoding, then the route's handler with this worker's store.
 */
static void dispatch(custos_server *s, srv_request *rq, const char *body, size_t len, srv_response *rs)
{
	srv_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.srv = s;
	rq->body = body;
	rq->body_len = len;
	if (srv_authenticate(s, rq, rs) || srv_decode_body(rq, body, len, rs))
		return;
	if (!(ctx.store = srv_store(s, rs)))
		return;
	/* a signed request that changes state claims its signature in the transaction of its effect */
	custos_store_set_request(ctx.store, rq->request_key[0] ? rq->request_key : NULL);
	rq->route->handler(&ctx, rq, rs);
	custos_store_set_request(ctx.store, NULL);
	if (ctx.caller_read == 1)
		custos_principal_dispose(&ctx.caller);
	if (!rs->status)
		srv_error(rs, 500, NULL, "the handler gave no answer");
}

/* The guard's record of a connection (its socket context), or NULL. */
static srv_guard_conn *guard_conn(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Counts the Content-Length fields of a request, and whether they all say the same. */
typedef struct framing {
	unsigned lengths;
	const char *first;
	int differ;
} framing;
static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	framing *f = cls;
	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->lengths++ && strcmp(f->first, value ? value : "") != 0)
			f->differ = 1;
		else if (f->lengths == 1)
			f->first = value ? value : "";
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	custos_server *s = cls;
	srv_conn *cn = *con_cls;
	srv_response rs;
	(void)url;
	(void)version;
	memset(&rs, 0, sizeof(rs));
	if (!cn) /* no URI callback ran (should not happen): refuse */
		return MHD_NO;
	if (cn->done) { /* answered early (413, 415, ...): drop what content still comes */
		*upload_size = 0;
		return MHD_YES;
	}
	if (!cn->started) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
		unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
		cn->started = 1;
		cn->rq.header = header_of;
		cn->rq.header_ctx = c;
		{
			/* one way to frame the content: a proxy in front and custos must not read it differently */
			framing f = {0, NULL, 0};
			MHD_get_connection_values(c, MHD_HEADER_KIND, count_length, &f);
			if (f.differ || (f.lengths && te)) {
				srv_error(&rs, 400, f.differ ? "Content-Length" : "Transfer-Encoding", "%s",
					  f.differ ? "Content-Length given twice with different values"
						   : "both Content-Length and Transfer-Encoding: the content's length is "
						     "ambiguous");
				return send_response(c, cn, &rs);
			}
		}
		if (!cn->uri) {
			srv_error(&rs, 503, NULL, "out of memory");
			return send_response(c, cn, &rs);
		}
		if (srv_decode_target(&cn->rq, method, cn->uri, &rs))
			return send_response(c, cn, &rs);
		if (length > s->opt.max_body) {
			srv_error(&rs, 413, "body", "content of %llu bytes is larger than the limit of %zu", length,
				  s->opt.max_body);
			return send_response(c, cn, &rs);
		}
		if (srv_decode_type(&cn->rq, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
				    length + (te != NULL), &rs))
			return send_response(c, cn, &rs);
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (cn->too_big || cn->len + n > s->opt.max_body) {
			cn->too_big = 1;
			return MHD_YES;
		}
		if (cn->len + n + 1 > cn->cap) {
			size_t cap = cn->cap ? cn->cap : 4096;
			char *nb;
			while (cap < cn->len + n + 1)
				cap *= 2;
			if (!(nb = realloc(cn->body, cap))) {
				cn->too_big = 1;
				return MHD_YES;
			}
			cn->body = nb;
			cn->cap = cap;
		}
		memcpy(cn->body + cn->len, upload, n);
		cn->len += n;
		cn->body[cn->len] = '\0';
		return MHD_YES;
	}
	/* the whole request is here: while its handler runs, the guard never cuts the connection */
	if (cn->too_big) {
		srv_error(&rs, 413, "body", "content larger than the limit of %zu bytes", s->opt.max_body);
	} else {
		srv_guard_conn *gc = guard_conn(c);
		srv_guard_busy(&s->guard, gc, 1);
		dispatch(s, &cn->rq, cn->body ? cn->body : "", cn->len, &rs);
		srv_guard_busy(&s->guard, gc, 0);
	}
	return send_response(c, cn, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	custos_server *s = cls;
	srv_conn *cn = *con_cls;
	(void)toe;
	if (!cn)
		return;
	srv_guard_busy(&s->guard, guard_conn(c), 0); /* the next request on this connection gets a whole deadline */
	if (cn->done)
		srv_metrics_record(s, cn->rq.route ? cn->rq.route_index : srv_nroutes, cn->status,
				   srv_now_seconds() - cn->t0);
	srv_request_dispose(&cn->rq);
	free(cn->body);
	free(cn->uri);
	free(cn);
	*con_cls = NULL;
}

/* libmicrohttpd takes a connection up, or has closed it: the guard follows. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	custos_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? srv_guard_started(&s->guard, ci->connect_fd) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		srv_guard_closed(&s->guard, *socket_context);
		*socket_context = NULL;
	}
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("custos serve: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* What a connection the guard refuses is told, if it listens at all, before it is closed. */
static void refuse(int fd, srv_guard_verdict v)
{
	static const char full[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
				   "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n"
				   "{\"error\": \"the server is at its limit\"}\n";
	static const char client[] = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\n"
				     "Content-Type: application/json\r\nContent-Length: 53\r\n\r\n"
				     "{\"error\": \"too many connections from this address\"}\n";
	const char *msg = v == SRV_GUARD_CLIENT_FULL ? client : full;
	size_t len = v == SRV_GUARD_CLIENT_FULL ? sizeof(client) - 1 : sizeof(full) - 1;
	(void)!send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/*
 * The listening socket is ours and one thread accepts on it, handing each
 * connection to libmicrohttpd, which places it on worker (fd mod workers).
 * When the workers accept for themselves, whichever wakes first takes a
 * burst of up to ten connections: with 16 keep-alive clients one worker
 * often held them all while the other idled, and the tail latency doubled.
 * The guard admits each connection before it is handed over, and four times
 * a second cuts those past their request deadline.
 */
static void *accept_loop(void *arg)
{
	custos_server *s = arg;
	double swept = srv_now_seconds();
	while (!atomic_load(&s->stopping)) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		struct pollfd p = {s->listen_fd, POLLIN, 0};
		srv_guard_verdict v;
		int fd;
		if (srv_now_seconds() - swept >= 0.25) {
			srv_guard_sweep(&s->guard);
			swept = srv_now_seconds();
		}
		if (poll(&p, 1, 250) <= 0)
			continue;
		fd = accept(s->listen_fd, (struct sockaddr *)&sa, &len);
		if (fd >= 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) || fcntl(fd, F_SETFL, O_NONBLOCK))) {
			close(fd);
			continue;
		}
		if (fd < 0) {
			if (atomic_load(&s->stopping))
				break;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				fprintf(stderr, "custos serve: accept: %s; waiting 100 ms\n", strerror(errno));
				nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
			}
			continue; /* EINTR, ECONNABORTED, a peer gone before it was accepted */
		}
		v = srv_guard_admit(&s->guard, fd, sa.ss_family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_addr.s_addr : 0);
		if (v != SRV_GUARD_ADMITTED) {
			refuse(fd, v);
			continue;
		}
		/* on refusal (memory) libmicrohttpd has closed the socket and said why */
		if (MHD_add_connection(s->daemon, fd, (struct sockaddr *)&sa, len) != MHD_YES)
			srv_guard_forget(&s->guard, fd);
	}
	return NULL;
}

/*
 * Each connection takes two descriptors (libmicrohttpd's and the guard's
 * duplicate): raise the soft limit as far as that needs, or serve fewer.
 */
static void fit_descriptors(custos_server_options *o)
{
	struct rlimit rl;
	rlim_t need = 2 * (rlim_t)o->max_connections + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		unsigned fit = rl.rlim_cur > 512 ? (unsigned)((rl.rlim_cur - 256) / 2) : 128;
		fprintf(stderr, "custos serve: %llu descriptors allowed: serving %u connections at once, not %u\n",
			(unsigned long long)rl.rlim_cur, fit, o->max_connections);
		o->max_connections = fit;
	}
}

static int listen_on(custos_server *s, const struct sockaddr_in *addr)
{
	struct sockaddr_in bound;
	socklen_t len = sizeof(bound);
	int one = 1;
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 || setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->listen_fd, (const struct sockaddr *)addr, sizeof(*addr)) || listen(s->listen_fd, 4096) ||
	    getsockname(s->listen_fd, (struct sockaddr *)&bound, &len)) {
		fprintf(stderr, "custos serve: cannot listen on %s:%u: %s\n", s->opt.host ? s->opt.host : "",
			s->opt.port, strerror(errno));
		return CUSTOS_ERROR;
	}
	s->port = ntohs(bound.sin_port);
	return 0;
}

int custos_server_start(custos_server **out, const custos_server_options *o)
{
	custos_server *s;
	custos_store *st = NULL;
	struct sockaddr_in addr;
	unsigned mhd_limit;
	int rc;

	*out = NULL;
	if (o->version != CUSTOS_SERVER_OPTIONS_VERSION || !o->store_uri || !o->host || !o->max_connections ||
	    !o->max_per_client || !o->request_deadline)
		return CUSTOS_EINVALID;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)o->port);
	if (o->port > 65535 || inet_pton(AF_INET, o->host, &addr.sin_addr) != 1) {
		fprintf(stderr, "custos serve: --listen: '%s:%u' is not an IPv4 address and port\n", o->host, o->port);
		return CUSTOS_EINVALID;
	}
	/* the store must exist and be initialised before anyone is told the server is up */
	if ((rc = custos_store_open(&st, o->store_uri, 0)))
		return rc;
	/* a store behind a checkpoint custos signed (rolled back) is not served: appends would reuse acknowledged
	 * indexes */
	if ((rc = custos_log_check_pinned(st))) {
		fprintf(stderr, "custos serve: %s\n", custos_error_last());
		custos_store_close(st);
		return rc;
	}
	custos_store_close(st);
	if (!(s = calloc(1, sizeof(*s))))
		return CUSTOS_ENOMEM;
	s->listen_fd = -1;
	s->keys_size = -1;
	s->opt = *o;
	fit_descriptors(&s->opt);
	s->store_uri = strdup(o->store_uri);
	s->opt.store_uri = s->store_uri;
	s->metrics = calloc(srv_nroutes + 1, sizeof(*s->metrics));
	pthread_mutex_init(&s->lock, NULL);
	if (!s->store_uri || !s->metrics ||
	    srv_guard_init(&s->guard, s->opt.max_connections, s->opt.max_per_client, s->opt.request_deadline)) {
		custos_server_stop(s);
		return CUSTOS_ENOMEM;
	}
	if ((rc = listen_on(s, &addr))) {
		custos_server_stop(s);
		return rc;
	}
	s->opt.host = NULL; /* the caller's string: not kept */
	if (o->authority)
		s->authority = strdup(o->authority);
	else if ((s->authority = malloc(80)))
		snprintf(s->authority, 80, "%s:%u", o->host, s->port);
	s->opt.authority = s->authority;
	if (!s->authority) {
		custos_server_stop(s);
		return CUSTOS_ENOMEM;
	}
	mhd_limit = s->opt.max_connections * (o->threads > 1 ? o->threads : 1) + 16;
	/* the internal polling thread over epoll; with more than one thread, a pool of them (one thread: no
	 * pool, which libmicrohttpd would warn about, so that option's slot repeats the connection limit).
	 * Its own limit is split among the workers, and a connection goes to worker (fd mod workers): it is set
	 * where the guard, which admits connections before they are handed over, never lets it be reached. */
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET |
			MHD_USE_ITC,
		0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
		o->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_CONNECTION_LIMIT,
		o->threads > 1 ? (unsigned)o->threads : mhd_limit, MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)o->header_memory, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->daemon) {
		fprintf(stderr, "custos serve: cannot start the HTTP workers\n");
		custos_server_stop(s);
		return CUSTOS_ERROR;
	}
	if (pthread_create(&s->acceptor, NULL, accept_loop, s)) {
		fprintf(stderr, "custos serve: cannot start the accepting thread\n");
		custos_server_stop(s);
		return CUSTOS_ERROR;
	}
	s->acceptor_started = 1;
	*out = s;
	return 0;
}

unsigned custos_server_port(const custos_server *s)
{
	return s->port;
}

void custos_server_stop(custos_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stopping, 1);
	if (s->acceptor_started) {
		shutdown(s->listen_fd, SHUT_RDWR); /* wakes the blocked accept */
		pthread_join(s->acceptor, NULL);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	for (size_t i = 0; i < s->nstores; i++)
		custos_store_close(s->stores[i]);
	free(s->stores);
	if (s->snap)
		snapshot_free(s->snap);
	srv_guard_dispose(&s->guard);
	srv_keys_free(s);
	pthread_mutex_destroy(&s->lock);
	free(s->metrics);
	free(s->store_uri);
	free(s->authority);
	free(s);
}
