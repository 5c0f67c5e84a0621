/* gate.c — `custos gate openli`: a reverse proxy that is the only client of OpenLI's provisioner REST API. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/error.h"
#include "custos/gate.h"
#include "custos/log.h"
#include "custos/server.h"

#define BODY_MAX (64 * 1024) /* an intercept is a few hundred bytes; OpenLI's own limit is its memory */

struct custos_gate {
	custos_gate_options opt;
	struct MHD_Daemon *daemon;
	unsigned port;
	custos_store *st;		/* the request thread's (libmicrohttpd's one internal thread) */
	custos_openli_upstream *up;	/* the request thread's */
	pthread_mutex_t lock;		/* one change at a time: a request's, or the watcher's withdrawal */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	int stopping;
	pthread_t watcher;
	int watcher_started;
	char *store_uri, *upstream, *api_key;
};

/* What the provisioner's paths are to the gate: an intercept kind, another part of its configuration, or nothing. */
typedef struct {
	int kind;	  /* custos_openli_kind, or -1 */
	int config;	  /* one of the provisioner's other collections (agencies, servers, options, ...) */
	char liid[1024];  /* /KIND/LIID: the LIID, decoded */
	char path[3200];  /* the path to send upstream, each segment escaped again */
} route_t;

static const char *const config_paths[] = {"agency",	 "sipserver",	  "radiusserver", "gtpserver",	   "smtpserver",
					   "imapserver", "pop3server",	  "defaultradius", "options",	   "openliversion",
					   "collectors", "x2x3listener", "udpsink",	  "mediators",	   NULL};

/*
 * Reads the path as the gate answers it: exactly /KIND or /KIND/ID for the
 * provisioner's collections. OpenLI itself matches prefixes ("/ipinterceptX"
 * is an IP intercept to it): the gate sends upstream only the path it built,
 * so nothing it did not classify reaches the provisioner.
 */
static int classify(const char *url, route_t *r)
{
	const char *first = url + 1, *slash;
	size_t fl;
	char *esc;
	memset(r, 0, sizeof(*r));
	r->kind = -1;
	if (url[0] != '/')
		return -1;
	slash = strchr(first, '/');
	fl = slash ? (size_t)(slash - first) : strlen(first);
	{
		char name[32];
		if (fl == 0 || fl >= sizeof(name))
			return -1;
		memcpy(name, first, fl);
		name[fl] = '\0';
		for (int k = 0; k < CUSTOS_OPENLI__KINDS; k++)
			if (strcmp(name, custos_openli_kind_name((custos_openli_kind)k)) == 0)
				r->kind = k;
		for (size_t i = 0; r->kind < 0 && config_paths[i]; i++)
			if (strcmp(name, config_paths[i]) == 0)
				r->config = 1;
		if (r->kind < 0 && !r->config)
			return -1;
		snprintf(r->path, sizeof(r->path), "/%s", name);
	}
	if (slash && slash[1]) {
		const char *id = slash + 1;
		if (strchr(id, '/') || strlen(id) >= sizeof(r->liid))
			return -1;
		snprintf(r->liid, sizeof(r->liid), "%s", id);
		if (!(esc = custos_openli_path_escape(id)))
			return -1;
		if (strlen(r->path) + 1 + strlen(esc) >= sizeof(r->path)) {
			free(esc);
			return -1;
		}
		{
			size_t used = strlen(r->path);
			snprintf(r->path + used, sizeof(r->path) - used, "/%s", esc);
		}
		free(esc);
	}
	return 0;
}

typedef struct {
	char *body;
	size_t len;
	int too_large;
} conn_t;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type, const char *body)
{
	struct MHD_Response *rs =
		MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;
	if (!rs)
		return MHD_NO;
	MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ok = MHD_queue_response(c, status, rs);
	MHD_destroy_response(rs);
	return ok;
}

static enum MHD_Result answer_error(struct MHD_Connection *c, unsigned status, const char *liid, const char *reason)
{
	json_t *o = json_pack("{s:s, s:s}", "error", reason, "liid", liid ? liid : "");
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	enum MHD_Result ok;
	json_decref(o);
	ok = answer(c, status, "application/json", text ? text : "{\"error\":\"out of memory\"}");
	free(text);
	return ok;
}

/* Forwards a change (logged before and after), answers what the provisioner answered. */
static enum MHD_Result forward(custos_gate *g, struct MHD_Connection *c, const char *method, const char *url,
			       const route_t *r, const custos_gate_check *chk, const char *body)
{
	long status = 0;
	char *got = NULL;
	const char *liid = chk ? chk->liid : r->liid;
	enum MHD_Result ok;
	int rc;
	if ((rc = custos_gate_log_sending(g->st, method, url, r->kind, liid, chk, body, g->upstream))) {
		fprintf(stderr, "custos gate: %s %s not sent: the log refused it: %s\n", method, url, custos_error_last());
		return answer_error(c, 503, liid, "the register could not record the change; nothing was sent");
	}
	if (custos_openli_upstream_call(g->up, method, r->path, body, &status, &got))
		fprintf(stderr, "custos gate: %s\n", custos_error_last());
	if ((rc = custos_gate_log_sent(g->st, method, url, r->kind, liid, chk ? chk->measure : NULL, status,
				       got ? got : custos_error_last())))
		fprintf(stderr, "custos gate: %s %s: the answer (%ld) was not logged: %s\n", method, url, status,
			custos_error_last());
	if (!status)
		ok = answer_error(c, 502, liid, "the provisioner did not answer");
	else
		ok = answer(c, (unsigned)status, got && (got[0] == '[' || got[0] == '{') ? "application/json" : "text/html",
			    got ? got : "");
	free(got);
	return ok;
}

static enum MHD_Result refuse(custos_gate *g, struct MHD_Connection *c, const char *method, const char *url,
			      custos_gate_check *chk, const char *body, size_t len)
{
	if (custos_gate_log_refused(g->st, method, url, chk, body, len))
		fprintf(stderr, "custos gate: a refusal was not logged: %s\n", custos_error_last());
	fprintf(stderr, "custos gate: refused %s %s: %s\n", method, url, chk->reason);
	return answer_error(c, (unsigned)chk->status, chk->liid, chk->reason);
}

static enum MHD_Result handle(custos_gate *g, struct MHD_Connection *c, const char *url, const char *method,
			      conn_t *cn)
{
	route_t r;
	custos_gate_check chk;
	enum MHD_Result ok;
	int change = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
	memset(&chk, 0, sizeof(chk));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && !change && strcmp(method, "DELETE") != 0)
		return answer_error(c, 405, NULL, "the provisioner takes GET, POST, PUT and DELETE");
	if (classify(url, &r)) {
		if (!change && strcmp(method, "DELETE") != 0)
			return answer_error(c, 404, NULL, "not a path of the provisioner's REST API that the gate passes");
		chk.status = 404; /* a change at a path the gate does not pass is a refusal, and logged as one */
		snprintf(chk.reason, sizeof(chk.reason), "%.200s: not a path of the provisioner's REST API that the gate passes",
			 url);
		pthread_mutex_lock(&g->lock);
		ok = refuse(g, c, method, url, &chk, cn->body, cn->len);
		pthread_mutex_unlock(&g->lock);
		return ok;
	}
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		long status = 0;
		char *got = NULL;
		if (custos_openli_upstream_call(g->up, "GET", r.path, NULL, &status, &got) || !status) {
			fprintf(stderr, "custos gate: %s\n", custos_error_last());
			return answer_error(c, 502, NULL, "the provisioner did not answer");
		}
		ok = answer(c, (unsigned)status, got[0] == '[' || got[0] == '{' ? "application/json" : "text/html", got);
		free(got);
		return ok;
	}
	pthread_mutex_lock(&g->lock);
	if (cn->too_large) {
		chk.status = 413;
		snprintf(chk.reason, sizeof(chk.reason), "body: larger than %d bytes", BODY_MAX);
		ok = refuse(g, c, method, url, &chk, NULL, 0);
	} else if (strcmp(method, "DELETE") == 0) {
		ok = forward(g, c, method, url, &r, NULL, NULL); /* a DELETE always passes: it stops an interception */
	} else if (r.config) {
		if (g->opt.allow_config) {
			ok = forward(g, c, method, url, &r, NULL, cn->body ? cn->body : "");
		} else {
			chk.status = 403;
			snprintf(chk.reason, sizeof(chk.reason),
				 "%.200s: the provisioner's configuration changes only through a gate run with --allow-config",
				 r.path);
			ok = refuse(g, c, method, url, &chk, cn->body, cn->len);
		}
	} else if (r.liid[0]) {
		chk.status = 404;
		snprintf(chk.reason, sizeof(chk.reason), "%.200s: an intercept is created or changed at /%s, its LIID in the body",
			 url, custos_openli_kind_name((custos_openli_kind)r.kind));
		ok = refuse(g, c, method, url, &chk, cn->body, cn->len);
	} else {
		const char *header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, CUSTOS_GATE_TOKEN_HEADER);
		int rc = custos_gate_check_change(g->st, (custos_openli_kind)r.kind, cn->body ? cn->body : "", cn->len,
						  header, &chk);
		if (rc) {
			fprintf(stderr, "custos gate: %s %s: %s\n", method, url, custos_error_last());
			ok = answer_error(c, 503, chk.liid, "the register could not be read");
		} else if (chk.status) {
			ok = refuse(g, c, method, url, &chk, cn->body, cn->len);
		} else {
			ok = forward(g, c, method, url, &r, &chk, chk.body);
		}
	}
	pthread_mutex_unlock(&g->lock);
	custos_gate_check_dispose(&chk);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **con_cls)
{
	custos_gate *g = cls;
	conn_t *cn = *con_cls;
	(void)version;
	if (!cn) {
		if (!(cn = calloc(1, sizeof(*cn))))
			return MHD_NO;
		*con_cls = cn;
		return MHD_YES;
	}
	if (*size) {
		if (!cn->too_large && cn->len + *size <= BODY_MAX) {
			char *grown = realloc(cn->body, cn->len + *size + 1);
			if (!grown)
				return MHD_NO;
			cn->body = grown;
			memcpy(cn->body + cn->len, data, *size);
			cn->len += *size;
			cn->body[cn->len] = '\0';
		} else {
			cn->too_large = 1;
		}
		*size = 0;
		return MHD_YES;
	}
	return handle(g, c, url, method, cn);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	conn_t *cn = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (cn) {
		free(cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

/* ---- the watcher: intercepts whose authorisation ended are removed upstream ---------------------------- */

typedef struct {
	custos_gate *g;
	custos_store *st;
	custos_openli_upstream *up;
} watch_t;

static int withdraw(void *ctx, custos_openli_kind kind, const char *liid, const char *measure, const char *reason)
{
	watch_t *w = ctx;
	char path[128], *esc = custos_openli_path_escape(liid), *got = NULL;
	long status = 0;
	if (!esc)
		return CUSTOS_ENOMEM;
	snprintf(path, sizeof(path), "/%s/%s", custos_openli_kind_name(kind), esc);
	free(esc);
	if (custos_openli_upstream_call(w->up, "DELETE", path, NULL, &status, &got)) {
		fprintf(stderr, "custos gate: withdrawing %s (%s): %s; trying again\n", liid, reason, custos_error_last());
		return 0;
	}
	free(got);
	/* OpenLI answers 200 for a removal, and a removal of what it no longer has is as good as one */
	if ((status >= 200 && status < 300) || status == 404 || status == 400) {
		if (custos_gate_log_withdrawn(w->st, kind, liid, measure, reason, status))
			fprintf(stderr, "custos gate: %s withdrawn but not logged: %s\n", liid, custos_error_last());
		else
			fprintf(stderr, "custos gate: withdrew %s %s (authorisation of %s: %s)\n",
				custos_openli_kind_name(kind), liid, measure && measure[0] ? measure : "?", reason);
	} else {
		fprintf(stderr, "custos gate: withdrawing %s: the provisioner answered %ld; trying again\n", liid, status);
	}
	return 0;
}

static void *watch_loop(void *arg)
{
	custos_gate *g = arg;
	watch_t w = {g, NULL, NULL};
	for (;;) {
		struct timespec until;
		int stop;
		if (!w.st && custos_store_open(&w.st, g->store_uri, 0))
			fprintf(stderr, "custos gate: the watcher cannot open the store: %s\n", custos_error_last());
		if (!w.up && custos_openli_upstream_new(&w.up, g->upstream, g->api_key))
			fprintf(stderr, "custos gate: %s\n", custos_error_last());
		if (w.st && w.up) {
			pthread_mutex_lock(&g->lock);
			if (custos_gate_due(w.st, withdraw, &w))
				fprintf(stderr, "custos gate: the watcher: %s\n", custos_error_last());
			pthread_mutex_unlock(&g->lock);
		}
		pthread_mutex_lock(&g->wake_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += g->opt.interval;
		while (!g->stopping && pthread_cond_timedwait(&g->wake, &g->wake_lock, &until) != ETIMEDOUT)
			;
		stop = g->stopping;
		pthread_mutex_unlock(&g->wake_lock);
		if (stop)
			break;
	}
	custos_openli_upstream_free(w.up);
	if (w.st)
		custos_store_close(w.st);
	return NULL;
}

/* ---- start and stop --------------------------------------------------------------------------------------- */

void custos_gate_options_init(custos_gate_options *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->interval = 1;
}

int custos_gate_start(custos_gate **out, const custos_gate_options *o)
{
	custos_gate *g;
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	int rc;
	*out = NULL;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)o->port);
	if (!o->store_uri || !o->upstream || o->port > 65535 || inet_pton(AF_INET, o->host, &addr.sin_addr) != 1)
	{
		fprintf(stderr, "custos gate: --listen: '%s:%u' is not an IPv4 address and port\n", o->host, o->port);
		return CUSTOS_EINVALID;
	}
	if (!(g = calloc(1, sizeof(*g))))
		return CUSTOS_ENOMEM;
	g->opt = *o;
	if (!g->opt.interval)
		g->opt.interval = 1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->wake_lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	g->store_uri = strdup(o->store_uri);
	g->upstream = strdup(o->upstream);
	g->api_key = o->api_key ? strdup(o->api_key) : NULL;
	if (!g->store_uri || !g->upstream || (o->api_key && !g->api_key)) {
		custos_gate_stop(g);
		return CUSTOS_ENOMEM;
	}
	if ((rc = custos_store_open(&g->st, g->store_uri, 0)) || (rc = custos_log_check_pinned(g->st)) ||
	    (rc = custos_openli_upstream_new(&g->up, g->upstream, g->api_key))) {
		custos_gate_stop(g);
		return rc;
	}
	/* one internal thread: requests are answered one at a time, in order, on one store handle */
	g->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)o->port, NULL, NULL,
				     on_request, g, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				     MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, g, MHD_OPTION_END);
	if (!g->daemon) {
		custos_gate_stop(g);
		fprintf(stderr, "custos gate: cannot listen on %s:%u\n", o->host, o->port);
		return CUSTOS_ERROR;
	}
	info = MHD_get_daemon_info(g->daemon, MHD_DAEMON_INFO_BIND_PORT);
	g->port = info ? info->port : o->port;
	if (pthread_create(&g->watcher, NULL, watch_loop, g)) {
		custos_gate_stop(g);
		fprintf(stderr, "custos gate: cannot start the watcher\n");
		return CUSTOS_ERROR;
	}
	g->watcher_started = 1;
	*out = g;
	return 0;
}

unsigned custos_gate_port(const custos_gate *g)
{
	return g->port;
}

void custos_gate_stop(custos_gate *g)
{
	if (!g)
		return;
	if (g->daemon)
		MHD_stop_daemon(g->daemon);
	if (g->watcher_started) {
		pthread_mutex_lock(&g->wake_lock);
		g->stopping = 1;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->wake_lock);
		pthread_join(g->watcher, NULL);
	}
	custos_openli_upstream_free(g->up);
	if (g->st)
		custos_store_close(g->st);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->wake_lock);
	pthread_cond_destroy(&g->wake);
	free(g->store_uri);
	free(g->upstream);
	free(g->api_key);
	free(g);
}
