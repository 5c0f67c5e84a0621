/* nullserver.h — the floor of an HTTP benchmark: libmicrohttpd as custos runs it, answering every request with nothing. */
#ifndef CUSTOS_BENCH_NULLSERVER_H
#define CUSTOS_BENCH_NULLSERVER_H

/*
 * What this machine gives any server before custos does any work: the
 * kernel's loopback TCP, the scheduler sharing two cores between the server
 * and the load generator, and the HTTP library's own parsing. The server has
 * custos's worker threads (a pool of libmicrohttpd threads on epoll); its
 * handler reads the body and answers 200 "{}". The open loop against it, at
 * the rates custos is measured at, is the latency no change in custos can
 * go below on this machine.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>

#include "bench.h"

static enum MHD_Result null_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				    const char *version, const char *upload, size_t *upload_size, void **state)
{
	static int started;
	struct MHD_Response *r;
	enum MHD_Result rc;
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	if (!*state) {
		*state = &started;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* A null server on 127.0.0.1 with `threads` workers; *port receives its port. */
static struct MHD_Daemon *null_server_start(unsigned threads, unsigned *port)
{
	struct sockaddr_in a;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL, null_request,
			     NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_THREAD_POOL_SIZE,
			     threads > 1 ? threads : 1, MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
	if (!d || !(info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)))
		bench_die("nullserver", "cannot start libmicrohttpd");
	*port = info->port;
	return d;
}

#endif
