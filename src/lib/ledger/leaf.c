/* leaf.c — the canonical leaf record of an event (what the Merkle log hashes). */
#include <stdio.h>
#include <string.h>

#include "custos/leaf.h"
#include "util/util.h"

int custos_leaf_field_valid(const char *field, const char *what)
{
	size_t n;
	if (!field)
		return 0;
	n = strlen(field);
	if (n == 0 || n > CUSTOS_EVENT_FIELD_MAX)
		return custos_error_set(CUSTOS_EINVALID, "event %s: must be 1 to %d bytes", what, CUSTOS_EVENT_FIELD_MAX);
	if (strcmp(field, "-") == 0)
		return custos_error_set(CUSTOS_EINVALID, "event %s: '-' is reserved for an absent value", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)field[i] < 0x20 || field[i] == 0x7f)
			return custos_error_set(CUSTOS_EINVALID, "event %s: control character at byte %zu", what, i);
	return 0;
}

int custos_leaf_format(char *out, size_t *len, size_t cap, int64_t index, const char *type, const char *time,
		       const char *actor, const char *ref, const char *payload_hash)
{
	int rc, n;
	if (index < 0 || !type || !time || !payload_hash)
		return custos_error_set(CUSTOS_EINVALID, "event: index, type, time and payload hash are required");
	if ((rc = custos_leaf_field_valid(type, "type")) || (rc = custos_leaf_field_valid(time, "time")) ||
	    (rc = custos_leaf_field_valid(actor, "actor")) || (rc = custos_leaf_field_valid(ref, "ref")) ||
	    (rc = custos_leaf_field_valid(payload_hash, "payload hash")))
		return rc;
	n = snprintf(out, cap, "custos-event/v1\nindex %lld\ntype %s\ntime %s\nactor %s\nref %s\npayload %s\n",
		     (long long)index, type, time, actor ? actor : "-", ref ? ref : "-", payload_hash);
	if (n < 0 || (size_t)n >= cap)
		return custos_error_set(CUSTOS_ELIMIT, "event %lld: leaf record longer than %zu bytes", (long long)index,
					cap);
	*len = (size_t)n;
	return 0;
}
