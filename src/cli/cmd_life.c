/* cmd_life.c — verbs of the life of a measure: keys, principals, approve, revoke/extend/end, authorisations. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/lifecycle.h"
#include "custos/log.h"

/* Options of the form --name VALUE; a flag (no value) when its name is in `flags`. */
typedef struct {
	const char *name;
	const char *value;
	int is_flag;
	int seen;
} cli_opt;

/* Parses argv into opts and positional args; returns -1 on an unknown or incomplete option. */
static int parse_opts(cli_opt *opts, size_t nopts, int argc, char **argv, char **pos, int *npos, int maxpos,
		      const char **bad)
{
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		size_t k;
		if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
			if (*npos >= maxpos) {
				*bad = argv[i];
				return -1;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		for (k = 0; k < nopts && strcmp(argv[i] + 2, opts[k].name) != 0; k++)
			;
		if (k == nopts || (!opts[k].is_flag && i + 1 >= argc)) {
			*bad = argv[i];
			return -1;
		}
		opts[k].seen++;
		if (!opts[k].is_flag)
			opts[k].value = argv[++i];
	}
	return 0;
}

static int print_and_free(char *json)
{
	cli_print_json(json);
	free(json);
	return CLI_OK;
}

/* ---- key generate ---------------------------------------------------------------------- */

int cmd_key_generate(cli_ctx *ctx, int argc, char **argv)
{
	cli_opt opts[] = {{"name", NULL, 0, 0}};
	char *pos[1], *vkey = NULL;
	const char *bad = NULL, *name;
	int npos, rc;
	if (parse_opts(opts, 1, argc, argv, pos, &npos, 1, &bad) || npos != 1)
		return cli_usage(ctx, "usage: key generate FILE [--name NAME]");
	name = opts[0].value;
	if (!name) {
		/* the file's base name, without its extension */
		static char base[128];
		const char *s = strrchr(pos[0], '/');
		size_t n;
		s = s ? s + 1 : pos[0];
		n = strcspn(s, ".");
		snprintf(base, sizeof(base), "%.*s", (int)(n < sizeof(base) ? n : sizeof(base) - 1), s);
		name = base;
	}
	if ((rc = custos_keyfile_generate(pos[0], name, &vkey)))
		return cli_fail(rc, "key generate");
	puts(vkey);
	free(vkey);
	return CLI_OK;
}

/* ---- principals -------------------------------------------------------------------------- */

int cmd_principal_add(cli_ctx *ctx, int argc, char **argv)
{
	custos_principal p;
	custos_store *st;
	char *pos[1], *roles[32], *json = NULL;
	const char *bad = NULL;
	int npos = 0, rc, nroles = 0;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--role") == 0 && i + 1 < argc) {
			/* --role R... : every following word up to the next option */
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
				if (nroles == 32)
					return cli_usage(ctx, "at most 32 roles");
				roles[nroles++] = argv[++i];
			}
		} else if (strcmp(a, "--name") == 0 && i + 1 < argc) {
			p.name = argv[++i];
		} else if (strcmp(a, "--authority") == 0 && i + 1 < argc) {
			p.authority = argv[++i];
		} else if (strcmp(a, "--pubkey") == 0 && i + 1 < argc) {
			p.pubkey = argv[++i];
		} else if (strncmp(a, "--", 2) != 0 && npos == 0) {
			pos[npos++] = argv[i];
		} else {
			bad = a;
			break;
		}
	}
	if (bad || npos != 1 || !p.name || !p.authority || !p.pubkey || nroles == 0)
		return cli_usage(ctx, "usage: principal add ID --name N --authority A --role R... --pubkey K%s%s",
				 bad ? "; unexpected " : "", bad ? bad : "");
	p.id = pos[0];
	p.roles = roles;
	p.nroles = (size_t)nroles;
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_principal_add(st, &p, ctx->actor);
	if (!rc) {
		custos_principal got;
		if (!(rc = custos_principal_get(st, p.id, &got))) {
			rc = custos_principal_encode(&json, &got);
			custos_principal_dispose(&got);
		}
	}
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "principal add: nothing stored");
	puts(json);
	free(json);
	return CLI_OK;
}

static int list_principal(void *ctx, const custos_principal *p)
{
	char *json = NULL;
	int rc = custos_principal_encode(&json, p);
	(void)ctx;
	if (!rc)
		puts(json);
	free(json);
	return rc;
}

int cmd_principal_list(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	int rc;
	(void)argv;
	if (argc)
		return cli_usage(ctx, "principal list takes no arguments");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_principal_each(st, list_principal, NULL);
	custos_store_close(st);
	return rc ? cli_fail(rc, "principal list") : CLI_OK;
}

int cmd_principal_revoke(cli_ctx *ctx, int argc, char **argv)
{
	cli_opt opts[] = {{"reason", NULL, 0, 0}};
	custos_store *st;
	char *pos[1];
	const char *bad = NULL;
	int npos, rc;
	if (parse_opts(opts, 1, argc, argv, pos, &npos, 1, &bad) || npos != 1)
		return cli_usage(ctx, "usage: principal revoke ID [--reason T]");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_principal_revoke(st, pos[0], opts[0].value, ctx->actor);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "principal revoke");
	printf("{\"revoked\":\"%s\"}\n", pos[0]);
	return CLI_OK;
}

/* ---- statements ----------------------------------------------------------------------------- */

/* Signs `action` on measure id with the key file and submits it; prints the measure's life. */
static int act(cli_ctx *ctx, const char *id, custos_action action, const char *role, const char *reason,
	       const char *until, const char *keyfile, const char *what, int print_only, const char *confirm)
{
	custos_signer *key = NULL;
	custos_store *st;
	char *result = NULL, msg[256];
	int rc;
	if ((rc = custos_keyfile_load(keyfile, &key)))
		return cli_fail(rc, what);
	if (cli_open_store(ctx, &st, 0)) {
		custos_signer_free(key);
		return CLI_REFUSED;
	}
	if (confirm)
		rc = custos_measure_approve(st, id, role, confirm, print_only, key, ctx->actor, &result);
	else if (print_only)
		rc = custos_measure_statement(st, id, action, role, reason, until, key, &result);
	else
		rc = custos_measure_act(st, id, action, role, reason, until, key, ctx->actor, &result);
	custos_store_close(st);
	custos_signer_free(key);
	if (!rc && print_only) {
		fputs(result, stdout);
		free(result);
		return CLI_OK;
	}
	snprintf(msg, sizeof(msg), "%s %s: refused, nothing changed", what, id);
	if (rc)
		return cli_fail(rc, msg);
	return print_and_free(result);
}

int cmd_approve(cli_ctx *ctx, int argc, char **argv)
{
	cli_opt opts[] = {{"role", NULL, 0, 0},	      {"key", NULL, 0, 0},	   {"refuse", NULL, 1, 0},
			  {"acknowledge", NULL, 1, 0}, {"reason", NULL, 0, 0}, {"statement", NULL, 0, 0},
			  {"print", NULL, 1, 0},	      {"confirm", NULL, 0, 0}};
	char *pos[1];
	const char *bad = NULL;
	int npos;
	if (parse_opts(opts, 8, argc, argv, pos, &npos, 1, &bad))
		goto usage;
	if (opts[5].value) {
		/* a statement signed elsewhere (a browser, another tool) */
		custos_store *st;
		char *text = NULL, *result = NULL;
		size_t len;
		int rc;
		if (npos || opts[0].value || opts[1].value || opts[2].seen || opts[3].seen || opts[4].value ||
		    opts[6].seen || opts[7].value)
			goto usage;
		if (cli_read_input(opts[5].value, 1u << 20, &text, &len))
			return CLI_REFUSED;
		if (cli_open_store(ctx, &st, 0)) {
			free(text);
			return CLI_REFUSED;
		}
		rc = custos_statement_submit(st, text, len, ctx->actor, &result);
		custos_store_close(st);
		free(text);
		if (rc)
			return cli_fail(rc, "approve: statement refused, nothing changed");
		return print_and_free(result);
	}
	if (npos != 1 || !opts[0].value || !opts[1].value || (opts[2].seen && opts[3].seen) ||
	    (opts[4].value && !opts[2].seen))
		goto usage;
	if (opts[2].seen && !opts[4].value)
		return cli_usage(ctx, "a refusal needs --reason T");
	if (opts[7].value && (opts[2].seen || opts[3].seen))
		return cli_usage(ctx, "--confirm: only an approval confirms asserted facts");
	return act(ctx, pos[0],
		   opts[2].seen	  ? CUSTOS_ACT_REFUSE
		   : opts[3].seen ? CUSTOS_ACT_ACKNOWLEDGE
				  : CUSTOS_ACT_APPROVE,
		   opts[0].value, opts[4].value, NULL, opts[1].value, "approve", opts[6].seen, opts[7].value);
usage:
	return cli_usage(ctx, "usage: approve ID --role R --key FILE [--refuse --reason T | --acknowledge | --confirm "
			      "FLAG[@PARTY],...|none] [--print]"
			      " | approve --statement FILE%s%s",
			 bad ? "; unexpected " : "", bad ? bad : "");
}

static int stop_verb(cli_ctx *ctx, int argc, char **argv, custos_action action, const char *name)
{
	cli_opt opts[] = {{"key", NULL, 0, 0}, {"reason", NULL, 0, 0}, {"role", NULL, 0, 0}, {"until", NULL, 0, 0}};
	char *pos[1];
	const char *bad = NULL;
	int npos;
	int extend = action == CUSTOS_ACT_EXTEND;
	if (parse_opts(opts, 4, argc, argv, pos, &npos, 1, &bad) || npos != 1 || !opts[0].value ||
	    (!extend && opts[3].value) || (extend && !opts[3].value) || (action == CUSTOS_ACT_REVOKE && !opts[1].value))
		return cli_usage(ctx, "usage: measure %s ID --key FILE %s[--role R]", name,
				 extend				 ? "--until YYYY-MM-DD [--reason T] "
				 : action == CUSTOS_ACT_REVOKE ? "--reason T "
								 : "[--reason T] ");
	return act(ctx, pos[0], action, opts[2].value, opts[1].value, opts[3].value, opts[0].value, name, 0, NULL);
}

int cmd_measure_revoke(cli_ctx *ctx, int argc, char **argv)
{
	return stop_verb(ctx, argc, argv, CUSTOS_ACT_REVOKE, "revoke");
}

int cmd_measure_end(cli_ctx *ctx, int argc, char **argv)
{
	return stop_verb(ctx, argc, argv, CUSTOS_ACT_END, "end");
}

int cmd_measure_extend(cli_ctx *ctx, int argc, char **argv)
{
	return stop_verb(ctx, argc, argv, CUSTOS_ACT_EXTEND, "extend");
}

/* ---- authorisations --------------------------------------------------------------------------- */

int cmd_authorization_show(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *token = NULL;
	int rc;
	if (argc != 1)
		return cli_usage(ctx, "usage: authorization show ID");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_authorization_get(st, argv[0], &token);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "authorization show");
	fputs(token, stdout);
	free(token);
	return CLI_OK;
}

int cmd_authorization_revocations(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *note = NULL;
	int rc;
	(void)argv;
	if (argc)
		return cli_usage(ctx, "authorization revocations takes no arguments");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_revocations(st, &note);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "authorization revocations");
	fputs(note, stdout);
	free(note);
	return CLI_OK;
}

/* A duration: 1-9 digits and a unit, s, m, h or d ("90s", "15m", "1h", "2d"); -1 otherwise. */
static int parse_duration(const char *s, int64_t *secs)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	size_t n = strspn(s, "0123456789");
	int64_t v = 0;
	if (n == 0 || n > 9 || !s[n] || s[n + 1])
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n] == units[i].unit && v > 0) {
			*secs = v * units[i].secs;
			return 0;
		}
	return -1;
}

/*
 * authorization verify TOKEN [--vkey K [--revocations FILE] [--max-age DUR]] [--date D]: offline with --vkey
 * (and the published revocation list, if given); otherwise with this store's log key and its revocation list
 * as of now. Exit 0: valid and not revoked; 1: not valid (or the list is too old to tell); 3: valid, but
 * revocation was not checked (no list, or one that cannot be shown newer than an old token).
 */
int cmd_authorization_verify(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"usage: authorization verify TOKEN [--vkey K [--revocations FILE] [--max-age DURATION]] [--date D]";
	cli_opt opts[] = {
		{"vkey", NULL, 0, 0}, {"revocations", NULL, 0, 0}, {"date", NULL, 0, 0}, {"max-age", NULL, 0, 0}};
	custos_authorization a;
	custos_revocation_check rev;
	custos_token_checks c = {NULL, NULL, 0, custos_date_today(), 0};
	char *pos[1], *token = NULL, *revs = NULL, *vkey = NULL, from[11], to[11];
	const char *bad = NULL;
	size_t tlen = 0;
	int npos, rc;
	if (parse_opts(opts, 4, argc, argv, pos, &npos, 1, &bad) || npos != 1)
		return cli_usage(ctx, usage);
	if (opts[2].value && custos_date_parse(&c.today, opts[2].value))
		return cli_usage(ctx, "--date: '%s' is not YYYY-MM-DD", opts[2].value);
	if (opts[3].value && parse_duration(opts[3].value, &c.max_age))
		return cli_usage(ctx, "--max-age: '%s' is not a duration (90s, 15m, 1h, 2d)", opts[3].value);
	if (cli_read_input(pos[0], 1u << 20, &token, &tlen))
		return CLI_REFUSED;
	if (opts[1].value && cli_read_input(opts[1].value, 64u << 20, &revs, &c.rlen)) {
		free(token);
		return CLI_REFUSED;
	}
	if (opts[0].value) {
		size_t n = strlen(opts[0].value) + 1;
		vkey = malloc(n);
		if (vkey)
			memcpy(vkey, opts[0].value, n);
		rc = vkey ? 0 : CUSTOS_ENOMEM;
	} else {
		custos_store *st;
		if (cli_open_store(ctx, &st, 0)) {
			free(token);
			free(revs);
			return CLI_REFUSED;
		}
		rc = custos_log_vkey(st, &vkey);
		if (!rc && !revs && !(rc = custos_revocations(st, &revs))) {
			c.rlen = strlen(revs);
			if (!c.max_age)
				c.max_age = 60; /* a list made here and now: current, even for a token without log_size */
		}
		custos_store_close(st);
	}
	c.vkey = vkey;
	c.revocations = revs;
	if (!rc)
		rc = custos_authorization_check(&a, &rev, token, tlen, &c);
	free(token);
	free(revs);
	free(vkey);
	if (rc)
		return cli_fail(rc, "authorization verify: NOT VALID");
	custos_date_format(from, a.from);
	custos_date_format(to, a.to);
	printf("{\"valid\":true,\"id\":\"%s\",\"measure\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"selectors\":%zu,"
	       "\"revocation_checked\":%s}\n",
	       a.id, a.measure, from, to, a.nselectors, rev.checked ? "true" : "false");
	custos_authorization_dispose(&a);
	if (!rev.checked) {
		fprintf(stderr, "custos: authorization verify: valid, but revocation NOT CHECKED: %s (exit %d)\n",
			rev.unchecked, CLI_UNCHECKED);
		return CLI_UNCHECKED;
	}
	return CLI_OK;
}
