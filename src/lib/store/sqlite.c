/* sqlite.c — the SQLite store backend: WAL, versioned migrations, append-only events. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_int.h"
#include "util/util.h"

typedef struct sq_store sq_store;
static int migrate_nodes_to_tiles(sq_store *s);

/*
 * The schema, as an ordered list of migration steps. Step i brings the store
 * from user_version i to i + 1; each runs inside one transaction together
 * with the version bump: first its SQL, then (if any) its C part, which
 * moves data the SQL alone cannot. Later changes append steps here; a step,
 * once released, never changes.
 */
static const struct migration {
	const char *sql;
	int (*run)(sq_store *s);
} migrations[] = {
	/* 1: the first schema */
	{"CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE parties(id TEXT PRIMARY KEY NOT NULL, line TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE rulesets(hash TEXT PRIMARY KEY NOT NULL, canonical TEXT NOT NULL,"
	"  loaded_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE measures(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, measure TEXT NOT NULL,"
	"  decision TEXT NOT NULL, state TEXT NOT NULL, filed_at TEXT NOT NULL);"
	"CREATE TABLE events(idx INTEGER PRIMARY KEY CHECK (idx >= 0), type TEXT NOT NULL, time TEXT NOT NULL,"
	"  actor TEXT, ref TEXT, payload TEXT NOT NULL, payload_hash TEXT NOT NULL);"
	/* Defence in depth: events are append-only and densely numbered. */
	"CREATE TRIGGER events_dense BEFORE INSERT ON events"
	"  WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM events)"
	"  BEGIN SELECT RAISE(ABORT, 'events: index must be the next dense index'); END;"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;"
	"INSERT INTO meta(key, value) VALUES('store_format', 'custos');",
	NULL},
	/* 2: the Merkle log beside the events, checkpoints, cosignatures, witness state, erasure */
	{"CREATE TABLE log_nodes(level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),"
	"  idx INTEGER NOT NULL CHECK (idx >= 0), hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes"
	"  BEGIN SELECT RAISE(ABORT, 'log nodes are append-only: UPDATE refused'); END;"
	"CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes"
	"  BEGIN SELECT RAISE(ABORT, 'log nodes are append-only: DELETE refused'); END;"
	"CREATE TABLE checkpoints(size INTEGER PRIMARY KEY CHECK (size >= 0), note TEXT NOT NULL,"
	"  signed_at TEXT NOT NULL);"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE refused'); END;"
	"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused'); END;"
	"CREATE TABLE cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL,"
	"  received_at TEXT NOT NULL, PRIMARY KEY(size, witness)) WITHOUT ROWID;"
	"CREATE TABLE witnessed_logs(origin TEXT PRIMARY KEY NOT NULL, vkey TEXT NOT NULL,"
	"  size INTEGER NOT NULL CHECK (size >= 0), root BLOB NOT NULL CHECK (length(root) = 32),"
	"  updated_at TEXT NOT NULL) WITHOUT ROWID;"
	/* The only change an event admits: its payload erased ('') at the end of its retention. */
	"DROP TRIGGER events_no_update;"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  WHEN NOT (NEW.payload = '' AND OLD.payload <> '' AND NEW.idx = OLD.idx AND NEW.type = OLD.type"
	"    AND NEW.time = OLD.time AND NEW.actor IS OLD.actor AND NEW.ref IS OLD.ref"
	"    AND NEW.payload_hash = OLD.payload_hash)"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;",
	NULL},
	/*
	 * 3: the tree's hashes in tiles (store_int.h): one row per tile of
	 * height 8, holding every complete subtree hash of its level band in
	 * the order they were completed, so that a partial tile only ever
	 * grows. Keyed by one integer, tile = level << 56 | idx, so that a
	 * read is one rowid look-up. The C part moves log_nodes into log_tiles
	 * and drops it.
	 */
	{"CREATE TABLE log_tiles(tile INTEGER PRIMARY KEY CHECK (tile = (level << 56 | idx)),"
	 "  level INTEGER NOT NULL CHECK (level >= 0 AND level < 8),"
	 "  idx INTEGER NOT NULL CHECK (idx >= 0 AND idx < 72057594037927936),"
	 "  hashes BLOB NOT NULL CHECK (typeof(hashes) = 'blob' AND length(hashes) % 32 = 0"
	 "    AND length(hashes) BETWEEN 32 AND 16320));"
	 "CREATE TRIGGER log_tiles_no_update BEFORE UPDATE ON log_tiles"
	 "  WHEN NOT (NEW.tile = OLD.tile AND NEW.level = OLD.level AND NEW.idx = OLD.idx"
	 "    AND length(NEW.hashes) > length(OLD.hashes) AND substr(NEW.hashes, 1, length(OLD.hashes)) = OLD.hashes)"
	 "  BEGIN SELECT RAISE(ABORT, 'log tiles only grow at their end: UPDATE refused'); END;"
	 "CREATE TRIGGER log_tiles_no_delete BEFORE DELETE ON log_tiles"
	 "  BEGIN SELECT RAISE(ABORT, 'log tiles are append-only: DELETE refused'); END;"
	 /*
	  * An append no longer looks up MAX(idx) twice: custos takes the index
	  * from its right edge, checked against the stored count once per write
	  * transaction under the write lock; the primary key refuses a second
	  * event at an index, so two writers cannot collide. A gap can only be
	  * made from outside custos, and `log verify` names it.
	  */
	 "DROP TRIGGER events_dense;",
	 migrate_nodes_to_tiles},
	/*
	 * 4: records of the life of measures (principals, signed statements,
	 * authorisations): JSON bodies by kind and id. The events of the log are
	 * the truth; these rows are the index the workflow reads, and `verify`
	 * checks them against the log and the signatures.
	 */
	{"CREATE TABLE records(kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
	 "  PRIMARY KEY(kind, id)) WITHOUT ROWID;",
	 NULL},
	/*
	 * 5: signed requests that changed state, each accepted once ever: its key
	 * (the hash of its signature) and the index of the first event it wrote,
	 * claimed in the same transaction as its effect (custos_store_claim_request).
	 */
	{"CREATE TABLE requests(key TEXT PRIMARY KEY NOT NULL, idx INTEGER NOT NULL CHECK (idx >= 0)) WITHOUT ROWID;"
	 "CREATE TRIGGER requests_no_update BEFORE UPDATE ON requests"
	 "  BEGIN SELECT RAISE(ABORT, 'requests are append-only: UPDATE refused'); END;"
	 "CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests"
	 "  BEGIN SELECT RAISE(ABORT, 'requests are append-only: DELETE refused'); END;",
	 NULL},
	/*
	 * 6: who may be shown each measure (custos_store_access_add), so that a
	 * listing reads only what concerns its reader; filled here from the
	 * measures and lives already stored.
	 */
	{"CREATE TABLE measure_access(who TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(who, seq)) WITHOUT ROWID;"
	 "INSERT OR IGNORE INTO measure_access(who, seq)"
	 "  SELECT 'authority:' || json_extract(measure, '$.requested_by'), seq FROM measures"
	 "  WHERE json_valid(measure) AND json_type(measure, '$.requested_by') = 'text';"
	 "INSERT OR IGNORE INTO measure_access(who, seq)"
	 "  SELECT 'role:' || json_extract(a.value, '$.role'), m.seq FROM measures m, json_each(m.decision, '$.approvals') a"
	 "  WHERE json_valid(m.decision) AND json_type(a.value, '$.role') = 'text';"
	 "INSERT OR IGNORE INTO measure_access(who, seq)"
	 "  SELECT 'role:' || json_extract(a.value, '$.role'), m.seq FROM records r JOIN measures m ON m.id = r.id,"
	 "    json_each(r.body, '$.approvals') a"
	 "  WHERE r.kind = 'life' AND json_valid(r.body) AND json_type(a.value, '$.role') = 'text';"
	 "INSERT OR IGNORE INTO measure_access(who, seq)"
	 "  SELECT 'principal:' || s.key, m.seq FROM records r JOIN measures m ON m.id = r.id, json_each(r.body, '$.signers') s"
	 "  WHERE r.kind = 'life' AND json_valid(r.body);",
	 NULL},
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Statements prepared once per connection and reused. */
enum {
	Q_BEGIN,
	Q_BEGIN_READ,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_META_GET,
	Q_META_SET,
	Q_PARTY_PUT,
	Q_PARTY_GET,
	Q_PARTY_COUNT,
	Q_RULES_PUT,
	Q_RULES_GET,
	Q_MEASURE_NEXT,
	Q_MEASURE_PUT,
	Q_MEASURE_STATE,
	Q_MEASURE_GET,
	Q_EVENT_APPEND,
	Q_EVENT_COUNT,
	Q_EVENT_GET,
	Q_EVENT_FIND,
	Q_EVENT_ERASE,
	Q_TILE_PUT,
	Q_TILE_GET,
	Q_CKPT_PUT,
	Q_CKPT_LATEST,
	Q_COSIG_PUT,
	Q_WITNESS_GET,
	Q_WITNESS_PUT,
	Q_RECORD_PUT,
	Q_RECORD_GET,
	Q_RECORD_RANGE,
	Q_ACCESS_ADD,
	Q__COUNT
};

static const char *const query_sql[Q__COUNT] = {
	/* prepared too: a proof is a read transaction around a few look-ups, parsing these would double its cost */
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_BEGIN_READ] = "BEGIN DEFERRED",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[Q_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[Q_PARTY_PUT] = "INSERT INTO parties(id, line) VALUES(?1, ?2)"
			" ON CONFLICT(id) DO UPDATE SET line = excluded.line",
	[Q_PARTY_GET] = "SELECT line FROM parties WHERE id = ?1",
	[Q_PARTY_COUNT] = "SELECT COUNT(*) FROM parties",
	[Q_RULES_PUT] = "INSERT INTO rulesets(hash, canonical, loaded_at) VALUES(?1, ?2, ?3)"
			" ON CONFLICT(hash) DO NOTHING",
	[Q_RULES_GET] = "SELECT canonical FROM rulesets WHERE hash = ?1",
	/*
	 * The number follows the last measure the log filed (its measure.filed
	 * event, found walking back from the log's end), not the measures table:
	 * a row deleted from the table never gives its id to another measure.
	 */
	[Q_MEASURE_NEXT] = "SELECT printf('M-%06d', COALESCE((SELECT CAST(substr(ref, 3) AS INTEGER) FROM events"
			   "   WHERE type = 'measure.filed' ORDER BY idx DESC LIMIT 1), 0) + 1)",
	/* the id's number is the row's place in filing order; a second put keeps when it was filed */
	[Q_MEASURE_PUT] = "INSERT INTO measures(seq, id, measure, decision, state, filed_at)"
			  " VALUES(CAST(substr(?1, 3) AS INTEGER), ?1, ?2, ?3, ?4, ?5)"
			  " ON CONFLICT(id) DO UPDATE SET measure = excluded.measure, decision = excluded.decision,"
			  " state = excluded.state",
	[Q_MEASURE_STATE] = "UPDATE measures SET state = ?2 WHERE id = ?1",
	[Q_MEASURE_GET] = "SELECT id, measure, decision, state, filed_at FROM measures WHERE id = ?1",
	/* the index comes from the caller's right edge; the primary key and the dense trigger check it */
	[Q_EVENT_APPEND] = "INSERT INTO events(idx, type, time, actor, ref, payload, payload_hash)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* events are dense from 0, so the count is MAX + 1: one index probe, not a scan */
	[Q_EVENT_COUNT] = "SELECT COALESCE(MAX(idx) + 1, 0) FROM events",
	[Q_EVENT_GET] = "SELECT idx, type, time, actor, ref, payload, payload_hash FROM events WHERE idx = ?1",
	[Q_EVENT_FIND] = "SELECT idx FROM events WHERE idx >= ?1 AND substr(type, 1, length(?2)) = ?2 ORDER BY idx LIMIT 1",
	[Q_EVENT_ERASE] = "UPDATE events SET payload = '' WHERE idx = ?1 AND payload <> ''",
	/* a tile is written whole; the trigger lets a stored tile only grow */
	[Q_TILE_PUT] = "INSERT INTO log_tiles(tile, level, idx, hashes) VALUES(?1 << 56 | ?2, ?1, ?2, ?3)"
		       " ON CONFLICT(tile) DO UPDATE SET hashes = excluded.hashes",
	[Q_TILE_GET] = "SELECT hashes FROM log_tiles WHERE tile = (?1 << 56 | ?2)",
	[Q_CKPT_PUT] = "INSERT INTO checkpoints(size, note, signed_at) VALUES(?1, ?2, ?3)",
	[Q_CKPT_LATEST] = "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
	[Q_COSIG_PUT] = "INSERT INTO cosignatures(size, witness, line, received_at) VALUES(?1, ?2, ?3, ?4)"
			" ON CONFLICT(size, witness) DO UPDATE SET line = excluded.line, received_at = excluded.received_at",
	[Q_RECORD_PUT] = "INSERT INTO records(kind, id, body) VALUES(?1, ?2, ?3)"
			  " ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
	[Q_RECORD_GET] = "SELECT body FROM records WHERE kind = ?1 AND id = ?2",
	/* the records whose id starts with a prefix: a range of the primary key, not a scan */
	[Q_RECORD_RANGE] = "SELECT id, body FROM records WHERE kind = ?1 AND id >= ?2 AND id < ?3 ORDER BY id",
	[Q_ACCESS_ADD] = "INSERT OR IGNORE INTO measure_access(who, seq) SELECT ?1, seq FROM measures WHERE id = ?2",
	[Q_WITNESS_GET] = "SELECT vkey, size, root FROM witnessed_logs WHERE origin = ?1",
	[Q_WITNESS_PUT] = "INSERT INTO witnessed_logs(origin, vkey, size, root, updated_at) VALUES(?1, ?2, ?3, ?4, ?5)"
			  " ON CONFLICT(origin) DO UPDATE SET vkey = excluded.vkey, size = excluded.size,"
			  " root = excluded.root, updated_at = excluded.updated_at",
};

struct sq_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *q[Q__COUNT];
};

int custos_store_sqlite_latest_version(void)
{
	return NMIGRATIONS;
}

/*
 * Waiting for another writer: retries every half millisecond for up to 30 s.
 * SQLite's default busy timeout sleeps in growing steps, and a process that
 * commits in a tight loop (a group-committing server) can then starve every
 * other writer; polling often finds the gaps between its commits.
 */
static int sq_busy(void *ctx, int count)
{
	struct timespec ts = {0, 500000};
	(void)ctx;
	if (count >= 60000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/* Sets the message "what: <sqlite's message>" and returns a custos code. */
static int sq_fail(sq_store *s, const char *what)
{
	int e = sqlite3_errcode(s->db);
	int code = (e == SQLITE_NOMEM) ? CUSTOS_ENOMEM : CUSTOS_ERROR;
	return custos_error_set(code, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* The cached statement `which`, reset and with its bindings cleared. */
static int sq_stmt(sq_store *s, int which, sqlite3_stmt **out)
{
	if (!s->q[which]) {
		if (sqlite3_prepare_v3(s->db, query_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->q[which], NULL) !=
		    SQLITE_OK)
			return sq_fail(s, "store: prepare");
	}
	sqlite3_reset(s->q[which]);
	sqlite3_clear_bindings(s->q[which]);
	*out = s->q[which];
	return 0;
}

/* Binds a string, or NULL, as parameter i. */
static int sq_bind(sq_store *s, sqlite3_stmt *q, int i, const char *v)
{
	int rc = v ? sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
	return rc == SQLITE_OK ? 0 : sq_fail(s, "store: bind");
}

/* Copies column i (NULL stays NULL); returns -1 only when out of memory. */
/*
 * Column i's text, borrowed until the next step: NULL for an SQL NULL. -1
 * when SQLite could not make the text (out of memory): sqlite3_column_text
 * says NULL for both, the column's type, read before it, tells them apart.
 */
static int sq_text(sqlite3_stmt *q, int i, const char **out)
{
	/* the type first: after an allocation failure inside sqlite3_column_text the value reads as NULL */
	if (sqlite3_column_type(q, i) == SQLITE_NULL) {
		*out = NULL;
		return 0;
	}
	*out = (const char *)sqlite3_column_text(q, i);
	return *out ? 0 : -1;
}

/* The two text columns of a row of a table whose columns are NOT NULL; CUSTOS_ENOMEM if SQLite could not make one. */
static int sq_two(sqlite3_stmt *q, const char **a, const char **b)
{
	*a = (const char *)sqlite3_column_text(q, 0);
	*b = (const char *)sqlite3_column_text(q, 1);
	return *a && *b ? 0 : custos_error_set(CUSTOS_ENOMEM, "store: out of memory reading a row");
}

static int sq_col(sqlite3_stmt *q, int i, char **out)
{
	const unsigned char *t;
	*out = NULL;
	if (sq_text(q, i, (const char **)&t))
		return -1;
	if (!t)
		return 0;
	*out = custos_strndup((const char *)t, (size_t)sqlite3_column_bytes(q, i));
	return *out ? 0 : -1;
}

/* Runs fixed SQL with no parameters (pragmas, transaction control, migrations). */
static int sq_exec(sq_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = custos_error_set(sqlite3_errcode(s->db) == SQLITE_NOMEM ? CUSTOS_ENOMEM : CUSTOS_ERROR, "%s: %s", what,
			      msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return rc;
}

/* Reads one integer from a query with no parameters; -1 (message set) on failure. */
static int64_t sq_int(sq_store *s, const char *sql, const char *what)
{
	sqlite3_stmt *q = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		sq_fail(s, what);
		goto out;
	}
	if (sqlite3_step(q) != SQLITE_ROW) {
		sq_fail(s, what);
		goto out;
	}
	v = sqlite3_column_int64(q, 0);
out:
	sqlite3_finalize(q);
	return v;
}

static int sq_version(sq_store *s)
{
	int64_t v = sq_int(s, "PRAGMA user_version", "store: schema version");
	return v < 0 || v > INT32_MAX ? -1 : (int)v;
}

/* Brings the schema up to the latest version, one step at a time, in one transaction. */
static int sq_migrate(sq_store *s)
{
	char sql[64];
	int v, rc;
	/* Up to date (the usual case): no write lock needed, so a busy writer does not block opening. */
	if ((v = sq_version(s)) == NMIGRATIONS)
		return 0;
	if ((rc = sq_exec(s, "BEGIN IMMEDIATE", "store: migrate")))
		return rc;
	/* Another process may have migrated between our check and the lock. */
	if ((v = sq_version(s)) < 0) {
		rc = CUSTOS_ERROR;
		goto out;
	}
	for (; v < NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = sq_exec(s, migrations[v].sql, "store: migration")) ||
		    (migrations[v].run && (rc = migrations[v].run(s))) || (rc = sq_exec(s, sql, "store: migration"))) {
			custos_error_prefix(rc, "step %d", v + 1);
			goto out;
		}
	}
	rc = sq_exec(s, "COMMIT", "store: migrate");
out:
	if (rc && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Why a store cannot be written, if it cannot: the file, or its directory (where SQLite keeps the WAL
 * and its index, which even reading a WAL store needs), on a read-only file system or not writable by
 * us. 0 if both are writable. So a store that fails to open or to write is named for what it is.
 */
static int sq_writable(const char *path, int exists)
{
	char *dir = custos_strdup(path);
	const char *d;
	int rc = 0;
	if (!dir)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	d = dirname(dir);
	if (exists && access(path, W_OK) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "cannot write store '%s': %s", path, strerror(errno));
	else if (access(d, W_OK) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "cannot write store '%s': its directory %s: %s", path, d,
				      strerror(errno));
	free(dir);
	return rc;
}

/*
 * Says whether an opened database is a custos store we can use: an empty
 * database (only when creating), or one whose version we know and whose meta
 * table says it is ours.
 */
static int sq_check(sq_store *s, int create)
{
	int64_t tables;
	char *fmt = NULL;
	sqlite3_stmt *q = NULL;
	int v, rc = 0;

	v = sq_version(s);
	if (v < 0) {
		int code = sqlite3_errcode(s->db);
		if (code != SQLITE_NOTADB && code != SQLITE_CORRUPT) {
			if (sq_writable(s->path, 1))
				return CUSTOS_ERROR;
			return custos_error_set(CUSTOS_ERROR, "store '%s': cannot read it: %s", s->path,
						sqlite3_errmsg(s->db));
		}
		return custos_error_set(CUSTOS_EINVALID, "store '%s' is not a custos store%s", s->path,
					code == SQLITE_NOTADB ? " (not an SQLite database)" : "");
	}
	if (v == 0) {
		tables = sq_int(s, "SELECT COUNT(*) FROM sqlite_master", "store: schema");
		if (tables < 0)
			return custos_error_set(CUSTOS_EINVALID, "store '%s' is not a custos store", s->path);
		if (tables > 0)
			return custos_error_set(CUSTOS_EINVALID, "store '%s' is not a custos store (it holds other tables)",
						s->path);
		if (!create)
			return custos_error_set(CUSTOS_ENOTFOUND, "store '%s' is empty (run 'custos init')", s->path);
		return 0;
	}
	if (v > NMIGRATIONS)
		return custos_error_set(CUSTOS_EINVALID,
					"store '%s' has schema version %d, newer than this custos knows (%d); "
					"upgrade custos",
					s->path, v, NMIGRATIONS);
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'store_format'", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW || sq_col(q, 0, &fmt) || !fmt || strcmp(fmt, "custos") != 0)
		rc = custos_error_set(CUSTOS_EINVALID, "store '%s' is not a custos store (no store_format in meta)",
				      s->path);
	sqlite3_finalize(q);
	free(fmt);
	return rc;
}

static void sq_close(void *impl)
{
	sq_store *s = impl;
	if (!s)
		return;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static int sq_open(void **impl, const char *path, int create)
{
	sq_store *s = NULL;
	struct stat sb;
	int memory = strcmp(path, ":memory:") == 0;
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	int rc;

	*impl = NULL;
	if (!memory && stat(path, &sb) != 0) {
		if (errno == ENOENT && !create)
			return custos_error_set(CUSTOS_ENOTFOUND, "store '%s' does not exist (run 'custos init')", path);
		if (errno != ENOENT)
			return custos_error_set(CUSTOS_ERROR, "store '%s': %s", path, strerror(errno));
	}
	if (!memory && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return custos_error_set(CUSTOS_EINVALID, "store '%s' is a directory", path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if (!(s->path = custos_strdup(path))) {
		rc = CUSTOS_ENOMEM;
		goto out;
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		if (!s->db)
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		else if (memory || !(rc = sq_writable(path, stat(path, &sb) == 0)))
			rc = custos_error_set(CUSTOS_ERROR, "store '%s': %s", path, sqlite3_errmsg(s->db));
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_busy_handler(s->db, sq_busy, NULL);
	if ((rc = sq_check(s, create)))
		goto out;
	if (!memory) {
		sqlite3_stmt *q = NULL;
		int wal = 0;
		if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW) {
			const unsigned char *m = sqlite3_column_text(q, 0);
			wal = m && strcmp((const char *)m, "wal") == 0;
		}
		if (!wal)
			rc = sq_fail(s, "store: cannot switch to WAL mode");
		sqlite3_finalize(q);
		if (rc)
			goto out;
	}
	/* 64 MiB of page cache and reads through mmap: the tree's hashes stay in memory between proofs */
	if ((rc = sq_exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
			      " PRAGMA mmap_size = 1073741824; PRAGMA temp_store = MEMORY;", "store: pragmas")))
		goto out;
	if ((rc = sq_migrate(s)))
		goto out;
	*impl = s;
	s = NULL;
out:
	sq_close(s);
	return rc;
}

/* Runs a cached transaction-control statement. */
static int sq_tx(sq_store *s, int which, const char *what)
{
	sqlite3_stmt *q = NULL;
	int rc = sq_stmt(s, which, &q);
	if (rc)
		return rc;
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sq_fail(s, what);
	sqlite3_reset(q);
	return rc;
}

static int sq_begin(void *impl)
{
	sq_store *s = impl;
	if (!sqlite3_get_autocommit(s->db))
		return custos_error_set(CUSTOS_ERROR, "store: a transaction is already open");
	/* opened read-only (a read-only file or file system): say so before SQLite says "readonly database" */
	if (sqlite3_db_readonly(s->db, "main") == 1 && strcmp(s->path, ":memory:") != 0) {
		if (sq_writable(s->path, 1))
			return CUSTOS_ERROR;
		return custos_error_set(CUSTOS_ERROR, "cannot write store '%s': opened read-only", s->path);
	}
	return sq_tx(s, Q_BEGIN, "store: begin");
}

static int sq_begin_read(void *impl)
{
	sq_store *s = impl;
	if (!sqlite3_get_autocommit(s->db))
		return custos_error_set(CUSTOS_ERROR, "store: a transaction is already open");
	return sq_tx(s, Q_BEGIN_READ, "store: begin");
}

static int sq_commit(void *impl)
{
	sq_store *s = impl;
	if (sqlite3_get_autocommit(s->db))
		return custos_error_set(CUSTOS_ERROR, "store: commit without a transaction");
	return sq_tx(s, Q_COMMIT, "store: commit");
}

static int sq_rollback(void *impl)
{
	sq_store *s = impl;
	if (sqlite3_get_autocommit(s->db))
		return 0; /* SQLite already rolled back (or nothing was begun) */
	return sq_tx(s, Q_ROLLBACK, "store: rollback");
}

static int sq_schema_version(void *impl)
{
	return sq_version(impl);
}

/* Runs a cached statement that returns no rows (or ignores them); `what` names it in errors. */
static int sq_run(sq_store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	int ret = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : sq_fail(s, what);
	sqlite3_reset(q);
	return ret;
}

/* Looks up one text value by one key with a cached statement; ENOTFOUND has no message. */
static int sq_get1(sq_store *s, int which, const char *key, char **out, const char *what)
{
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, which, &q)) || (rc = sq_bind(s, q, 1, key)))
		return rc;
	st = sqlite3_step(q);
	if (st == SQLITE_ROW)
		rc = sq_col(q, 0, out) ? CUSTOS_ENOMEM : 0;
	else if (st == SQLITE_DONE)
		rc = CUSTOS_ENOTFOUND;
	else
		rc = sq_fail(s, what);
	sqlite3_reset(q);
	return rc;
}

static int sq_meta_get(void *impl, const char *key, char **out)
{
	int rc = sq_get1(impl, Q_META_GET, key, out, "store: meta get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "meta '%s' is not set", key);
	return rc;
}

static int sq_meta_set(void *impl, const char *key, const char *value)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_META_SET, &q)) || (rc = sq_bind(s, q, 1, key)) || (rc = sq_bind(s, q, 2, value)))
		return rc;
	return sq_run(s, q, "store: meta set");
}

static int sq_party_put(void *impl, const char *id, const char *line)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_PARTY_PUT, &q)) || (rc = sq_bind(s, q, 1, id)) || (rc = sq_bind(s, q, 2, line)))
		return rc;
	return sq_run(s, q, "store: party put");
}

static int sq_party_get(void *impl, const char *id, char **line)
{
	int rc = sq_get1(impl, Q_PARTY_GET, id, line, "store: party get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "no party '%s'", id);
	return rc;
}

/*
 * Iterations prepare their own statement (not a cached one), so that the
 * callback may use the store, even start another iteration.
 */
static int sq_party_each(void *impl, custos_store_row_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc = 0, st;
	if (sqlite3_prepare_v2(s->db, "SELECT id, line FROM parties ORDER BY id", -1, &q, NULL) != SQLITE_OK) {
		rc = sq_fail(s, "store: party list");
		goto out;
	}
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		const char *a, *b;
		if ((rc = sq_two(q, &a, &b)) || (rc = fn(ctx, a, b)))
			goto out;
	}
	if (st != SQLITE_DONE)
		rc = sq_fail(s, "store: party list");
out:
	sqlite3_finalize(q);
	return rc;
}

static int64_t sq_count(sq_store *s, int which, const char *what)
{
	sqlite3_stmt *q = NULL;
	int64_t n = -1;
	if (sq_stmt(s, which, &q))
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	else
		sq_fail(s, what);
	sqlite3_reset(q);
	return n;
}

static int64_t sq_party_count(void *impl)
{
	return sq_count(impl, Q_PARTY_COUNT, "store: party count");
}

static int sq_rules_put(void *impl, const char *hash, const char *canonical, const char *now)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_RULES_PUT, &q)) || (rc = sq_bind(s, q, 1, hash)) || (rc = sq_bind(s, q, 2, canonical)) ||
	    (rc = sq_bind(s, q, 3, now)))
		return rc;
	return sq_run(s, q, "store: rules put");
}

static int sq_rules_get(void *impl, const char *hash, char **canonical)
{
	int rc = sq_get1(impl, Q_RULES_GET, hash, canonical, "store: rules get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "no rule set %s in the store", hash);
	return rc;
}

static int sq_measure_next_id(void *impl, char id[16])
{
	sq_store *s = impl;
	char *v = NULL;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_MEASURE_NEXT, &q)))
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW)
		rc = sq_fail(s, "store: next measure id");
	else if (sq_col(q, 0, &v))
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	sqlite3_reset(q);
	if (!rc && strlen(v) >= 16)
		rc = custos_error_set(CUSTOS_ELIMIT, "store: measure numbers are exhausted");
	if (!rc)
		memcpy(id, v, strlen(v) + 1);
	free(v);
	return rc;
}

static int sq_measure_put(void *impl, const char *id, const char *measure, const char *decision, const char *state,
			  const char *filed_at)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_MEASURE_PUT, &q)) || (rc = sq_bind(s, q, 1, id)) || (rc = sq_bind(s, q, 2, measure)) ||
	    (rc = sq_bind(s, q, 3, decision)) || (rc = sq_bind(s, q, 4, state)) || (rc = sq_bind(s, q, 5, filed_at)))
		return rc;
	return sq_run(s, q, "store: measure put");
}

static int sq_measure_update(sq_store *s, int which, const char *id, const char *value, const char *what)
{
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, which, &q)) || (rc = sq_bind(s, q, 1, id)) || (rc = sq_bind(s, q, 2, value)))
		return rc;
	if ((rc = sq_run(s, q, what)))
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	return 0;
}

static int sq_measure_set_state(void *impl, const char *id, const char *state)
{
	return sq_measure_update(impl, Q_MEASURE_STATE, id, state, "store: measure state");
}

static int sq_measure_row(sqlite3_stmt *q, custos_store_measure *m)
{
	if (sq_col(q, 0, &m->id) || sq_col(q, 1, &m->measure) || sq_col(q, 2, &m->decision) ||
	    sq_col(q, 3, &m->state) || sq_col(q, 4, &m->filed_at)) {
		custos_store_measure_dispose(m);
		return custos_error_set(CUSTOS_ENOMEM, "store: out of memory reading measure");
	}
	return 0;
}

static int sq_measure_get(void *impl, custos_store_measure *out, const char *id)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, Q_MEASURE_GET, &q)) || (rc = sq_bind(s, q, 1, id)))
		return rc;
	st = sqlite3_step(q);
	if (st == SQLITE_ROW)
		rc = sq_measure_row(q, out);
	else if (st == SQLITE_DONE)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	else
		rc = sq_fail(s, "store: measure get");
	sqlite3_reset(q);
	return rc;
}

/* The filing order of measure `after` into *from (0 for NULL); CUSTOS_ENOTFOUND naming it if there is none. */
static int sq_seq_of(sq_store *s, const char *after, sqlite3_int64 *from)
{
	sqlite3_stmt *q = NULL;
	int rc = 0, st;
	*from = 0;
	if (!after)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT seq FROM measures WHERE id = ?1", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(q, 1, after, -1, SQLITE_STATIC) != SQLITE_OK)
		rc = sq_fail(s, "store: measure list");
	else if ((st = sqlite3_step(q)) == SQLITE_ROW)
		*from = sqlite3_column_int64(q, 0);
	else
		rc = st == SQLITE_DONE ? custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", after)
				       : sq_fail(s, "store: measure list");
	sqlite3_finalize(q);
	return rc;
}

/* Calls fn on each measure row of q, a prepared and bound query (finalized here), until fn returns non-zero. */
static int sq_measure_walk(sq_store *s, sqlite3_stmt *q, custos_store_measure_fn fn, void *ctx)
{
	custos_store_measure m = {0};
	int rc = 0, st;
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		if ((rc = sq_measure_row(q, &m)))
			break;
		rc = fn(ctx, &m);
		custos_store_measure_dispose(&m);
		if (rc)
			break;
	}
	if (!rc && st != SQLITE_DONE)
		rc = sq_fail(s, "store: measure list");
	sqlite3_finalize(q);
	return rc;
}

static int sq_measure_each(void *impl, const char *after, custos_store_measure_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	sqlite3_int64 from;
	int rc = sq_seq_of(s, after, &from);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT id, measure, decision, state, filed_at FROM measures WHERE seq > ?1 ORDER BY seq", -1,
			       &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 1, from) != SQLITE_OK) {
		sqlite3_finalize(q);
		return sq_fail(s, "store: measure list");
	}
	return sq_measure_walk(s, q, fn, ctx);
}

static int sq_access_add(void *impl, const char *id, const char *who)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_ACCESS_ADD, &q)) || (rc = sq_bind(s, q, 1, who)) || (rc = sq_bind(s, q, 2, id)))
		return rc;
	return sq_run(s, q, "store: access add");
}

static int sq_access_clear(void *impl, const char *id)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM measure_access WHERE seq = (SELECT seq FROM measures WHERE id = ?1)",
			       -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, "store: access clear");
	if (!(rc = sq_bind(s, q, 1, id)) && sqlite3_step(q) != SQLITE_DONE)
		rc = sq_fail(s, "store: access clear");
	sqlite3_finalize(q);
	return rc;
}

/* The measures one of `who` may be shown, after `after`: read through the index, never the whole register. */
static int sq_measure_each_visible(void *impl, const char *after, const char *const *who, size_t nwho,
				   custos_store_measure_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	sqlite3_int64 from;
	char sql[1024];
	size_t used;
	int rc = sq_seq_of(s, after, &from);
	if (rc)
		return rc;
	used = (size_t)snprintf(sql, sizeof(sql),
				"SELECT id, measure, decision, state, filed_at FROM measures WHERE seq IN (SELECT seq FROM "
				"measure_access WHERE who IN (NULL");
	for (size_t i = 0; i < nwho && used < sizeof(sql) - 64; i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, ", ?%zu", i + 2);
	snprintf(sql + used, sizeof(sql) - used, ")) AND seq > ?1 ORDER BY seq");
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_bind_int64(q, 1, from) != SQLITE_OK) {
		sqlite3_finalize(q);
		return sq_fail(s, "store: measure list");
	}
	for (size_t i = 0; i < nwho; i++)
		if ((rc = sq_bind(s, q, (int)i + 2, who[i]))) {
			sqlite3_finalize(q);
			return rc;
		}
	return sq_measure_walk(s, q, fn, ctx);
}

static int sq_event_append(void *impl, int64_t index, const char *type, const char *time, const char *actor,
			   const char *ref, const char *payload, const char *payload_hash)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_EVENT_APPEND, &q)))
		return rc;
	if (sqlite3_bind_int64(q, 1, index) != SQLITE_OK)
		return sq_fail(s, "store: bind");
	if ((rc = sq_bind(s, q, 2, type)) || (rc = sq_bind(s, q, 3, time)) || (rc = sq_bind(s, q, 4, actor)) ||
	    (rc = sq_bind(s, q, 5, ref)) || (rc = sq_bind(s, q, 6, payload)) || (rc = sq_bind(s, q, 7, payload_hash)))
		return rc;
	return sq_run(s, q, "store: event append");
}

static int sq_event_each(void *impl, custos_store_event_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	custos_store_event e = {0};
	int rc = 0, st;
	if (sqlite3_prepare_v2(s->db, "SELECT idx, type, time, actor, ref, payload, payload_hash FROM events ORDER BY idx",
			       -1, &q, NULL) != SQLITE_OK) {
		rc = sq_fail(s, "store: event list");
		goto out;
	}
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		/* Borrowed pointers: valid until the next step, which is all the callback needs. */
		e.index = sqlite3_column_int64(q, 0);
		if (sq_text(q, 1, (const char **)&e.type) || sq_text(q, 2, (const char **)&e.time) ||
		    sq_text(q, 3, (const char **)&e.actor) || sq_text(q, 4, (const char **)&e.ref) ||
		    sq_text(q, 5, (const char **)&e.payload) || sq_text(q, 6, (const char **)&e.payload_hash)) {
			rc = custos_error_set(CUSTOS_ENOMEM, "store: event list: out of memory");
			goto out;
		}
		if (!e.type || !e.time || !e.payload || !e.payload_hash) {
			rc = custos_error_set(CUSTOS_ERROR, "store: event %lld: a required column is NULL",
					      (long long)e.index);
			goto out;
		}
		if ((rc = fn(ctx, &e)))
			goto out;
	}
	if (st != SQLITE_DONE)
		rc = sq_fail(s, "store: event list");
out:
	sqlite3_finalize(q);
	return rc;
}

static int64_t sq_event_count(void *impl)
{
	return sq_count(impl, Q_EVENT_COUNT, "store: event count");
}

/* Copies the columns of an events row (idx, type, time, actor, ref, payload, payload_hash). */
static int sq_event_row(sqlite3_stmt *q, custos_store_event *e)
{
	memset(e, 0, sizeof(*e));
	e->index = sqlite3_column_int64(q, 0);
	if (sq_col(q, 1, &e->type) || sq_col(q, 2, &e->time) || sq_col(q, 3, &e->actor) || sq_col(q, 4, &e->ref) ||
	    sq_col(q, 5, &e->payload) || sq_col(q, 6, &e->payload_hash)) {
		custos_store_event_dispose(e); /* the columns read before the one that failed */
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	return 0;
}

static int sq_event_get(void *impl, int64_t index, custos_store_event *out)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, Q_EVENT_GET, &q)) || sqlite3_bind_int64(q, 1, index) != SQLITE_OK)
		return rc ? rc : sq_fail(s, "store: bind");
	st = sqlite3_step(q);
	if (st == SQLITE_ROW)
		rc = sq_event_row(q, out);
	else if (st == SQLITE_DONE)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no event %lld", (long long)index);
	else
		rc = sq_fail(s, "store: event get");
	sqlite3_reset(q);
	return rc;
}

static int sq_event_find(void *impl, int64_t from, const char *prefix, int64_t *index)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, Q_EVENT_FIND, &q)))
		return rc;
	if (sqlite3_bind_int64(q, 1, from) != SQLITE_OK || sqlite3_bind_text(q, 2, prefix, -1, SQLITE_STATIC) != SQLITE_OK)
		return sq_fail(s, "store: bind");
	st = sqlite3_step(q);
	if (st == SQLITE_ROW)
		*index = sqlite3_column_int64(q, 0);
	else if (st == SQLITE_DONE)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no %s event from %lld", prefix, (long long)from);
	else
		rc = sq_fail(s, "store: event find");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

static int sq_event_erase(void *impl, int64_t index)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_EVENT_ERASE, &q)) || sqlite3_bind_int64(q, 1, index) != SQLITE_OK)
		return rc ? rc : sq_fail(s, "store: bind");
	rc = sq_run(s, q, "store: event erase");
	if (!rc && sqlite3_changes(s->db) != 1)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "event %lld: no payload to erase", (long long)index);
	return rc;
}

static int sq_tile_put(void *impl, unsigned level, uint64_t index, const uint8_t *hashes, size_t n)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_TILE_PUT, &q)))
		return rc;
	if (sqlite3_bind_int(q, 1, (int)level) != SQLITE_OK || sqlite3_bind_int64(q, 2, (sqlite3_int64)index) ||
	    sqlite3_bind_blob(q, 3, hashes, (int)(n * 32), SQLITE_STATIC) != SQLITE_OK)
		return sq_fail(s, "store: bind");
	if ((rc = sq_run(s, q, "store: log tile")))
		custos_error_prefix(rc, "tile (level %u, index %llu)", level, (unsigned long long)index);
	return rc;
}

static int sq_tile_get(void *impl, unsigned level, uint64_t index, uint8_t *hashes, size_t *n)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	*n = 0;
	if ((rc = sq_stmt(s, Q_TILE_GET, &q)))
		return rc;
	if (sqlite3_bind_int(q, 1, (int)level) != SQLITE_OK || sqlite3_bind_int64(q, 2, (sqlite3_int64)index))
		return sq_fail(s, "store: bind");
	st = sqlite3_step(q);
	if (st == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(q, 0);
		size_t len = (size_t)sqlite3_column_bytes(q, 0);
		/* the table's CHECK keeps lengths whole and bounded; stay safe anyway */
		if (len > CUSTOS_TILE_HASHES * 32)
			len = CUSTOS_TILE_HASHES * 32;
		if (b)
			memcpy(hashes, b, len - len % 32);
		*n = len / 32;
		rc = 0;
	} else if (st == SQLITE_DONE) {
		rc = custos_error_set(CUSTOS_ENOTFOUND, "log tile (level %u, index %llu) is missing", level,
				      (unsigned long long)index);
	} else {
		rc = sq_fail(s, "store: log tile");
	}
	sqlite3_reset(q);
	return rc;
}

static int sq_tile_each(void *impl, custos_store_tile_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc = 0, st;
	if (sqlite3_prepare_v2(s->db, "SELECT level, idx, hashes FROM log_tiles ORDER BY tile", -1, &q, NULL) !=
	    SQLITE_OK) {
		rc = sq_fail(s, "store: log tiles");
		goto out;
	}
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(q, 2);
		const uint8_t *h = sqlite3_column_blob(q, 2);
		if (len > CUSTOS_TILE_HASHES * 32)
			len = CUSTOS_TILE_HASHES * 32;
		if ((rc = fn(ctx, (unsigned)sqlite3_column_int(q, 0), (uint64_t)sqlite3_column_int64(q, 1), h,
			     h ? len / 32 : 0)))
			goto out;
	}
	if (st != SQLITE_DONE)
		rc = sq_fail(s, "store: log tiles");
out:
	sqlite3_finalize(q);
	return rc;
}

/*
 * Migration 3, its C part: every log_nodes row into its tile. The rows come
 * tile by tile; each tile is written up to its last stored hash. A hash
 * missing below that (a row deleted from a tampered store) is written as 32
 * zero bytes, so the tile keeps its shape and `log verify` names that node
 * as wrong, at its own index. Then log_nodes goes.
 */
static int migrate_write_tile(sq_store *s, unsigned level, uint64_t index, uint8_t (*h)[32], const uint8_t *have)
{
	size_t n = CUSTOS_TILE_HASHES;
	while (n > 0 && !have[n - 1])
		n--;
	for (size_t i = 0; i < n; i++)
		if (!have[i])
			memset(h[i], 0, 32);
	return n ? sq_tile_put(s, level, index, &h[0][0], n) : 0;
}

static int migrate_nodes_to_tiles(sq_store *s)
{
	static const char sql[] = "SELECT level, idx, hash FROM log_nodes"
				  " ORDER BY level / 8, idx >> (8 - level % 8), level, idx";
	uint8_t(*h)[32] = malloc(CUSTOS_TILE_HASHES * 32);
	uint8_t have[CUSTOS_TILE_HASHES];
	sqlite3_stmt *q = NULL;
	unsigned cur_level = 0;
	uint64_t cur_index = 0;
	int rc = 0, st, any = 0;
	if (!h)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	memset(have, 0, sizeof(have));
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		rc = sq_fail(s, "store: migration 3: reading log_nodes");
		goto out;
	}
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		unsigned tl, pos;
		uint64_t ti;
		custos_tile_locate((unsigned)sqlite3_column_int(q, 0), (uint64_t)sqlite3_column_int64(q, 1), &tl, &ti,
				   &pos);
		if (any && (tl != cur_level || ti != cur_index)) {
			if ((rc = migrate_write_tile(s, cur_level, cur_index, h, have)))
				goto out;
			memset(have, 0, sizeof(have));
		}
		any = 1;
		cur_level = tl;
		cur_index = ti;
		if (pos < CUSTOS_TILE_HASHES && sqlite3_column_bytes(q, 2) == 32) {
			memcpy(h[pos], sqlite3_column_blob(q, 2), 32);
			have[pos] = 1;
		}
	}
	if (st != SQLITE_DONE) {
		rc = sq_fail(s, "store: migration 3: reading log_nodes");
		goto out;
	}
	if (any && (rc = migrate_write_tile(s, cur_level, cur_index, h, have)))
		goto out;
	sqlite3_finalize(q);
	q = NULL;
	rc = sq_exec(s,
		     "DROP TRIGGER IF EXISTS log_nodes_no_update; DROP TRIGGER IF EXISTS log_nodes_no_delete;"
		     " DROP TABLE log_nodes;",
		     "store: migration 3: dropping log_nodes");
out:
	sqlite3_finalize(q);
	free(h);
	return rc;
}

static int sq_checkpoint_put(void *impl, uint64_t size, const char *note, const char *now)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_CKPT_PUT, &q)))
		return rc;
	if (sqlite3_bind_int64(q, 1, (sqlite3_int64)size) != SQLITE_OK || (rc = sq_bind(s, q, 2, note)) ||
	    (rc = sq_bind(s, q, 3, now)))
		return rc ? rc : sq_fail(s, "store: bind");
	return sq_run(s, q, "store: checkpoint");
}

static int sq_checkpoint_latest(void *impl, uint64_t *size, char **note)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, Q_CKPT_LATEST, &q)))
		return rc;
	st = sqlite3_step(q);
	if (st == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(q, 0);
		rc = sq_col(q, 1, note) ? custos_error_set(CUSTOS_ENOMEM, "out of memory") : 0;
	} else if (st == SQLITE_DONE) {
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no checkpoint signed yet");
	} else {
		rc = sq_fail(s, "store: checkpoint");
	}
	sqlite3_reset(q);
	return rc;
}

static int sq_checkpoint_each(void *impl, custos_store_checkpoint_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc = 0, st;
	if (sqlite3_prepare_v2(s->db, "SELECT size, note FROM checkpoints ORDER BY size", -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, "store: checkpoints");
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		const char *note = (const char *)sqlite3_column_text(q, 1);
		if (!note) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			break;
		}
		if ((rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), note)))
			break;
	}
	if (!rc && st != SQLITE_DONE)
		rc = sq_fail(s, "store: checkpoints");
	sqlite3_finalize(q);
	return rc;
}

static int sq_cosignature_put(void *impl, uint64_t size, const char *witness, const char *line, const char *now)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_COSIG_PUT, &q)))
		return rc;
	if (sqlite3_bind_int64(q, 1, (sqlite3_int64)size) != SQLITE_OK || (rc = sq_bind(s, q, 2, witness)) ||
	    (rc = sq_bind(s, q, 3, line)) || (rc = sq_bind(s, q, 4, now)))
		return rc ? rc : sq_fail(s, "store: bind");
	return sq_run(s, q, "store: cosignature");
}

static int sq_cosignature_each(void *impl, uint64_t size, custos_store_row_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc = 0, st;
	if (sqlite3_prepare_v2(s->db, "SELECT witness, line FROM cosignatures WHERE size = ?1 ORDER BY witness", -1,
			       &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 1, (sqlite3_int64)size) != SQLITE_OK) {
		rc = sq_fail(s, "store: cosignatures");
		goto out;
	}
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		const char *a, *b;
		if ((rc = sq_two(q, &a, &b)) || (rc = fn(ctx, a, b)))
			goto out;
	}
	if (st != SQLITE_DONE)
		rc = sq_fail(s, "store: cosignatures");
out:
	sqlite3_finalize(q);
	return rc;
}

static int sq_witness_get(void *impl, const char *origin, char **vkey, uint64_t *size, uint8_t root[32])
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, Q_WITNESS_GET, &q)) || (rc = sq_bind(s, q, 1, origin)))
		return rc;
	st = sqlite3_step(q);
	if (st == SQLITE_ROW && sqlite3_column_bytes(q, 2) == 32) {
		*size = (uint64_t)sqlite3_column_int64(q, 1);
		memcpy(root, sqlite3_column_blob(q, 2), 32);
		rc = sq_col(q, 0, vkey) ? custos_error_set(CUSTOS_ENOMEM, "out of memory") : 0;
	} else if (st == SQLITE_DONE) {
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no log '%s' is witnessed here", origin);
	} else {
		rc = sq_fail(s, "store: witnessed log");
	}
	sqlite3_reset(q);
	return rc;
}

static int sq_witness_put(void *impl, const char *origin, const char *vkey, uint64_t size, const uint8_t root[32],
			  const char *now)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_WITNESS_PUT, &q)) || (rc = sq_bind(s, q, 1, origin)) || (rc = sq_bind(s, q, 2, vkey)))
		return rc;
	if (sqlite3_bind_int64(q, 3, (sqlite3_int64)size) != SQLITE_OK ||
	    sqlite3_bind_blob(q, 4, root, 32, SQLITE_STATIC) != SQLITE_OK || (rc = sq_bind(s, q, 5, now)))
		return rc ? rc : sq_fail(s, "store: bind");
	return sq_run(s, q, "store: witnessed log");
}

/* Records: upsert, get, and iteration by kind and id prefix (own statements: not hot paths). */
/* Claims a request key at event idx; CUSTOS_EEXISTS with *first, the event it was claimed at, if taken. */
static int sq_request_claim(void *impl, const char *key, int64_t idx, int64_t *first)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO requests(key, idx) VALUES(?1, ?2) ON CONFLICT(key) DO NOTHING", -1,
			       &q, NULL) != SQLITE_OK)
		return sq_fail(s, "store: request claim");
	if (!(rc = sq_bind(s, q, 1, key)) && (sqlite3_bind_int64(q, 2, idx) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE))
		rc = sq_fail(s, "store: request claim");
	sqlite3_finalize(q);
	if (rc || sqlite3_changes(s->db) == 1)
		return rc;
	if (sqlite3_prepare_v2(s->db, "SELECT idx FROM requests WHERE key = ?1", -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, "store: request claim");
	if (!(rc = sq_bind(s, q, 1, key))) {
		st = sqlite3_step(q);
		*first = st == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
		rc = st == SQLITE_ROW ? CUSTOS_EEXISTS : sq_fail(s, "store: request claim");
	}
	sqlite3_finalize(q);
	return rc;
}

static int sq_record_put(void *impl, const char *kind, const char *id, const char *body)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = sq_stmt(s, Q_RECORD_PUT, &q)) || (rc = sq_bind(s, q, 1, kind)) || (rc = sq_bind(s, q, 2, id)) ||
	    (rc = sq_bind(s, q, 3, body)))
		return rc;
	return sq_run(s, q, "store: record put");
}

static int sq_record_get(void *impl, const char *kind, const char *id, char **body)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc, st;
	if ((rc = sq_stmt(s, Q_RECORD_GET, &q)) || (rc = sq_bind(s, q, 1, kind)) || (rc = sq_bind(s, q, 2, id)))
		return rc;
	st = sqlite3_step(q);
	if (st == SQLITE_ROW)
		rc = sq_col(q, 0, body) ? custos_error_set(CUSTOS_ENOMEM, "out of memory") : 0;
	else if (st == SQLITE_DONE)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no %s '%s'", kind, id);
	else
		rc = sq_fail(s, "store: record get");
	sqlite3_reset(q);
	return rc;
}

/* The first id after every id starting with prefix: the prefix with its last byte one higher (0 if it cannot be). */
static int prefix_end(const char *prefix, char *out, size_t cap)
{
	size_t n = strlen(prefix);
	if (n == 0 || n >= cap || (unsigned char)prefix[n - 1] == 0xff)
		return 0;
	memcpy(out, prefix, n + 1);
	out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
	return 1;
}

static int sq_record_each(void *impl, const char *kind, const char *prefix, custos_store_row_fn fn, void *ctx)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	char end[256];
	/* the cached range statement, unless a caller's callback is walking with it already */
	int rc, st = SQLITE_DONE, range = prefix && prefix_end(prefix, end, sizeof(end)) &&
					  !(s->q[Q_RECORD_RANGE] && sqlite3_stmt_busy(s->q[Q_RECORD_RANGE]));
	if (range) {
		if ((rc = sq_stmt(s, Q_RECORD_RANGE, &q)) || (rc = sq_bind(s, q, 1, kind)) || (rc = sq_bind(s, q, 2, prefix)) ||
		    (rc = sq_bind(s, q, 3, end)))
			return rc;
	} else if (sqlite3_prepare_v2(s->db,
				      "SELECT id, body FROM records WHERE kind = ?1"
				      " AND substr(id, 1, length(?2)) = ?2 ORDER BY id",
				      -1, &q, NULL) != SQLITE_OK) {
		return sq_fail(s, "store: record list");
	} else if ((rc = sq_bind(s, q, 1, kind)) || (rc = sq_bind(s, q, 2, prefix ? prefix : ""))) {
		sqlite3_finalize(q);
		return rc;
	}
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		const char *a, *b;
		if ((rc = sq_two(q, &a, &b)) || (rc = fn(ctx, a, b)))
			break;
	}
	if (!rc && st != SQLITE_DONE)
		rc = sq_fail(s, "store: record list");
	if (range)
		sqlite3_reset(q);
	else
		sqlite3_finalize(q);
	return rc;
}

static int sq_record_delete(void *impl, const char *kind, const char *id, int prefix)
{
	sq_store *s = impl;
	sqlite3_stmt *q = NULL;
	int rc;
	if (sqlite3_prepare_v2(s->db,
			       prefix ? "DELETE FROM records WHERE kind = ?1 AND substr(id, 1, length(?2)) = ?2"
				      : "DELETE FROM records WHERE kind = ?1 AND id = ?2",
			       -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, "store: record delete");
	if (!(rc = sq_bind(s, q, 1, kind)) && !(rc = sq_bind(s, q, 2, id)) && sqlite3_step(q) != SQLITE_DONE)
		rc = sq_fail(s, "store: record delete");
	sqlite3_finalize(q);
	return rc;
}

/*
 * The projections as rows: a key, ordered bytewise (ORDER BY 1 under the
 * BINARY collation, which is strcmp's order), and named text fields.
 */
static const struct projection_sql {
	const char *table, *sql;
	size_t n;
	const char *names[5];
} projection_sql[] = {
	{"meta", "SELECT key, value FROM meta WHERE key = 'rules_hash' OR substr(key, 1, 12) = 'log.witness.' ORDER BY 1", 1,
	 {"value"}},
	{"witnessed_logs", "SELECT origin, vkey, CAST(size AS TEXT), lower(hex(root)), updated_at FROM witnessed_logs ORDER BY 1",
	 4, {"vkey", "size", "root", "updated_at"}},
	{"rulesets", "SELECT hash, canonical, loaded_at FROM rulesets ORDER BY 1", 2, {"canonical", "loaded_at"}},
	{"parties", "SELECT id, line FROM parties ORDER BY 1", 1, {"line"}},
	{"measures", "SELECT id, CAST(seq AS TEXT), measure, decision, state, filed_at FROM measures ORDER BY 1", 5,
	 {"seq", "measure", "decision", "state", "filed_at"}},
	{"records", "SELECT kind || ' ' || id, body FROM records ORDER BY 1", 1, {"body"}},
	{"requests", "SELECT key, CAST(idx AS TEXT) FROM requests ORDER BY 1", 1, {"first"}},
	{"measure_access",
	 "SELECT who || ' ' || COALESCE((SELECT id FROM measures m WHERE m.seq = a.seq), '#' || a.seq), '' FROM measure_access a ORDER BY 1",
	 1, {""}},
};

static int sq_projection_each(void *impl, const char *table, custos_store_projection_fn fn, void *ctx)
{
	sq_store *s = impl;
	const struct projection_sql *p = NULL;
	sqlite3_stmt *q = NULL;
	int rc = 0, st;
	for (size_t i = 0; i < sizeof(projection_sql) / sizeof(projection_sql[0]); i++)
		if (strcmp(projection_sql[i].table, table) == 0)
			p = &projection_sql[i];
	if (!p)
		return custos_error_set(CUSTOS_EINVALID, "store: no projection '%s'", table);
	if (sqlite3_prepare_v2(s->db, p->sql, -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, "store: projection");
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		const char *values[5], *key = (const char *)sqlite3_column_text(q, 0);
		for (size_t i = 0; i < p->n; i++)
			if (!(values[i] = (const char *)sqlite3_column_text(q, (int)i + 1)))
				values[i] = "";
		if (!key) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			break;
		}
		if ((rc = fn(ctx, key, p->names, values, p->n)))
			break;
	}
	if (!rc && st != SQLITE_DONE)
		rc = sq_fail(s, "store: projection");
	sqlite3_finalize(q);
	return rc;
}

static int sq_projection_clear(void *impl, unsigned flags)
{
	/* requests refuse DELETE (a trigger): lifted for the rebuild, inside its transaction */
	int rc = sq_exec(impl,
			 "DROP TRIGGER IF EXISTS requests_no_delete; DELETE FROM requests;"
			 "CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests"
			 "  BEGIN SELECT RAISE(ABORT, 'requests are append-only: DELETE refused'); END;",
			 "store: clearing the requests");
	if (rc)
		return rc;
	return sq_exec(impl,
		       flags & CUSTOS_STORE_KEEP_PARTIES
			       ? "DELETE FROM meta WHERE key = 'rules_hash' OR substr(key, 1, 12) = 'log.witness.';"
				 " DELETE FROM measure_access; DELETE FROM records; DELETE FROM measures; DELETE FROM rulesets;"
				 " DELETE FROM witnessed_logs;"
			       : "DELETE FROM meta WHERE key = 'rules_hash' OR substr(key, 1, 12) = 'log.witness.';"
				 " DELETE FROM measure_access; DELETE FROM records; DELETE FROM measures; DELETE FROM rulesets;"
				 " DELETE FROM witnessed_logs; DELETE FROM parties;",
		       "store: clearing the projections");
}

static const custos_store_log_ops sq_log = {
	.version = CUSTOS_STORE_LOG_VERSION,
	.event_append = sq_event_append,
	.event_each = sq_event_each,
	.event_count = sq_event_count,
	.event_get = sq_event_get,
	.event_find = sq_event_find,
	.event_erase = sq_event_erase,
	.tile_put = sq_tile_put,
	.tile_get = sq_tile_get,
	.tile_each = sq_tile_each,
	.checkpoint_put = sq_checkpoint_put,
	.checkpoint_latest = sq_checkpoint_latest,
	.checkpoint_each = sq_checkpoint_each,
	.cosignature_put = sq_cosignature_put,
	.cosignature_each = sq_cosignature_each,
};

static const custos_store_projection_ops sq_proj = {
	.version = CUSTOS_STORE_PROJECTION_VERSION,
	.party_put = sq_party_put,
	.party_get = sq_party_get,
	.party_each = sq_party_each,
	.party_count = sq_party_count,
	.rules_put = sq_rules_put,
	.rules_get = sq_rules_get,
	.measure_next_id = sq_measure_next_id,
	.measure_put = sq_measure_put,
	.measure_set_state = sq_measure_set_state,
	.measure_get = sq_measure_get,
	.measure_each = sq_measure_each,
	.access_add = sq_access_add,
	.access_clear = sq_access_clear,
	.measure_each_visible = sq_measure_each_visible,
	.request_claim = sq_request_claim,
	.record_put = sq_record_put,
	.record_get = sq_record_get,
	.record_each = sq_record_each,
	.record_delete = sq_record_delete,
	.projection_each = sq_projection_each,
	.projection_clear = sq_projection_clear,
};

static const custos_store_config_ops sq_config = {
	.version = CUSTOS_STORE_CONFIG_VERSION,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.witness_get = sq_witness_get,
	.witness_put = sq_witness_put,
};

/* Every store that is not another backend's is an SQLite file (or ":memory:"). */
static int sq_accepts(const char *uri)
{
	(void)uri;
	return 1;
}

const custos_store_backend custos_store_sqlite_backend = {
	.version = CUSTOS_STORE_BACKEND_VERSION,
	.name = "sqlite",
	.accepts = sq_accepts,
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.begin_read = sq_begin_read,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.schema_version = sq_schema_version,
	.log = &sq_log,
	.proj = &sq_proj,
	.config = &sq_config,
};
