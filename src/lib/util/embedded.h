/* embedded.h — data files built into the binary (see tools/embed.c). */
#ifndef CUSTOS_EMBEDDED_H
#define CUSTOS_EMBEDDED_H

#include <stddef.h>

struct custos_embedded {
	const char *name; /* path relative to the source tree, e.g. "rules/be/vcdr.rules" */
	const char *data; /* NUL-terminated */
	size_t len;
};

/* Terminated by an entry whose name is NULL. Sorted as the Makefile lists them. */
extern const struct custos_embedded custos_embedded_files[];

#endif
