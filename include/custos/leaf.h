/* custos/leaf.h — the leaf record: what each event of the log commits to. */
#ifndef CUSTOS_LEAF_H
#define CUSTOS_LEAF_H

#include <stddef.h>
#include <stdint.h>

/* A leaf record never exceeds this (it holds no payload, only its hash). */
#define CUSTOS_LEAF_MAX 65535 /* also the C2SP tlog-tiles entry bundle limit */
/* Longest actor or ref accepted in an event. */
#define CUSTOS_EVENT_FIELD_MAX 1024

/*
 * Writes the canonical leaf record of an event into `out` (at most
 * CUSTOS_LEAF_MAX bytes, not NUL-terminated; *len receives its length):
 *
 *     custos-event/v1
 *     index 42
 *     type measure.decided
 *     time 2026-11-24T09:00:00Z
 *     actor vsse-desk-3
 *     ref M-000042
 *     payload sha256:<64 hex>
 *
 * Every line ends in "\n"; an absent actor or ref is written as "-". The leaf
 * binds the event to its index, so reordering rows changes the tree.
 * CUSTOS_EINVALID if a field holds a control character or is too long.
 */
int custos_leaf_format(char *out, size_t *len, size_t cap, int64_t index, const char *type, const char *time,
		       const char *actor, const char *ref, const char *payload_hash);

/* Checks that an event field (type, actor, ref) can be written in a leaf. */
int custos_leaf_field_valid(const char *field, const char *what);

#endif
