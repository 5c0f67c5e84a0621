/* fuzz_openli_yaml.c — libFuzzer target for the running-intercept YAML reader. */
/*
 * Never crash, never hang; what it reads has a LIID, a kind and a line inside the input, and an error names the
 * input's file and a line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/openli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_openli_intercept *list = NULL;
	size_t n = 0, lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r';
	if (custos_openli_read_yaml(&list, &n, (const char *)data, size, "fuzz.yaml") != 0) {
		if (list || n || strncmp(custos_error_last(), "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		custos_selector *sels = NULL;
		char **fields = NULL;
		size_t ns = 0;
		if (!list[i].liid || !list[i].liid[0] || (unsigned)list[i].kind >= CUSTOS_OPENLI__KINDS || list[i].line < 1 ||
		    list[i].line > lines)
			abort();
		if (custos_openli_targets(&list[i], &sels, &fields, &ns) == 0)
			custos_openli_targets_free(sels, fields, ns);
	}
	custos_openli_intercepts_free(list, n);
	return 0;
}
