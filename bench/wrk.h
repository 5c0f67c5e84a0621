/* wrk.h — running wrk (closed-loop HTTP load) from a benchmark and reading its figures. */
#ifndef CUSTOS_BENCH_WRK_H
#define CUSTOS_BENCH_WRK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct {
	double rps, p50_ms, p99_ms;
	double p99_min, p99_max; /* over the runs (run_wrk_runs) */
	long errors;
} wrk_result;

/* "1.23ms", "456.00us", "1.01s" in milliseconds. */
static double to_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (strncmp(end, "us", 2) == 0)
		return v / 1000;
	if (strncmp(end, "ms", 2) == 0)
		return v;
	if (*end == 's')
		return v * 1000;
	return v;
}

/* Starts wrk for `secs` seconds; its output is read by wrk_finish. */
static FILE *wrk_start(const char *url, const char *script, int threads, int conns, double secs, char *cmd,
		       size_t cap)
{
	FILE *p;
	snprintf(cmd, cap, "wrk -t%d -c%d -d%.0fs --latency %s%s %s 2>&1", threads, conns, secs, script ? "-s " : "",
		 script ? script : "", url);
	if (!(p = popen(cmd, "r")))
		bench_die("wrk", "cannot run wrk (tools/deps.sh installs it)");
	return p;
}

static wrk_result wrk_finish(FILE *p, const char *cmd)
{
	char line[512];
	wrk_result r = {0, 0, 0, 0, 0, 0};
	while (fgets(line, sizeof(line), p)) {
		char *s = line;
		while (*s == ' ')
			s++;
		if (strncmp(s, "Requests/sec:", 13) == 0)
			r.rps = strtod(s + 13, NULL);
		else if (strncmp(s, "50%", 3) == 0)
			r.p50_ms = to_ms(s + 3 + strspn(s + 3, " "));
		else if (strncmp(s, "99%", 3) == 0)
			r.p99_ms = to_ms(s + 3 + strspn(s + 3, " "));
		else if (strncmp(s, "Non-2xx or 3xx responses:", 25) == 0)
			r.errors += strtol(s + 25, NULL, 10);
		else if (strncmp(s, "Socket errors:", 14) == 0)
			r.errors += 1;
	}
	if (pclose(p) != 0 || r.rps == 0) {
		fprintf(stderr, "wrk failed: %s\n", cmd);
		exit(1);
	}
	return r;
}

#endif
