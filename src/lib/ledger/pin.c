/* pin.c — the latest signed checkpoint kept beside the log's key, outside the database, so a rolled-back store shows. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custos/note.h"
#include "ledger/log_int.h"
#include "util/util.h"

/*
 * The database can be rolled back behind custos' back: a WAL cut short, a
 * backup restored, a tail of rows deleted with the triggers dropped. Every
 * hash in it then agrees with every other, and only something kept
 * elsewhere can tell. So whenever custos signs a checkpoint it first writes
 * it to "<log key file>.checkpoint" (atomically: a temporary file, fsync,
 * rename, fsync of the directory), and it never signs, nor lets the command
 * line work on, a tree that is smaller than that checkpoint or not an
 * extension of it. Whoever can write there holds the key anyway.
 */

/* The path of the checkpoint kept beside key file `key_path` (pin.c), malloc'd into *out. */
static int pin_path_of(const char *key_path, char **out)
{
	custos_buf b;
	custos_buf_init(&b, 8192);
	if (custos_buf_printf(&b, "%s" LOG_PIN_SUFFIX, key_path) || !(*out = custos_buf_detach(&b)))
		return custos_error_set(CUSTOS_ELIMIT, "log key path too long");
	return 0;
}

static int chain_path(const log_pin *p, char **out);

int log_pin_forget(const char *key_path)
{
	char *pin = NULL, *chain = NULL;
	int rc = pin_path_of(key_path, &pin);
	if (!rc && unlink(pin) != 0 && errno != ENOENT)
		rc = custos_error_set(CUSTOS_ERROR, "cannot remove %s: %s", pin, strerror(errno));
	if (!rc && !(rc = chain_path(&(log_pin){.path = pin}, &chain)) && unlink(chain) != 0 && errno != ENOENT)
		rc = custos_error_set(CUSTOS_ERROR, "cannot remove %s: %s", chain, strerror(errno));
	free(chain);
	free(pin);
	return rc;
}

/* A new store reusing a key that has signed checkpoints would fork that log under the same key. */
int log_pin_refuse_reuse(const char *key_path)
{
	char *pin = NULL;
	int rc = pin_path_of(key_path, &pin);
	if (!rc && access(pin, F_OK) == 0)
		rc = custos_error_set(CUSTOS_EEXISTS,
				      "log key %s has signed checkpoints of another store (%s): a new store under it "
				      "would fork that log; give a new key file (--key), or use the store that holds it",
				      key_path, pin);
	free(pin);
	return rc;
}

void log_pin_dispose(log_pin *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->note);
	custos_checkpoint_dispose(&p->cp);
	memset(p, 0, sizeof(*p));
}

/* Parses a pinned note: signed by the log's key (vkey from the store), a checkpoint of the log's origin. */
static int pin_parse(custos_store *st, log_pin *p)
{
	custos_verifier *v = NULL;
	custos_note n;
	char *vkey = NULL, *origin = NULL;
	int rc, parsed = 0;
	if ((rc = custos_log_vkey(st, &vkey)) || (rc = custos_log_origin(st, &origin)) ||
	    (rc = custos_verifier_new(&v, vkey)))
		goto out;
	if ((rc = custos_note_parse(&n, p->note, strlen(p->note))))
		goto out;
	parsed = 1;
	if (custos_note_verify(&n, v)) {
		rc = custos_error_set(CUSTOS_ERROR, "not signed by the log's key");
		goto out;
	}
	if ((rc = custos_checkpoint_parse(&p->cp, n.text, n.text_len)))
		goto out;
	if (strcmp(p->cp.origin, origin) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "a checkpoint of '%s', not of this log ('%s')", p->cp.origin,
				      origin);
out:
	if (parsed)
		custos_note_dispose(&n);
	custos_verifier_free(v);
	free(vkey);
	free(origin);
	return rc;
}

int log_pin_read(custos_store *st, log_pin *p)
{
	char *key = NULL;
	int rc;
	memset(p, 0, sizeof(*p));
	if ((rc = custos_store_meta_get(st, LOG_META_KEY_PATH, &key)))
		return rc == CUSTOS_ENOTFOUND ? 0 : rc; /* no log set up: nothing signed */
	rc = pin_path_of(key, &p->path);
	free(key);
	if (rc)
		return rc;
	rc = custos_file_read(&p->note, NULL, p->path, 1u << 20);
	if (rc == CUSTOS_ENOTFOUND)
		return 0; /* nothing signed yet (or signed before checkpoints were pinned) */
	if (!rc && !(rc = pin_parse(st, p))) {
		p->have = 1;
		return 0;
	}
	/* not input to refuse but a store or key directory not to be trusted: CUSTOS_ERROR */
	custos_error_prefix(rc == CUSTOS_ENOMEM ? rc : CUSTOS_ERROR, "signed checkpoint %s", p->path);
	log_pin_dispose(p);
	return rc == CUSTOS_ENOMEM ? rc : CUSTOS_ERROR;
}

int log_pin_check(const log_pin *p, uint64_t size, const custos_hash *root, custos_hash_reader rd, void *ctx)
{
	custos_hash *proof = NULL;
	size_t n = 0;
	uint64_t want;
	int rc;
	if (!p->have)
		return 0;
	want = p->cp.size;
	if (size < want)
		return custos_error_set(CUSTOS_ERROR,
					"the log holds %llu events, but custos signed a checkpoint of %llu (%s): "
					"events %llu to %llu are gone (rolled back, or its tail cut)",
					(unsigned long long)size, (unsigned long long)want, p->path, (unsigned long long)size,
					(unsigned long long)want - 1);
	if (size == want) {
		if (memcmp(root->b, p->cp.root.b, sizeof(root->b)) == 0)
			return 0;
	} else if (want == 0 ||
		   (!custos_merkle_prove_consistency(&proof, &n, want, size, rd, ctx) &&
		    !custos_merkle_verify_consistency(want, size, &p->cp.root, root, proof, n))) {
		free(proof);
		return 0;
	}
	free(proof);
	rc = custos_error_set(CUSTOS_ERROR,
			      "the tree of size %llu is not an extension of the checkpoint custos signed at size %llu "
			      "(%s): history rewritten",
			      (unsigned long long)size, (unsigned long long)want, p->path);
	return rc;
}

/* Writes all of s to fd. */
static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Replaces file `path` by `text`: a temporary file, fsync, rename, fsync of the directory. */
static int write_durably(const char *path, const char *note)
{
	char *tmp = NULL, *dir = NULL;
	custos_buf b;
	int fd = -1, dfd, rc = 0;
	custos_buf_init(&b, 8192);
	if (custos_buf_printf(&b, "%s.XXXXXX", path) || !(tmp = custos_buf_detach(&b)))
		return custos_error_set(CUSTOS_ELIMIT, "log key path too long");
	if ((fd = mkstemp(tmp)) < 0) {
		rc = custos_error_set(CUSTOS_ERROR, "cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	if (write_all(fd, note, strlen(note)) || fsync(fd) != 0) {
		rc = custos_error_set(CUSTOS_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		rc = custos_error_set(CUSTOS_ERROR, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	/* the rename itself must be durable before the checkpoint is handed out */
	if ((dir = custos_strdup(path)) && (dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(dfd) != 0)
			rc = custos_error_set(CUSTOS_ERROR, "cannot sync the directory of %s: %s", path,
					      strerror(errno));
		close(dfd);
	} else {
		rc = custos_error_set(CUSTOS_ERROR, "cannot sync the directory of %s: %s", path,
				      dir ? strerror(errno) : "out of memory");
	}
	free(dir);
	free(tmp);
	return rc;
out:
	unlink(tmp);
	free(tmp);
	return rc;
}

int log_pin_write(const log_pin *p, const char *note)
{
	if (!p->path)
		return 0; /* no key file, nothing signed with it */
	return write_durably(p->path, note);
}

/*
 * The chain of every checkpoint custos signed, kept beside the pinned one
 * ("<key file>.checkpoint" LOG_CHAIN_SUFFIX): how many, and a running hash
 * over their notes in the order of their sizes,
 *   chain(0) = 32 zero bytes, chain(i) = SHA-256(chain(i-1) || SHA-256(note i)).
 * The store holds the notes; a deleted or edited one changes the chain.
 */
typedef struct {
	uint64_t count;
	uint8_t chain[32];
} chain_ctx;

static int chain_one(void *vctx, uint64_t size, const char *note)
{
	chain_ctx *c = vctx;
	uint8_t buf[64];
	(void)size;
	memcpy(buf, c->chain, 32);
	custos_sha256(buf + 32, note, strlen(note));
	custos_sha256(c->chain, buf, sizeof(buf));
	c->count++;
	return 0;
}

int log_chain_compute(custos_store *st, uint64_t *count, uint8_t chain[32])
{
	chain_ctx c = {0, {0}};
	int rc = custos_store_checkpoint_each(st, chain_one, &c);
	*count = c.count;
	memcpy(chain, c.chain, 32);
	return rc;
}

static int chain_path(const log_pin *p, char **out)
{
	custos_buf b;
	custos_buf_init(&b, 8192);
	if (custos_buf_printf(&b, "%s" LOG_CHAIN_SUFFIX, p->path) || !(*out = custos_buf_detach(&b)))
		return custos_error_set(CUSTOS_ELIMIT, "log key path too long");
	return 0;
}

int log_chain_write(const log_pin *p, custos_store *st)
{
	uint64_t count;
	uint8_t chain[32];
	char hex[65], line[128], *path = NULL;
	int rc;
	if (!p->path)
		return 0;
	if ((rc = log_chain_compute(st, &count, chain)) || (rc = chain_path(p, &path)))
		return rc;
	custos_hex(hex, chain, 32);
	snprintf(line, sizeof(line), "custos-checkpoint-chain/v1\ncount %llu\nchain %s\n", (unsigned long long)count,
		 hex);
	rc = write_durably(path, line);
	free(path);
	return rc;
}

int log_chain_check(const log_pin *p, custos_store *st)
{
	uint64_t count, want_count;
	uint8_t chain[32];
	char hex[65], want[65], *path = NULL, *text = NULL;
	int rc;
	if (!p->path)
		return 0;
	if ((rc = chain_path(p, &path)))
		return rc;
	rc = custos_file_read(&text, NULL, path, 4096);
	if (rc == CUSTOS_ENOTFOUND) {
		free(path);
		return 0; /* signed before the chain was kept: the next checkpoint starts it */
	}
	if (!rc) {
		/* "custos-checkpoint-chain/v1\ncount N\nchain HEX\n" */
		static const char head[] = "custos-checkpoint-chain/v1\ncount ";
		const char *at = text, *c = NULL;
		char *end = NULL;
		want_count = 0;
		if (strncmp(at, head, sizeof(head) - 1) == 0) {
			at += sizeof(head) - 1;
			want_count = strtoull(at, &end, 10);
		}
		if (!end || end == at || strncmp(end, "\nchain ", 7) != 0 || strlen(c = end + 7) != 65 || c[64] != '\n' ||
		    strspn(c, "0123456789abcdef") != 64)
			rc = custos_error_set(CUSTOS_ERROR, "%s: not a checkpoint chain", path);
		if (!rc) {
			memcpy(want, c, 64);
			want[64] = '\0';
		}
	}
	if (!rc && !(rc = log_chain_compute(st, &count, chain))) {
		custos_hex(hex, chain, 32);
		if (count != want_count || strcmp(hex, want) != 0)
			rc = custos_error_set(CUSTOS_EINVALID,
					      "the store holds %llu checkpoints, not the %llu custos signed (%s): one was "
					      "deleted, changed or added",
					      (unsigned long long)count, (unsigned long long)want_count, path);
	}
	free(text);
	free(path);
	return rc;
}

int custos_log_check_pinned(custos_store *st)
{
	log_pin p;
	custos_hash root;
	uint64_t size;
	int rc, began = 0;
	if ((rc = log_pin_read(st, &p)) || !p.have)
		goto out;
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin_read(st)))
			goto out;
		began = 1;
	}
	if (!(rc = custos_log_head(st, &size, &root)))
		rc = log_pin_check(&p, size, &root, custos_log_node_reader, st);
	if (began && custos_store_commit(st) && !rc) /* a read ends with commit: it keeps the node cache */
		rc = CUSTOS_ERROR;
out:
	log_pin_dispose(&p);
	return rc;
}
