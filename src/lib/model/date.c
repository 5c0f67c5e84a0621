/* date.c — calendar dates as day numbers (proleptic Gregorian, UTC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/model.h"
#include "util/util.h"

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

static void civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int custos_date_parse(custos_date *out, const char *s)
{
	int y, m, d;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!s || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || s[10] != '\0')
		return CUSTOS_EINVALID;
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return CUSTOS_EINVALID;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return CUSTOS_EINVALID;
	*out = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

void custos_date_format(char buf[11], custos_date day)
{
	int y;
	unsigned m, d;
	char tmp[32];
	civil_from_days(day, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02u", y % 10000, m % 100, d % 100);
	memcpy(buf, tmp, 10);
	buf[10] = '\0';
}

/* The day an instant falls on (floor division: before 1970 too). */
static custos_date day_of(int64_t secs)
{
	return (custos_date)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
}

/* The installed clock: the system clock unless the caller installed another. */
static int64_t system_clock(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}
static int64_t pinned_clock(void *ctx)
{
	return *(const int64_t *)ctx;
}
static int64_t shifted_clock(void *ctx)
{
	return (int64_t)time(NULL) + *(const int64_t *)ctx;
}
static custos_clock_fn clock_fn = system_clock;
static void *clock_ctx;
static int64_t clock_setting; /* the pinned instant or the shift custos_clock_pin() installed */

void custos_clock_set(custos_clock_fn fn, void *ctx)
{
	clock_fn = fn ? fn : system_clock;
	clock_ctx = fn ? ctx : NULL;
}

int64_t custos_clock_now(void)
{
	return clock_fn(clock_ctx);
}

/* A shift: a sign, 1-9 digits and a unit (s, m, h, d). */
static int parse_shift(int64_t *secs, const char *s)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	int64_t n = 0;
	size_t i = 1;
	if (s[0] != '+' && s[0] != '-')
		return CUSTOS_EINVALID;
	for (; s[i] >= '0' && s[i] <= '9' && i < 10; i++)
		n = n * 10 + (s[i] - '0');
	if (i == 1 || !s[i] || s[i + 1])
		return CUSTOS_EINVALID;
	for (size_t u = 0; u < sizeof(units) / sizeof(*units); u++)
		if (s[i] == units[u].unit) {
			*secs = (s[0] == '-' ? -n : n) * units[u].secs;
			return 0;
		}
	return CUSTOS_EINVALID;
}

int custos_clock_pin(const char *setting)
{
	int64_t secs;
	if (!setting || !*setting) {
		custos_clock_set(NULL, NULL);
		return 0;
	}
	if (custos_time_parse(&secs, setting) == 0) {
		clock_setting = secs;
		custos_clock_set(pinned_clock, &clock_setting);
		return 0;
	}
	if (parse_shift(&secs, setting) == 0) {
		clock_setting = secs;
		custos_clock_set(shifted_clock, &clock_setting);
		return 0;
	}
	return custos_error_set(CUSTOS_EINVALID,
				"clock '%s' is neither an instant (YYYY-MM-DDTHH:MM:SSZ) nor a shift (+400d, -2h, +90s)",
				setting);
}

custos_date custos_date_today(void)
{
	return day_of(custos_clock_now());
}

int custos_time_parse(int64_t *secs, const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char day[11];
	custos_date d;
	int hh, mi, ss;
	size_t i;
	for (i = 0; s[i] && shape[i]; i++) {
		int ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
		if (!ok)
			break;
	}
	if (s[i] || shape[i])
		return CUSTOS_EINVALID;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (custos_date_parse(&d, day))
		return CUSTOS_EINVALID;
	hh = (s[11] - '0') * 10 + (s[12] - '0');
	mi = (s[14] - '0') * 10 + (s[15] - '0');
	ss = (s[17] - '0') * 10 + (s[18] - '0');
	if (hh > 23 || mi > 59 || ss > 59)
		return CUSTOS_EINVALID;
	*secs = (int64_t)d * 86400 + hh * 3600 + mi * 60 + ss;
	return 0;
}

void custos_time_format(char out[21], int64_t secs)
{
	char day[11], tmp[32];
	custos_date d = day_of(secs);
	int64_t r = secs - (int64_t)d * 86400;
	custos_date_format(day, d);
	snprintf(tmp, sizeof(tmp), "%sT%02d:%02d:%02dZ", day, (int)(r / 3600), (int)(r / 60 % 60), (int)(r % 60));
	memcpy(out, tmp, 20);
	out[20] = '\0';
}

int custos_time_now(char out[21])
{
	int64_t secs = custos_clock_now();
	if (secs < 0 || secs > INT64_C(253402300799)) /* 9999-12-31T23:59:59Z */
		return custos_error_set(CUSTOS_EINVALID, "the clock reads %lld, outside the years 1970-9999",
					(long long)secs);
	custos_time_format(out, secs);
	return 0;
}
