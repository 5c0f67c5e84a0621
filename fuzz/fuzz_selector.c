/* fuzz_selector.c — libFuzzer target: selector parsing never crashes, its canonical form is a fixed point, screening agrees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/registry.h"
#include "custos/selector.h"
#include "fuzz_screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_selector: %s\n  first:  %s\n  second: %s\n", what, a ? a : "(null)", b ? b : "(null)");
	abort();
}

/* A small registry touching every kind of look-up: domains of 1, 2, 3 and 5 labels, ranges, networks. */
static const char *const reg_selectors[] = {
	"domain:example",	      "domain:mission.example", "domain:a.sub.mission.example",
	"domain:v.w.x.y.example",     "mailto:consul@sub.mission.example", "mailto:x@example.org",
	"tel:+32255512*",	      "tel:+3225551234",	"tel:+3*",
	"ip:192.0.2.0/24",	      "ip:198.51.100.9",	"ip:2001:db8::/32",
	"ip:0.0.0.0/0",		      "imsi:206011234567890",	"name:Ahmed Ould Mohamed",
};

static custos_registry *registry(void)
{
	static custos_registry *reg;
	if (!reg)
		reg = fuzz_registry(reg_selectors, sizeof(reg_selectors) / sizeof(reg_selectors[0]));
	return reg;
}

/*
 * Parses the input. A rejected input must leave an empty selector and a
 * message; an accepted one must have a canonical text that starts with its
 * kind's scheme, parses again to the very same selector (key hash included),
 * and copies intact; screening it against a small registry one at a time
 * and batched finds the same matches.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_selector s, again, copy;
	const char *name;
	int rc = custos_selector_parse(&s, (const char *)data, size);
	if (rc) {
		if (rc != CUSTOS_EINVALID)
			fail("unexpected error code", custos_error_last(), NULL);
		if (s.text || s.key)
			fail("rejected input left a selector", s.text, s.key);
		if (!custos_error_last()[0])
			fail("rejected input without a message", NULL, NULL);
		return 0;
	}
	if (!s.text || !s.key || !s.key[0])
		fail("accepted selector without text or key", s.text, s.key);
	name = custos_selector_kind_name(s.kind);
	if (strncmp(s.text, name, strlen(name)) != 0 || s.text[strlen(name)] != ':')
		fail("canonical text does not start with its scheme", s.text, name);
	if (strlen(s.text) > CUSTOS_SELECTOR_MAX)
		fail("canonical text longer than the input limit", s.text, NULL);
	if (custos_selector_parse(&again, s.text, strlen(s.text)) != CUSTOS_OK)
		fail("canonical text does not parse", s.text, custos_error_last());
	if (strcmp(again.text, s.text) != 0)
		fail("canonical text is not a fixed point", s.text, again.text);
	if (strcmp(again.key, s.key) != 0)
		fail("key changed on re-parse", s.key, again.key);
	if (again.kind != s.kind || again.prefix != s.prefix || again.is_v4 != s.is_v4 ||
	    memcmp(again.ip, s.ip, 16) != 0)
		fail("kind or address changed on re-parse", s.text, again.text);
	if (s.keylen != strlen(s.key) || s.hash == 0)
		fail("key length or hash not set", s.text, s.key);
	if (again.hash != s.hash || again.keylen != s.keylen)
		fail("key hash changed on re-parse", s.text, again.text);
	if (custos_selector_copy(&copy, &s) != CUSTOS_OK)
		fail("copy failed", s.text, NULL);
	if (strcmp(copy.text, s.text) || strcmp(copy.key, s.key) || copy.kind != s.kind || copy.hash != s.hash ||
	    copy.keylen != s.keylen)
		fail("copy differs", s.text, copy.text);
	if (!fuzz_batch_agrees(registry(), &s, &copy))
		fail("batched screening differs from one at a time", s.text, NULL);
	custos_selector_dispose(&copy);
	custos_selector_dispose(&again);
	custos_selector_dispose(&s);
	return 0;
}
