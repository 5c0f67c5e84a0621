/* custos/registry.h — the registry of protected parties: JSON Lines codec, in-memory index, screening. */
#ifndef CUSTOS_REGISTRY_H
#define CUSTOS_REGISTRY_H

#include <stddef.h>

#include "custos/model.h"
#include "custos/store.h"

/* Longest registry line accepted, in bytes. */
#define CUSTOS_REGISTRY_LINE_MAX (64 * 1024)

/*
 * Decodes one JSON Lines registry entry (DESIGN.md §4). Unknown fields,
 * unknown categories, malformed dates, countries or selectors are rejected
 * with CUSTOS_EINVALID and a message naming the field ("selectors[2]: ...").
 */
int custos_party_decode(custos_party *out, const char *line, size_t len);

/*
 * Encodes a party as its canonical line (no trailing newline): keys in the
 * order of DESIGN.md, every key present (null where absent), selectors in
 * canonical form. Decode(encode(p)) encodes to the same bytes. The returned
 * string is malloc'd.
 */
int custos_party_encode(char **out, const custos_party *p);

/*
 * The in-memory registry: parties and an index over their selectors, built
 * once and then read by any number of threads.
 */
typedef struct custos_registry custos_registry;

/*
 * Takes ownership of `parties` (an array of n parties allocated with malloc)
 * and builds the index. Parties are sorted by id; duplicate ids are an error.
 * On failure the parties are freed as well.
 */
int custos_registry_new(custos_registry **out, custos_party *parties, size_t n);
void custos_registry_free(custos_registry *reg);

size_t custos_registry_count(const custos_registry *reg);
const custos_party *custos_registry_party(const custos_registry *reg, size_t i);
const custos_party *custos_registry_find(const custos_registry *reg, const char *id);

/* "sha256:<hex>" over the canonical lines of every party, sorted by id. */
const char *custos_registry_hash(const custos_registry *reg);

/*
 * When a name hits (docs/NAMES.md): at least min_words significant words
 * shared, a score (100 * 2 * shared / all words of both names) of at least
 * min_score, and the dates of birth equal when both sides give one. The
 * rule set sets them (`name_match min_words 2 min_score 75`);
 * custos_registry_new starts from those values.
 */
typedef struct custos_name_policy {
	unsigned min_words;
	unsigned min_score;
} custos_name_policy;

/* The policy of a rule set that states none. */
#define CUSTOS_NAME_MIN_WORDS 2
#define CUSTOS_NAME_MIN_SCORE 75

/* Sets the name policy; call it before the registry is shared between threads. */
void custos_registry_set_name_policy(custos_registry *reg, const custos_name_policy *policy);
const custos_name_policy *custos_registry_name_policy(const custos_registry *reg);

/*
 * One hit of a look-up: a party and which of its selectors matched. A
 * name hit also says how: the score and the word keys the two names share
 * ("mahtar ablaSav"); other hits leave score 0 and name_key empty.
 */
typedef struct custos_hit {
	const custos_party *party;
	const custos_selector *matched;
	custos_status status;
	unsigned score;
	char name_key[96];
} custos_hit;

/*
 * Why a name does or does not hit each registry name that shares at least
 * one word with it: fn gets the party, its name (a selector, as in hits),
 * the words shared, the score, the shared keys, and NULL for a hit or the
 * reason it is not one ("1 word shared, 2 needed", "score 67 below 75",
 * "born 1963-05-16, the query says 1970-01-01"). A linear walk over every
 * registry name: for --explain, not for streams.
 */
typedef void (*custos_name_explain_fn)(void *ctx, const custos_party *party, const custos_selector *name,
				       unsigned shared, unsigned score, const char *keys, const char *why);
int custos_registry_explain_name(const custos_registry *reg, const custos_selector *sel, custos_name_explain_fn fn,
				 void *ctx);

/*
 * Every party that `sel` touches and whose accreditation (extended by
 * `grace_days` after valid_to) overlaps from..to, or, with `all` set, every
 * party it touches whatever the dates (status says where each stands).
 * Containment counts both ways: a number inside a protected range, a range
 * covering a protected number, an address in a protected domain, a domain
 * holding a protected address, an IP in a protected CIDR and back.
 * Each party appears at most once (its first matching selector). Hits are
 * ordered by party id. *out is malloc'd (NULL when none).
 */
int custos_registry_screen(custos_hit **out, size_t *nout, const custos_registry *reg, const custos_selector *sel,
			   custos_date from, custos_date to, int grace_days, int all);

/*
 * Raw index look-up for streams and benchmarks: calls fn for each
 * (party index, selector index) whose selector touches `sel`, without date
 * filtering or de-duplication. Returns the number of matches. A selector
 * index equal to the party's nselectors means the party was hit by its id
 * (party:ID); custos_registry_screen reports it with a registry-owned
 * "party:ID" selector as `matched`.
 */
typedef void (*custos_match_fn)(void *ctx, size_t party, size_t selector);
size_t custos_registry_match(const custos_registry *reg, const custos_selector *sel, custos_match_fn fn, void *ctx);

/*
 * custos_registry_match over n selectors at once, for streams: the memory
 * loads of a block of look-ups overlap, which is several times faster than
 * one look-up after another. fn also receives the index of the selector in
 * `sels`; matches arrive in no particular order, interleaved across selectors.
 */
typedef void (*custos_match_batch_fn)(void *ctx, size_t query, size_t party, size_t selector);
size_t custos_registry_match_batch(const custos_registry *reg, const custos_selector *sels, size_t n,
				   custos_match_batch_fn fn, void *ctx);

/*
 * The registry in the store. Import parses every line of `text` (JSON Lines;
 * blank lines skipped) before it changes anything: the first bad line
 * rejects the whole file with CUSTOS_EINVALID "SOURCE:LINE: field: problem",
 * an id given twice names both lines, and the store is left as it was.
 * Otherwise, in one transaction, each party is stored as its canonical line
 * (replacing a stored party of the same id) and one "registry.import" event
 * is appended with the payload
 * {"source":…,"count":n,"ids":[…],"registry_hash":"sha256:…"},
 * the hash being that of the registry after the import (see
 * custos_registry_store_hash). *count_out (may be NULL) receives n.
 */
int custos_registry_import(custos_store *st, const char *text, size_t len, const char *source_name,
			   const char *actor, size_t *count_out);

/* Every stored line sorted by id, each ending in "\n"; *out is malloc'd. */
int custos_registry_export(custos_store *st, char **out, size_t *len);

/*
 * "sha256:<hex>" over the export bytes (the canonical lines sorted by id,
 * each ending in "\n"): the registry_hash of DESIGN.md §4.
 */
int custos_registry_store_hash(custos_store *st, char out[72]);

/*
 * Names of the parties `ids` that hit a name of another party (a spelling
 * the screen cannot tell apart): a JSON array
 * [{"id","name","other","other_name","shared","score"}] in *out (malloc'd),
 * or NULL when there is none. An import records them in its event
 * ("name_collisions", present only when there are some).
 */
int custos_registry_name_collisions(char **out, const custos_registry *reg, const char *const *ids, size_t n);

/* Decodes every stored party and builds the in-memory registry. */
int custos_registry_load(custos_store *st, custos_registry **out);

/* The stored line of party `id` (CUSTOS_ENOTFOUND "no party 'ID'"); *line is malloc'd. */
int custos_registry_show(custos_store *st, const char *id, char **line);

/*
 * Applies a registry.import event's payload to the store's parties (the
 * registry is a projection of these events): every line it imported, by id.
 * *legacy is set, and nothing changes, when the payload does not hold its
 * lines (erased, or written before imports carried them).
 */
int custos_registry_project(custos_store *st, const char *payload, int *legacy);

#endif
