/* builtin.c — looks up the data files built into the binary. */
#include <string.h>

#include "custos/builtin.h"
#include "embedded.h"
#include "util.h"

int custos_builtin_get(const char **data, size_t *len, const char *name)
{
	for (const struct custos_embedded *e = custos_embedded_files; e->name; e++) {
		if (strcmp(e->name, name) == 0) {
			*data = e->data;
			*len = e->len;
			return 0;
		}
	}
	return custos_error_set(CUSTOS_ENOTFOUND, "no built-in file '%s'", name);
}
