/* fuzz_measure.c — libFuzzer target for the measure decoder: never crash, and canonical encoding is a fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos/measure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_measure m, again;
	char *first = NULL, *second = NULL;
	if (custos_measure_decode(&m, (const char *)data, size) != 0)
		return 0;
	/* What decodes must encode, and its encoding must decode to the same encoding. */
	if (custos_measure_encode(&first, &m) != 0)
		abort();
	if (custos_measure_decode(&again, first, strlen(first)) != 0)
		abort();
	if (custos_measure_encode(&second, &again) != 0 || strcmp(first, second) != 0)
		abort();
	if (again.from != m.from || again.to != m.to || again.kind != m.kind || again.ntargets != m.ntargets)
		abort();
	free(first);
	free(second);
	custos_measure_dispose(&again);
	custos_measure_dispose(&m);
	return 0;
}
