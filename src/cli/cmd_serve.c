/* cmd_serve.c — `custos serve`: the HTTP API on the same library as the command line, until SIGINT or SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/server.h"

/* "HOST:PORT" (IPv4); the port 0 picks a free one. */
int cli_parse_listen(const char *s, char *host, size_t cap, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long p;
	if (!colon || colon == s || (size_t)(colon - s) >= cap || !colon[1])
		return -1;
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535 || colon[1] == '-' || colon[1] == '+')
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (unsigned)p;
	return 0;
}

/* A whole number from lo to hi into *out; a usage message (and -1) otherwise. */
static int number_option(cli_ctx *ctx, const char *name, const char *arg, long lo, long hi, unsigned *out)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (!*arg || *end || n < lo || n > hi) {
		cli_usage(ctx, "%s: expected %ld to %ld, got '%s'", name, lo, hi, arg);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
	custos_server_options o;
	char host[64] = "127.0.0.1";
	int open_server = 0;

	custos_server_options_init(&o);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			if (cli_parse_listen(argv[++i], host, sizeof(host), &o.port))
				return cli_usage(ctx, "--listen: expected HOST:PORT such as 127.0.0.1:8080, got '%s'",
						 argv[i]);
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if (number_option(ctx, "--threads", argv[++i], 1, 64, &o.threads))
				return CLI_USAGE;
		} else if (strcmp(argv[i], "--max-connections") == 0 && i + 1 < argc) {
			if (number_option(ctx, "--max-connections", argv[++i], 1, 100000, &o.max_connections))
				return CLI_USAGE;
		} else if (strcmp(argv[i], "--max-per-client") == 0 && i + 1 < argc) {
			if (number_option(ctx, "--max-per-client", argv[++i], 1, 100000, &o.max_per_client))
				return CLI_USAGE;
		} else if (strcmp(argv[i], "--request-deadline") == 0 && i + 1 < argc) {
			if (number_option(ctx, "--request-deadline", argv[++i], 1, 3600, &o.request_deadline))
				return CLI_USAGE;
		} else if (strcmp(argv[i], "--authority") == 0 && i + 1 < argc) {
			o.authority = argv[++i];
			if (!*o.authority || strlen(o.authority) > 1024)
				return cli_usage(ctx, "--authority: expected NAME[:PORT][,NAME...]");
		} else if (strcmp(argv[i], "--no-sign") == 0) {
			o.no_sign = 1;
		} else if (strcmp(argv[i], "--open") == 0) {
			open_server = 1;
		} else if (strcmp(argv[i], "--routes") == 0 && argc == 1) {
			char *table = NULL;
			if (custos_server_routes(&table))
				return cli_fail(CUSTOS_ENOMEM, "serve --routes");
			fputs(table, stdout);
			free(table);
			return CLI_OK;
		} else {
			return cli_usage(ctx, "usage: serve [--listen HOST:PORT] [--threads N] [--max-connections N] "
					      "[--max-per-client N] [--request-deadline SECONDS] [--authority NAMES] [--no-sign] [--open] | "
					      "serve --routes");
		}
	}
	o.host = host;
	o.store_uri = ctx->store_uri;
	/* requests are signed by principals (RFC 9421), unless --open: then every request passes (tests, benchmarks) */
	o.principals = !open_server;

	return cli_serve(ctx, &o, open_server ? "--open: requests are not authenticated; every caller may do everything"
					      : NULL);
}

int cli_serve(cli_ctx *ctx, const custos_server_options *o, const char *note)
{
	custos_server *srv = NULL;
	sigset_t set;
	int sig = 0, rc;
	/* SIGINT and SIGTERM are taken by sigwait below, in this thread only: block them before threads start */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = custos_server_start(&srv, o)))
		return cli_fail(rc, "serve");
	{
		char shown[1024];
		custos_store_uri_shown(ctx->store_uri, shown, sizeof(shown));
		fprintf(stderr, "custos: listening on http://%s:%u/ (store %s; %u threads%s)\n", o->host,
			custos_server_port(srv), shown, o->threads, o->no_sign ? "; the log key's holder signs" : "");
	}
	if (note)
		fprintf(stderr, "custos: %s\n", note);
	fflush(stderr);
	sigwait(&set, &sig);
	fprintf(stderr, "custos: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	custos_server_stop(srv);
	return CLI_OK;
}
