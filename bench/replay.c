/* replay.c — benchmark of the log as the only truth: verify with the replay of every projection, and rebuild. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "custos/model.h"
#include "custos/note.h"
#include "custos/principal.h"
#include "custos/workflow.h"

#include "bench.h"

/*
 * A log of LEAVES events (default 1 M): the appends of bench/log, with a
 * measure filed, approved and authorised every STRIDE events among them
 * (default 256: some 4 000 measures, 16 000 workflow events). Prints, each
 * as a ratio to the Merkle-only verify of the same log (the baseline):
 *   log verify as `custos log verify` runs it (Merkle tree, every signature
 *   again, every projection replayed and compared); target <= 2x;
 *   store rebuild (the log verified, every projection folded again).
 * Usage: bench/replay [LEAVES [STRIDE]].
 */

#define now bench_now
static void die(const char *what)
{
	bench_die("bench/replay", what);
}

static custos_signer *principal(custos_store *st, const char *id, const char *authority, const char *role)
{
	char *skey = NULL, *vkey = NULL, *roles[1] = {(char *)role};
	custos_principal p;
	custos_signer *s = NULL;
	memset(&p, 0, sizeof(p));
	if (custos_key_generate(&skey, &vkey, id))
		die("key");
	p.id = (char *)id;
	p.name = (char *)id;
	p.authority = (char *)authority;
	p.roles = roles;
	p.nroles = 1;
	p.pubkey = vkey;
	if (custos_principal_add(st, &p, "bench") || custos_signer_new(&s, skey))
		die("principal");
	free(skey);
	free(vkey);
	return s;
}

int main(int argc, char **argv)
{
	uint64_t leaves = argc > 1 ? strtoull(argv[1], NULL, 10) : 1048576;
	uint64_t stride = argc > 2 ? strtoull(argv[2], NULL, 10) : 256;
	char dir[] = "/tmp/custos-bench-replay-XXXXXX", path[256], payload[256], from[11], to[11], measure[512];
	custos_store *st;
	custos_signer *head;
	uint64_t checked = 0, signatures = 0, rows = 0, measures = 0;
	int64_t have, events = 0;
	double t0, merkle_s, full_s, rebuild_s;

	if (!mkdtemp(dir) || stride < 8)
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (custos_store_open(&st, path, 1) || custos_workflow_init(st, path, "bench.example/log", NULL, "bench"))
		die("init");
	head = principal(st, "HEAD", "vsse", "service_head");
	/* a window a week from today, whatever the day */
	custos_date_format(from, custos_date_today() + 7);
	custos_date_format(to, custos_date_today() + 37);

	/* the log: plain appends in large transactions, a measure filed and approved every `stride` of them */
	t0 = now();
	have = custos_store_log_size(st);
	while ((uint64_t)have < leaves) {
		char *id = NULL, *decision = NULL, *result = NULL;
		if (custos_store_begin(st))
			die("begin");
		for (uint64_t k = 0; k < stride && (uint64_t)have < leaves; k++, have++) {
			snprintf(payload, sizeof(payload),
				 "{\"kind\":\"interception\",\"scope\":\"content\",\"framework\":\"criminal\","
				 "\"requested_by\":\"bench\",\"targets\":[\"tel:+32470%06llu\"],\"seq\":%llu}",
				 (unsigned long long)(have % 1000000), (unsigned long long)have);
			if (custos_store_event_append(st, "bench.append", "bench", NULL, payload, NULL))
				die("append");
		}
		if (custos_store_commit(st))
			die("commit");
		snprintf(measure, sizeof(measure),
			 "{\"kind\":\"interception\",\"scope\":\"metadata\",\"framework\":\"intelligence\","
			 "\"requested_by\":\"vsse\",\"targets\":[\"tel:+32471%06llu\"],"
			 "\"period\":{\"from\":\"%s\",\"to\":\"%s\"},\"grounds\":\"bench\"}",
			 (unsigned long long)(measures % 1000000), from, to);
		if (custos_measure_file(st, measure, strlen(measure), "bench", &id, &decision) ||
		    custos_measure_approve(st, id, "service_head", NULL, 0, head, "bench", &result))
			die("measure");
		measures++;
		free(id);
		free(decision);
		free(result);
		have = custos_store_log_size(st);
	}
	printf("a log of %lld events, %llu measures filed and approved among them, built in %.1f s\n",
	       (long long)have, (unsigned long long)measures, now() - t0);

	/* the baseline: the Merkle tree alone */
	t0 = now();
	if (custos_log_verify(st, &checked))
		die("verify");
	merkle_s = now() - t0;
	/* `custos log verify`: the tree, every signature again, every projection against the replay */
	t0 = now();
	if (custos_workflow_verify(st, &checked, &signatures, &rows))
		die("verify with replay");
	full_s = now() - t0;
	t0 = now();
	if (custos_workflow_rebuild(st, &events))
		die("rebuild");
	rebuild_s = now() - t0;
	printf("log verify, Merkle tree only: %llu events in %.2f s (%.0f events/s; the baseline)\n",
	       (unsigned long long)checked, merkle_s, checked / merkle_s);
	printf("log verify with replay: %.2f s, %llu signatures, %llu rows; ratio %.2fx the Merkle-only verify "
	       "(target <= 2x)\n",
	       full_s, (unsigned long long)signatures, (unsigned long long)rows, full_s / merkle_s);
	printf("store rebuild: %lld events in %.2f s; ratio %.2fx the Merkle-only verify\n", (long long)events,
	       rebuild_s, rebuild_s / merkle_s);
	custos_signer_free(head);
	custos_store_close(st);
	if (getenv("BENCH_KEEP")) {
		printf("kept %s\n", path);
		return 0;
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench/replay: could not remove %s\n", dir);
	}
	return 0;
}
