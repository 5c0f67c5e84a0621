/* fuzz_life.c — libFuzzer target: a stored life of a measure decoded, encoded, decoded again (the storage edge). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "workflow/life.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Any bytes a database administrator could leave in a life record: refused
 * with a message and nothing allocated left behind, or decoded to a life
 * whose encoding decodes again to the same encoding (a fixed point).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *one = NULL, *two = NULL;
	wf_life a, b;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (wf_life_decode(&a, text) == 0) {
		if (wf_life_encode(&one, &a, NULL) || wf_life_decode(&b, one) || wf_life_encode(&two, &b, NULL) ||
		    strcmp(one, two) != 0) {
			fprintf(stderr, "fuzz_life: not a fixed point (%s)\n", custos_error_last());
			abort();
		}
		(void)wf_life_shown(&a, 20000);
		wf_life_dispose(&b);
		wf_life_dispose(&a);
	} else if (!*custos_error_last()) {
		fprintf(stderr, "fuzz_life: refused without a message\n");
		abort();
	}
	free(one);
	free(two);
	free(text);
	return 0;
}
