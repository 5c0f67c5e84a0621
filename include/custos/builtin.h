/* custos/builtin.h — data built into the binary: the Belgian rule set, its cases, the demo data. */
#ifndef CUSTOS_BUILTIN_H
#define CUSTOS_BUILTIN_H

#include <stddef.h>

/*
 * The built-in file named by its path in the source tree
 * ("demo/registry.jsonl", "rules/be/10-vcdr.rules"): CUSTOS_ENOTFOUND if
 * there is none. *data stays owned by the library and is NUL-terminated.
 */
int custos_builtin_get(const char **data, size_t *len, const char *name);

#endif
