/* server_int.h — the server's insides: route table, request decoder, responses, handlers, shared state. */
#ifndef CUSTOS_SERVER_INT_H
#define CUSTOS_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "custos/error.h"
#include "custos/httpsig.h"
#include "custos/measure.h"
#include "custos/model.h"
#include "custos/principal.h"
#include "custos/registry.h"
#include "custos/rules.h"
#include "custos/server.h"
#include "custos/store.h"

#define SRV_PARAMS_MAX 4
#define SRV_QUERY_MAX 8
#define SRV_URI_MAX 4096
#define SRV_SCREEN_MAX 1000

/* What a route's request content is. */
typedef enum { SRV_BODY_NONE, SRV_BODY_MEASURE, SRV_BODY_SCREEN, SRV_BODY_JSONL, SRV_BODY_TEXT } srv_body_kind;

/* A query parameter a route accepts. */
typedef struct srv_qparam {
	const char *name;
	int integer; /* a non-negative decimal number */
	int required;
	const char *help;
} srv_qparam;

struct srv_ctx;
struct srv_request;
struct srv_response;
typedef void (*srv_handler)(struct srv_ctx *ctx, struct srv_request *rq, struct srv_response *rs);

/* Query parameters one route declares, at most. */
#define SRV_ROUTE_QUERY_MAX 4

/*
 * One row of the route table, which drives dispatch, authorisation and the
 * OpenAPI document alike. Path patterns are literal segments and
 * parameters: "{id}" (a string), "{n:int}" (a non-negative number) and
 * "{index:tile}" (the rest of the path: a tlog-tiles index, "x001/234" with
 * an optional ".p/W").
 */
typedef struct srv_route {
	const char *method;
	const char *pattern;
	srv_handler handler;
	const char *role; /* "public", "principal" (any principal), or the role required */
	const char *operation;
	const char *summary;
	srv_body_kind body;
	const char *request_schema; /* component schema of the content, NULL: none or not JSON */
	int status;		    /* the success status */
	const char *response_type;
	const char *response_schema; /* component schema of a JSON answer, NULL: text or bytes */
	srv_qparam query[SRV_ROUTE_QUERY_MAX];
	int errors[8]; /* error statuses the route answers, 0-terminated */
} srv_route;

extern const srv_route srv_routes[];
extern const size_t srv_nroutes;

/* A path or query parameter as decoded. */
typedef struct srv_kv {
	char name[16];
	char *value;
	uint64_t num; /* for integers */
} srv_kv;

typedef struct srv_screen_req {
	char **selectors;
	size_t n;
	custos_date day;
} srv_screen_req;

/* A request, as the decoder leaves it for the handler. */
typedef struct srv_request {
	const char *method;
	const srv_route *route;
	size_t route_index;
	char *raw_path; /* as sent, for signatures */
	char *raw_query;
	srv_kv params[SRV_PARAMS_MAX];
	size_t nparams;
	srv_kv query[SRV_QUERY_MAX];
	size_t nquery;
	const char *body;
	size_t body_len;
	int has_measure;
	custos_measure measure;
	srv_screen_req screen;
	int tile_level; /* CUSTOS_TILE_ENTRIES for entry bundles */
	uint64_t tile_index;
	unsigned tile_width;
	/* header fields by (case-insensitive) name */
	const char *(*header)(void *ctx, const char *name);
	void *header_ctx;
	char actor[256]; /* who acts: the signer's keyid, or "api" */
	char principal[65]; /* with principals: the signer's principal id ("" on an open server) */
	char request_key[72]; /* a signed request that changes state: accepted once, ever ("" otherwise) */
} srv_request;

/* A response; body is malloc'd and handed to the HTTP layer. */
typedef struct srv_response {
	int status;
	const char *content_type;
	char *body;
	size_t len;
	char allow[64];
	char location[160];
	const char *cache_control;
} srv_response;

/* ---- decoder (decode.c): pure, no store, fuzzed by fuzz_http_request ---- */

/*
 * Matches method and raw request target against the route table, and
 * decodes path and query parameters. On failure fills rs (404, 405 with
 * Allow, 400 naming the parameter, 414) and returns -1.
 */
int srv_decode_target(srv_request *rq, const char *method, const char *uri, srv_response *rs);
/* 415 unless the content type suits the route (checked before the content arrives). */
int srv_decode_type(const srv_request *rq, const char *content_type, size_t content_length, srv_response *rs);
/* Decodes the content a route takes (a measure, a screening request); 400 naming the field. */
int srv_decode_body(srv_request *rq, const char *body, size_t len, srv_response *rs);
void srv_request_dispose(srv_request *rq);
/* A path or query parameter by name (NULL if absent). */
const srv_kv *srv_param(const srv_request *rq, const char *name);
const srv_kv *srv_query(const srv_request *rq, const char *name);
/* Parses a tlog-tiles index path ("x001/x234/067", optional ".p/W"); -1 if malformed or not canonical. */
int srv_tile_index(const char *s, uint64_t *index, unsigned *width);

/* ---- responses (response.c) ---- */

/* {"error": message, "field": field} with the status. field may be NULL. */
void srv_error(srv_response *rs, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * The library's failure rc, with its message, as an HTTP error: EINVALID
 * 400, ENOTFOUND 404, EEXISTS 409, ELIMIT 413, ENOMEM 503, else 500. When
 * field is NULL the field is read off the message ("targets[1]: ...").
 */
void srv_fail(srv_response *rs, int rc, const char *field);
/* The field a library message names, written to out ("" if none). */
void srv_message_field(char *out, size_t cap, const char *msg);
/* A JSON answer (steals v). */
void srv_json(srv_response *rs, int status, json_t *v);
/* A text or byte answer (takes ownership of body, which was malloc'd). */
void srv_bytes(srv_response *rs, int status, const char *type, char *body, size_t len);
void srv_response_dispose(srv_response *rs);

/* ---- the running server (server.c) ---- */

/* Everything read often and changed rarely: the rule set in force and the registry. */
typedef struct srv_snapshot {
	int refs;
	custos_ruleset *rules;
	custos_registry *registry;
	int grace;
	_Atomic int64_t seen; /* events known not to change rules or registry since they were read */
} srv_snapshot;

#define SRV_STATUSES 18
#define SRV_BUCKETS 12
extern const int srv_status_codes[SRV_STATUSES];
extern const double srv_buckets[SRV_BUCKETS];

/* Seconds on the monotonic clock (durations and deadlines, never dates). */
double srv_now_seconds(void);

/* ---- the connection guard (guard.c): limits checked before a socket is handed over; request deadlines ---- */

typedef struct srv_guard_conn srv_guard_conn;
struct srv_guard_conn {
	srv_guard_conn *prev, *next;
	int ref;	    /* the guard's duplicate of the socket */
	int fd;		    /* libmicrohttpd's descriptor */
	uint32_t client;    /* IPv4 address, network order */
	_Atomic double ready_since; /* accepted, or its last answer done: the request deadline counts from here */
	int started;	    /* libmicrohttpd has taken the connection up */
	atomic_int busy;	    /* a handler is running for it: never cut */
	int cut;
};
typedef enum { SRV_GUARD_ADMITTED, SRV_GUARD_FULL, SRV_GUARD_CLIENT_FULL } srv_guard_verdict;
typedef struct srv_guard_stats_t {
	unsigned open;
	unsigned long long refused_full, refused_client, cut;
} srv_guard_stats_t;
typedef struct srv_guard {
	pthread_mutex_t lock;
	int inited;
	unsigned total, per_client, deadline;
	srv_guard_conn list; /* sentinel of the connections admitted */
	unsigned open;
	struct srv_guard_client {
		uint32_t addr;
		unsigned count;
	} *clients; /* open addressing; count 0: free */
	size_t nclients;
	unsigned long long refused_full, refused_client, cut;
} srv_guard;

int srv_guard_init(srv_guard *g, unsigned total, unsigned per_client, unsigned deadline);
void srv_guard_dispose(srv_guard *g);
/* Before a socket is handed over: SRV_GUARD_ADMITTED (registered), or why it must be refused. */
srv_guard_verdict srv_guard_admit(srv_guard *g, int fd, uint32_t client);
/* A socket admitted but refused by libmicrohttpd (which closed it). */
void srv_guard_forget(srv_guard *g, int fd);
/* libmicrohttpd took the connection up (its socket context), and closed it. */
srv_guard_conn *srv_guard_started(srv_guard *g, int fd);
void srv_guard_closed(srv_guard *g, srv_guard_conn *c);
/* A handler runs for the connection (1), or its answer is done (0: the deadline starts again). */
void srv_guard_busy(srv_guard *g, srv_guard_conn *c, int busy);
/* Cuts every connection past its deadline; how many. */
unsigned srv_guard_sweep(srv_guard *g);
void srv_guard_stats(srv_guard *g, srv_guard_stats_t *out);

/* Per route (and one slot for requests that matched none). */
typedef struct srv_route_metrics {
	atomic_ullong status[SRV_STATUSES];
	atomic_ullong bucket[SRV_BUCKETS]; /* cumulative counts by latency upper bound */
	atomic_ullong count;
	atomic_ullong nanos;
} srv_route_metrics;

struct custos_server {
	custos_server_options opt;
	char *store_uri;
	char *host;
	char *authority; /* the names signed requests must be addressed to (custos_server_options.authority) */
	void *daemon;
	unsigned port;
	int listen_fd; /* ours, not libmicrohttpd's: the acceptor hands connections out evenly */
	pthread_t acceptor;
	int acceptor_started;
	atomic_int stopping;
	pthread_mutex_t lock; /* snapshot and store list */
	srv_snapshot *snap;
	int snap_stale;
	uint64_t snap_seen; /* events scanned for registry or rule changes */
	double snap_checked;
	custos_store **stores;
	size_t nstores, cap_stores;
	srv_guard guard;
	srv_route_metrics *metrics; /* srv_nroutes + 1 */
	struct srv_key *keys; /* active principals by verifier key, sorted (auth.c; under lock) */
	size_t nkeys;
	int64_t keys_size; /* the log's size when the keys were read; -1: never */
};

/* Forgets the principals' keys (custos_server_stop). */
void srv_keys_free(custos_server *s);

/* What a handler works with: the server, and this worker thread's store. */
typedef struct srv_ctx {
	custos_server *srv;
	custos_store *store;
	custos_principal caller; /* the signing principal, read once per request (srv_may_see) */
	int caller_read;	 /* 0: not yet; 1: in `caller`; -1: none (an open server) or unreadable */
} srv_ctx;

/* This worker's store handle, opened on first use; NULL with rs filled (503) on failure. */
custos_store *srv_store(custos_server *s, srv_response *rs);
/* The current snapshot (reloaded when the registry or rules changed); release it after use. */
srv_snapshot *srv_snapshot_get(srv_ctx *ctx, srv_response *rs);
void srv_snapshot_release(custos_server *s, srv_snapshot *snap);
void srv_snapshot_invalidate(custos_server *s);

/* ---- authentication (auth.c) ---- */

/* 0 if the request may go on (rq->actor set); else fills rs (400, 401, 403, 503) and returns -1. */
int srv_authenticate(custos_server *s, srv_request *rq, srv_response *rs);

/* ---- OpenAPI (openapi.c) and metrics (metrics.c) ---- */

json_t *srv_openapi(void);
/* Converts "{n:int}" into "{n}" for documents. */
void srv_openapi_path(char *out, size_t cap, const char *pattern);
char *srv_metrics_text(custos_server *s, srv_ctx *ctx, size_t *len);
void srv_metrics_record(custos_server *s, size_t route_slot, int status, double seconds);

/* ---- the web page (web.c): GET / and GET /web/{file}, from the files built into the binary ---- */

void srv_h_web(srv_ctx *, srv_request *, srv_response *);

/* ---- handlers ---- */

void srv_h_healthz(srv_ctx *, srv_request *, srv_response *);
void srv_h_metrics(srv_ctx *, srv_request *, srv_response *);
void srv_h_openapi(srv_ctx *, srv_request *, srv_response *);
void srv_h_measure_file(srv_ctx *, srv_request *, srv_response *);
void srv_h_decide(srv_ctx *, srv_request *, srv_response *);
void srv_h_measure_list(srv_ctx *, srv_request *, srv_response *);
void srv_h_oversight(srv_ctx *, srv_request *, srv_response *);
void srv_h_measure_intercepts(srv_ctx *, srv_request *, srv_response *);
void srv_h_openli_audit(srv_ctx *, srv_request *, srv_response *);
void srv_h_registry_preview(srv_ctx *, srv_request *, srv_response *);
void srv_h_measure_show(srv_ctx *, srv_request *, srv_response *);
void srv_h_registry_search(srv_ctx *, srv_request *, srv_response *);
void srv_h_registry_show(srv_ctx *, srv_request *, srv_response *);
void srv_h_registry_import(srv_ctx *, srv_request *, srv_response *);
void srv_h_screen(srv_ctx *, srv_request *, srv_response *);
void srv_h_log_checkpoint(srv_ctx *, srv_request *, srv_response *);
void srv_h_log_vkey(srv_ctx *, srv_request *, srv_response *);
void srv_h_log_entry(srv_ctx *, srv_request *, srv_response *);
void srv_h_log_inclusion(srv_ctx *, srv_request *, srv_response *);
void srv_h_log_consistency(srv_ctx *, srv_request *, srv_response *);
void srv_h_log_receipt(srv_ctx *, srv_request *, srv_response *);
void srv_h_tile(srv_ctx *, srv_request *, srv_response *);
void srv_h_add_checkpoint(srv_ctx *, srv_request *, srv_response *);
void srv_h_me(srv_ctx *, srv_request *, srv_response *);
void srv_h_principals(srv_ctx *, srv_request *, srv_response *);
void srv_h_statement_text(srv_ctx *, srv_request *, srv_response *);
void srv_h_statement_submit(srv_ctx *, srv_request *, srv_response *);
void srv_h_authorization(srv_ctx *, srv_request *, srv_response *);
void srv_h_revocations(srv_ctx *, srv_request *, srv_response *);
void srv_h_authorization_verify(srv_ctx *, srv_request *, srv_response *);
/*
 * Whether the caller may see measure `id`: everyone on an open server;
 * comite_r everything; a requester or service_head its authority's
 * measures; an approver what waits for one of its roles or what it signed.
 * `requested_by`, when the caller already has it, saves reading the measure.
 */
int srv_may_see(srv_ctx *ctx, const srv_request *rq, const char *id, const char *requested_by);
/*
 * The access keys (custos_store_access_add) of the measures the caller may
 * be shown: 1 if it may see every measure (an open server, comite_r), else 0
 * with up to cap keys in keys and their count in *n (none: it sees nothing).
 */
#define SRV_ACCESS_KEY 96
int srv_access_keys(srv_ctx *ctx, const srv_request *rq, char keys[][SRV_ACCESS_KEY], size_t cap, size_t *n);

#endif
