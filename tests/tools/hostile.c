/* hostile.c — hostile clients for the server's load tests (127.0.0.0/8 only): a connection flood, slowloris, churn, and a victim that measures what others still get. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 *   hostile PORT flood SRC IDLE BURSTS BURST    IDLE connections held from SRC, then BURSTS bursts of BURST more
 *   hostile PORT slowloris SRC N SECONDS       N connections sending one header line a second, never finishing
 *   hostile PORT churn SRC COUNT               COUNT connections opened and closed at once
 *   hostile PORT victim SECONDS                GET /healthz from 127.0.0.1 every 20 ms, each with 2 s to answer
 * Every mode stops by itself; every address is on the loopback network.
 */

static unsigned short port;

/* A whole number argument from 0 to max, or exit. */
static int number(const char *s, long max)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (!*s || *end || n < 0 || n > max) {
		fprintf(stderr, "hostile: '%s' is not a number from 0 to %ld\n", s, max);
		exit(2);
	}
	return (int)n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A loopback address, or exit: nothing else is ever a target or a source. */
static struct in_addr loopback(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
		fprintf(stderr, "hostile: %s is not a 127.0.0.0/8 address\n", s);
		exit(2);
	}
	return a;
}

/* A connection from src to 127.0.0.1:port, connected (blocking connect), then non-blocking; -1 on failure. */
static int dial(struct in_addr src)
{
	struct sockaddr_in from = {0}, to = {0};
	struct timeval limit = {2, 0}; /* a connect that the server's backlog leaves waiting gives up after 2 s */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	from.sin_family = AF_INET;
	from.sin_addr = src;
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* 1 if the server closed fd or answered on it (a refusal), 0 if it still holds it silently. */
static int ended(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	return n > 0 || n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

static int flood(struct in_addr src, int idle, int bursts, int burst)
{
	int *fds = calloc((size_t)idle, sizeof(int)), opened = 0, held = 0;
	if (!fds)
		die("memory");
	for (int i = 0; i < idle; i++)
		if ((fds[i] = dial(src)) >= 0)
			opened++;
	for (int b = 0; b < bursts; b++) {
		int *bf = calloc((size_t)burst, sizeof(int));
		if (!bf)
			die("memory");
		for (int i = 0; i < burst; i++)
			bf[i] = dial(src);
		usleep(200 * 1000);
		for (int i = 0; i < burst; i++)
			if (bf[i] >= 0)
				close(bf[i]);
		free(bf);
	}
	usleep(1500 * 1000); /* time for the server to have taken up (or refused) every connection still queued */
	for (int i = 0; i < idle; i++)
		if (fds[i] >= 0) {
			held += !ended(fds[i]);
			close(fds[i]);
		}
	printf("flood: opened %d, held by the server %d\n", opened, held);
	free(fds);
	return 0;
}

static int slowloris(struct in_addr src, int n, int seconds)
{
	int *fds = calloc((size_t)n, sizeof(int)), cut = 0, opened = 0;
	double t0 = now(), first_cut = 0;
	if (!fds)
		die("memory");
	for (int i = 0; i < n; i++) {
		if ((fds[i] = dial(src)) < 0)
			continue;
		opened++;
		(void)!send(fds[i], "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", 39, MSG_NOSIGNAL);
	}
	for (int s = 0; s < seconds * 10; s++) {
		usleep(100 * 1000);
		for (int i = 0; i < n; i++) {
			if (fds[i] < 0)
				continue;
			if (ended(fds[i]) || (s % 10 == 9 && send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0)) {
				close(fds[i]);
				fds[i] = -1;
				if (!cut++)
					first_cut = now() - t0;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("slowloris: opened %d, cut by the server %d (the first after %.1f s)\n", opened, cut, first_cut);
	free(fds);
	return 0;
}

static int churn(struct in_addr src, int count)
{
	int made = 0;
	for (int i = 0; i < count; i++) {
		int fd = dial(src);
		if (fd >= 0) {
			made++;
			close(fd);
		}
	}
	printf("churn: %d connections opened and closed\n", made);
	return 0;
}

/* One GET /healthz on a fresh connection from 127.0.0.1: 1 if answered 200 within 2 s. */
static int healthz(double *took)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	char buf[1024];
	size_t got = 0;
	double t0 = now();
	int fd = dial(loopback("127.0.0.1")), ok = 0;
	if (fd >= 0 && send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1) {
		while (now() - t0 < 2.0 && got < sizeof(buf) - 1) {
			struct pollfd p = {fd, POLLIN, 0};
			ssize_t n;
			if (poll(&p, 1, 100) <= 0)
				continue;
			if ((n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) <= 0)
				break;
			got += (size_t)n;
		}
		buf[got] = '\0';
		ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
	}
	if (fd >= 0)
		close(fd);
	*took = now() - t0;
	return ok;
}

static int victim(int seconds)
{
	int requests = 0, failed = 0;
	double slowest = 0, t0 = now(), took;
	while (now() - t0 < seconds) {
		requests++;
		if (!healthz(&took))
			failed++;
		if (took > slowest)
			slowest = took;
		usleep(20 * 1000);
	}
	printf("victim: %d requests, %d failed, slowest %.0f ms\n", requests, failed, slowest * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		goto usage;
	port = (unsigned short)number(argv[1], 65535);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[2], "flood") == 0 && argc == 7)
		return flood(loopback(argv[3]), number(argv[4], 100000), number(argv[5], 100000), number(argv[6], 100000));
	if (strcmp(argv[2], "slowloris") == 0 && argc == 6)
		return slowloris(loopback(argv[3]), number(argv[4], 100000), number(argv[5], 100000));
	if (strcmp(argv[2], "churn") == 0 && argc == 5)
		return churn(loopback(argv[3]), number(argv[4], 100000));
	if (strcmp(argv[2], "victim") == 0 && argc == 4)
		return victim(number(argv[3], 100000));
usage:
	fprintf(stderr, "usage: hostile PORT flood SRC IDLE BURSTS BURST | slowloris SRC N SECONDS | churn SRC COUNT | "
			"victim SECONDS\n");
	return 2;
}
