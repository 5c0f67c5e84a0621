/* metrics.c — /healthz, /metrics (Prometheus text format) and the counters behind them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

const int srv_status_codes[SRV_STATUSES] = {200, 201, 400, 401, 403, 404, 405, 409, 411,
					    413, 414, 415, 422, 431, 500, 503, 0 /* other */};
/* latency bucket upper bounds, seconds */
const double srv_buckets[SRV_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005,
					 0.01,	 0.025,	  0.05,	  0.1,	 0.5,	2.5};

void srv_metrics_record(custos_server *s, size_t route_slot, int status, double seconds)
{
	srv_route_metrics *m = &s->metrics[route_slot];
	size_t k = 0;
	while (k < SRV_STATUSES - 1 && srv_status_codes[k] != status && srv_status_codes[k] != 0)
		k++;
	atomic_fetch_add_explicit(&m->status[k], 1, memory_order_relaxed);
	for (size_t b = 0; b < SRV_BUCKETS; b++)
		if (seconds <= srv_buckets[b])
			atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->nanos, (unsigned long long)(seconds * 1e9), memory_order_relaxed);
}

/* A bounded text builder: appends stop at the first failure. */
typedef struct {
	char *s;
	size_t len, cap;
	int failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = t->cap * 2 + (size_t)n;
			char *ns = cap <= (16u << 20) ? realloc(t->s, cap) : NULL;
			if (!ns) {
				t->failed = 1;
				return;
			}
			t->s = ns;
			t->cap = cap;
		}
	}
}

static void route_label(char *out, size_t cap, size_t slot)
{
	if (slot >= srv_nroutes) {
		snprintf(out, cap, "method=\"\",route=\"unmatched\"");
		return;
	}
	{
		char path[256];
		srv_openapi_path(path, sizeof(path), srv_routes[slot].pattern);
		snprintf(out, cap, "method=\"%s\",route=\"%s\"", srv_routes[slot].method, path);
	}
}

char *srv_metrics_text(custos_server *s, srv_ctx *ctx, size_t *len)
{
	text t = {malloc(16384), 0, 16384, 0};
	int64_t size = ctx->store ? custos_store_log_size(ctx->store) : -1;
	if (!t.s)
		return NULL;
	put(&t, "# HELP custos_http_requests_total HTTP requests answered, by route and status.\n"
		"# TYPE custos_http_requests_total counter\n");
	for (size_t r = 0; r <= srv_nroutes; r++) {
		char label[320];
		route_label(label, sizeof(label), r);
		for (size_t k = 0; k < SRV_STATUSES; k++) {
			unsigned long long v = atomic_load_explicit(&s->metrics[r].status[k], memory_order_relaxed);
			if (!v)
				continue;
			if (srv_status_codes[k])
				put(&t, "custos_http_requests_total{%s,status=\"%d\"} %llu\n", label, srv_status_codes[k],
				    v);
			else
				put(&t, "custos_http_requests_total{%s,status=\"other\"} %llu\n", label, v);
		}
	}
	put(&t, "# HELP custos_http_request_duration_seconds Time from the request line to the response sent.\n"
		"# TYPE custos_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= srv_nroutes; r++) {
		char label[320];
		unsigned long long count = atomic_load_explicit(&s->metrics[r].count, memory_order_relaxed);
		if (!count)
			continue;
		route_label(label, sizeof(label), r);
		for (size_t b = 0; b < SRV_BUCKETS; b++)
			put(&t, "custos_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", label, srv_buckets[b],
			    atomic_load_explicit(&s->metrics[r].bucket[b], memory_order_relaxed));
		put(&t, "custos_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", label, count);
		put(&t, "custos_http_request_duration_seconds_sum{%s} %.9f\n", label,
		    (double)atomic_load_explicit(&s->metrics[r].nanos, memory_order_relaxed) * 1e-9);
		put(&t, "custos_http_request_duration_seconds_count{%s} %llu\n", label, count);
	}
	{
		srv_guard_stats_t g;
		srv_guard_stats(&s->guard, &g);
		put(&t, "# HELP custos_connections_open Connections admitted and open.\n"
			"# TYPE custos_connections_open gauge\ncustos_connections_open %u\n",
		    g.open);
		put(&t, "# HELP custos_connections_refused_total Connections refused before anything was read: the "
			"server's limit, or one address's.\n# TYPE custos_connections_refused_total counter\n"
			"custos_connections_refused_total{reason=\"server_full\"} %llu\n"
			"custos_connections_refused_total{reason=\"per_client\"} %llu\n",
		    g.refused_full, g.refused_client);
		put(&t, "# HELP custos_connections_cut_total Connections cut for not sending a whole request within "
			"the deadline.\n# TYPE custos_connections_cut_total counter\ncustos_connections_cut_total %llu\n",
		    g.cut);
	}
	put(&t, "# HELP custos_log_size Leaves in the register (events).\n# TYPE custos_log_size gauge\n");
	put(&t, "custos_log_size %lld\n", (long long)size);
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	*len = t.len;
	return t.s;
}

void srv_h_metrics(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	size_t len = 0;
	char *body = srv_metrics_text(ctx->srv, ctx, &len);
	if (!body) {
		srv_error(rs, 503, NULL, "out of memory");
		return;
	}
	srv_bytes(rs, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

void srv_h_healthz(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	int64_t size = custos_store_log_size(ctx->store);
	if (size < 0) {
		srv_error(rs, 503, NULL, "the store does not answer: %s", custos_error_last());
		return;
	}
	srv_json(rs, 200, json_pack("{s:s,s:I}", "status", "ok", "log_size", (json_int_t)size));
}

void srv_h_openapi(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	srv_json(rs, 200, srv_openapi());
}
