/* fuzz_openli.c — libFuzzer target for the gate's reading of OpenLI's REST JSON and its target mapping. */
/*
 * The first byte picks the intercept kind, the rest is the body. Never crash; every target the mapping yields is a selector
 * that parses back to itself and covers itself; a listing ("[...]") reads as many intercepts as it has elements.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos/openli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_targets(const custos_openli_intercept *ic)
{
	custos_selector *sels = NULL;
	char **fields = NULL;
	size_t n = 0;
	if (custos_openli_targets(ic, &sels, &fields, &n) != 0)
		return;
	if (n == 0)
		abort(); /* an intercept the mapping accepts names at least one target */
	for (size_t i = 0; i < n; i++) {
		custos_selector again;
		if (!fields[i] || !fields[i][0] || !custos_selector_covers(&sels[i], &sels[i]))
			abort();
		if (custos_selector_parse(&again, sels[i].text, strlen(sels[i].text)) != 0)
			abort();
		if (again.kind != sels[i].kind || strcmp(again.text, sels[i].text) != 0 ||
		    (again.key && strcmp(again.key, sels[i].key) != 0))
			abort();
		custos_selector_dispose(&again);
	}
	custos_openli_targets_free(sels, fields, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_openli_intercept ic, *list = NULL;
	custos_openli_kind kind;
	size_t n = 0;
	if (size < 1)
		return 0;
	kind = (custos_openli_kind)(data[0] % CUSTOS_OPENLI__KINDS);
	data++;
	size--;
	if (custos_openli_from_json(&ic, kind, (const char *)data, size) == 0) {
		if (!ic.liid || ic.kind != kind)
			abort();
		check_targets(&ic);
		custos_openli_intercept_dispose(&ic);
	}
	if (custos_openli_list_json(&list, &n, kind, (const char *)data, size) == 0)
		for (size_t i = 0; i < n; i++)
			check_targets(&list[i]);
	custos_openli_intercepts_free(list, n);
	return 0;
}
