/* test_server.c — the route matcher and request decoder, and signatures checked by a live server on 127.0.0.1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/server/server_int.h"
#include "custos/builtin.h"
#include "custos/tiles.h"
#include "custos/workflow.h"
#include "rfc9421_key.h"

/* Decodes method and target; returns the status of the error answer, or 0 with the route's pattern in *pattern. */
static int decode(const char *method, const char *uri, const char **pattern, char *field, size_t cap)
{
	srv_request rq;
	srv_response rs;
	int status;
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	status = srv_decode_target(&rq, method, uri, &rs) ? rs.status : 0;
	if (pattern)
		*pattern = status ? NULL : rq.route->pattern;
	if (field) {
		json_t *v = rs.body ? json_loadb(rs.body, rs.len, 0, NULL) : NULL;
		snprintf(field, cap, "%s", json_string_value(json_object_get(v, "field")) ?: "");
		json_decref(v);
	}
	srv_request_dispose(&rq);
	srv_response_dispose(&rs);
	return status;
}

static void test_route_matching(void **state)
{
	const char *pat;
	char field[64];
	(void)state;
	assert_int_equal(decode("GET", "/v1/measures", &pat, NULL, 0), 0);
	assert_string_equal(pat, "/v1/measures");
	assert_int_equal(decode("POST", "/v1/measures", &pat, NULL, 0), 0);
	assert_int_equal(decode("GET", "/v1/measures/M-000001", &pat, NULL, 0), 0);
	assert_string_equal(pat, "/v1/measures/{id}");
	assert_int_equal(decode("HEAD", "/healthz", &pat, NULL, 0), 0);
	assert_int_equal(decode("GET", "/tile/entries/x001/002.p/7", &pat, NULL, 0), 0);
	assert_string_equal(pat, "/tile/entries/{index:tile}");
	assert_int_equal(decode("GET", "/tile/3/x001/002", &pat, NULL, 0), 0);
	assert_string_equal(pat, "/tile/{level:int}/{index:tile}");
	/* not found, wrong method, trailing slash, empty parameter */
	assert_int_equal(decode("GET", "/v1/nothing", NULL, NULL, 0), 404);
	assert_int_equal(decode("GET", "/v1/measures/", NULL, NULL, 0), 404);
	assert_int_equal(decode("GET", "/v1/measures/a/b", NULL, NULL, 0), 404);
	assert_int_equal(decode("PUT", "/v1/measures", NULL, NULL, 0), 405);
	assert_int_equal(decode("GET", "v1/measures", NULL, NULL, 0), 400);
	/* typed parameters name themselves */
	assert_int_equal(decode("GET", "/v1/log/entries/12x", NULL, field, sizeof(field)), 400);
	assert_string_equal(field, "n");
	assert_int_equal(decode("GET", "/v1/log/entries/007", NULL, field, sizeof(field)), 400);
	assert_int_equal(decode("GET", "/v1/log/entries/99999999999999999999", NULL, field, sizeof(field)), 400);
	assert_int_equal(decode("GET", "/tile/64/000", NULL, field, sizeof(field)), 404);
	assert_string_equal(field, "level");
	/* percent-encoding: decoded in parameters, refused when malformed or NUL */
	{
		srv_request rq;
		srv_response rs;
		memset(&rq, 0, sizeof(rq));
		memset(&rs, 0, sizeof(rs));
		assert_int_equal(srv_decode_target(&rq, "GET", "/v1/registry/P%2DMR%2d1", &rs), 0);
		assert_string_equal(srv_param(&rq, "id")->value, "P-MR-1");
		srv_request_dispose(&rq);
	}
	assert_int_equal(decode("GET", "/v1/registry/P%2", NULL, field, sizeof(field)), 400);
	assert_string_equal(field, "id");
	assert_int_equal(decode("GET", "/v1/registry/P%00", NULL, NULL, 0), 400);
}

static void test_query_decoding(void **state)
{
	srv_request rq;
	srv_response rs;
	char field[64];
	(void)state;
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(srv_decode_target(&rq, "GET", "/v1/registry?q=Karim+Fictif&date=2026-12-01", &rs), 0);
	assert_string_equal(srv_query(&rq, "q")->value, "Karim Fictif");
	assert_string_equal(srv_query(&rq, "date")->value, "2026-12-01");
	srv_request_dispose(&rq);
	assert_int_equal(srv_decode_target(&rq, "GET", "/v1/log/proofs/inclusion/3?size=10", &rs), 0);
	assert_int_equal(srv_param(&rq, "n")->num, 3);
	assert_int_equal(srv_query(&rq, "size")->num, 10);
	srv_request_dispose(&rq);
	assert_int_equal(decode("GET", "/v1/registry?colour=red", NULL, field, sizeof(field)), 400);
	assert_string_equal(field, "colour");
	assert_int_equal(decode("GET", "/v1/registry?q=a&q=b", NULL, field, sizeof(field)), 400);
	assert_string_equal(field, "q");
	assert_int_equal(decode("GET", "/v1/log/proofs/consistency", NULL, field, sizeof(field)), 400);
	assert_string_equal(field, "old");
	assert_int_equal(decode("GET", "/v1/log/proofs/consistency?old=-1", NULL, field, sizeof(field)), 400);
	assert_string_equal(field, "old");
}

static void test_tile_index(void **state)
{
	uint64_t n;
	unsigned w;
	(void)state;
	assert_int_equal(srv_tile_index("000", &n, &w), 0);
	assert_true(n == 0 && w == 256);
	assert_int_equal(srv_tile_index("x001/x234/067.p/5", &n, &w), 0);
	assert_true(n == 1234067 && w == 5);
	assert_int_equal(srv_tile_index("x000/001", &n, &w), -1); /* not canonical */
	assert_int_equal(srv_tile_index("001.p/256", &n, &w), -1);
	assert_int_equal(srv_tile_index("001.p/0", &n, &w), -1);
	assert_int_equal(srv_tile_index("1", &n, &w), -1);
	assert_int_equal(srv_tile_index("x001", &n, &w), -1);
	assert_int_equal(srv_tile_index("001/", &n, &w), -1);
}

static void test_message_field(void **state)
{
	char f[64];
	(void)state;
	srv_message_field(f, sizeof(f), "targets[1]: tel:+32abc: invalid character");
	assert_string_equal(f, "targets[1]");
	srv_message_field(f, sizeof(f), "unknown field 'colour'");
	assert_string_equal(f, "colour");
	srv_message_field(f, sizeof(f), "persons[0]: unknown field 'age'");
	assert_string_equal(f, "persons[0].age");
	srv_message_field(f, sizeof(f), "line 2, column 0: end of file");
	assert_string_equal(f, "body");
	srv_message_field(f, sizeof(f), "Specific and exceptional methods must state grounds");
	assert_string_equal(f, "");
}

static void test_openapi_lists_every_route(void **state)
{
	json_t *doc = srv_openapi(), *paths = json_object_get(doc, "paths");
	size_t ops = 0;
	const char *key;
	json_t *item;
	(void)state;
	json_object_foreach(paths, key, item) ops += json_object_size(item);
	assert_int_equal(ops, srv_nroutes);
	for (size_t i = 0; i < srv_nroutes; i++) {
		char path[256], method[8];
		size_t k;
		srv_openapi_path(path, sizeof(path), srv_routes[i].pattern);
		for (k = 0; srv_routes[i].method[k]; k++)
			method[k] = (char)(srv_routes[i].method[k] + 32);
		method[k] = '\0';
		assert_non_null(json_object_get(json_object_get(paths, path), method));
		/* every query parameter the table declares is in the document, and no other */
		{
			json_t *params = json_object_get(json_object_get(json_object_get(paths, path), method), "parameters");
			size_t declared = 0, documented = 0, j;
			json_t *p;
			while (declared < SRV_ROUTE_QUERY_MAX && srv_routes[i].query[declared].name)
				declared++;
			json_array_foreach(params, j, p) if (strcmp(json_string_value(json_object_get(p, "in")), "query") == 0)
			{
				const char *name = json_string_value(json_object_get(p, "name"));
				assert_true(documented < declared);
				assert_string_equal(name, srv_routes[i].query[documented].name);
				documented++;
			}
			if (documented != declared)
				fail_msg("%s %s: %zu query parameters declared, %zu documented", srv_routes[i].method,
					 srv_routes[i].pattern, declared, documented);
		}
	}
	json_decref(doc);
}

/* ---- signatures against a live server ---------------------------------------------------------- */

/* A stand-in for principals: one key, the RFC 9421 test key, holding the requester role. */
static int test_lookup(void *ctx, const char *keyid, uint8_t pub[32], char *roles, size_t roles_len)
{
	(void)ctx;
	if (strcmp(keyid, "clerk") != 0)
		return CUSTOS_ENOTFOUND;
	memcpy(pub, rfc_pub, 32);
	snprintf(roles, roles_len, "requester");
	return 0;
}

#define J "application/json"
static unsigned port;
static char digest[CUSTOS_HTTPSIG_DIGEST_SIZE];

static const char *digest_field(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "content-digest") == 0 ? digest : NULL;
}

static char last_body[4096]; /* the whole answer to the last request sent */

/* Sends one request over a fresh connection and returns the status of the answer. */
static int send_request(const char *method, const char *path, const char *ctype, const char *body,
			const char *extra_headers)
{
	struct sockaddr_in a;
	char req[16384], resp[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0), n, status = -1;
	size_t got = 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n%s\r\n%s",
		     method, path, port, ctype, body ? strlen(body) : 0, extra_headers ? extra_headers : "", body ? body : "");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(write(fd, req, (size_t)n), n);
	while (got < sizeof(resp) - 1 && (n = (int)read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	memcpy(last_body, resp, got + 1);
	if (strncmp(resp, "HTTP/1.1 ", 9) == 0)
		status = (int)strtol(resp + 9, NULL, 10);
	return status;
}

/* The Signature-Input, Signature and Content-Digest headers of a signed request. */
static void signed_headers(char *out, size_t cap, const char *method, const char *path, const char *body,
			   const char *keyid, int64_t created)
{
	const char *covered[] = {"@method", "@authority", "@path", "content-digest"};
	char authority[32], *in = NULL, *sig = NULL;
	custos_httpsig_message m;
	snprintf(authority, sizeof(authority), "127.0.0.1:%u", port);
	custos_httpsig_content_digest(digest, body, strlen(body));
	m = (custos_httpsig_message){method, "http", authority, path, NULL, digest_field, NULL};
	assert_int_equal(custos_httpsig_sign(&in, &sig, &m, "custos", covered, 4, created, keyid, "ed25519", rfc_seed), 0);
	snprintf(out, cap, "Content-Digest: %s\r\nSignature-Input: %s\r\nSignature: %s\r\n", digest, in, sig);
	free(in);
	free(sig);
}

/* Removes a test store's files: the database, its WAL and shared memory, the log key. */
static void remove_store(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", ".log-key"};
	char f[256];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		snprintf(f, sizeof(f), "%s%s", path, suffixes[i]);
		remove(f);
	}
}

/* A new, initialised store at path (what was there is removed), open for the test to fill. */
static custos_store *fresh_store(const char *path)
{
	custos_store *st = NULL;
	remove_store(path);
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	assert_int_equal(custos_workflow_init(st, path, "test.example/log", NULL, "test"), 0);
	return st;
}

/* Server options for the store at path, on a port the system picks. */
static void options_for(custos_server_options *o, const char *path)
{
	custos_server_options_init(o);
	o->store_uri = path;
	o->port = 0;
}

/* Starts the server and points send_request at it. */
static custos_server *start(const custos_server_options *o)
{
	custos_server *srv = NULL;
	assert_int_equal(custos_server_start(&srv, o), 0);
	port = custos_server_port(srv);
	return srv;
}

static void test_signatures_on_a_live_server(void **state)
{
	custos_server_options o;
	custos_server *srv = NULL;
	custos_store *st = NULL;
	const char *demo;
	size_t demo_len;
	char h[4096];
	int64_t now = custos_clock_now();
	const char *measure = "{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"police\","
			      "\"targets\":[\"tel:+32470555101\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}";
	(void)state;
	st = fresh_store("test_server.db");
	assert_int_equal(custos_builtin_get(&demo, &demo_len, "demo/registry.jsonl"), 0);
	assert_int_equal(custos_registry_import(st, demo, demo_len, "demo", "test", NULL), 0);
	custos_store_close(st);

	options_for(&o, "test_server.db");
	o.lookup = test_lookup;
	srv = start(&o);

	/* public paths need no signature; the others do */
	assert_int_equal(send_request("GET", "/v1/log/checkpoint", J, NULL, NULL), 200);
	assert_int_equal(send_request("POST", "/v1/decide", J, measure, NULL), 401);
	/* signed by a requester; a dry run changes nothing, so the same signed request again is answered too */
	signed_headers(h, sizeof(h), "POST", "/v1/decide", measure, "clerk", now);
	assert_int_equal(send_request("POST", "/v1/decide", J, measure, h), 200);
	assert_int_equal(send_request("POST", "/v1/decide", J, measure, h), 200);
	/* a filing changes the register: accepted once, ever; its replay is refused and files nothing */
	signed_headers(h, sizeof(h), "POST", "/v1/measures", measure, "clerk", now);
	assert_int_equal(send_request("POST", "/v1/measures", J, measure, h), 201);
	assert_int_equal(send_request("POST", "/v1/measures", J, measure, h), 409);
	assert_non_null(strstr(last_body, "replayed"));
	/* stale, unknown key, another body than the one signed */
	signed_headers(h, sizeof(h), "POST", "/v1/decide", measure, "clerk", now - 1000);
	assert_int_equal(send_request("POST", "/v1/decide", J, measure, h), 401);
	signed_headers(h, sizeof(h), "POST", "/v1/decide", measure, "stranger", now);
	assert_int_equal(send_request("POST", "/v1/decide", J, measure, h), 401);
	signed_headers(h, sizeof(h), "POST", "/v1/decide", measure, "clerk", now);
	{
		char other[1024];
		snprintf(other, sizeof(other), "%s", measure);
		other[strlen(other) - 4] = '0'; /* "2026-12-30" */
		assert_int_equal(send_request("POST", "/v1/decide", J, other, h), 401);
	}
	/* a signature for another path does not carry over */
	signed_headers(h, sizeof(h), "POST", "/v1/measures", measure, "clerk", now);
	assert_int_equal(send_request("POST", "/v1/decide", J, measure, h), 401);
	/* malformed signature fields: 400 */
	assert_int_equal(send_request("GET", "/v1/measures", J, NULL, "Signature-Input: x=(\r\nSignature: x=:AAAA:\r\n"),
			 400);
	/* any principal may list measures */
	signed_headers(h, sizeof(h), "GET", "/v1/measures", "", "clerk", now);
	assert_int_equal(send_request("GET", "/v1/measures", J, NULL, h), 200);
	custos_server_stop(srv);
	remove_store("test_server.db");
}

static void test_role_refused(void **state)
{
	custos_server_options o;
	custos_server *srv = NULL;
	char h[4096];
	const char *line = "{\"id\":\"P-X\",\"category\":\"journalist\",\"selectors\":[]}\n";
	(void)state;
	custos_store_close(fresh_store("test_role.db"));
	options_for(&o, "test_role.db");
	o.lookup = test_lookup;
	srv = start(&o);
	signed_headers(h, sizeof(h), "POST", "/v1/registry", line, "clerk", custos_clock_now());
	{
		/* the registry takes JSON Lines (415 comes before the signature); a requester may not import: 403 */
		char req_headers[4200];
		snprintf(req_headers, sizeof(req_headers), "%s", h);
		assert_int_equal(send_request("POST", "/v1/registry", J, line, req_headers), 415);
		assert_int_equal(send_request("POST", "/v1/registry", "application/jsonl", line, req_headers), 403);
	}
	custos_server_stop(srv);
	remove_store("test_role.db");
}

/* A connection to the server, or -1. */
static int dial(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* GET /healthz over a fresh connection: the status, or -1 when the server closed it unanswered. */
static int healthz(void)
{
	char resp[512];
	const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	size_t got = 0;
	ssize_t n;
	int fd = dial();
	if (fd < 0)
		return -1;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		return -1;
	}
	while (got < sizeof(resp) - 1 && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	return strncmp(resp, "HTTP/1.1 ", 9) == 0 ? (int)strtol(resp + 9, NULL, 10) : -1;
}

/*
 * The connection cap holds with connections accepted by the server's own
 * thread and spread over two workers: three idle connections fill it, a
 * fourth is answered 503 before anything of it is read, and once one goes a
 * new one is served.
 */
static void test_connection_cap(void **state)
{
	custos_server_options o;
	custos_server *srv = NULL;
	int idle[3], status = -1;
	(void)state;
	custos_store_close(fresh_store("test_cap.db"));
	options_for(&o, "test_cap.db");
	o.threads = 2;
	o.max_connections = 3;
	srv = start(&o);
	assert_int_equal(healthz(), 200);
	usleep(200 * 1000); /* its connection is gone from the count */
	for (int i = 0; i < 3; i++)
		assert_true((idle[i] = dial()) >= 0);
	usleep(100 * 1000);
	assert_int_equal(healthz(), 503);
	close(idle[0]);
	for (int tries = 0; tries < 100 && status != 200; tries++) {
		usleep(20 * 1000);
		status = healthz();
	}
	assert_int_equal(status, 200);
	close(idle[1]);
	close(idle[2]);
	custos_server_stop(srv);
	remove_store("test_cap.db");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_matching),	    cmocka_unit_test(test_query_decoding),
		cmocka_unit_test(test_tile_index),	    cmocka_unit_test(test_message_field),
		cmocka_unit_test(test_openapi_lists_every_route), cmocka_unit_test(test_signatures_on_a_live_server),
		cmocka_unit_test(test_role_refused), cmocka_unit_test(test_connection_cap),
	};
	/* one instant for every date the tests read (filing times, signatures, freshness): the same on any day */
	if (custos_clock_pin("2026-11-24T09:00:00Z"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
