/* fuzz_screen.h — what the selector and name fuzzers share: a small registry, and screening one at a time against batched. */
#ifndef CUSTOS_FUZZ_SCREEN_H
#define CUSTOS_FUZZ_SCREEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/registry.h"

/* A registry of one party per selector (P-00, P-01, ...), every one always valid; aborts on failure. */
static custos_registry *fuzz_registry(const char *const *selectors, size_t n)
{
	custos_registry *reg;
	custos_party *ps = calloc(n, sizeof(*ps));
	if (!ps)
		abort();
	for (size_t i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "P-%02zu", i);
		ps[i].id = strdup(id);
		ps[i].selectors = calloc(1, sizeof(custos_selector));
		if (!ps[i].id || !ps[i].selectors ||
		    custos_selector_parse(&ps[i].selectors[0], selectors[i], strlen(selectors[i])))
			abort();
		ps[i].nselectors = 1;
		ps[i].valid_from = CUSTOS_DATE_NONE;
		ps[i].valid_to = CUSTOS_DATE_NONE;
	}
	if (custos_registry_new(&reg, ps, n))
		abort();
	return reg;
}

static void fuzz_count_fn(void *ctx, size_t party, size_t sel)
{
	(void)party;
	(void)sel;
	(*(size_t *)ctx)++;
}

static void fuzz_count_batch_fn(void *ctx, size_t q, size_t party, size_t sel)
{
	(void)q;
	(void)party;
	(void)sel;
	(*(size_t *)ctx)++;
}

/* Whether screening s (and its copy) batched finds what screening s alone finds, twice. */
static int fuzz_batch_agrees(const custos_registry *reg, const custos_selector *s, const custos_selector *copy)
{
	size_t single = 0, batched = 0;
	custos_selector two[2];
	two[0] = *s;
	two[1] = *copy;
	custos_registry_match(reg, s, fuzz_count_fn, &single);
	custos_registry_match_batch(reg, two, 2, fuzz_count_batch_fn, &batched);
	return batched == 2 * single;
}

#endif
