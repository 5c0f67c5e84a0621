/* verify.c — `custos log verify`: recomputes every leaf, payload hash, stored node and the latest signed checkpoint. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/leaf.h"
#include "ledger/log_int.h"
#include "util/util.h"

#define NONE UINT64_MAX

/*
 * The scan keeps every node hash it recomputes, level by level (about 64
 * bytes per event), so that the stored nodes are then compared in one
 * ordered pass instead of one look-up each.
 */
typedef struct verify_ctx {
	custos_store *st;
	uint64_t next;		 /* the index the next event must have */
	custos_merkle_builder b; /* the tree recomputed from the records */
	custos_hash *lvl[64];	 /* recomputed complete subtrees per level */
	size_t nlvl[64], caplvl[64];
	uint64_t *erased; /* events whose payload is gone */
	size_t nerased, caperased;
	uint64_t *erase_refs; /* events a log.erase event names */
	size_t nrefs, caprefs;
	uint64_t *mismatch[64]; /* per level, the node indexes found not to match (ascending) */
	size_t nmis[64], capmis[64];
	uint64_t bad; /* first bad index found, NONE if none */
	char why[640];
	char leaf[CUSTOS_LEAF_MAX];
	int stop; /* the scan cannot go on (a missing row shifts everything after it) */
	custos_store_event_fn also; /* called for each event checked (custos_log_verify_each) */
	void *also_ctx;
	int also_rc; /* its first failure, with its message in also_why */
	char also_why[640];
} verify_ctx;

/* Records a problem at `index`, keeping the lowest index seen. */
static void flag(verify_ctx *v, uint64_t index, const char *fmt, ...) CUSTOS_PRINTF(3, 4);
static void flag(verify_ctx *v, uint64_t index, const char *fmt, ...)
{
	va_list ap;
	if (v->bad != NONE && v->bad <= index)
		return;
	v->bad = index;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static int keep_u64(uint64_t **arr, size_t *n, size_t *cap, uint64_t x)
{
	int rc = custos_array_reserve(arr, cap, *n, sizeof(**arr), 64);
	if (!rc)
		(*arr)[(*n)++] = x;
	return rc;
}

static int check_event(void *ctx, const custos_store_event *e)
{
	verify_ctx *v = ctx;
	custos_merkle_node nodes[65];
	custos_hash h;
	size_t len, n;
	int rc;

	if (e->index != (int64_t)v->next) {
		flag(v, v->next, "event %llu is missing (the next stored event is %lld)", (unsigned long long)v->next,
		     (long long)e->index);
		v->stop = 1;
		return 1; /* stops the scan */
	}
	v->next++;
	if (!e->payload || !e->payload[0]) {
		if ((rc = keep_u64(&v->erased, &v->nerased, &v->caperased, (uint64_t)e->index)))
			return rc;
	} else {
		uint8_t digest[32];
		char label[72];
		custos_sha256(digest, e->payload, strlen(e->payload));
		custos_sha256_label(label, digest);
		if (!e->payload_hash || strcmp(label, e->payload_hash) != 0)
			flag(v, (uint64_t)e->index, "event %lld: its payload does not match the hash its leaf commits to",
			     (long long)e->index);
	}
	if (e->type && strcmp(e->type, "log.erase") == 0 && e->ref && strncmp(e->ref, "event:", 6) == 0) {
		char *end;
		unsigned long long target = strtoull(e->ref + 6, &end, 10);
		if (*end == '\0' && (rc = keep_u64(&v->erase_refs, &v->nrefs, &v->caprefs, target)))
			return rc;
	}
	if (custos_log_leaf(v->st, e, v->leaf, sizeof(v->leaf), &len) != 0) {
		flag(v, (uint64_t)e->index, "event %lld: its record cannot form a leaf (%s)", (long long)e->index,
		     custos_error_last());
		len = 0; /* hash the empty record: the node comparison then fails too */
	}
	custos_merkle_leaf_hash(&h, v->leaf, len);
	custos_merkle_builder_append(&v->b, &h, nodes, &n);
	for (size_t i = 0; i < n; i++) {
		unsigned l = nodes[i].level;
		if ((rc = custos_array_reserve(&v->lvl[l], &v->caplvl[l], v->nlvl[l], sizeof(custos_hash), 256)))
			return rc;
		v->lvl[l][v->nlvl[l]++] = nodes[i].hash;
	}
	if (v->also && !v->also_rc && (v->also_rc = v->also(v->also_ctx, e))) {
		if (v->also_rc == CUSTOS_ENOMEM)
			return v->also_rc;
		snprintf(v->also_why, sizeof(v->also_why), "%s", custos_error_last());
	}
	return 0;
}

static int mismatched(const verify_ctx *v, unsigned level, uint64_t index)
{
	const uint64_t *m = v->mismatch[level];
	size_t lo = 0, hi = v->nmis[level];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m[mid] == index)
			return 1;
		if (m[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Compares one stored node with the recomputed one. Nodes arrive by level,
 * so a parent is seen after its children: a parent that differs because a
 * child differs is the same fault, reported once, at the lowest index.
 */
static int check_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	verify_ctx *v = ctx;
	uint64_t first = index << level;
	if (index >= v->nlvl[level]) {
		/* hashes of events that are not (or no longer) there */
		uint64_t at = first < v->next ? v->next : first;
		flag(v, at, "event %llu is missing: the stored hash (level %u, index %llu) covers events up to %llu",
		     (unsigned long long)at, level, (unsigned long long)index,
		     (unsigned long long)(((index + 1) << level) - 1));
		return 0;
	}
	if (memcmp(v->lvl[level][index].b, hash, 32) == 0)
		return 0;
	if (keep_u64(&v->mismatch[level], &v->nmis[level], &v->capmis[level], index))
		return CUSTOS_ENOMEM;
	if (level > 0 && (mismatched(v, level - 1, 2 * index) || mismatched(v, level - 1, 2 * index + 1)))
		return 0; /* follows from a child */
	if (level == 0)
		flag(v, index, "event %llu: its record does not match the leaf hash stored for it (edited, or moved)",
		     (unsigned long long)index);
	else
		flag(v, first, "event %llu: the stored hash of level %u, index %llu was changed",
		     (unsigned long long)first, level, (unsigned long long)index);
	return 0;
}

typedef struct {
	verify_ctx *v;
	size_t seen[64];
} node_count;

static int count_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	node_count *c = ctx;
	if (level >= 64)
		return 0;
	if (index != c->seen[level])
		flag(c->v, c->seen[level] << level, "event %llu: the stored node (level %u, index %zu) is missing",
		     (unsigned long long)(c->seen[level] << level), level, c->seen[level]);
	c->seen[level] = index + 1;
	return check_node(c->v, level, index, hash);
}

static int memory_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	verify_ctx *v = ctx;
	if (level >= 64 || index >= v->nlvl[level])
		return custos_error_set(CUSTOS_ENOTFOUND, "no node (%u, %llu)", level, (unsigned long long)index);
	*out = v->lvl[level][index];
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Every stored checkpoint, not only the latest: signed by the log's key, for
 * its own size, and its root that of the recomputed tree of that size (so each
 * is consistent with every other, and with the log as it is).
 */
typedef struct {
	verify_ctx *v;
	custos_verifier *ver;
	const char *vkey;
	const char *note; /* the checkpoint being checked, and its size */
	uint64_t size;
} ckpt_ctx;

/* A stored cosignature line of the checkpoint c->note: by a witness of the log, and verifying under its key. */
static int check_cosignature(void *vctx, const char *witness, const char *line)
{
	ckpt_ctx *c = vctx;
	custos_buf b, key;
	custos_note n = {0};
	custos_verifier *w = NULL;
	char *wkey = NULL;
	uint64_t ts;
	int rc, ok = 0, parsed = 0;
	custos_buf_init(&b, 1u << 20);
	custos_buf_init(&key, 1024);
	if ((rc = custos_buf_puts(&b, c->note)) || (rc = custos_buf_puts(&b, line)) ||
	    (rc = custos_buf_printf(&key, "log.witness.%s", witness)))
		goto out;
	if (custos_store_meta_get(c->v->st, key.ptr, &wkey) == 0 && custos_cosignature_verifier_new(&w, wkey) == 0 &&
	    custos_note_parse(&n, b.ptr, b.len) == 0) {
		parsed = 1;
		ok = custos_cosignature_verify(&n, w, &ts) == 0;
	}
	if (!ok)
		flag(c->v, c->size ? c->size - 1 : 0,
		     "the cosignature stored for the checkpoint of size %llu by %s does not verify under a key the log "
		     "registered for that witness",
		     (unsigned long long)c->size, witness);
out:
	if (parsed)
		custos_note_dispose(&n);
	custos_verifier_free(w);
	free(wkey);
	custos_buf_dispose(&b);
	custos_buf_dispose(&key);
	return rc;
}

static int check_one_checkpoint(void *vctx, uint64_t size, const char *text)
{
	ckpt_ctx *c = vctx;
	verify_ctx *v = c->v;
	custos_checkpoint cp = {0};
	custos_note note = {0};
	custos_hash root;
	int rc = 0, have_note = custos_note_parse(&note, text, strlen(text)) == 0, have_cp = 0;
	if (!have_note || custos_note_verify(&note, c->ver) != 0) {
		flag(v, size ? size - 1 : 0, "the checkpoint of size %llu is not signed by the log's key %s",
		     (unsigned long long)size, c->vkey);
		goto out;
	}
	if (custos_checkpoint_parse(&cp, note.text, note.text_len) || cp.size != size) {
		have_cp = 1;
		flag(v, size ? size - 1 : 0, "the checkpoint stored for size %llu is not a checkpoint of that size",
		     (unsigned long long)size);
		goto out;
	}
	have_cp = 1;
	if (size > v->next) {
		flag(v, v->next, "the checkpoint of size %llu covers events missing from %llu on",
		     (unsigned long long)size, (unsigned long long)v->next);
		goto out;
	}
	if ((rc = custos_merkle_root(&root, size, memory_reader, v)))
		goto out;
	if (memcmp(root.b, cp.root.b, 32) != 0)
		flag(v, size ? size - 1 : 0,
		     "the events up to %llu do not match the root of the checkpoint signed at that size "
		     "(history rewritten, hashes recomputed)",
		     (unsigned long long)size);
	/* its witnesses' cosignatures, each under the key the log registered for that witness */
	c->note = text;
	c->size = size;
	rc = custos_store_cosignature_each(v->st, size, check_cosignature, c);
out:
	if (have_note)
		custos_note_dispose(&note);
	if (have_cp)
		custos_checkpoint_dispose(&cp);
	return rc;
}

static int check_checkpoint(verify_ctx *v)
{
	ckpt_ctx c = {v, NULL, NULL, NULL, 0};
	char *vkey = NULL;
	int rc = custos_store_checkpoint_latest(v->st, &(uint64_t){0}, &vkey);
	free(vkey);
	vkey = NULL;
	if (rc == CUSTOS_ENOTFOUND)
		return 0; /* nothing signed yet */
	if (rc)
		return rc;
	if ((rc = custos_log_vkey(v->st, &vkey)) || (rc = custos_verifier_new(&c.ver, vkey)))
		goto out;
	c.vkey = vkey;
	rc = custos_store_checkpoint_each(v->st, check_one_checkpoint, &c);
out:
	custos_verifier_free(c.ver);
	free(vkey);
	return rc;
}

typedef struct {
	const log_pin *pin;
	int found;
} pin_find;

static int pin_match(void *vctx, uint64_t size, const char *note)
{
	pin_find *f = vctx;
	if (size == f->pin->cp.size && strcmp(note, f->pin->note) == 0)
		f->found = 1;
	return 0;
}

static int pin_stored(custos_store *st, const log_pin *pin)
{
	pin_find f = {pin, 0};
	return custos_store_checkpoint_each(st, pin_match, &f) == 0 && f.found;
}

/*
 * The checkpoint kept beside the log key: a store holding fewer events, or a tree that does not extend it,
 * was rolled back (every hash inside the store can agree with every other; only this copy can tell).
 */
static int check_pin(verify_ctx *v)
{
	log_pin pin;
	custos_hash root;
	int rc = log_pin_read(v->st, &pin);
	if (rc == CUSTOS_ENOMEM)
		return rc;
	if (rc) {
		flag(v, NONE - 1, "%s", custos_error_last());
		return 0;
	}
	if (pin.have) {
		if ((rc = custos_merkle_root(&root, v->next, memory_reader, v)))
			goto out;
		if (log_pin_check(&pin, v->next, &root, memory_reader, v))
			flag(v, v->next < pin.cp.size ? v->next : pin.cp.size - 1, "%s", custos_error_last());
		/* the checkpoint kept beside the key is in the store (it is the latest custos signed) */
		if (v->bad == NONE && !pin_stored(v->st, &pin))
			flag(v, pin.cp.size ? pin.cp.size - 1 : 0,
			     "the checkpoint custos signed at size %llu (%s) is not in the store: deleted, or its "
			     "signing did not commit ('custos log checkpoint' stores it again)",
			     (unsigned long long)pin.cp.size, pin.path);
	}
	/* and every checkpoint custos signed, none deleted, changed or added: their chain kept beside it */
	if (v->bad == NONE && pin.path && (rc = log_chain_check(&pin, v->st))) {
		if (rc != CUSTOS_EINVALID)
			goto out;
		rc = 0;
		flag(v, v->next ? v->next - 1 : 0, "%s", custos_error_last());
	}
out:
	log_pin_dispose(&pin);
	return rc;
}

int custos_log_verify(custos_store *st, uint64_t *checked)
{
	return custos_log_verify_each(st, checked, NULL, NULL);
}

int custos_log_verify_each(custos_store *st, uint64_t *checked, custos_store_event_fn fn, void *ctx)
{
	verify_ctx *v = calloc(1, sizeof(*v));
	node_count nc;
	int rc;
	if (!v)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	v->st = st;
	v->also = fn;
	v->also_ctx = ctx;
	v->bad = NONE;
	*checked = 0;
	rc = custos_store_event_each(st, check_event, v);
	if (rc == 1 && v->stop)
		rc = 0;
	if (rc)
		goto out;
	memset(&nc, 0, sizeof(nc));
	nc.v = v;
	if ((rc = custos_store_log_node_each(st, count_node, &nc)))
		goto out;
	for (unsigned l = 0; l < 64; l++)
		if (nc.seen[l] < v->nlvl[l])
			flag(v, (uint64_t)nc.seen[l] << l, "event %llu: the stored node (level %u, index %zu) is missing",
			     (unsigned long long)((uint64_t)nc.seen[l] << l), l, nc.seen[l]);
	/* every erased payload must have been erased by a recorded log.erase event */
	if (v->nrefs)
		qsort(v->erase_refs, v->nrefs, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < v->nerased; i++)
		if (!v->nrefs || !bsearch(&v->erased[i], v->erase_refs, v->nrefs, sizeof(uint64_t), cmp_u64))
			flag(v, v->erased[i], "event %llu: its payload is gone but no log.erase event erased it",
			     (unsigned long long)v->erased[i]);
	if (!v->stop && ((rc = check_checkpoint(v)) || (rc = check_pin(v))))
		goto out;
	*checked = v->next;
	if (v->bad != NONE)
		rc = custos_error_set(CUSTOS_EINVALID, "%s", v->why);
	else if (v->also_rc)
		rc = custos_error_set(v->also_rc, "%s", v->also_why);
out:
	for (unsigned l = 0; l < 64; l++) {
		free(v->lvl[l]);
		free(v->mismatch[l]);
	}
	free(v->erased);
	free(v->erase_refs);
	free(v);
	return rc;
}
