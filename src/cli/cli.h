/* cli.h — shared declarations of the custos command-line tool (a thin face on libcustos). */
#ifndef CUSTOS_CLI_H
#define CUSTOS_CLI_H

#include <stddef.h>

#include "custos/error.h"
#include "custos/measure.h"
#include "custos/registry.h"
#include "custos/rules.h"
#include "custos/store.h"
#include "custos/workflow.h"

/* Exit statuses of DESIGN.md §4, and 3: a token is valid but its revocation was not checked. */
enum { CLI_OK = 0, CLI_REFUSED = 1, CLI_USAGE = 2, CLI_UNCHECKED = 3 };

/* Options common to every verb. */
typedef struct cli_ctx {
	const char *store_uri;
	const char *actor; /* who runs the command: $CUSTOS_ACTOR or $USER */
	const char *prog;
	int unpinned; /* open without checking the store against its signed checkpoint (log verify reports it) */
} cli_ctx;

/* A verb handler gets the arguments after its name. */
typedef int (*cli_handler)(cli_ctx *ctx, int argc, char **argv);

/* One row of the verb table: "registry import" is group "registry", verb "import". */
typedef struct cli_verb {
	const char *group; /* NULL for a top-level verb */
	const char *verb;
	cli_handler run;
	const char *args;
	const char *help;
} cli_verb;

/* Prints "custos: <what>: <library message>" and returns the exit status for rc. */
int cli_fail(int rc, const char *what);
/* Prints a usage error and returns CLI_USAGE. */
int cli_usage(const cli_ctx *ctx, const char *fmt, ...);
/*
 * Opens the context's store (create: for init and demo). Prints the error. A store behind the checkpoint
 * custos signed (rolled back) is refused (custos_log_check_pinned), unless ctx->unpinned.
 */
int cli_open_store(cli_ctx *ctx, custos_store **out, int create);
/* Reads a file, or standard input for "-". Prints the error. */
int cli_read_input(const char *path, size_t max, char **out, size_t *len);
/* Writes one JSON value as one compact line and releases it (a JSON Lines record). */
struct json_t;
int cli_print_line(struct json_t *value);
/* Writes a JSON text (compact input) pretty-printed, with a final newline. */
void cli_print_json(const char *json);
/* "HOST:PORT" (IPv4) into host and *port; -1 if it is not one. */
int cli_parse_listen(const char *s, char *host, size_t cap, unsigned *port);

int cmd_init(cli_ctx *ctx, int argc, char **argv);
int cmd_gate_openli(cli_ctx *ctx, int argc, char **argv);
int cmd_gate_intercepts(cli_ctx *ctx, int argc, char **argv);
int cmd_audit_openli(cli_ctx *ctx, int argc, char **argv);
int cmd_registry_import(cli_ctx *ctx, int argc, char **argv);
int cmd_registry_export(cli_ctx *ctx, int argc, char **argv);
int cmd_registry_show(cli_ctx *ctx, int argc, char **argv);
int cmd_screen(cli_ctx *ctx, int argc, char **argv);
int cmd_rules_check(cli_ctx *ctx, int argc, char **argv);
int cmd_rules_test(cli_ctx *ctx, int argc, char **argv);
int cmd_rules_load(cli_ctx *ctx, int argc, char **argv);
int cmd_measure_file(cli_ctx *ctx, int argc, char **argv);
int cmd_measure_show(cli_ctx *ctx, int argc, char **argv);
int cmd_measure_list(cli_ctx *ctx, int argc, char **argv);
int cmd_measure_revoke(cli_ctx *ctx, int argc, char **argv);
int cmd_measure_extend(cli_ctx *ctx, int argc, char **argv);
int cmd_measure_end(cli_ctx *ctx, int argc, char **argv);
int cmd_approve(cli_ctx *ctx, int argc, char **argv);
int cmd_key_generate(cli_ctx *ctx, int argc, char **argv);
int cmd_principal_add(cli_ctx *ctx, int argc, char **argv);
int cmd_principal_list(cli_ctx *ctx, int argc, char **argv);
int cmd_principal_revoke(cli_ctx *ctx, int argc, char **argv);
int cmd_authorization_show(cli_ctx *ctx, int argc, char **argv);
int cmd_authorization_verify(cli_ctx *ctx, int argc, char **argv);
int cmd_authorization_revocations(cli_ctx *ctx, int argc, char **argv);
int cmd_events(cli_ctx *ctx, int argc, char **argv);
int cmd_store_rebuild(cli_ctx *ctx, int argc, char **argv);
int cmd_store_dump(cli_ctx *ctx, int argc, char **argv);
int cmd_store_copy(cli_ctx *ctx, int argc, char **argv);
int cmd_demo(cli_ctx *ctx, int argc, char **argv);
int cmd_serve(cli_ctx *ctx, int argc, char **argv);
int cmd_log_checkpoint(cli_ctx *ctx, int argc, char **argv);
int cmd_log_vkey(cli_ctx *ctx, int argc, char **argv);
int cmd_log_entry(cli_ctx *ctx, int argc, char **argv);
int cmd_log_prove(cli_ctx *ctx, int argc, char **argv);
int cmd_log_consistency(cli_ctx *ctx, int argc, char **argv);
int cmd_log_verify(cli_ctx *ctx, int argc, char **argv);
int cmd_log_tiles(cli_ctx *ctx, int argc, char **argv);
int cmd_log_receipt(cli_ctx *ctx, int argc, char **argv);
int cmd_log_erase(cli_ctx *ctx, int argc, char **argv);
int cmd_log_add_witness(cli_ctx *ctx, int argc, char **argv);
int cmd_log_add_cosignature(cli_ctx *ctx, int argc, char **argv);
int cmd_log_witness_request(cli_ctx *ctx, int argc, char **argv);
int cmd_witness_vkey(cli_ctx *ctx, int argc, char **argv);
int cmd_witness_add_log(cli_ctx *ctx, int argc, char **argv);
int cmd_witness_add_checkpoint(cli_ctx *ctx, int argc, char **argv);

/* Serves the HTTP API with options o until SIGINT or SIGTERM (note: one more line for the operator, or NULL). */
struct custos_server_options;
int cli_serve(cli_ctx *ctx, const struct custos_server_options *o, const char *note);

/* Prints a decision for a person to read (the demo; `measure show --text`). */
void cli_print_decision_text(const char *decision_json);

#endif
