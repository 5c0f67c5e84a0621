/* log.c — benchmark of the register on a real SQLite store: group commit, proofs at 1 M leaves, verify. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "custos/error.h"
#include "custos/leaf.h"
#include "custos/log.h"
#include "custos/workflow.h"

#include "bench.h"

/*
 * Prints, each against a baseline measured in the same run:
 *   durable appends/s with group commit vs one sync per append: 32 and 256
 *   writers appending one event a call, and 32 writers appending 32 events
 *   a call (one wake-up per call instead of per event);
 *   inclusion and consistency proofs at 1 M leaves, read from the store;
 *   `verify` throughput vs a plain SHA-256 loop over the same bytes.
 * Usage: bench/log [LEAVES] (default 1048576).
 *
 * With BENCH_PG set to a PostgreSQL server's base URI (`make bench` starts one
 * with tools/pg.sh), the durable appends again on PostgreSQL, and its two
 * correct ways to keep one writer at a time side by side: the advisory lock
 * custos takes, and SERIALIZABLE with every transaction retried on a
 * conflict (8 handles appending one event a transaction each).
 */

#define now bench_now
static void die(const char *what)
{
	bench_die("bench/log", what);
}

static const char *payload_for(char *buf, size_t n, uint64_t i)
{
	snprintf(buf, n,
		 "{\"kind\":\"interception\",\"scope\":\"content\",\"framework\":\"criminal\",\"requested_by\":\"bench\","
		 "\"targets\":[\"tel:+32470%06llu\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"},"
		 "\"seq\":%llu}",
		 (unsigned long long)(i % 1000000), (unsigned long long)i);
	return buf;
}

enum { MAX_PER_CALL = 64 };

typedef struct {
	custos_appender *app;
	double until;
	int per_call; /* events per custos_appender_append_many call */
	long done;
	char payload[MAX_PER_CALL][256];
} writer;

static void *write_loop(void *arg)
{
	writer *w = arg;
	custos_appender_event ev[MAX_PER_CALL];
	int64_t index[MAX_PER_CALL];
	while (now() < w->until) {
		for (int i = 0; i < w->per_call; i++) {
			ev[i] = (custos_appender_event){"bench.append", "bench", NULL,
							payload_for(w->payload[i], sizeof(w->payload[i]),
								    (uint64_t)(w->done + i))};
		}
		if (custos_appender_append_many(w->app, ev, (size_t)w->per_call, index))
			die("group append");
		w->done += w->per_call;
	}
	return NULL;
}

/* Durable appends per second through one appender: `writers` threads, `per_call` events a call, for 3 s. */
static double group_rate(const char *path, int writers, int per_call)
{
	custos_appender *app;
	pthread_t *th = calloc((size_t)writers, sizeof(*th));
	writer *w = calloc((size_t)writers, sizeof(*w));
	long total = 0;
	double t0, t1;
	if (!th || !w)
		die("out of memory");
	if (custos_appender_new(&app, path, 4096))
		die("appender");
	t0 = now();
	for (int i = 0; i < writers; i++) {
		w[i].app = app;
		w[i].until = t0 + 3.0;
		w[i].per_call = per_call;
		if (pthread_create(&th[i], NULL, write_loop, &w[i]) != 0)
			die("thread");
	}
	for (int i = 0; i < writers; i++) {
		pthread_join(th[i], NULL);
		total += w[i].done;
	}
	t1 = now();
	custos_appender_free(app);
	free(th);
	free(w);
	return (double)total / (t1 - t0);
}

#define next_rand bench_rand

typedef struct {
	const char *uri;
	double until;
	long done, retries;
	int filings; /* 1: each transaction files a measure (decides and records it) instead of appending one event */
} tx_writer;

static const char bench_measure[] =
	"{\"kind\":\"interception\",\"scope\":\"content\",\"framework\":\"criminal\",\"requested_by\":\"police\","
	"\"targets\":[\"tel:+32470555101\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}";

/* One event a transaction on a handle of its own until `until`; a failed transaction is rolled back and tried again. */
static void *tx_loop(void *arg)
{
	tx_writer *w = arg;
	custos_store *st;
	char payload[256];
	if (custos_store_open(&st, w->uri, 0))
		die("open");
	while (now() < w->until) {
		int64_t index;
		if (w->filings) {
			char *id = NULL, *decision = NULL;
			int rc = custos_measure_file(st, bench_measure, sizeof(bench_measure) - 1, "bench", &id, &decision);
			free(id);
			free(decision);
			if (rc == 0)
				w->done++;
			else
				w->retries++; /* the whole step again: decided again, recorded again */
			continue;
		}
		if (custos_store_begin(st) == 0 &&
		    custos_store_event_append(st, "bench.append", "bench", NULL,
					      payload_for(payload, sizeof(payload), (uint64_t)w->done), &index) == 0 &&
		    custos_store_commit(st) == 0) {
			w->done++;
			continue;
		}
		if (custos_store_in_transaction(st))
			custos_store_rollback(st);
		w->retries++;
	}
	custos_store_close(st);
	return NULL;
}

/* Committed single-event transactions per second from `n` handles for 3 s; *retries the transactions tried again. */
static double tx_rate(const char *uri, int n, int filings, long *retries)
{
	pthread_t th[16];
	tx_writer w[16];
	long total = 0;
	double t0 = now();
	*retries = 0;
	for (int i = 0; i < n; i++) {
		w[i] = (tx_writer){uri, t0 + 3.0, 0, 0, filings};
		if (pthread_create(&th[i], NULL, tx_loop, &w[i]) != 0)
			die("thread");
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		total += w[i].done;
		*retries += w[i].retries;
	}
	return (double)total / (now() - t0);
}

/* The SQLite figures section 1 measured, printed beside PostgreSQL's. */
typedef struct {
	double group32, group256, single, filings;
} sqlite_rates;

/* The appends of section 1 and filings on PostgreSQL beside SQLite's, then the advisory lock against SERIALIZABLE. */
static void postgresql(const char *base, const sqlite_rates *lite)
{
	char uri[512], payload[256];
	custos_store *st;
	double t0, t1, single_rate, r32, r256, filings, lock_rate, ser_rate;
	long single = 0, lock_retries, ser_retries, retried;
	snprintf(uri, sizeof(uri), "%s/bench_log", base);
	{
		/* a database of its own, made through the server's maintenance database */
		char cmd[700];
		snprintf(cmd, sizeof(cmd),
			 "psql -X -q '%s/postgres' -c 'DROP DATABASE IF EXISTS bench_log' -c 'CREATE DATABASE bench_log' 2>/dev/null",
			 base);
		if (system(cmd) != 0)
			die("createdb");
	}
	if (custos_store_open(&st, uri, 1) || custos_workflow_init(st, uri, "bench.example/pg", NULL, "bench"))
		die("init on PostgreSQL");
	t0 = now();
	while ((t1 = now()) - t0 < 3.0) {
		int64_t index;
		if (custos_store_event_append(st, "bench.append", "bench", NULL,
					      payload_for(payload, sizeof(payload), (uint64_t)single), &index))
			die("append");
		single++;
	}
	single_rate = (double)single / (t1 - t0);
	custos_store_close(st);
	r32 = group_rate(uri, 32, 1);
	r256 = group_rate(uri, 256, 1);
	filings = tx_rate(uri, 8, 1, &retried);
	printf("both backends (PostgreSQL 15 on this machine, fsync on; target: PostgreSQL appends >= 50%% of SQLite's):\n");
	printf("  durable appends, group commit, 32 writers:  SQLite %7.0f/s  PostgreSQL %7.0f/s  (%.0f%%)\n", lite->group32,
	       r32, 100 * r32 / lite->group32);
	printf("  durable appends, group commit, 256 writers: SQLite %7.0f/s  PostgreSQL %7.0f/s  (%.0f%%)\n",
	       lite->group256, r256, 100 * r256 / lite->group256);
	printf("  durable appends, one commit each:           SQLite %7.0f/s  PostgreSQL %7.0f/s  (%.0f%%)\n", lite->single,
	       single_rate, 100 * single_rate / lite->single);
	printf("  filings (decided and recorded), 8 handles:  SQLite %7.0f/s  PostgreSQL %7.0f/s  (%.0f%%)\n",
	       lite->filings, filings, 100 * filings / lite->filings);
	for (int f = 0; f <= 1; f++) {
		lock_rate = tx_rate(uri, 8, f, &lock_retries);
		setenv("CUSTOS_PG_WRITE_MODE", "serializable", 1);
		ser_rate = tx_rate(uri, 8, f, &ser_retries);
		unsetenv("CUSTOS_PG_WRITE_MODE");
		printf("PostgreSQL, one writer at a time, 8 handles, %s a transaction: advisory lock %.0f/s (%ld retried); "
		       "SERIALIZABLE with retry %.0f/s (%ld retried); lock/serializable %.2fx\n",
		       f ? "one filing" : "one event", lock_rate, lock_retries, ser_rate, ser_retries, lock_rate / ser_rate);
	}
}

int main(int argc, char **argv)
{
	uint64_t leaves = argc > 1 ? strtoull(argv[1], NULL, 10) : 1048576;
	char dir[] = "/tmp/custos-bench-log-XXXXXX", path[256], payload[256];
	custos_store *st;
	double t0, t1, single_rate, rate;
	long single = 0;
	sqlite_rates lite = {0, 0, 0, 0};

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (custos_store_open(&st, path, 1) || custos_workflow_init(st, path, "bench.example/log", NULL, "bench"))
		die("init");

	/* 1. durable appends: one sync per append (the baseline) vs group commit */
	t0 = now();
	while ((t1 = now()) - t0 < 3.0) {
		int64_t index;
		if (custos_store_event_append(st, "bench.append", "bench", NULL,
					      payload_for(payload, sizeof(payload), (uint64_t)single), &index))
			die("append");
		single++;
	}
	single_rate = (double)single / (t1 - t0);
	rate = group_rate(path, 32, 1);
	lite.single = single_rate;
	lite.group32 = rate;
	printf("durable appends, group commit (%d writers): %.0f/s; one sync per append: %.0f/s; ratio %.1fx "
	       "(target >= 100000/s)\n",
	       32, rate, single_rate, rate / single_rate);
	rate = group_rate(path, 256, 1);
	lite.group256 = rate;
	printf("durable appends, group commit (%d writers): %.0f/s; ratio %.1fx\n", 256, rate, rate / single_rate);
	rate = group_rate(path, 32, 32);
	printf("durable appends, group commit (%d writers, %d events a call): %.0f/s; ratio %.1fx\n", 32, 32, rate,
	       rate / single_rate);
	if (getenv("BENCH_PG") && *getenv("BENCH_PG")) {
		long retried;
		lite.filings = tx_rate(path, 8, 1, &retried);
		postgresql(getenv("BENCH_PG"), &lite);
	}

	/* 2. grow the log to `leaves` in large transactions */
	{
		int64_t have = custos_store_log_size(st), from = have;
		t0 = now();
		while ((uint64_t)have < leaves) {
			if (custos_store_begin(st))
				die("begin");
			for (int k = 0; k < 65536 && (uint64_t)have < leaves; k++, have++) {
				int64_t index;
				if (custos_store_event_append(st, "bench.append", "bench", NULL,
							      payload_for(payload, sizeof(payload), (uint64_t)have),
							      &index))
					die("append");
			}
			if (custos_store_commit(st))
				die("commit");
		}
		t1 = now();
		/* the rate of what this step appended (the group-commit runs above made the rest) */
		printf("bulk load: to %llu leaves at %.0f appends/s in 64 k-event transactions\n",
		       (unsigned long long)leaves, (double)(have - from) / (t1 - t0));
	}

	/* 3. proofs from the store at this size */
	{
		enum { N = 20000 };
		custos_hash *proof;
		size_t n;
		uint64_t size = (uint64_t)custos_store_log_size(st);
		t0 = now();
		for (int i = 0; i < N; i++) {
			if (custos_log_prove(st, next_rand() % size, size, &proof, &n))
				die("prove");
			free(proof);
		}
		t1 = now();
		printf("inclusion proof at %llu leaves: %.1f us (%.0f/s; target < 10 us)\n", (unsigned long long)size,
		       (t1 - t0) / N * 1e6, N / (t1 - t0));
		t0 = now();
		for (int i = 0; i < N; i++) {
			uint64_t old = 1 + next_rand() % (size - 1);
			if (custos_log_consistency(st, old, size, &proof, &n))
				die("consistency");
			free(proof);
		}
		t1 = now();
		printf("consistency proof at %llu leaves: %.1f us (%.0f/s; target < 10 us)\n", (unsigned long long)size,
		       (t1 - t0) / N * 1e6, N / (t1 - t0));
	}

	/* 4. verify vs plain SHA-256 over the same bytes (each payload and each leaf record) */
	{
		char *note = NULL;
		uint64_t checked = 0, bytes = 0;
		double verify_s, plain_s;
		char leaf[CUSTOS_LEAF_MAX];
		unsigned char digest[32];
		if (custos_log_checkpoint(st, &note))
			die("checkpoint");
		free(note);
		t0 = now();
		if (custos_log_verify(st, &checked))
			die("verify");
		verify_s = now() - t0;
		/* the same bytes, hashed with nothing else around them */
		t0 = now();
		for (uint64_t i = 0; i < checked; i++) {
			size_t plen = strlen(payload_for(payload, sizeof(payload), i)), llen;
			SHA256((const unsigned char *)payload, plen, digest);
			if (custos_leaf_format(leaf, &llen, sizeof(leaf), (int64_t)i, "bench.append",
					       "2026-11-24T09:00:00Z", "bench", NULL,
					       "sha256:0000000000000000000000000000000000000000000000000000000000000000"))
				die("leaf");
			SHA256((const unsigned char *)leaf, llen, digest);
			bytes += plen + llen;
		}
		plain_s = now() - t0;
		printf("verify: %llu events, %.1f MB in %.2f s = %.0f MB/s; plain SHA-256 of the same bytes %.0f MB/s; "
		       "ratio %.2f (target >= 0.5)\n",
		       (unsigned long long)checked, bytes / 1e6, verify_s, bytes / 1e6 / verify_s, bytes / 1e6 / plain_s,
		       plain_s / verify_s);
	}
	custos_store_close(st);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench/log: could not remove %s\n", dir);
	}
	return 0;
}
