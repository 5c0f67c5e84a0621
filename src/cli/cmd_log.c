/* cmd_log.c — verbs on the register (custos log ...) and the witness side (custos witness ...). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/lifecycle.h"
#include "custos/log.h"

/* Parses a decimal index or size; prints a usage error naming `what` on failure. */
static int parse_u64(const cli_ctx *ctx, const char *s, uint64_t *out, const char *what)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+') {
		cli_usage(ctx, "%s: expected a number, got '%s'", what, s ? s : "");
		return -1;
	}
	*out = strtoull(s, &end, 10);
	if (*end) {
		cli_usage(ctx, "%s: expected a number, got '%s'", what, s);
		return -1;
	}
	return 0;
}

/* Opens the store, runs fn, closes; the common shape of every log verb. */
typedef int (*log_fn)(custos_store *st, void *arg);
static int with_store(cli_ctx *ctx, log_fn fn, void *arg, const char *what)
{
	custos_store *st;
	int rc;
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = fn(st, arg);
	custos_store_close(st);
	return rc ? cli_fail(rc, what) : CLI_OK;
}

/* Prints text if rc is 0, frees it either way, returns rc. */
static int print_owned(int rc, char *text)
{
	if (!rc)
		fputs(text, stdout);
	free(text);
	return rc;
}

static int do_checkpoint(custos_store *st, void *arg)
{
	char *note = NULL;
	int rc = custos_log_checkpoint(st, &note);
	(void)arg;
	return print_owned(rc, note);
}

int cmd_log_checkpoint(cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage(ctx, "log checkpoint takes no arguments");
	return with_store(ctx, do_checkpoint, NULL, "log checkpoint");
}

static int do_vkey(custos_store *st, void *arg)
{
	char *vkey = NULL;
	int rc = arg ? custos_witness_vkey(st, &vkey) : custos_log_vkey(st, &vkey);
	if (!rc)
		printf("%s\n", vkey);
	free(vkey);
	return rc;
}

int cmd_log_vkey(cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage(ctx, "log vkey takes no arguments");
	return with_store(ctx, do_vkey, NULL, "log vkey");
}

int cmd_witness_vkey(cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage(ctx, "witness vkey takes no arguments");
	return with_store(ctx, do_vkey, ctx, "witness vkey");
}

static int do_entry(custos_store *st, void *arg)
{
	char *bytes = NULL;
	size_t len = 0;
	int rc = custos_log_entry(st, *(uint64_t *)arg, &bytes, &len);
	if (!rc)
		fwrite(bytes, 1, len, stdout);
	free(bytes);
	return rc;
}

int cmd_log_entry(cli_ctx *ctx, int argc, char **argv)
{
	uint64_t n;
	if (argc != 1)
		return cli_usage(ctx, "usage: log entry N");
	if (parse_u64(ctx, argv[0], &n, "log entry"))
		return CLI_USAGE;
	return with_store(ctx, do_entry, &n, "log entry");
}

typedef struct {
	uint64_t a, b;
	int consistency;
} proof_args;

static int do_proof(custos_store *st, void *arg)
{
	proof_args *p = arg;
	custos_hash *proof = NULL;
	size_t n = 0;
	char *text = NULL;
	int rc = p->consistency ? custos_log_consistency(st, p->a, p->b, &proof, &n)
				: custos_log_prove(st, p->a, p->b, &proof, &n);
	if (!rc) {
		rc = custos_log_format_proof(&text, proof, n);
		rc = print_owned(rc, text);
	}
	free(proof);
	return rc;
}

int cmd_log_prove(cli_ctx *ctx, int argc, char **argv)
{
	proof_args p = {0, 0, 0};
	if (argc == 3 && strcmp(argv[1], "--size") == 0) {
		if (parse_u64(ctx, argv[2], &p.b, "--size") || p.b == 0)
			return p.b == 0 ? cli_usage(ctx, "--size: must be at least 1") : CLI_USAGE;
	} else if (argc != 1) {
		return cli_usage(ctx, "usage: log prove N [--size S]");
	}
	if (parse_u64(ctx, argv[0], &p.a, "log prove"))
		return CLI_USAGE;
	return with_store(ctx, do_proof, &p, "log prove");
}

int cmd_log_consistency(cli_ctx *ctx, int argc, char **argv)
{
	proof_args p = {0, 0, 1};
	if (argc < 1 || argc > 2)
		return cli_usage(ctx, "usage: log consistency OLD [NEW]");
	if (parse_u64(ctx, argv[0], &p.a, "OLD") || (argc == 2 && parse_u64(ctx, argv[1], &p.b, "NEW")))
		return CLI_USAGE;
	if (argc == 2 && p.b == 0)
		return cli_usage(ctx, "NEW: must be at least 1");
	return with_store(ctx, do_proof, &p, "log consistency");
}

static int do_verify(custos_store *st, void *arg)
{
	uint64_t checked = 0, signatures = 0, rows = 0;
	/* the log, every approval's and authorisation's signature again, every projection against the replay */
	int rc = custos_workflow_verify(st, &checked, &signatures, &rows);
	(void)arg;
	if (!rc)
		printf("{\"verified\":true,\"events\":%" PRIu64 ",\"signatures\":%" PRIu64 ",\"rows\":%" PRIu64 "}\n",
		       checked, signatures, rows);
	return rc;
}

int cmd_log_verify(cli_ctx *ctx, int argc, char **argv)
{
	if (argc)
		return cli_usage(ctx, "log verify takes no arguments");
	ctx->unpinned = 1; /* a store behind its signed checkpoint is what verify reports */
	return with_store(ctx, do_verify, NULL, "log verify: TAMPERING DETECTED");
}

/* The tiles, the checkpoint, and beside them the signed revocation list of authorisations. */
static int do_tiles(custos_store *st, void *arg)
{
	int rc = custos_log_tiles(st, arg);
	return rc ? rc : custos_revocations_publish(st, arg);
}

int cmd_log_tiles(cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage(ctx, "usage: log tiles DIR");
	return with_store(ctx, do_tiles, argv[0], "log tiles");
}

static int do_receipt(custos_store *st, void *arg)
{
	char *text = NULL;
	int rc = custos_log_receipt(st, *(uint64_t *)arg, &text);
	return print_owned(rc, text);
}

int cmd_log_receipt(cli_ctx *ctx, int argc, char **argv)
{
	uint64_t n;
	if (argc != 1)
		return cli_usage(ctx, "usage: log receipt N");
	if (parse_u64(ctx, argv[0], &n, "log receipt"))
		return CLI_USAGE;
	return with_store(ctx, do_receipt, &n, "log receipt");
}

typedef struct {
	uint64_t index;
	const char *reason, *actor;
} erase_args;

static int do_erase(custos_store *st, void *arg)
{
	erase_args *e = arg;
	int64_t at = -1;
	int rc = custos_workflow_erase(st, e->index, e->reason, e->actor, &at);
	if (!rc)
		printf("{\"erased\":%" PRIu64 ",\"log_index\":%lld}\n", e->index, (long long)at);
	return rc;
}

int cmd_log_erase(cli_ctx *ctx, int argc, char **argv)
{
	erase_args e = {0, NULL, ctx->actor};
	if (argc != 3 || strcmp(argv[1], "--reason") != 0)
		return cli_usage(ctx, "usage: log erase N --reason TEXT");
	if (parse_u64(ctx, argv[0], &e.index, "log erase"))
		return CLI_USAGE;
	e.reason = argv[2];
	return with_store(ctx, do_erase, &e, "log erase");
}

static int do_add_witness(custos_store *st, void *arg)
{
	return custos_log_witness_add(st, arg);
}

int cmd_log_add_witness(cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage(ctx, "usage: log add-witness VKEY");
	return with_store(ctx, do_add_witness, argv[0], "log add-witness");
}

typedef struct {
	const char *text;
	size_t len;
} text_arg;

static int do_add_cosig(custos_store *st, void *arg)
{
	text_arg *t = arg;
	size_t stored = 0;
	int rc = custos_log_cosignature_add(st, t->text, t->len, &stored);
	if (!rc)
		printf("{\"cosignatures\":%zu}\n", stored);
	return rc;
}

int cmd_log_add_cosignature(cli_ctx *ctx, int argc, char **argv)
{
	text_arg t;
	char *text;
	int status;
	if (argc != 1)
		return cli_usage(ctx, "usage: log add-cosignature FILE");
	if (cli_read_input(argv[0], 1u << 20, &text, &t.len))
		return CLI_REFUSED;
	t.text = text;
	status = with_store(ctx, do_add_cosig, &t, "log add-cosignature");
	free(text);
	return status;
}

static int do_request(custos_store *st, void *arg)
{
	char *text = NULL;
	int rc = custos_log_witness_request(st, *(uint64_t *)arg, &text);
	return print_owned(rc, text);
}

int cmd_log_witness_request(cli_ctx *ctx, int argc, char **argv)
{
	uint64_t old = 0;
	if (argc > 1 || (argc == 1 && parse_u64(ctx, argv[0], &old, "OLD")))
		return argc > 1 ? cli_usage(ctx, "usage: log witness-request [OLD]") : CLI_USAGE;
	return with_store(ctx, do_request, &old, "log witness-request");
}

static int do_add_log(custos_store *st, void *arg)
{
	return custos_witness_add_log(st, arg);
}

int cmd_witness_add_log(cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage(ctx, "usage: witness add-log VKEY");
	return with_store(ctx, do_add_log, argv[0], "witness add-log");
}

int cmd_witness_add_checkpoint(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *body = NULL, *response = NULL;
	size_t len;
	int rc, status = 0;
	if (argc > 1)
		return cli_usage(ctx, "usage: witness add-checkpoint [FILE]");
	if (cli_read_input(argc ? argv[0] : "-", 1u << 20, &body, &len))
		return CLI_REFUSED;
	if (cli_open_store(ctx, &st, 0)) {
		free(body);
		return CLI_REFUSED;
	}
	rc = custos_witness_handle(st, body, len, &response, &status);
	custos_store_close(st);
	free(body);
	if (rc) {
		char what[64];
		snprintf(what, sizeof(what), "witness add-checkpoint: refused (%d)", status);
		if (response)
			fputs(response, stdout); /* 409: the witness's size */
		free(response);
		return cli_fail(rc, what);
	}
	fputs(response, stdout);
	free(response);
	return CLI_OK;
}
