/* tilecache.c — the full log tiles read by any handle of a process, shared by every handle on the same store. */
#include <pthread.h>
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
 * The cache is direct-mapped by tile key (1024 tiles, 16 MiB at most,
 * allocated as used). Readers and writers of a slot hold one of 64 striped
 * read-write locks, so readers of different tiles never wait for each other
 * and a reader copies its 32 bytes under a read lock.
 */
#define SLOT_BITS 10
#define NSLOTS ((size_t)1 << SLOT_BITS)
#define NSTRIPES 64

typedef struct slot {
	uint64_t key; /* 0: empty */
	uint8_t h[CUSTOS_TILE_HASHES][32];
} slot;

struct custos_tile_cache {
	char *identity;
	unsigned refs; /* guarded by registry_lock */
	struct custos_tile_cache *next;
	pthread_rwlock_t stripe[NSTRIPES];
	slot *slots[NSLOTS];
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
			pthread_rwlock_init(&c->stripe[i], NULL);
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
		free(c->slots[i]);
	for (int i = 0; i < NSTRIPES; i++)
		pthread_rwlock_destroy(&c->stripe[i]);
	free(c->identity);
	free(c);
}

static size_t slot_of(uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - SLOT_BITS));
}

int custos_tile_cache_get(custos_tile_cache *c, uint64_t key, unsigned pos, uint8_t out[32])
{
	size_t i = slot_of(key);
	int found = 0;
	if (!c || pos >= CUSTOS_TILE_HASHES)
		return 0;
	pthread_rwlock_rdlock(&c->stripe[i % NSTRIPES]);
	if (c->slots[i] && c->slots[i]->key == key) {
		memcpy(out, c->slots[i]->h[pos], 32);
		found = 1;
	}
	pthread_rwlock_unlock(&c->stripe[i % NSTRIPES]);
	return found;
}

void custos_tile_cache_put(custos_tile_cache *c, uint64_t key, const uint8_t (*h)[32])
{
	size_t i = slot_of(key);
	if (!c)
		return;
	pthread_rwlock_wrlock(&c->stripe[i % NSTRIPES]);
	if (!c->slots[i])
		c->slots[i] = malloc(sizeof(slot)); /* out of memory: the tile is not shared, nothing else */
	if (c->slots[i] && c->slots[i]->key != key) {
		memcpy(c->slots[i]->h, h, sizeof(c->slots[i]->h));
		c->slots[i]->key = key;
	}
	pthread_rwlock_unlock(&c->stripe[i % NSTRIPES]);
}
