/* main.c — the custos command line: global options and the one verb table that drives dispatch. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/log.h"

static const cli_verb verbs[] = {
	{NULL, "init", cmd_init, "[--origin O] [--key FILE]", "create the store, the log key, load the Belgian rules"},
	{"registry", "import", cmd_registry_import, "FILE", "import parties (JSON Lines; all or nothing)"},
	{"registry", "export", cmd_registry_export, "", "print every party as canonical JSON Lines"},
	{"registry", "show", cmd_registry_show, "ID", "print one party"},
	{NULL, "screen", cmd_screen, "[--date D] SELECTOR... | --stream [--date D] [--redact]",
	 "which protected parties selectors touch"},
	{"rules", "check", cmd_rules_check, "[DIR]", "parse and type-check a rule set (default: built-in)"},
	{"rules", "test", cmd_rules_test, "[DIR]", "run a rule set's cases (DIR/cases/*.json)"},
	{"rules", "load", cmd_rules_load, "DIR", "put a checked rule set in force in the store"},
	{"measure", "file", cmd_measure_file, "FILE [--key K]", "decide and record a measure; print the decision"},
	{"measure", "show", cmd_measure_show, "ID", "a measure with its decision, state and life"},
	{"measure", "list", cmd_measure_list, "[--state S] [--role R]", "measures (waiting for role R), one a line"},
	{"measure", "revoke", cmd_measure_revoke, "ID --key K --reason T", "comite_r stops a measure"},
	{"measure", "extend", cmd_measure_extend, "ID --key K --until D", "ask for a longer window (new decision)"},
	{"measure", "end", cmd_measure_end, "ID --key K [--reason T]", "the requesting authority ends its measure"},
	{NULL, "approve", cmd_approve, "ID --role R --key K [--confirm F,..] [--refuse --reason T]",
	 "sign an approval, refusal (or --acknowledge)"},
	{"key", "generate", cmd_key_generate, "FILE [--name N]", "new Ed25519 key file (0600); prints its public key"},
	{"principal", "add", cmd_principal_add, "ID --name N --authority A --role R... --pubkey K",
	 "register who may sign"},
	{"principal", "list", cmd_principal_list, "", "every principal, one JSON object a line"},
	{"principal", "revoke", cmd_principal_revoke, "ID [--reason T]", "the principal signs nothing more"},
	{"authorization", "show", cmd_authorization_show, "ID", "the signed authorisation token"},
	{"authorization", "verify", cmd_authorization_verify,
	 "TOKEN [--vkey K] [--revocations F] [--max-age 1h] [--date D]", "check a token offline (exit 3: revocation unchecked)"},
	{"authorization", "revocations", cmd_authorization_revocations, "", "the signed revocation list"},
	{NULL, "events", cmd_events, "", "the append-only events, one JSON object a line"},
	{"store", "rebuild", cmd_store_rebuild, "", "verify the log, then fold every table again from it"},
	{"store", "dump", cmd_store_dump, "", "every row of every table folded from the log, one JSON object a line"},
	{"store", "copy", cmd_store_copy, "FROM TO", "copy a store into an empty one (SQLite or PostgreSQL) by its log; verify"},
	{"log", "checkpoint", cmd_log_checkpoint, "", "the latest signed checkpoint and its cosignatures"},
	{"log", "vkey", cmd_log_vkey, "", "the log's verifier key (name+hash+base64)"},
	{"log", "entry", cmd_log_entry, "N", "the exact bytes of leaf N"},
	{"log", "prove", cmd_log_prove, "N [--size S]", "inclusion proof: base64 hashes, leaf sibling first"},
	{"log", "consistency", cmd_log_consistency, "OLD [NEW]", "consistency proof, same format"},
	{"log", "verify", cmd_log_verify, "", "recompute everything; name the first bad index"},
	{"log", "receipt", cmd_log_receipt, "N", "a C2SP tlog-proof receipt for leaf N"},
	{"log", "tiles", cmd_log_tiles, "DIR", "write C2SP tlog-tiles and the checkpoint under DIR"},
	{"log", "erase", cmd_log_erase, "N --reason T", "erase the payload of event N (proofs stay valid)"},
	{"log", "add-witness", cmd_log_add_witness, "VKEY", "accept cosignatures from this witness"},
	{"log", "add-cosignature", cmd_log_add_cosignature, "FILE", "store a witness's cosignature"},
	{"log", "witness-request", cmd_log_witness_request, "[OLD]", "the add-checkpoint request for a witness"},
	{"witness", "vkey", cmd_witness_vkey, "", "this store's witness key (cosignature/v1)"},
	{"witness", "add-log", cmd_witness_add_log, "VKEY", "witness the log with this key"},
	{"witness", "add-checkpoint", cmd_witness_add_checkpoint, "[FILE]", "C2SP tlog-witness: cosign a checkpoint"},
	{"gate", "openli", cmd_gate_openli, "--listen H:P --upstream URL [--api-key-file F] [--allow-config]",
	 "the only client of OpenLI's provisioner: intercepts pass with a token"},
	{"gate", "intercepts", cmd_gate_intercepts, "[MEASURE]", "the intercepts the gate provisioned, one JSON object a line"},
	{"audit", "openli", cmd_audit_openli, "FILE|URL [--api-key-file F]",
	 "what OpenLI runs against the register; exit 1 on findings"},
	{NULL, "serve", cmd_serve, "[--listen 127.0.0.1:8080] [--threads N]", "the HTTP API (see docs/API.md)"},
	{NULL, "demo", cmd_demo, "[--json]", "init, a demo registry, and the situations S1-S7 decided"},
};

static void print_help(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--store PATH|postgresql://...] VERB ...\n\n", prog);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s%s%s", verbs[i].group ? verbs[i].group : "", verbs[i].group ? " " : "",
			 verbs[i].verb);
		fprintf(f, "  %-22s %-28s %s\n", name, verbs[i].args, verbs[i].help);
	}
	fprintf(f, "\nThe store also comes from $CUSTOS_STORE (default ./custos.db).\n"
		   "$CUSTOS_NOW sets the clock: an instant (2026-11-24T09:00:00Z) where it stands still, or a shift\n"
		   "of the system clock (+400d, -2h, +90s).\n"
		   "Exit status: 0 success (a decision of any outcome), 1 refused or invalid input, 2 usage;\n"
		   "3 from 'authorization verify': the token is valid but its revocation was not checked.\n");
}

int cli_fail(int rc, const char *what)
{
	const char *msg = custos_error_last();
	fprintf(stderr, "custos: %s%s%s\n", what ? what : "", what && *msg ? ": " : "", msg);
	return rc == CUSTOS_OK ? CLI_OK : CLI_REFUSED;
}

int cli_usage(const cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", ctx->prog);
	return CLI_USAGE;
}

int cli_open_store(cli_ctx *ctx, custos_store **out, int create)
{
	int rc = custos_store_open(out, ctx->store_uri, create);
	if (rc) {
		cli_fail(rc, NULL);
		return rc;
	}
	if (!create && !ctx->unpinned && (rc = custos_log_check_pinned(*out))) {
		cli_fail(rc, "the store is not what custos signed; nothing done (see 'custos log verify')");
		custos_store_close(*out);
		*out = NULL;
	}
	return rc;
}

/* Reads all of f (at most max bytes) into a NUL-terminated buffer. */
static int read_stream(FILE *f, const char *name, size_t max, char **out, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap + 1);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb;
			if (cap >= max) {
				free(buf);
				fprintf(stderr, "custos: %s: larger than %zu bytes\n", name, max);
				return CUSTOS_ELIMIT;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (!buf) {
		fprintf(stderr, "custos: out of memory\n");
		return CUSTOS_ENOMEM;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int cli_read_input(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f;
	int rc;
	if (strcmp(path, "-") == 0)
		return read_stream(stdin, "standard input", max, out, len);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "custos: %s: cannot open\n", path);
		return CUSTOS_ENOTFOUND;
	}
	rc = read_stream(f, path, max, out, len);
	fclose(f);
	return rc;
}

int cli_print_line(json_t *value)
{
	char *s = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(value);
	if (!s)
		return CUSTOS_ENOMEM;
	puts(s);
	free(s);
	return 0;
}

void cli_print_json(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
	fputs(s ? s : json, stdout);
	fputc('\n', stdout);
	free(s);
	json_decref(v);
}

/* A verb's output that did not reach standard output (a full disk, a file size limit) is an error, said so. */
static int finish(int status)
{
	if (status == CLI_REFUSED || status == CLI_USAGE || (fflush(stdout) == 0 && !ferror(stdout)))
		return status; /* a verb that failed said why already */
	fprintf(stderr, "custos: standard output: %s (the output is incomplete)\n", strerror(errno ? errno : EIO));
	return status == CLI_OK ? CLI_REFUSED : status;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {NULL, NULL, "custos", 0};
	const char *flag_store = NULL;
	int i = 1;

	/*
	 * A file grown past its limit (ulimit -f) makes write() fail with EFBIG instead of killing custos with
	 * SIGXFSZ, so a command that has committed still reports what it did (a filing, its id), and a write
	 * that fails is an error with a message, not a silent death.
	 */
	signal(SIGXFSZ, SIG_IGN);
	ctx.actor = getenv("CUSTOS_ACTOR");
	if (!ctx.actor || !*ctx.actor)
		ctx.actor = getenv("USER");
	if (!ctx.actor || !*ctx.actor)
		ctx.actor = "cli";
	/* the clock: $CUSTOS_NOW stands it still at an instant or shifts the system clock (custos_clock_pin) */
	if (custos_clock_pin(getenv("CUSTOS_NOW")))
		return cli_usage(&ctx, "CUSTOS_NOW: %s", custos_error_last());
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			flag_store = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--store=", 8) == 0) {
			flag_store = argv[i++] + 8;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			print_help(stdout, ctx.prog);
			return CLI_OK;
		} else {
			return cli_usage(&ctx, "unknown option '%s'", argv[i]);
		}
	}
	ctx.store_uri = custos_store_default_uri(flag_store);
	if (i >= argc) {
		print_help(stderr, ctx.prog);
		return CLI_USAGE;
	}
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		const cli_verb *v = &verbs[k];
		if (v->group) {
			if (strcmp(argv[i], v->group) != 0)
				continue;
			if (i + 1 >= argc)
				return cli_usage(&ctx, "'%s' needs a verb", v->group);
			if (strcmp(argv[i + 1], v->verb) != 0)
				continue;
			return finish(v->run(&ctx, argc - i - 2, argv + i + 2));
		}
		if (strcmp(argv[i], v->verb) == 0)
			return finish(v->run(&ctx, argc - i - 1, argv + i + 1));
	}
	if (i + 1 < argc)
		return cli_usage(&ctx, "unknown command '%s %s'", argv[i], argv[i + 1]);
	return cli_usage(&ctx, "unknown command '%s'", argv[i]);
}
