/* tiles.c — C2SP tlog-tiles: tile path encoding and writing hash tiles, entry bundles and the checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "custos/tiles.h"
#include "util.h"

#define ENTRY_MAX 65535u
#define BUNDLE_MAX ((size_t)CUSTOS_TILE_WIDTH * (2 + ENTRY_MAX))

/*
 * The index N as tlog-tiles writes it: decimal, cut into groups of three
 * digits from the right, each zero-padded, all but the last prefixed by
 * "x" ("x001/x234/067" for 1234067, "000" for 0).
 */
static int index_path(custos_buf *b, uint64_t n)
{
	unsigned groups[8];
	int k = 0, rc = 0;
	do {
		groups[k++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n);
	while (k-- > 0 && !rc)
		rc = custos_buf_printf(b, "%s%03u%s", k ? "x" : "", groups[k], k ? "/" : "");
	return rc;
}

int custos_tile_path(char *out, size_t outlen, int level, uint64_t index, unsigned width)
{
	custos_buf b;
	int rc;
	if (level < CUSTOS_TILE_ENTRIES || level > 63)
		return custos_error_set(CUSTOS_EINVALID, "tiles: level %d is not -1 (entries) or 0..63", level);
	if (width < 1 || width > CUSTOS_TILE_WIDTH)
		return custos_error_set(CUSTOS_EINVALID, "tiles: width %u is not 1..%d", width, CUSTOS_TILE_WIDTH);
	custos_buf_init(&b, 128);
	if (level == CUSTOS_TILE_ENTRIES)
		rc = custos_buf_puts(&b, "tile/entries/");
	else
		rc = custos_buf_printf(&b, "tile/%d/", level);
	if (!rc)
		rc = index_path(&b, index);
	if (!rc && width < CUSTOS_TILE_WIDTH)
		rc = custos_buf_printf(&b, ".p/%u", width);
	if (!rc && b.len >= outlen)
		rc = custos_error_set(CUSTOS_ELIMIT, "tiles: path %s needs %zu bytes, have %zu", b.ptr, b.len + 1, outlen);
	if (!rc)
		memcpy(out, b.ptr, b.len + 1);
	custos_buf_dispose(&b);
	return rc;
}

/* mkdir -p for every directory above the file at `path`. */
static int make_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			int e = errno;
			*p = '/';
			return custos_error_set(CUSTOS_ERROR, "tiles: cannot create directory for %s: %s", path, strerror(e));
		}
		*p = '/';
	}
	return 0;
}

/* 1 if the file at path holds exactly these bytes. */
static int same_contents(const char *path, const void *data, size_t len)
{
	uint8_t chunk[8192];
	const uint8_t *d = data;
	size_t off = 0, n;
	int same = 1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	while (same && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (n > len - off || memcmp(chunk, d + off, n) != 0)
			same = 0;
		off += n;
	}
	if (ferror(f) || off != len)
		same = 0;
	fclose(f);
	return same;
}

/*
 * Writes dir/rel atomically: a temporary file beside it, synced, then
 * renamed over it. A file that already has these bytes is left untouched.
 */
static int write_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[4096], tmp[4096 + 32];
	const uint8_t *p = data;
	size_t off = 0;
	int fd, n, rc = 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return custos_error_set(CUSTOS_ELIMIT, "tiles: path too long under %s", dir);
	if (same_contents(path, data, len))
		return 0;
	if ((rc = make_parents(path)))
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return custos_error_set(CUSTOS_ERROR, "tiles: cannot create %s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = custos_error_set(CUSTOS_ERROR, "tiles: writing %s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (!rc && fsync(fd) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "tiles: syncing %s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = custos_error_set(CUSTOS_ERROR, "tiles: closing %s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "tiles: renaming %s: %s", tmp, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

/* Reads the `width` hashes of hash tile (level, index): tree level 8*level, hashes 256*index onwards. */
static int hash_tile_fill(custos_hash *hashes, unsigned level, uint64_t index, unsigned width, custos_hash_reader rd,
			  void *ctx)
{
	unsigned tree_level = level * CUSTOS_TILE_HEIGHT;
	int rc;
	for (unsigned i = 0; i < width; i++) {
		uint64_t at = index * CUSTOS_TILE_WIDTH + i;
		if ((rc = rd(ctx, tree_level, at, &hashes[i])))
			return custos_error_prefix(rc, "tiles: reading node (level %u, index %llu)", tree_level,
						   (unsigned long long)at);
	}
	return 0;
}

static int write_hash_tile(const char *dir, unsigned level, uint64_t index, unsigned width, custos_hash_reader rd,
			   void *ctx)
{
	custos_hash hashes[CUSTOS_TILE_WIDTH];
	char rel[256];
	int rc;
	if ((rc = hash_tile_fill(hashes, level, index, width, rd, ctx)) ||
	    (rc = custos_tile_path(rel, sizeof(rel), (int)level, index, width)))
		return rc;
	return write_file(dir, rel, hashes, (size_t)width * sizeof(custos_hash));
}

/* Appends entry bundle `index` of `width` entries to b: each a 2-byte big-endian length, then its bytes. */
static int bundle_fill(custos_buf *b, uint64_t index, unsigned width, custos_entry_reader er, void *ctx)
{
	int rc;
	for (unsigned i = 0; i < width; i++) {
		uint64_t at = index * CUSTOS_TILE_WIDTH + i;
		const uint8_t *data;
		size_t len;
		uint8_t be[2];
		if ((rc = er(ctx, at, &data, &len)))
			return custos_error_prefix(rc, "tiles: reading entry %llu", (unsigned long long)at);
		if (len > ENTRY_MAX)
			return custos_error_set(CUSTOS_ELIMIT, "tiles: entry %llu has %zu bytes, more than %u",
						(unsigned long long)at, len, ENTRY_MAX);
		be[0] = (uint8_t)(len >> 8);
		be[1] = (uint8_t)len;
		if ((rc = custos_buf_append(b, be, 2)) || (len && (rc = custos_buf_append(b, data, len))))
			return rc;
	}
	return 0;
}

static int write_bundle(const char *dir, uint64_t index, unsigned width, custos_entry_reader er, void *ctx,
			custos_buf *b)
{
	char rel[256];
	int rc;
	b->len = 0;
	if ((rc = bundle_fill(b, index, width, er, ctx)) ||
	    (rc = custos_tile_path(rel, sizeof(rel), CUSTOS_TILE_ENTRIES, index, width)))
		return rc;
	return write_file(dir, rel, b->ptr ? b->ptr : "", b->len);
}

int custos_tile_read(uint8_t **out, size_t *len, uint64_t size, int level, uint64_t index, unsigned width,
		     custos_hash_reader rd, void *rd_ctx, custos_entry_reader er, void *er_ctx)
{
	uint64_t count;
	custos_buf b;
	int rc;
	*out = NULL;
	*len = 0;
	if (level < CUSTOS_TILE_ENTRIES || level > 63 || width < 1 || width > CUSTOS_TILE_WIDTH)
		return custos_error_set(CUSTOS_EINVALID, "tiles: no tile of level %d and width %u", level, width);
	count = level == CUSTOS_TILE_ENTRIES ? size
		: (unsigned)level * CUSTOS_TILE_HEIGHT < 64 ? size >> ((unsigned)level * CUSTOS_TILE_HEIGHT)
							   : 0;
	if (index >= UINT64_MAX / CUSTOS_TILE_WIDTH || index * CUSTOS_TILE_WIDTH + width > count)
		return custos_error_set(CUSTOS_ENOTFOUND, "tiles: the tree of %llu leaves has no such tile",
					(unsigned long long)size);
	if (level == CUSTOS_TILE_ENTRIES && !er)
		return custos_error_set(CUSTOS_EINVALID, "tiles: no entry reader");
	custos_buf_init(&b, level == CUSTOS_TILE_ENTRIES ? BUNDLE_MAX : (size_t)width * sizeof(custos_hash));
	if (level == CUSTOS_TILE_ENTRIES) {
		rc = bundle_fill(&b, index, width, er, er_ctx);
	} else {
		custos_hash *hashes = malloc((size_t)width * sizeof(custos_hash));
		rc = hashes ? hash_tile_fill(hashes, (unsigned)level, index, width, rd, rd_ctx)
			    : custos_error_set(CUSTOS_ENOMEM, "out of memory");
		if (!rc)
			rc = custos_buf_append(&b, hashes, (size_t)width * sizeof(custos_hash));
		free(hashes);
	}
	if (rc) {
		custos_buf_dispose(&b);
		return rc;
	}
	*len = b.len;
	*out = (uint8_t *)custos_buf_detach(&b);
	return 0;
}

int custos_tiles_write(const char *dir, uint64_t size, custos_hash_reader rd, void *rd_ctx, custos_entry_reader er,
		       void *er_ctx, const char *signed_checkpoint)
{
	int rc = 0;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return custos_error_set(CUSTOS_ERROR, "tiles: cannot create %s: %s", dir, strerror(errno));
	for (unsigned level = 0; level * CUSTOS_TILE_HEIGHT < 64; level++) {
		uint64_t count = size >> (level * CUSTOS_TILE_HEIGHT);
		uint64_t full = count / CUSTOS_TILE_WIDTH;
		unsigned rest = (unsigned)(count % CUSTOS_TILE_WIDTH);
		if (count == 0)
			break;
		for (uint64_t n = 0; n < full && !rc; n++)
			rc = write_hash_tile(dir, level, n, CUSTOS_TILE_WIDTH, rd, rd_ctx);
		if (!rc && rest)
			rc = write_hash_tile(dir, level, full, rest, rd, rd_ctx);
		if (rc)
			return rc;
	}
	if (er) {
		custos_buf b;
		custos_buf_init(&b, BUNDLE_MAX);
		for (uint64_t n = 0; n < size / CUSTOS_TILE_WIDTH && !rc; n++)
			rc = write_bundle(dir, n, CUSTOS_TILE_WIDTH, er, er_ctx, &b);
		if (!rc && size % CUSTOS_TILE_WIDTH)
			rc = write_bundle(dir, size / CUSTOS_TILE_WIDTH, (unsigned)(size % CUSTOS_TILE_WIDTH), er, er_ctx,
					  &b);
		custos_buf_dispose(&b);
		if (rc)
			return rc;
	}
	if (signed_checkpoint)
		rc = write_file(dir, "checkpoint", signed_checkpoint, strlen(signed_checkpoint));
	return rc;
}
