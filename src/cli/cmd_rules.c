/* cmd_rules.c — verbs on rule sets: check, test, load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int load(const char *dir, custos_ruleset **rs)
{
	int rc = dir ? custos_rules_load_dir(rs, dir) : custos_rules_load_builtin(rs);
	if (rc)
		cli_fail(rc, NULL);
	return rc;
}

/* Parses and type-checks a rule set, then analyses it: rules that never fire, shadowed, disagreeing. */
int cmd_rules_check(cli_ctx *ctx, int argc, char **argv)
{
	custos_ruleset *rs;
	char *analysis = NULL;
	int rc;
	if (argc > 1)
		return cli_usage(ctx, "usage: rules check [DIR]");
	if (load(argc ? argv[0] : NULL, &rs))
		return CLI_REFUSED;
	rc = custos_rules_analyse(rs, &analysis);
	if (!rc)
		printf("{\"rules\":%zu,\"rules_hash\":\"%s\",\"analysis\":%s}\n", custos_rules_count(rs),
		       custos_rules_hash(rs), analysis);
	free(analysis);
	custos_ruleset_free(rs);
	return rc ? cli_fail(rc, "rules check") : CLI_OK;
}

int cmd_rules_test(cli_ctx *ctx, int argc, char **argv)
{
	custos_ruleset *rs;
	char *report = NULL, cases[4096];
	int pass = 0, fail = 0, rc;
	if (argc > 1)
		return cli_usage(ctx, "usage: rules test [DIR]");
	if (load(argc ? argv[0] : NULL, &rs))
		return CLI_REFUSED;
	if (argc)
		snprintf(cases, sizeof(cases), "%s/cases", argv[0]);
	rc = custos_rules_test(rs, argc ? cases : NULL, &report, &pass, &fail);
	custos_ruleset_free(rs);
	if (rc)
		return cli_fail(rc, "rules test");
	fputs(report, stdout);
	printf("%d passed, %d failed\n", pass, fail);
	free(report);
	return fail ? CLI_REFUSED : CLI_OK;
}

int cmd_rules_load(cli_ctx *ctx, int argc, char **argv)
{
	custos_ruleset *rs;
	custos_store *st;
	int rc;
	if (argc != 1)
		return cli_usage(ctx, "usage: rules load DIR");
	if (load(argv[0], &rs))
		return CLI_REFUSED;
	if (cli_open_store(ctx, &st, 0)) {
		custos_ruleset_free(rs);
		return CLI_REFUSED;
	}
	rc = custos_workflow_rules_load(st, rs, argv[0], ctx->actor);
	if (!rc)
		printf("{\"rules\":%zu,\"rules_hash\":\"%s\"}\n", custos_rules_count(rs), custos_rules_hash(rs));
	custos_store_close(st);
	custos_ruleset_free(rs);
	return rc ? cli_fail(rc, "rules load") : CLI_OK;
}
