/* log_int.h — helpers shared by the register's files (log.c, verify.c, witnessing.c). */
#ifndef CUSTOS_LOG_INT_H
#define CUSTOS_LOG_INT_H

#include "custos/log.h"
#include "custos/note.h"

/* The meta key holding the path of the log's private key file. */
#define LOG_META_KEY_PATH "log.key_path"
/* The latest signed checkpoint is kept as the key file's path with this suffix (pin.c). */
#define LOG_PIN_SUFFIX ".checkpoint"
/* ... and the chain of every checkpoint signed, beside it with this further suffix (pin.c). */
#define LOG_CHAIN_SUFFIX ".chain"

/* A custos_hash_reader over the store's log_nodes (ctx is the custos_store). */
int custos_log_node_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out);

/* The latest signed checkpoint: its size, the note, and (if parsed != NULL) its parsed body. */
int custos_log_latest_signed(custos_store *st, uint64_t *size, char **note, custos_checkpoint *parsed);

/* The log's signing key, read from its 0600 key file. */
int custos_log_signer(custos_store *st, custos_signer **out);

/* The leaf record of a stored event. */
int custos_log_leaf(custos_store *st, const custos_store_event *e, char *buf, size_t cap, size_t *len);

/*
 * The latest checkpoint custos signed, kept as "<key file>.checkpoint" outside the store (pin.c).
 * have is 0 when there is none (no log key, or nothing signed since pinning began).
 */
typedef struct log_pin {
	int have;
	char *path; /* where it is kept (set even when have is 0, if the log has a key) */
	char *note; /* the signed note as kept */
	custos_checkpoint cp;
} log_pin;

/* Reads the pinned checkpoint; one that is not the log's, signed by its key, is an error naming the file. */
int log_pin_read(custos_store *st, log_pin *p);
void log_pin_dispose(log_pin *p);
/* 0 if the tree of `size` and `root` (its nodes through rd) is the pinned one or an extension of it. */
int log_pin_check(const log_pin *p, uint64_t size, const custos_hash *root, custos_hash_reader rd, void *ctx);
/* Replaces the pinned checkpoint by `note`, atomically and durably. */
int log_pin_write(const log_pin *p, const char *note);
/* The count and running hash of every checkpoint the store holds, in size order (pin.c). */
int log_chain_compute(custos_store *st, uint64_t *count, uint8_t chain[32]);
/* Writes the chain of the checkpoints the store holds beside the pinned checkpoint (atomically, durably). */
int log_chain_write(const log_pin *p, custos_store *st);
/* CUSTOS_EINVALID (naming the file) if the store's checkpoints are not those the kept chain counts. */
int log_chain_check(const log_pin *p, custos_store *st);
/* For a new log (custos_log_setup): removes the checkpoint kept beside a key file just made (another key's). */
int log_pin_forget(const char *key_path);
/* For a new log reusing key file `key_path`: CUSTOS_EEXISTS if that key signed checkpoints of another store. */
int log_pin_refuse_reuse(const char *key_path);

#endif
