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

/* Longest LIID (ETSI TS 102 232-1: 1 to 25 octets). */
#define CUSTOS_LIID_MAX 25
/*
 * 1 if `s` is 1 to `max` characters of A-Z a-z 0-9 . _ - (a LIID with max
 * CUSTOS_LIID_MAX, an agency id with 64): they appear in an interception
 * system's URLs and in token lines, so nothing that needs escaping; and not
 * "0x..." (OpenLI reads such a LIID as its bytes in hex).
 */
int custos_liid_valid(const char *s, size_t max);

#endif
