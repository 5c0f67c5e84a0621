/* publish.c — what the register hands to auditors: receipts (C2SP tlog-proof) and tiles (C2SP tlog-tiles). */
#include <stdlib.h>
#include <string.h>

#include "custos/leaf.h"
#include "custos/tiles.h"
#include "ledger/log_int.h"
#include "util/util.h"

int custos_log_receipt(custos_store *st, uint64_t index, char **out)
{
	custos_receipt r = {0};
	char *note = NULL, *signed_note = NULL;
	uint64_t size = 0;
	int rc;
	*out = NULL;
	/* sign the current tree first, so that the newest entries have a receipt too */
	if ((rc = custos_log_checkpoint(st, &note)))
		return rc;
	free(note);
	if ((rc = custos_log_latest_signed(st, &size, &signed_note, NULL)))
		return rc;
	if (index >= size) {
		rc = custos_error_set(CUSTOS_EINVALID, "receipt: entry %llu is not in the latest checkpoint (size %llu)",
				      (unsigned long long)index, (unsigned long long)size);
		goto out;
	}
	r.index = index;
	r.checkpoint = signed_note;
	if ((rc = custos_merkle_prove_inclusion(&r.proof, &r.nproof, index, size, custos_log_node_reader, st)))
		goto out;
	rc = custos_receipt_format(out, &r);
out:
	free(r.proof);
	free(signed_note);
	return rc;
}

/* Entry bundles read each leaf record through one reusable buffer. */
typedef struct {
	custos_store *st;
	char buf[CUSTOS_LEAF_MAX];
} entry_ctx;

static int entry_reader(void *ctx, uint64_t index, const uint8_t **data, size_t *len)
{
	entry_ctx *e = ctx;
	custos_store_event ev;
	int rc = custos_store_event_get(e->st, (int64_t)index, &ev);
	if (rc)
		return rc;
	rc = custos_log_leaf(e->st, &ev, e->buf, sizeof(e->buf), len);
	custos_store_event_dispose(&ev);
	*data = (const uint8_t *)e->buf;
	return rc;
}

int custos_log_tiles(custos_store *st, const char *dir)
{
	entry_ctx *e = malloc(sizeof(*e));
	char *note = NULL, *signed_note = NULL;
	uint64_t size = 0;
	int rc;
	if (!e)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	e->st = st;
	if ((rc = custos_log_checkpoint(st, &note)) || (rc = custos_log_latest_signed(st, &size, &signed_note, NULL)))
		goto out;
	/* the published checkpoint carries the cosignatures too */
	rc = custos_tiles_write(dir, size, custos_log_node_reader, st, entry_reader, e, note);
out:
	free(note);
	free(signed_note);
	free(e);
	return rc;
}
