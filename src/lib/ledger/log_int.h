/* log_int.h — helpers shared by the register's files (log.c, verify.c, witnessing.c). */
#ifndef CUSTOS_LOG_INT_H
#define CUSTOS_LOG_INT_H

#include "custos/log.h"
#include "custos/note.h"

/* A custos_hash_reader over the store's log_nodes (ctx is the custos_store). */
int custos_log_node_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out);

/* The latest signed checkpoint: its size, the note, and (if parsed != NULL) its parsed body. */
int custos_log_latest_signed(custos_store *st, uint64_t *size, char **note, custos_checkpoint *parsed);

/* The log's signing key, read from its 0600 key file. */
int custos_log_signer(custos_store *st, custos_signer **out);

/* The leaf record of a stored event. */
int custos_log_leaf(custos_store *st, const custos_store_event *e, char *buf, size_t cap, size_t *len);

#endif
