/* writer.c — crash-test load: threads append events through one appender and print each acknowledgement. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/error.h"
#include "custos/log.h"

/*
 * Usage: writer STORE THREADS [COUNT]. Each thread appends events in a loop
 * (COUNT each, or until killed, and never longer than 120 s: a load that
 * outlives its test stops by itself) and, once an append returns (durable), prints
 * "INDEX PAYLOAD" on one line and flushes: every line printed is a promise
 * the store must keep across a kill -9.
 */
static custos_appender *app;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static long count = -1;
static time_t deadline;

static void *run(void *arg)
{
	long id = (long)(intptr_t)arg;
	for (long i = 0; (count < 0 || i < count) && time(NULL) < deadline; i++) {
		char payload[128];
		int64_t index;
		snprintf(payload, sizeof(payload), "{\"writer\":%ld,\"seq\":%ld}", id, i);
		if (custos_appender_append(app, "test.crash", "crash-writer", NULL, payload, &index)) {
			fprintf(stderr, "writer: %s\n", custos_error_last());
			exit(1);
		}
		pthread_mutex_lock(&out_mu);
		printf("%lld %s\n", (long long)index, payload);
		fflush(stdout);
		pthread_mutex_unlock(&out_mu);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	long n;
	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) < 1 || n > 64) {
		fprintf(stderr, "usage: writer STORE THREADS(1-64) [COUNT]\n");
		return 2;
	}
	if (argc > 3)
		count = strtol(argv[3], NULL, 10);
	deadline = time(NULL) + 120;
	if (custos_appender_new(&app, argv[1], 256)) {
		fprintf(stderr, "writer: %s\n", custos_error_last());
		return 1;
	}
	for (long i = 0; i < n; i++)
		pthread_create(&th[i], NULL, run, (void *)(intptr_t)i);
	for (long i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	custos_appender_free(app);
	return 0;
}
