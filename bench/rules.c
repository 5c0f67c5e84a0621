/* rules.c — benchmark: Belgian rule set decisions per second on S1-S7 and a light measure, and the ratio to Cedar (wasm, node) on the diplomatic rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "custos/builtin.h"
#include "custos/measure.h"
#include "custos/registry.h"
#include "custos/rules.h"
#include "custos/workflow.h"

/*
 * Three figures per measure, each on one core:
 *   decide      screening every target over the period, then the rules (custos_decide);
 *   rules       the rules alone on the subjects screening found (custos_rules_evaluate);
 *   full        decode the measure JSON, decide, encode the decision JSON.
 * Then the same rules-alone decision under the diplomatic rules only (rules/be/00-common and
 * 10-vcdr) beside Cedar's (@cedar-policy/cedar-wasm, driven by node from bench/rules_cedar.mjs
 * in this run) on bench/rules_cedar.cedar, their translation: one Cedar request per subject, so
 * a decision is every subject's request, as custos' decision covers every subject.
 */

#define PROG "bench/rules"
#define SECONDS 0.4 /* per figure; CUSTOS_BENCH_SECONDS overrides */

static const struct {
	const char *name, *file;
} scenarios[] = {
	{"S1", "demo/measures/s1.json"}, {"S2", "demo/measures/s2.json"}, {"S3", "demo/measures/s3.json"},
	{"S4", "demo/measures/s4.json"}, {"S5", "demo/measures/s5.json"}, {"S6", "demo/measures/s6.json"},
	{"S7", "demo/measures/s7.json"},
};

/* A measure that touches nothing protected: the most common decision. */
static const char light[] = "{\"kind\":\"interception\",\"scope\":\"metadata\",\"framework\":\"criminal\",\"requested_by\":"
			    "\"police\",\"targets\":[\"tel:+32470999000\"],\"period\":{\"from\":\"2026-12-01\",\"to\":"
			    "\"2026-12-31\"}}";

static double seconds(void)
{
	const char *v = getenv("CUSTOS_BENCH_SECONDS");
	double s = v ? strtod(v, NULL) : 0;
	return s > 0 && s < 60 ? s : SECONDS;
}

static volatile size_t sink;

/* What one timed step needs. */
typedef struct step {
	const custos_ruleset *rs;
	const custos_registry *reg;
	const custos_measure *m;
	const custos_verdict *v; /* its subjects, for the rules alone */
	const char *text;        /* the measure's JSON, for decode+decide+encode */
	size_t len;
} step;

static void step_decide(const step *c)
{
	custos_verdict w;
	if (custos_decide(&w, c->rs, c->reg, c->m))
		bench_die(PROG, "decide");
	sink += w.decision.nfindings;
	custos_verdict_dispose(&w);
}

static void step_rules(const step *c)
{
	custos_decision d;
	if (custos_rules_evaluate(&d, c->rs, c->m, c->v->subjects, c->v->nsubjects))
		bench_die(PROG, "evaluate");
	sink += d.nfindings;
	custos_decision_dispose(&d);
}

static void step_full(const step *c)
{
	custos_measure m2;
	custos_verdict w;
	char *out = NULL;
	if (custos_measure_decode(&m2, c->text, c->len) || custos_decide(&w, c->rs, c->reg, &m2) ||
	    custos_verdict_encode(&out, &w, "M-000001", 1))
		bench_die(PROG, "decode+decide+encode");
	sink += strlen(out);
	free(out);
	custos_verdict_dispose(&w);
	custos_measure_dispose(&m2);
}

/* Runs fn in batches of 1000 until `secs` pass: steps per second. */
static double rate(void (*fn)(const step *), const step *c, double secs)
{
	double t0 = bench_now(), t;
	size_t n = 0;
	do {
		for (int b = 0; b < 1000; b++)
			fn(c);
		n += 1000;
	} while ((t = bench_now() - t0) < secs);
	return (double)n / t;
}

static custos_ruleset *load_rules(const char *const *names, size_t n)
{
	custos_rules_source src[8];
	custos_ruleset *rs = NULL;
	for (size_t i = 0; i < n; i++) {
		src[i].name = names[i];
		if (custos_builtin_get(&src[i].text, &src[i].len, names[i]))
			bench_die(PROG, names[i]);
	}
	if (custos_rules_parse(&rs, src, n))
		bench_die(PROG, "rules");
	return rs;
}

static custos_registry *load_registry(void)
{
	const char *data, *p, *end;
	size_t len, n = 0, cap = 64;
	custos_party *parties = calloc(cap, sizeof(*parties));
	custos_registry *reg = NULL;
	if (!parties || custos_builtin_get(&data, &len, "demo/registry.jsonl"))
		bench_die(PROG, "demo/registry.jsonl");
	for (p = data, end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if (n == cap && !(parties = realloc(parties, (cap *= 2) * sizeof(*parties))))
			bench_die(PROG, "out of memory");
		if (custos_party_decode(&parties[n++], p, (size_t)(nl - p)))
			bench_die(PROG, "demo registry line");
		p = nl + 1;
	}
	if (custos_registry_new(&reg, parties, n)) /* it owns the parties now */
		bench_die(PROG, "registry");
	return reg;
}

/* One Cedar request per subject, as JSON for node: the context from the measure, the party as the resource. */
static void cedar_requests(FILE *f, const char *name, const custos_measure *m, const custos_verdict *v)
{
	fprintf(f, "{\"name\":\"%s\",\"requests\":[", name);
	for (size_t i = 0; i < v->nsubjects; i++) {
		const custos_party *p = v->subjects[i].party;
		const char *consent = NULL;
		for (size_t k = 0; k < m->nconsents; k++)
			if (strcmp(m->consents[k].party, p->id) == 0 && strcmp(m->consents[k].state, p->sending_state) == 0)
				consent = m->consents[k].reference;
		fprintf(f,
			"%s{\"kind\":\"%s\",\"framework\":\"%s\",\"place\":\"%s\",\"bag\":\"%s\",\"party\":{\"id\":\"%s\","
			"\"category\":\"%s\",\"status\":\"%s\",\"nationality\":\"%s\",\"permanent_resident\":%s,"
			"\"consent\":%s,\"waiver\":%s}}",
			i ? "," : "", custos_kind_name(m->kind), custos_framework_name(m->framework),
			custos_place_name(m->place), custos_bag_name(m->diplomatic_bag), p->id,
			custos_category_name(p->category), custos_status_name(v->subjects[i].status), p->nationality,
			p->permanent_resident ? "true" : "false", consent ? "true" : "false", p->waiver ? "true" : "false");
	}
	if (!v->nsubjects) /* a measure with no subject still asks one request (no party) */
		fprintf(f, "{\"kind\":\"%s\",\"framework\":\"%s\",\"place\":\"%s\",\"bag\":\"%s\",\"party\":null}",
			custos_kind_name(m->kind), custos_framework_name(m->framework), custos_place_name(m->place),
			custos_bag_name(m->diplomatic_bag));
	fprintf(f, "]}\n");
}

int main(int argc, char **argv)
{
	static const char *const all[] = {"rules/be/00-common.rules", "rules/be/10-vcdr.rules", "rules/be/20-vccr.rules",
					  "rules/be/30-io-parliament.rules", "rules/be/40-bim.rules",
					  "rules/be/50-criminal.rules", "rules/be/60-led.rules", "rules/be/70-mla-refugees.rules"};
	static const char *const diplomatic[] = {"rules/be/00-common.rules", "rules/be/10-vcdr.rules"};
	custos_ruleset *rs = load_rules(all, 8), *dip = load_rules(diplomatic, 2);
	custos_registry *reg = load_registry();
	const size_t nsc = sizeof(scenarios) / sizeof(scenarios[0]) + 1;
	double secs = seconds(), dip_rate[16];
	const char *names[16], *dip_outcome[16];
	char reqpath[] = "/tmp/custos-bench-rules-XXXXXX", cmd[512], line[256];
	int fd = mkstemp(reqpath);
	FILE *req = fd >= 0 ? fdopen(fd, "w") : NULL, *node;
	int differ = 0;
	(void)argc;
	(void)argv;
	if (!req)
		bench_die(PROG, "temporary file");
	printf("%s: the Belgian rule set (%zu rules) and the demo registry; one core, %.1f s per figure\n", PROG,
	       custos_rules_count(rs), secs);
	printf("%-6s %8s %14s %14s %20s\n", "", "subjects", "decide/s", "rules/s", "decode+decide+encode/s");
	for (size_t s = 0; s < nsc; s++) {
		const char *text, *name = s < nsc - 1 ? scenarios[s].name : "light";
		size_t len;
		custos_measure m;
		custos_verdict v;
		double r_decide, r_rules, r_full;
		if (s < nsc - 1) {
			if (custos_builtin_get(&text, &len, scenarios[s].file))
				bench_die(PROG, scenarios[s].file);
		} else {
			text = light;
			len = strlen(light);
		}
		if (custos_measure_decode(&m, text, len) || custos_decide(&v, rs, reg, &m))
			bench_die(PROG, name);
		{
			step c = {rs, reg, &m, &v, text, len};
			r_decide = rate(step_decide, &c, secs);
			r_rules = rate(step_rules, &c, secs);
			r_full = rate(step_full, &c, secs);
			custos_decision d;
			c.rs = dip; /* the diplomatic rules alone, for the comparison with Cedar */
			dip_rate[s] = rate(step_rules, &c, secs);
			if (custos_rules_evaluate(&d, dip, &m, v.subjects, v.nsubjects))
				bench_die(PROG, "evaluate");
			dip_outcome[s] = custos_outcome_name(d.outcome);
			custos_decision_dispose(&d);
		}
		printf("%-6s %8zu %14.0f %14.0f %20.0f\n", name, v.nsubjects, r_decide, r_rules, r_full);
		names[s] = name;
		cedar_requests(req, name, &m, &v);
		custos_verdict_dispose(&v);
		custos_measure_dispose(&m);
	}
	fclose(req);

	printf("\nthe diplomatic rules (rules/be/00-common, 10-vcdr) against Cedar (bench/rules_cedar.cedar), rules alone:\n");
	snprintf(cmd, sizeof(cmd), "node bench/rules_cedar.mjs %s %.2f", reqpath, secs);
	node = popen(cmd, "r");
	if (!node) {
		fprintf(stderr, "%s: cannot run node\n", PROG);
		return 1;
	}
	printf("%-6s %14s %14s %10s  %s\n", "", "custos/s", "cedar-wasm/s", "ratio", "outcome (custos, cedar)");
	while (fgets(line, sizeof(line), node)) {
		/* "NAME RATE OUTCOME" */
		char *name = line, *sp = strchr(line, ' '), *end = NULL, *outcome;
		double r;
		if (sp) {
			*sp = '\0';
			r = strtod(sp + 1, &end);
		}
		if (!sp || !end || *end != ' ') {
			if (sp)
				*sp = ' ';
			fputs(line, stdout); /* node's own message */
			continue;
		}
		outcome = end + 1;
		outcome[strcspn(outcome, "\n")] = '\0';
		for (size_t s = 0; s < nsc; s++)
			if (strcmp(names[s], name) == 0) {
				printf("%-6s %14.0f %14.0f %9.0fx  %s%s\n", name, dip_rate[s], r, dip_rate[s] / r, dip_outcome[s],
				       strcmp(dip_outcome[s], outcome) == 0 ? ", the same" : ", CEDAR DIFFERS: ");
				if (strcmp(dip_outcome[s], outcome) != 0) {
					printf("%s\n", outcome);
					differ = 1;
				}
			}
	}
	if (pclose(node) != 0) {
		fprintf(stderr, "%s: node bench/rules_cedar.mjs failed (npm install --prefix build/npm-cedar "
				"@cedar-policy/cedar-wasm@4)\n",
			PROG);
		remove(reqpath);
		return 1;
	}
	remove(reqpath);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
	custos_ruleset_free(dip);
	if (differ)
		fprintf(stderr, "%s: Cedar's outcome differs from custos' on the same requests: the policies are not equivalent\n", PROG);
	return differ || sink == 42 ? 1 : 0;
}
