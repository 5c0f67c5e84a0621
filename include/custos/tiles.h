/* custos/tiles.h — C2SP tlog-tiles: tile paths and publishing a tree as static tile files. */
#ifndef CUSTOS_TILES_H
#define CUSTOS_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "custos/merkle.h"

/* A full tile holds 2^8 = 256 hashes; the tile at level L holds tree level 8*L. */
#define CUSTOS_TILE_HEIGHT 8
#define CUSTOS_TILE_WIDTH 256

/* The level that names entry bundles (tile/entries/...) in custos_tile_path. */
#define CUSTOS_TILE_ENTRIES (-1)

/*
 * Where the tiles read leaf `index`'s exact bytes: *data must stay valid
 * until the next call. Returns 0 or a custos error code (and message).
 */
typedef int (*custos_entry_reader)(void *ctx, uint64_t index, const uint8_t **data, size_t *len);

/*
 * Writes the tlog-tiles path of a tile into out (NUL-terminated):
 * "tile/<L>/<N>" for level L (0..63) or "tile/entries/<N>" for level
 * CUSTOS_TILE_ENTRIES, N in three-digit groups ("x001/x234/067"), and
 * ".p/<W>" appended when width < 256. Returns 0, CUSTOS_EINVALID for a bad
 * level or width, CUSTOS_ELIMIT if outlen is too small.
 */
int custos_tile_path(char *out, size_t outlen, int level, uint64_t index, unsigned width);

/*
 * Publishes the tree of the first `size` leaves under dir: every full and
 * partial hash tile, every entry bundle (each entry a 2-byte big-endian
 * length, then its bytes; an entry over 65535 bytes is CUSTOS_ELIMIT; none
 * are written if er is NULL), and dir/checkpoint holding signed_checkpoint
 * (skipped if NULL). Directories are created as needed, each file is
 * written to a temporary name, synced and renamed into place, and a file
 * that already holds the same bytes is left alone, so rewriting a tree is
 * idempotent and an earlier, smaller tree's files stay valid.
 */
int custos_tiles_write(const char *dir, uint64_t size, custos_hash_reader rd, void *rd_ctx, custos_entry_reader er,
		       void *er_ctx, const char *signed_checkpoint);

/*
 * One tile of the tree of the first `size` leaves, in memory (what a tile
 * server answers): hash tile `index` of tree level 8*level, or with level
 * CUSTOS_TILE_ENTRIES entry bundle `index`, holding `width` (1..256) hashes
 * or entries, byte for byte what custos_tiles_write puts in the file. A
 * tile the tree does not hold yet is CUSTOS_ENOTFOUND. *out is malloc'd.
 */
int custos_tile_read(uint8_t **out, size_t *len, uint64_t size, int level, uint64_t index, unsigned width,
		     custos_hash_reader rd, void *rd_ctx, custos_entry_reader er, void *er_ctx);

#endif
