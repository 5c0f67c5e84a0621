/* custos/server.h — the HTTP API server (libmicrohttpd): a second face on the library beside the command line. */
#ifndef CUSTOS_SERVER_H
#define CUSTOS_SERVER_H

#include <stddef.h>

#include "custos/httpsig.h"

typedef struct custos_server custos_server;

#define CUSTOS_SERVER_OPTIONS_VERSION 3

/* How to serve; custos_server_options_init fills in the defaults. */
typedef struct custos_server_options {
	unsigned version;	  /* CUSTOS_SERVER_OPTIONS_VERSION */
	const char *store_uri;	  /* the store every worker opens */
	const char *host;	  /* IPv4 address to listen on: "127.0.0.1" */
	unsigned port;		  /* 0: any free port (see custos_server_port) */
	unsigned threads;	  /* worker threads, each with its own store handle: 2 */
	size_t max_body;	  /* request content ceiling in bytes (413 above it): 1 MiB */
	unsigned max_connections; /* connections served at once: 1024 (503 beyond, before any is read) */
	unsigned timeout;	  /* seconds a connection may stay idle: 30 */
	size_t header_memory;	  /* bytes per connection for the request line and headers (431/414 above): 32 KiB */
	/*
	 * Principals: the key and roles behind a signature's keyid. NULL while
	 * custos has no principals: every request passes (see auth.c).
	 */
	custos_httpsig_lookup lookup;
	void *lookup_ctx;
	/*
	 * 1: the store's principals are the keys (custos/principal.h): a
	 * signature's keyid is the principal's verifier key, and each role reads
	 * only what it should. Takes precedence over `lookup`.
	 */
	int principals;
	long max_signature_age; /* seconds a signature stays fresh: 300 */
	/* Since version 2. */
	unsigned max_per_client;   /* connections from one address at once: 64 (429 beyond) */
	unsigned request_deadline; /* seconds to send a whole request, from the connection's start or last answer: 10 */
	/*
	 * The names a signed request may be addressed to (its @authority, the
	 * Host field), comma-separated, compared without case: what clients
	 * use, e.g. "custos.example.org" behind a proxy. NULL: "HOST:PORT" as
	 * the server listens. A signature for another server is refused (401).
	 */
	const char *authority;
	/*
	 * Since version 3. 1: this server does not hold the log key (another
	 * server on the same store does): it never signs, and GET
	 * /v1/log/checkpoint serves the latest checkpoint signed. 0: it signs
	 * the tree when it has grown, as the command line does.
	 */
	int no_sign;
} custos_server_options;

void custos_server_options_init(custos_server_options *o);

/*
 * Starts serving on its own threads and returns at once. Opens the store
 * first to check it is initialised (CUSTOS_ENOTFOUND "run custos init").
 */
int custos_server_start(custos_server **out, const custos_server_options *o);

/* The port the server listens on. */
unsigned custos_server_port(const custos_server *s);

/* Stops accepting, finishes the requests in flight, closes every store handle. */
void custos_server_stop(custos_server *s);

/* The route table, one "METHOD PATH ROLE SUMMARY" line per route (malloc'd). */
int custos_server_routes(char **out);

/* ---- the gate in front of OpenLI's provisioner (custos gate openli; custos/gate.h) ----------------------- */

typedef struct custos_gate_options {
	const char *store_uri;
	const char *host; /* IPv4 address to listen on */
	unsigned port;	  /* 0: a free one */
	const char *upstream; /* the provisioner's base URL */
	const char *api_key;  /* its X-API-KEY, NULL: none */
	int allow_config;     /* pass changes to its agencies, servers and options (logged); else refused */
	unsigned interval;    /* seconds between the watcher's sweeps for intercepts to withdraw */
} custos_gate_options;

typedef struct custos_gate custos_gate;
void custos_gate_options_init(custos_gate_options *o);
/*
 * Starts the gate: the store must exist and not be behind its signed
 * checkpoint; the watcher withdraws, at once and then every interval,
 * every intercept whose authorisation no longer holds (custos_gate_due) —
 * so a gate restarted after a crash catches up on what it missed.
 */
int custos_gate_start(custos_gate **out, const custos_gate_options *o);
unsigned custos_gate_port(const custos_gate *g);
void custos_gate_stop(custos_gate *g);

#endif
