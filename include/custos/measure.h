/* custos/measure.h — decoding, validating and encoding measures (DESIGN.md §4). */
#ifndef CUSTOS_MEASURE_H
#define CUSTOS_MEASURE_H

#include <stddef.h>

#include "custos/model.h"

/* Largest measure document accepted, in bytes. */
#define CUSTOS_MEASURE_MAX (256 * 1024)
/* Most targets and persons one measure may name. */
#define CUSTOS_MEASURE_TARGETS_MAX 1000

/*
 * Decodes and validates a measure. Rejects, with CUSTOS_EINVALID and a message
 * naming the field: malformed JSON (with line and column), an unknown field,
 * kind, scope, framework or transfer basis, a flag that is not a boolean, a
 * malformed selector ("targets[1]: ..."), a malformed country, a missing or
 * inverted period, a scope on anything but an interception, a missing
 * requesting_state where the kind needs one.
 */
int custos_measure_decode(custos_measure *out, const char *json, size_t len);

/*
 * Canonical JSON of a measure: every field in a fixed order, selectors in
 * canonical form. decode(encode(m)) encodes to the same bytes. malloc'd.
 */
int custos_measure_encode(char **out, const custos_measure *m);

#endif
