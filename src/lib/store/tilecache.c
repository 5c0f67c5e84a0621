/* tilecache.c — the full log tiles read by any handle of a process, shared by every handle on the same store. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

/*
 * A full tile (CUSTOS_TILE_HASHES hashes) never changes once committed: its
 * hashes are those of leaves that are in the log for good. So a full tile
 * one handle read from committed state serves every other handle of the
 * process on the same store — the server's workers, a verifier's threads —
 * and a proof costs a look-up instead of a query. Partial tiles, and what a
 * write transaction read or wrote (it may roll back), stay in the handle's
 * own cache (store.c).
 *
 * The cache is direct-mapped (8192 tiles, 128 MiB at most, allocated as
 * used): a tile's slot is its index, offset by its level, so the bottom
 * tiles of the first 2 M leaves (the ones a proof reads at random) never
 * evict each other, and a larger log evicts its oldest bottom tiles first. A reader takes no lock: each slot is a sequence lock
 * whose words are C11 atomics — the reader notes the slot's sequence (even:
 * stable), reads the key and its 32 bytes, and keeps them only if the
 * sequence has not moved; a writer (one at a time per stripe of slots, under
 * its mutex) makes the sequence odd, writes, and makes it even again. A proof
 * reads some twenty hashes: a lock taken for each would cost more than the
 * reads.
 */
#define SLOT_BITS 13
#define NSLOTS ((size_t)1 << SLOT_BITS)
#define NSTRIPES 64
#define WORDS (CUSTOS_TILE_HASHES * 4) /* the tile's hashes as 64-bit words */

typedef struct slot {
	_Atomic uint64_t seq; /* odd while a writer changes the slot */
	_Atomic uint64_t key; /* 0: empty */
	_Atomic uint64_t w[WORDS];
} slot;

struct custos_tile_cache {
	char *identity;
	unsigned refs; /* guarded by registry_lock */
	struct custos_tile_cache *next;
	pthread_mutex_t stripe[NSTRIPES]; /* writers of the slots i % NSTRIPES */
	_Atomic(slot *) slots[NSLOTS];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static custos_tile_cache *registry;

custos_tile_cache *custos_tile_cache_attach(const char *identity)
{
	custos_tile_cache *c;
	if (!identity)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	for (c = registry; c && strcmp(c->identity, identity) != 0; c = c->next)
		;
	if (c) {
		c->refs++;
	} else if ((c = calloc(1, sizeof(*c))) && (c->identity = custos_strdup(identity))) {
		for (int i = 0; i < NSTRIPES; i++)
			pthread_mutex_init(&c->stripe[i], NULL);
		for (size_t i = 0; i < NSLOTS; i++)
			atomic_init(&c->slots[i], NULL);
		c->refs = 1;
		c->next = registry;
		registry = c;
	} else {
		free(c); /* out of memory: this handle goes without (its own cache still serves it) */
		c = NULL;
	}
	pthread_mutex_unlock(&registry_lock);
	return c;
}

void custos_tile_cache_detach(custos_tile_cache *c)
{
	custos_tile_cache **p;
	if (!c)
		return;
	pthread_mutex_lock(&registry_lock);
	if (--c->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (p = &registry; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	pthread_mutex_unlock(&registry_lock);
	for (size_t i = 0; i < NSLOTS; i++)
		free(atomic_load(&c->slots[i]));
	for (int i = 0; i < NSTRIPES; i++)
		pthread_mutex_destroy(&c->stripe[i]);
	free(c->identity);
	free(c);
}

static size_t slot_of(uint64_t key)
{
	uint64_t level = (key - 1) >> 56, index = (key - 1) & ((UINT64_C(1) << 56) - 1);
	return (size_t)((index + level * 0x9e37) & (NSLOTS - 1));
}

int custos_tile_cache_get(custos_tile_cache *c, uint64_t key, unsigned pos, uint8_t out[32])
{
	slot *sl;
	uint64_t seq, w[4];
	if (!c || pos >= CUSTOS_TILE_HASHES || !(sl = atomic_load_explicit(&c->slots[slot_of(key)], memory_order_acquire)))
		return 0;
	seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
	if ((seq & 1) || atomic_load_explicit(&sl->key, memory_order_relaxed) != key)
		return 0;
	for (int i = 0; i < 4; i++)
		w[i] = atomic_load_explicit(&sl->w[4 * pos + (unsigned)i], memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&sl->seq, memory_order_relaxed) != seq)
		return 0; /* a writer came by: read it from the store instead */
	memcpy(out, w, 32);
	return 1;
}

void custos_tile_cache_put(custos_tile_cache *c, uint64_t key, const uint8_t (*h)[32])
{
	size_t i = slot_of(key);
	slot *sl;
	if (!c)
		return;
	pthread_mutex_lock(&c->stripe[i % NSTRIPES]);
	if (!(sl = atomic_load_explicit(&c->slots[i], memory_order_relaxed))) {
		/* out of memory: the tile is not shared, nothing else */
		if ((sl = malloc(sizeof(*sl)))) {
			atomic_init(&sl->seq, 0);
			atomic_init(&sl->key, 0);
			atomic_store_explicit(&c->slots[i], sl, memory_order_release);
		}
	}
	if (sl && atomic_load_explicit(&sl->key, memory_order_relaxed) != key) {
		uint64_t seq = atomic_load_explicit(&sl->seq, memory_order_relaxed);
		atomic_store_explicit(&sl->seq, seq + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		atomic_store_explicit(&sl->key, key, memory_order_relaxed);
		for (size_t j = 0; j < WORDS; j++) {
			uint64_t w;
			memcpy(&w, &h[0][0] + 8 * j, 8);
			atomic_store_explicit(&sl->w[j], w, memory_order_relaxed);
		}
		atomic_store_explicit(&sl->seq, seq + 2, memory_order_release);
	}
	pthread_mutex_unlock(&c->stripe[i % NSTRIPES]);
}
