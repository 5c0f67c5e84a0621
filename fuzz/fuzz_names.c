/* fuzz_names.c — libFuzzer target: the name normaliser takes any bytes without crashing, and normalising twice changes nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/registry.h"
#include "fuzz_screen.h"
#include "screen/screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_names: %s\n  first:  %s\n  second: %s\n", what, a ? a : "(null)", b ? b : "(null)");
	abort();
}

/* A registry of a few names in several scripts, to screen what parses. */
static custos_registry *registry(void)
{
	static const char *const names[] = {"name:Moukhtar Abliazov", "name:محمد ولد عبد العزيز", "name:Борис Ельцин",
					    "name:Abderrahmane Soudaïs", "name:Zoë Ó Ceallaigh-Müller"};
	static custos_registry *reg;
	if (!reg)
		reg = fuzz_registry(names, sizeof(names) / sizeof(names[0]));
	return reg;
}

/*
 * Any bytes (invalid UTF-8, combining marks, right-to-left text, scripts
 * ICU cannot write in Latin): the normaliser either refuses them with a
 * message or writes lower-case ASCII words that normalise to themselves,
 * with keys that never overflow; as a name selector they screen the same
 * one at a time and batched, and a name matches itself.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[4096], again[4096], sel_text[CUSTOS_SELECTOR_MAX + 8];
	size_t n = 0, n2 = 0;
	int abjad = 0, abjad2 = 0;
	custos_name_keys k;
	custos_selector s;
	if (custos_name_latin(out, sizeof(out), &n, &abjad, (const char *)data, size) != CUSTOS_OK) {
		if (!custos_error_last()[0])
			fail("refused without a message", NULL, NULL);
		return 0;
	}
	if (n != strlen(out))
		fail("length is not the string's", out, NULL);
	for (size_t i = 0; i < n; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9') ||
		      (out[i] == ' ' && i > 0 && i + 1 < n && out[i - 1] != ' ')))
			fail("not lower-case ASCII words", out, NULL);
	if (custos_name_latin(again, sizeof(again), &n2, &abjad2, out, n) != CUSTOS_OK)
		fail("the normal form is refused", out, custos_error_last());
	if (n2 != n || strcmp(again, out) != 0)
		fail("normalising twice changes the name", out, again);
	custos_name_keys_of(&k, out, n, abjad);
	for (unsigned w = 0; w < k.n; w++)
		for (int v = 0; v < 2; v++)
			if (strlen(k.w[w].key[v]) >= CUSTOS_NAME_KEYMAX || strlen(k.w[w].skel[v]) >= CUSTOS_NAME_KEYMAX)
				fail("word key overflows", out, k.w[w].key[v]);
	if (size + 5 > CUSTOS_SELECTOR_MAX)
		return 0;
	memcpy(sel_text, "name:", 5);
	memcpy(sel_text + 5, data, size);
	if (custos_selector_parse(&s, sel_text, size + 5) == CUSTOS_OK) {
		custos_hit *hits = NULL;
		size_t nh = 0;
		if (!fuzz_batch_agrees(registry(), &s, &s))
			fail("batched screening differs from one at a time", s.text, NULL);
		if (custos_registry_screen(&hits, &nh, registry(), &s, CUSTOS_DATE_NONE, CUSTOS_DATE_NONE, 0, 1))
			fail("screening failed", s.text, custos_error_last());
		free(hits);
		custos_selector_dispose(&s);
	}
	return 0;
}
