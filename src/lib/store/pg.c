/* pg.c — the PostgreSQL store backend (libpq): one log for many servers, the write lock an advisory lock. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store_int.h"
#include "util/util.h"

/*
 * How the SQLite backend's contract is met here.
 *
 * - One writer at a time: a write transaction takes a transaction-scoped
 *   advisory lock (pg_advisory_xact_lock) before anything else, at READ
 *   COMMITTED, so each of its statements sees every commit made before the
 *   lock was taken and no other writer can commit until it ends. The other
 *   correct choice, SERIALIZABLE with every transaction retried on a
 *   serialization failure, is measured beside it by bench/log
 *   (CUSTOS_PG_WRITE_MODE=serializable, a benchmark's knob: custos's own
 *   steps do not retry, so there a conflict is an error); docs/DEPLOY.md
 *   gives the figures and why the lock was kept.
 * - A snapshot: begin_read is REPEATABLE READ, READ ONLY.
 * - Durability: a commit returns once PostgreSQL says COMMIT (synchronous
 *   commit, the server's default; a replica is its administrator's choice).
 * - Append-only: triggers refuse UPDATE, DELETE and TRUNCATE on the log's
 *   tables except the two changes the log admits (a payload erased, a
 *   partial tile grown at its end); docs/DEPLOY.md adds a role that may not
 *   even ask.
 * - Order: every text key is COLLATE "C", so keys sort bytewise as strcmp
 *   and SQLite's BINARY do, and two backends dump byte-identical rows.
 * - Iterations run through a cursor, fetched in pages, so a callback may use
 *   the connection (even start another iteration) while one is under way.
 *
 * A lost connection (a restarted or failed-over server) is reopened at the
 * next transaction's begin; a transaction it broke fails, as a crash would.
 */

/* The advisory lock every write transaction takes: "custos" in ASCII, as a number (0x637573746f73). */
#define PG_WRITE_LOCK "109356099334003"

typedef struct pg_store pg_store;

/*
 * The schema, as migration steps like SQLite's: step i brings custos_schema
 * from version i to i + 1, inside one transaction with the version bump. A
 * step, once released, never changes.
 */
static const char *const migrations[] = {
	/* 1: the schema SQLite reached in six steps, at once */
	"CREATE TABLE meta(key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL);"
	"CREATE TABLE parties(id text COLLATE \"C\" PRIMARY KEY, line text NOT NULL);"
	"CREATE TABLE rulesets(hash text COLLATE \"C\" PRIMARY KEY, canonical text NOT NULL, loaded_at text NOT NULL);"
	"CREATE TABLE measures(seq bigint PRIMARY KEY, id text COLLATE \"C\" NOT NULL UNIQUE, measure text NOT NULL,"
	"  decision text NOT NULL, state text NOT NULL, filed_at text NOT NULL);"
	"CREATE TABLE events(idx bigint PRIMARY KEY CHECK (idx >= 0), type text COLLATE \"C\" NOT NULL,"
	"  time text NOT NULL, actor text, ref text COLLATE \"C\", payload text NOT NULL, payload_hash text NOT NULL);"
	/* the next measure's number is the last measure.filed event's: found without walking the log */
	"CREATE INDEX events_filed ON events(idx) WHERE type = 'measure.filed';"
	"CREATE TABLE log_tiles(tile bigint PRIMARY KEY CHECK (tile = (level::bigint << 56 | idx)),"
	"  level integer NOT NULL CHECK (level >= 0 AND level < 8),"
	"  idx bigint NOT NULL CHECK (idx >= 0 AND idx < 72057594037927936),"
	"  hashes bytea NOT NULL CHECK (length(hashes) % 32 = 0 AND length(hashes) BETWEEN 32 AND 16320));"
	"CREATE TABLE checkpoints(size bigint PRIMARY KEY CHECK (size >= 0), note text NOT NULL, signed_at text NOT NULL);"
	"CREATE TABLE cosignatures(size bigint NOT NULL, witness text COLLATE \"C\" NOT NULL, line text NOT NULL,"
	"  received_at text NOT NULL, PRIMARY KEY(size, witness));"
	"CREATE TABLE witnessed_logs(origin text COLLATE \"C\" PRIMARY KEY, vkey text NOT NULL,"
	"  size bigint NOT NULL CHECK (size >= 0), root bytea NOT NULL CHECK (length(root) = 32), updated_at text NOT NULL);"
	"CREATE TABLE records(kind text COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, body text NOT NULL,"
	"  PRIMARY KEY(kind, id));"
	"CREATE TABLE requests(key text COLLATE \"C\" PRIMARY KEY, idx bigint NOT NULL CHECK (idx >= 0));"
	"CREATE TABLE measure_access(who text COLLATE \"C\" NOT NULL, seq bigint NOT NULL, PRIMARY KEY(who, seq));"
	/* the log's tables refuse every change but the two it admits */
	"CREATE FUNCTION custos_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$;"
	"CREATE FUNCTION custos_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  IF TG_OP = 'UPDATE' AND NEW.payload = '' AND OLD.payload <> '' AND NEW.idx = OLD.idx"
	"     AND NEW.type = OLD.type AND NEW.time = OLD.time AND NEW.actor IS NOT DISTINCT FROM OLD.actor"
	"     AND NEW.ref IS NOT DISTINCT FROM OLD.ref AND NEW.payload_hash = OLD.payload_hash THEN RETURN NEW; END IF;"
	"  RAISE EXCEPTION 'events are append-only: % refused', TG_OP; END $$;"
	"CREATE FUNCTION custos_tiles_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  IF TG_OP = 'UPDATE' AND NEW.tile = OLD.tile AND NEW.level = OLD.level AND NEW.idx = OLD.idx"
	"     AND length(NEW.hashes) > length(OLD.hashes)"
	"     AND substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) = OLD.hashes THEN RETURN NEW; END IF;"
	"  RAISE EXCEPTION 'log tiles only grow at their end: % refused', TG_OP; END $$;"
	/* requests are a projection: emptied only by a rebuild, which says so in its transaction */
	"CREATE FUNCTION custos_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  IF TG_OP = 'DELETE' AND current_setting('custos.rebuild', true) = 'on' THEN RETURN OLD; END IF;"
	"  RAISE EXCEPTION 'requests are append-only: % refused', TG_OP; END $$;"
	"CREATE TRIGGER events_guard BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION custos_events_guard();"
	"CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events EXECUTE FUNCTION custos_refuse();"
	"CREATE TRIGGER log_tiles_guard BEFORE UPDATE OR DELETE ON log_tiles FOR EACH ROW"
	"  EXECUTE FUNCTION custos_tiles_guard();"
	"CREATE TRIGGER log_tiles_no_truncate BEFORE TRUNCATE ON log_tiles EXECUTE FUNCTION custos_refuse();"
	"CREATE TRIGGER checkpoints_guard BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW"
	"  EXECUTE FUNCTION custos_refuse();"
	"CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints EXECUTE FUNCTION custos_refuse();"
	"CREATE TRIGGER requests_guard BEFORE UPDATE OR DELETE ON requests FOR EACH ROW"
	"  EXECUTE FUNCTION custos_requests_guard();"
	"CREATE TRIGGER requests_no_truncate BEFORE TRUNCATE ON requests EXECUTE FUNCTION custos_refuse();"
	"INSERT INTO meta(key, value) VALUES('store_format', 'custos');",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Statements prepared once per connection (again after a reconnection). */
enum {
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
	Q_MEASURE_SEQ,
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
	Q_REQUEST_CLAIM,
	Q_REQUEST_GET,
	Q_RECORD_PUT,
	Q_RECORD_GET,
	Q_RECORD_DELETE,
	Q_RECORD_DELETE_PREFIX,
	Q_ACCESS_ADD,
	Q_ACCESS_CLEAR,
	Q__COUNT
};

static const char *const query_sql[Q__COUNT] = {
	[Q_META_GET] = "SELECT value FROM meta WHERE key = $1",
	[Q_META_SET] = "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[Q_PARTY_PUT] = "INSERT INTO parties(id, line) VALUES($1, $2) ON CONFLICT(id) DO UPDATE SET line = excluded.line",
	[Q_PARTY_GET] = "SELECT line FROM parties WHERE id = $1",
	[Q_PARTY_COUNT] = "SELECT count(*) FROM parties",
	[Q_RULES_PUT] = "INSERT INTO rulesets(hash, canonical, loaded_at) VALUES($1, $2, $3) ON CONFLICT(hash) DO NOTHING",
	[Q_RULES_GET] = "SELECT canonical FROM rulesets WHERE hash = $1",
	/* the number follows the last measure the log filed (a tampered ref counts as none, as SQLite's CAST does) */
	[Q_MEASURE_NEXT] = "SELECT COALESCE((SELECT CASE WHEN ref ~ '^M-[0-9]{1,18}$' THEN substr(ref, 3)::bigint ELSE 0 END"
			   " FROM events WHERE type = 'measure.filed' ORDER BY idx DESC LIMIT 1), 0) + 1",
	[Q_MEASURE_PUT] = "INSERT INTO measures(seq, id, measure, decision, state, filed_at)"
			  " VALUES(substr($1, 3)::bigint, $1, $2, $3, $4, $5)"
			  " ON CONFLICT(id) DO UPDATE SET measure = excluded.measure, decision = excluded.decision,"
			  " state = excluded.state",
	[Q_MEASURE_STATE] = "UPDATE measures SET state = $2 WHERE id = $1",
	[Q_MEASURE_GET] = "SELECT id, measure, decision, state, filed_at FROM measures WHERE id = $1",
	[Q_MEASURE_SEQ] = "SELECT seq FROM measures WHERE id = $1",
	[Q_EVENT_COUNT] = "SELECT COALESCE(max(idx) + 1, 0) FROM events",
	[Q_EVENT_GET] = "SELECT idx, type, time, actor, ref, payload, payload_hash FROM events WHERE idx = $1",
	[Q_EVENT_FIND] = "SELECT idx FROM events WHERE idx >= $1 AND left(type, length($2)) = $2 ORDER BY idx LIMIT 1",
	[Q_EVENT_ERASE] = "UPDATE events SET payload = '' WHERE idx = $1 AND payload <> ''",
	[Q_TILE_PUT] = "INSERT INTO log_tiles(tile, level, idx, hashes) VALUES($1::bigint << 56 | $2::bigint, $1, $2, $3)"
		       " ON CONFLICT(tile) DO UPDATE SET hashes = excluded.hashes",
	[Q_TILE_GET] = "SELECT hashes FROM log_tiles WHERE tile = ($1::bigint << 56 | $2::bigint)",
	[Q_CKPT_PUT] = "INSERT INTO checkpoints(size, note, signed_at) VALUES($1, $2, $3)",
	[Q_CKPT_LATEST] = "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
	[Q_COSIG_PUT] = "INSERT INTO cosignatures(size, witness, line, received_at) VALUES($1, $2, $3, $4)"
			" ON CONFLICT(size, witness) DO UPDATE SET line = excluded.line, received_at = excluded.received_at",
	[Q_WITNESS_GET] = "SELECT vkey, size, root FROM witnessed_logs WHERE origin = $1",
	[Q_WITNESS_PUT] = "INSERT INTO witnessed_logs(origin, vkey, size, root, updated_at) VALUES($1, $2, $3, $4, $5)"
			  " ON CONFLICT(origin) DO UPDATE SET vkey = excluded.vkey, size = excluded.size,"
			  " root = excluded.root, updated_at = excluded.updated_at",
	[Q_REQUEST_CLAIM] = "INSERT INTO requests(key, idx) VALUES($1, $2) ON CONFLICT(key) DO NOTHING",
	[Q_REQUEST_GET] = "SELECT idx FROM requests WHERE key = $1",
	[Q_RECORD_PUT] = "INSERT INTO records(kind, id, body) VALUES($1, $2, $3)"
			 " ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
	[Q_RECORD_GET] = "SELECT body FROM records WHERE kind = $1 AND id = $2",
	[Q_RECORD_DELETE] = "DELETE FROM records WHERE kind = $1 AND id = $2",
	[Q_RECORD_DELETE_PREFIX] = "DELETE FROM records WHERE kind = $1 AND left(id, length($2)) = $2",
	[Q_ACCESS_ADD] = "INSERT INTO measure_access(who, seq) SELECT $1, seq FROM measures WHERE id = $2"
			 " ON CONFLICT DO NOTHING",
	[Q_ACCESS_CLEAR] = "DELETE FROM measure_access WHERE seq = (SELECT seq FROM measures WHERE id = $1)",
};

struct pg_store {
	PGconn *c;
	char *shown; /* the store as named in messages: its URI without a password */
	unsigned char prepared[Q__COUNT];
	unsigned cursors; /* names the next cursor */
	int serializable; /* CUSTOS_PG_WRITE_MODE=serializable: writers at SERIALIZABLE, without the lock (bench/log) */
	/*
	 * Events appended and not yet sent: a batch (group commit) goes in one
	 * multi-row INSERT, sent before anything else reads or writes, and at
	 * commit, instead of a round trip per event. A row the database refuses
	 * fails that statement, and so the transaction, as it would have alone.
	 */
	char **pend;	 /* PEND_COLS strings per event, malloc'd (NULL for SQL NULL) */
	size_t npend, cappend;
	/* tiles written and not yet sent, the same way: one row per tile, the last write of each */
	struct pend_tile {
		char level[8], index[24];
		uint8_t *hashes;
		int len;
	} *tiles;
	size_t ntiles, captiles;
	/* in a write transaction: the log's size when it began (under the lock) and the events it appended since */
	int64_t size_at_begin, appended;
	int64_t begin_value; /* the value the last begin's SQL read, -1 for none */
};

#define PEND_COLS 7
#define PEND_CHUNK 1000 /* rows per INSERT: 7000 parameters, far below the protocol's 65535 */
#define PG_COPY_FROM 16	/* events pending from which COPY is cheaper than INSERT (bench/log) */

/* One statement of the pending writes: its SQL and parameters (borrowed from the pending rows). */
typedef struct {
	char *sql;
	int n;
	const char **values;
	int *lengths, *formats;
} pend_stmt;

/* libpq's message on one line: its line breaks and tabs become "; " and spaces, trailing ones dropped. */
static void one_line(const char *m, char *out, size_t cap)
{
	size_t n = 0;
	for (; *m && n + 3 < cap; m++) {
		if (*m == '\n') {
			while (n && out[n - 1] == ' ')
				n--;
			if (m[1] && m[1] != '\n') {
				out[n++] = ';';
				out[n++] = ' ';
			}
		} else if (*m == '\t' || *m == '\r') {
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
		} else {
			out[n++] = *m;
		}
	}
	while (n && (out[n - 1] == ' ' || out[n - 1] == ';'))
		n--;
	out[n] = '\0';
}

/* A message for a failed result (or the connection's, without one), as "what: message". */
static int pg_fail(pg_store *s, const PGresult *r, const char *what)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	char line[1024];
	if (!m || !*m)
		m = PQerrorMessage(s->c);
	one_line(m && *m ? m : "unknown error", line, sizeof(line));
	if (!r && PQstatus(s->c) != CONNECTION_OK)
		return custos_error_set(CUSTOS_ERROR, "%s: store %s: connection lost: %s", what, s->shown, line);
	return custos_error_set(CUSTOS_ERROR, "%s: %s", what, line);
}

/* True while a transaction is open (or failed and not yet ended). */
static int pg_in_tx(pg_store *s)
{
	PGTransactionStatusType t = PQtransactionStatus(s->c);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static int pg_ready(pg_store *s);
static int pg_begin_read(void *impl);

/* Runs fixed SQL with no parameters (transaction control, settings, migrations); 0 or the error. */
static int pg_exec(pg_store *s, const char *sql, const char *what)
{
	PGresult *r = PQexec(s->c, sql);
	ExecStatusType t = PQresultStatus(r);
	int rc = (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) ? 0 : pg_fail(s, r, what);
	PQclear(r);
	return rc;
}

/* Forgets the writes not yet sent (a rollback: they were never in the database). */
static void pend_drop(pg_store *s)
{
	for (size_t i = 0; i < s->npend * PEND_COLS; i++)
		free(s->pend[i]);
	s->npend = 0;
	for (size_t i = 0; i < s->ntiles; i++)
		free(s->tiles[i].hashes);
	s->ntiles = 0;
}

static void stmt_dispose(pend_stmt *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(st[i].sql);
		free(st[i].values);
		free(st[i].lengths);
		free(st[i].formats);
	}
	free(st);
}

/*
 * The pending writes as statements: the events PEND_CHUNK rows an INSERT,
 * then the tiles likewise (an upsert: a partial tile grows); NULL with *n 0
 * when there are none. -1 when out of memory.
 */
static int pend_statements(pg_store *s, pend_stmt **out, size_t *n)
{
	size_t cap = (s->npend + PEND_CHUNK - 1) / PEND_CHUNK + (s->ntiles + PEND_CHUNK - 1) / PEND_CHUNK, k = 0;
	pend_stmt *st = cap ? calloc(cap, sizeof(*st)) : NULL;
	*out = NULL;
	*n = 0;
	if (!cap)
		return 0;
	if (!st)
		return -1;
	for (size_t done = 0; done < s->npend; done += PEND_CHUNK, k++) {
		size_t rows = s->npend - done < PEND_CHUNK ? s->npend - done : PEND_CHUNK;
		custos_buf sql;
		int bad;
		custos_buf_init(&sql, 1u << 20);
		bad = custos_buf_puts(&sql, "INSERT INTO events(idx, type, time, actor, ref, payload, payload_hash) VALUES ");
		for (size_t i = 0; !bad && i < rows; i++) {
			size_t p = i * PEND_COLS;
			bad = custos_buf_printf(&sql, "%s($%zu::bigint, $%zu, $%zu, $%zu, $%zu, $%zu, $%zu)", i ? ", " : "",
						p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
		}
		st[k].sql = bad ? NULL : custos_buf_detach(&sql);
		if (bad)
			custos_buf_dispose(&sql);
		st[k].n = (int)(rows * PEND_COLS);
		st[k].values = malloc(rows * PEND_COLS * sizeof(*st[k].values));
		if (!st[k].sql || !st[k].values) {
			stmt_dispose(st, k + 1);
			return -1;
		}
		memcpy(st[k].values, s->pend + done * PEND_COLS, rows * PEND_COLS * sizeof(*st[k].values));
	}
	for (size_t done = 0; done < s->ntiles; done += PEND_CHUNK, k++) {
		size_t rows = s->ntiles - done < PEND_CHUNK ? s->ntiles - done : PEND_CHUNK;
		custos_buf sql;
		int bad;
		custos_buf_init(&sql, 1u << 20);
		bad = custos_buf_puts(&sql, "INSERT INTO log_tiles(tile, level, idx, hashes) VALUES ");
		for (size_t i = 0; !bad && i < rows; i++)
			bad = custos_buf_printf(&sql, "%s($%zu::bigint << 56 | $%zu::bigint, $%zu::integer, $%zu::bigint, $%zu)",
						i ? ", " : "", 5 * i + 1, 5 * i + 2, 5 * i + 3, 5 * i + 4, 5 * i + 5);
		/* (level, index) twice: once for the key, once for the columns; 5 parameters a row */
		if (!bad)
			bad = custos_buf_puts(&sql, " ON CONFLICT(tile) DO UPDATE SET hashes = excluded.hashes");
		st[k].sql = bad ? NULL : custos_buf_detach(&sql);
		if (bad)
			custos_buf_dispose(&sql);
		st[k].n = (int)(rows * 5);
		st[k].values = calloc(rows * 5, sizeof(*st[k].values));
		st[k].lengths = calloc(rows * 5, sizeof(*st[k].lengths));
		st[k].formats = calloc(rows * 5, sizeof(*st[k].formats));
		if (!st[k].sql || !st[k].values || !st[k].lengths || !st[k].formats) {
			stmt_dispose(st, k + 1);
			return -1;
		}
		for (size_t i = 0; i < rows; i++) {
			const struct pend_tile *t = &s->tiles[done + i];
			st[k].values[5 * i] = t->level;
			st[k].values[5 * i + 1] = t->index;
			st[k].values[5 * i + 2] = t->level;
			st[k].values[5 * i + 3] = t->index;
			st[k].values[5 * i + 4] = (const char *)t->hashes;
			st[k].lengths[5 * i + 4] = t->len;
			st[k].formats[5 * i + 4] = 1;
		}
	}
	*out = st;
	*n = k;
	return 0;
}

/* One value in COPY's text format: \N for NULL; backslash, tab, newline and return escaped. */
static int copy_value(custos_buf *b, const char *v)
{
	if (!v)
		return custos_buf_puts(b, "\\N");
	for (const char *c = v;; c++) {
		size_t run = strcspn(c, "\\\t\n\r");
		if (run && custos_buf_append(b, c, run))
			return -1;
		c += run;
		if (!*c)
			return 0;
		if (custos_buf_puts(b, *c == '\\' ? "\\\\" : *c == '\t' ? "\\t" : *c == '\n' ? "\\n" : "\\r"))
			return -1;
	}
}

/*
 * Sends the pending events with COPY, which costs the server a third of
 * what a multi-row INSERT does per row (a batch of group commit); the rows
 * are then dropped from the pending list. The database's checks (the
 * primary key, the triggers) apply as to an INSERT.
 */
static int pg_copy_events(pg_store *s)
{
	custos_buf b;
	PGresult *r;
	int rc = 0, bad = 0;
	custos_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; !bad && i < s->npend; i++)
		for (int c = 0; !bad && c < PEND_COLS; c++)
			bad = copy_value(&b, s->pend[i * PEND_COLS + c]) || custos_buf_puts(&b, c + 1 < PEND_COLS ? "\t" : "\n");
	if (bad) {
		custos_buf_dispose(&b);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	r = PQexec(s->c, "COPY events(idx, type, time, actor, ref, payload, payload_hash) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN)
		rc = pg_fail(s, r, "store: writing the log");
	PQclear(r);
	if (!rc && (PQputCopyData(s->c, b.ptr, (int)b.len) != 1 || PQputCopyEnd(s->c, NULL) != 1))
		rc = pg_fail(s, NULL, "store: writing the log");
	while ((r = PQgetResult(s->c)) != NULL) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(s, r, "store: writing the log");
		PQclear(r);
	}
	custos_buf_dispose(&b);
	for (size_t i = 0; i < s->npend * PEND_COLS; i++)
		free(s->pend[i]);
	s->npend = 0;
	return rc;
}

/*
 * Sends the pending writes, and COMMIT after them if `commit`: all in one
 * round trip (libpq's pipeline mode) when there is more than one statement.
 * The first failure is the result; what follows it in the pipeline is
 * skipped by the server, and the transaction is failed (the caller rolls
 * back). *committed: COMMIT answered COMMIT.
 */
static int pg_send(pg_store *s, int commit, int *committed)
{
	pend_stmt *st = NULL;
	size_t n = 0;
	int rc = 0;
	*committed = 0;
	/* many events (a batch): COPY first, a round trip more but a third of the server's work a row */
	if (s->npend >= PG_COPY_FROM && (rc = pg_copy_events(s))) {
		pend_drop(s);
		return rc;
	}
	if (pend_statements(s, &st, &n))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if (n + (commit != 0) == 1) { /* one statement: no pipeline */
		PGresult *r = n ? PQexecParams(s->c, st[0].sql, st[0].n, NULL, st[0].values, st[0].lengths, st[0].formats, 0)
				: PQexec(s->c, "COMMIT");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(s, r, n ? "store: writing the log" : "store: commit");
		else if (!n)
			*committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
		PQclear(r);
	} else if (n + (commit != 0) > 1) {
		int sent = 0;
		if (PQenterPipelineMode(s->c) != 1) {
			rc = pg_fail(s, NULL, "store: writing the log");
			goto out;
		}
		for (size_t i = 0; i < n && !rc; i++, sent++)
			if (PQsendQueryParams(s->c, st[i].sql, st[i].n, NULL, st[i].values, st[i].lengths, st[i].formats, 0) != 1)
				rc = pg_fail(s, NULL, "store: writing the log");
		if (!rc && commit) {
			if (PQsendQueryParams(s->c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1)
				rc = pg_fail(s, NULL, "store: commit");
			else
				sent++;
		}
		if (PQpipelineSync(s->c) != 1 && !rc)
			rc = pg_fail(s, NULL, "store: writing the log");
		/* every result of what was sent, then the sync's */
		for (int i = 0; i < sent; i++) {
			PGresult *r = PQgetResult(s->c);
			ExecStatusType t = PQresultStatus(r);
			if (!r) {
				if (!rc)
					rc = pg_fail(s, NULL, "store: writing the log");
				break;
			}
			if (t != PGRES_COMMAND_OK && t != PGRES_PIPELINE_ABORTED && !rc)
				rc = pg_fail(s, r, i < (int)n ? "store: writing the log" : "store: commit");
			else if (t == PGRES_COMMAND_OK && commit && i == sent - 1)
				*committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
			PQclear(r);
			while ((r = PQgetResult(s->c)) != NULL) /* the NULL that ends each query's results */
				PQclear(r);
		}
		for (PGresult *r; (r = PQgetResult(s->c)) != NULL;) {
			ExecStatusType t = PQresultStatus(r);
			PQclear(r);
			if (t == PGRES_PIPELINE_SYNC)
				break;
		}
		if (PQexitPipelineMode(s->c) != 1 && !rc)
			rc = pg_fail(s, NULL, "store: writing the log");
	}
out:
	stmt_dispose(st, n);
	pend_drop(s);
	return rc;
}

/* Sends the pending writes (before a read, or when many have piled up). */
static int pg_flush(pg_store *s)
{
	int committed;
	return pg_send(s, 0, &committed);
}

/*
 * Runs cached statement `which` with text parameters (binary where lengths[i] > 0: bytea). *out is
 * the result (PQclear it) when the statement succeeded.
 */
static int pg_run(pg_store *s, int which, int n, const char *const *values, const int *lengths, PGresult **out,
		  const char *what)
{
	char name[16];
	int formats[8] = {0};
	PGresult *r;
	ExecStatusType t;
	int rc;
	if ((s->npend || s->ntiles) && (rc = pg_flush(s)))
		return rc;
	snprintf(name, sizeof(name), "q%d", which);
	if (!s->prepared[which]) {
		r = PQprepare(s->c, name, query_sql[which], n, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = pg_fail(s, r, what);
			PQclear(r);
			return rc;
		}
		PQclear(r);
		s->prepared[which] = 1;
	}
	for (int i = 0; lengths && i < n && i < 8; i++)
		formats[i] = lengths[i] > 0;
	r = PQexecPrepared(s->c, name, n, values, lengths, formats, 0);
	t = PQresultStatus(r);
	/* a read outside any transaction, on a connection found lost (the server restarted): once more on a new one */
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && PQstatus(s->c) != CONNECTION_OK && !pg_in_tx(s) &&
	    strncmp(query_sql[which], "SELECT", 6) == 0 && pg_ready(s) == 0) {
		PQclear(r);
		return pg_run(s, which, n, values, lengths, out, what);
	}
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		rc = pg_fail(s, r, what);
		PQclear(r);
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

/* Column `col` of row `row` as a malloc'd string (NULL for SQL NULL); -1 when out of memory. */
static int pg_col(const PGresult *r, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	*out = custos_strndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
	return *out ? 0 : -1;
}

/* Column `col` of row `row` as a borrowed string, NULL for SQL NULL. */
static const char *pg_val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A bytea in its text form ("\x" and hex) into out[0..cap); the byte count, or -1 if malformed or too long. */
static long unhex(const char *t, uint8_t *out, size_t cap)
{
	size_t n;
	if (!t || t[0] != '\\' || t[1] != 'x')
		return -1;
	t += 2;
	n = strlen(t);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval((unsigned char)t[2 * i]), lo = hexval((unsigned char)t[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* One text value by one or two keys with a cached statement; ENOTFOUND (no message) when there is no row. */
static int pg_get1(pg_store *s, int which, int n, const char *const *keys, char **out, const char *what)
{
	PGresult *r = NULL;
	int rc = pg_run(s, which, n, keys, NULL, &r, what);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = CUSTOS_ENOTFOUND;
	else if (pg_col(r, 0, 0, out))
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	PQclear(r);
	return rc;
}

/* One integer from a cached statement with no parameter; -1 (message set) on failure. */
static int64_t pg_int(pg_store *s, int which, const char *what)
{
	PGresult *r = NULL;
	int64_t v = -1;
	if (pg_run(s, which, 0, NULL, NULL, &r, what))
		return -1;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		custos_error_set(CUSTOS_ERROR, "%s: no value", what);
	PQclear(r);
	return v;
}

/*
 * Walks the rows of `sql` through a cursor, a page at a time, calling fn on
 * each row of each page (the page's result and the row's number). Outside a
 * transaction it opens a snapshot for the walk. fn may use the store.
 */
typedef int (*pg_row_fn)(void *ctx, const PGresult *r, int row);

static int pg_walk(pg_store *s, const char *sql, int n, const char *const *values, pg_row_fn fn, void *ctx,
		   const char *what)
{
	char name[24], *declare = NULL, fetch[64], close_[48];
	int own = !pg_in_tx(s), rc = 0, done = 0;
	PGresult *r;
	if ((s->npend || s->ntiles) && (rc = pg_flush(s)))
		return rc;
	snprintf(name, sizeof(name), "custos_c%u", ++s->cursors);
	if (own && (rc = pg_begin_read(s)))
		return rc;
	if (!(declare = malloc(strlen(sql) + 64))) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(declare, strlen(sql) + 64, "DECLARE %s NO SCROLL CURSOR FOR %s", name, sql);
	r = PQexecParams(s->c, declare, n, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, r, what);
	PQclear(r);
	snprintf(fetch, sizeof(fetch), "FETCH 512 FROM %s", name);
	while (!rc && !done) {
		int rows;
		r = PQexec(s->c, fetch);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pg_fail(s, r, what);
			PQclear(r);
			break;
		}
		rows = PQntuples(r);
		done = rows < 512;
		for (int i = 0; !rc && i < rows; i++)
			rc = fn(ctx, r, i);
		PQclear(r);
	}
	if (PQtransactionStatus(s->c) == PQTRANS_INTRANS) {
		snprintf(close_, sizeof(close_), "CLOSE %s", name);
		int crc = pg_exec(s, close_, what);
		if (!rc)
			rc = crc;
	}
out:
	free(declare);
	if (own) {
		if (rc) {
			char keep[1024];
			snprintf(keep, sizeof(keep), "%s", custos_error_last());
			pg_exec(s, "ROLLBACK", what);
			custos_error_set(rc, "%s", keep);
		} else {
			rc = pg_exec(s, "COMMIT", what);
		}
	}
	return rc;
}

/* ---- opening -------------------------------------------------------------------------------------- */

/*
 * A URI this backend serves: postgresql:// or postgres://, or a libpq
 * key=value string (its first word is key=value with a keyword libpq knows).
 */
static int pg_accepts(const char *uri)
{
	const char *eq;
	PQconninfoOption *opts;
	int known = 0;
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
		return 1;
	while (isspace((unsigned char)*uri))
		uri++;
	eq = strchr(uri, '=');
	if (!eq || eq == uri || memchr(uri, '/', (size_t)(eq - uri)) || memchr(uri, ' ', (size_t)(eq - uri)))
		return 0;
	if (!(opts = PQconndefaults()))
		return 0;
	for (PQconninfoOption *o = opts; o->keyword && !known; o++)
		known = strlen(o->keyword) == (size_t)(eq - uri) && strncmp(o->keyword, uri, (size_t)(eq - uri)) == 0;
	PQconninfoFree(opts);
	return known;
}

/* The store as messages name it: user, host, port and database, never the password. */
static char *pg_shown(PGconn *c, const char *uri)
{
	char buf[512];
	const char *host = PQhost(c), *port = PQport(c), *db = PQdb(c), *user = PQuser(c);
	(void)uri;
	snprintf(buf, sizeof(buf), "postgresql://%s@%s%s%s/%s", user ? user : "", host && *host != '/' ? host : "localhost",
		 port && *port ? ":" : "", port ? port : "", db ? db : "");
	return custos_strdup(buf);
}

static void pg_close(void *impl)
{
	pg_store *s = impl;
	if (!s)
		return;
	PQfinish(s->c);
	pend_drop(s);
	free(s->pend);
	free(s->tiles);
	free(s->shown);
	free(s);
}

/* Settings every connection (and every reconnection) starts with. */
static int pg_session(pg_store *s)
{
	memset(s->prepared, 0, sizeof(s->prepared));
	/* a second writer waits for the lock as SQLite's does, 30 s at most, then writes nothing */
	return pg_exec(s,
		       "SET client_encoding = 'UTF8'; SET bytea_output = 'hex'; SET lock_timeout = '30s';"
		       " SET client_min_messages = 'warning'; SET synchronous_commit = 'on'",
		       "store: session");
}

/* One integer from fixed SQL (NULL reads as 0); -1 with the message set on failure. */
static int64_t pg_scalar(pg_store *s, const char *sql, const char *what)
{
	PGresult *r = PQexec(s->c, sql);
	int64_t v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		pg_fail(s, r, what);
	PQclear(r);
	return v;
}

/*
 * The schema version: 0 for a database with no table in its schema, -2
 * (message set) for one with other tables, -1 (message set) on failure.
 */
static int pg_version(pg_store *s)
{
	int64_t ours = pg_scalar(s, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
				    " AND tablename = 'custos_schema'",
				 "store: schema version"),
		all;
	if (ours < 0)
		return -1;
	if (ours)
		return (int)pg_scalar(s, "SELECT max(version) FROM custos_schema", "store: schema version");
	if ((all = pg_scalar(s, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
			     "store: schema version")) < 0)
		return -1;
	if (all) {
		custos_error_set(CUSTOS_EINVALID, "store %s is not a custos store (it holds other tables)", s->shown);
		return -2;
	}
	return 0;
}

/* Brings the schema up to date under the write lock, in one transaction (DDL is transactional here). */
static int pg_migrate(pg_store *s, int create)
{
	char sql[96];
	int v = pg_version(s), rc;
	if (v == NMIGRATIONS)
		return 0;
	if (v < 0)
		return v == -2 ? CUSTOS_EINVALID : CUSTOS_ERROR;
	if (v > NMIGRATIONS)
		return custos_error_set(CUSTOS_EINVALID,
					"store %s has schema version %d, newer than this custos knows (%d); upgrade custos",
					s->shown, v, NMIGRATIONS);
	if (v == 0 && !create)
		return custos_error_set(CUSTOS_ENOTFOUND, "store %s is empty (run 'custos init')", s->shown);
	if ((rc = pg_exec(s, "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")", "store: migrate")))
		return rc;
	/* another process may have migrated between our look and the lock */
	if ((v = pg_version(s)) < 0) {
		rc = v == -2 ? CUSTOS_EINVALID : CUSTOS_ERROR;
		goto out;
	}
	if (v == 0 && (rc = pg_exec(s, "CREATE TABLE custos_schema(version integer NOT NULL);"
				       " INSERT INTO custos_schema(version) VALUES(0)",
				    "store: migration")))
		goto out;
	for (; v < NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "UPDATE custos_schema SET version = %d", v + 1);
		if ((rc = pg_exec(s, migrations[v], "store: migration")) || (rc = pg_exec(s, sql, "store: migration"))) {
			custos_error_prefix(rc, "step %d", v + 1);
			goto out;
		}
	}
	return pg_exec(s, "COMMIT", "store: migrate");
out:
	{
		char keep[1024];
		snprintf(keep, sizeof(keep), "%s", custos_error_last());
		pg_exec(s, "ROLLBACK", "store: migrate");
		custos_error_set(rc, "%s", keep);
	}
	return rc;
}

/* Says whether a migrated database is ours: its meta table names the format. */
static int pg_check(pg_store *s)
{
	char *fmt = NULL;
	const char *key[] = {"store_format"};
	int rc = pg_get1(s, Q_META_GET, 1, key, &fmt, "store: format");
	if (rc == CUSTOS_ENOTFOUND || (!rc && strcmp(fmt, "custos") != 0))
		rc = custos_error_set(CUSTOS_EINVALID, "store %s is not a custos store (no store_format in meta)", s->shown);
	free(fmt);
	return rc;
}

static int pg_open(void **impl, const char *uri, int create)
{
	pg_store *s = calloc(1, sizeof(*s));
	int rc;
	*impl = NULL;
	if (!s)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	s->c = PQconnectdb(uri);
	if (!s->c) {
		free(s);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	if (PQstatus(s->c) != CONNECTION_OK) {
		char line[1024];
		one_line(PQerrorMessage(s->c), line, sizeof(line));
		rc = custos_error_set(CUSTOS_ERROR, "store: cannot connect to PostgreSQL: %s", line);
		pg_close(s);
		return rc;
	}
	if (!(s->shown = pg_shown(s->c, uri))) {
		pg_close(s);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	s->size_at_begin = -1;
	{
		const char *mode = getenv("CUSTOS_PG_WRITE_MODE");
		s->serializable = mode && strcmp(mode, "serializable") == 0;
	}
	if ((rc = pg_session(s)) || (rc = pg_migrate(s, create)) || (rc = pg_check(s))) {
		pg_close(s);
		return rc;
	}
	*impl = s;
	return 0;
}

/* A connection lost (the server restarted, or failed over) is reopened before a new transaction. */
static int pg_ready(pg_store *s)
{
	if (PQstatus(s->c) == CONNECTION_OK)
		return 0;
	PQreset(s->c);
	if (PQstatus(s->c) != CONNECTION_OK)
		return pg_fail(s, NULL, "store: reconnecting");
	return pg_session(s);
}

/* ---- transactions ------------------------------------------------------------------------------------ */

/*
 * Opens a transaction with `sql`. A connection found lost on the way (the
 * server restarted or failed over since the last transaction) is opened
 * again and the transaction begun on the new one: nothing had been done in it.
 */
static int pg_begin_with(pg_store *s, const char *sql)
{
	int rc;
	if (pg_in_tx(s))
		return custos_error_set(CUSTOS_ERROR, "store: a transaction is already open");
	pend_drop(s);
	s->size_at_begin = -1;
	for (int attempt = 0;; attempt++) {
		if ((rc = pg_ready(s)))
			return rc;
		{
			/* PQexec answers with the last statement's result: the size, when the begin reads one */
			PGresult *r = PQexec(s->c, sql);
			ExecStatusType t = PQresultStatus(r);
			rc = (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) ? 0 : pg_fail(s, r, "store: begin");
			s->begin_value = !rc && t == PGRES_TUPLES_OK && PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
										     : -1;
			PQclear(r);
		}
		if (!rc || attempt > 0 || PQstatus(s->c) == CONNECTION_OK)
			break;
	}
	if (rc && pg_in_tx(s))
		pg_exec(s, "ROLLBACK", "store: begin");
	return rc;
}

static int pg_begin(void *impl)
{
	pg_store *s = impl;
	int rc;
	if (s->serializable)
		return pg_begin_with(s, "BEGIN ISOLATION LEVEL SERIALIZABLE");
	/*
	 * The lock first: everything after it sees every writer that came
	 * before. The log's size, read under it in the same round trip, holds
	 * until the commit.
	 */
	rc = pg_begin_with(s, "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK
			      "); SELECT COALESCE(max(idx) + 1, 0) FROM events");
	if (!rc) {
		s->size_at_begin = s->begin_value;
		s->appended = 0;
	}
	return rc;
}

static int pg_begin_read(void *impl)
{
	return pg_begin_with(impl, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

static int pg_commit(void *impl)
{
	pg_store *s = impl;
	int rc, committed = 0;
	if (!pg_in_tx(s))
		return custos_error_set(CUSTOS_ERROR, "store: commit without a transaction");
	/* the pending writes and the COMMIT in one round trip */
	rc = pg_send(s, 1, &committed);
	/* a failed transaction's COMMIT answers ROLLBACK: that is a failure, not a commit */
	if (!rc && !committed)
		rc = custos_error_set(CUSTOS_ERROR, "store: commit: the transaction had failed and was rolled back");
	s->size_at_begin = -1;
	return rc;
}

static int pg_rollback(void *impl)
{
	pg_store *s = impl;
	pend_drop(s);
	s->size_at_begin = -1;
	if (!pg_in_tx(s))
		return 0;
	return pg_exec(s, "ROLLBACK", "store: rollback");
}

static int pg_schema_version(void *impl)
{
	return pg_version(impl);
}

/* ---- configuration ------------------------------------------------------------------------------------ */

static int pg_meta_get(void *impl, const char *key, char **out)
{
	const char *p[] = {key};
	int rc = pg_get1(impl, Q_META_GET, 1, p, out, "store: meta get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "meta '%s' is not set", key);
	return rc;
}

static int pg_meta_set(void *impl, const char *key, const char *value)
{
	const char *p[] = {key, value};
	return pg_run(impl, Q_META_SET, 2, p, NULL, NULL, "store: meta set");
}

static int pg_witness_get(void *impl, const char *origin, char **vkey, uint64_t *size, uint8_t root[32])
{
	pg_store *s = impl;
	const char *p[] = {origin};
	PGresult *r = NULL;
	int rc = pg_run(s, Q_WITNESS_GET, 1, p, NULL, &r, "store: witnessed log");
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no log '%s' is witnessed here", origin);
	else if (unhex(pg_val(r, 0, 2), root, 32) != 32)
		rc = custos_error_set(CUSTOS_ERROR, "store: witnessed log '%s': its root is not 32 bytes", origin);
	else {
		*size = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
		rc = pg_col(r, 0, 0, vkey) ? custos_error_set(CUSTOS_ENOMEM, "out of memory") : 0;
	}
	PQclear(r);
	return rc;
}

static int pg_witness_put(void *impl, const char *origin, const char *vkey, uint64_t size, const uint8_t root[32],
			  const char *now)
{
	char sz[24];
	const char *p[] = {origin, vkey, sz, (const char *)root, now};
	int len[] = {0, 0, 0, 32, 0};
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return pg_run(impl, Q_WITNESS_PUT, 5, p, len, NULL, "store: witnessed log");
}

/* ---- projections ---------------------------------------------------------------------------------------- */

static int pg_party_put(void *impl, const char *id, const char *line)
{
	const char *p[] = {id, line};
	return pg_run(impl, Q_PARTY_PUT, 2, p, NULL, NULL, "store: party put");
}

static int pg_party_get(void *impl, const char *id, char **line)
{
	const char *p[] = {id};
	int rc = pg_get1(impl, Q_PARTY_GET, 1, p, line, "store: party get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "no party '%s'", id);
	return rc;
}

typedef struct {
	custos_store_row_fn fn;
	void *ctx;
} row_walk;

/* Two text columns, NOT NULL, to a row callback. */
static int walk_two(void *vctx, const PGresult *r, int row)
{
	row_walk *w = vctx;
	return w->fn(w->ctx, PQgetvalue(r, row, 0), PQgetvalue(r, row, 1));
}

static int pg_party_each(void *impl, custos_store_row_fn fn, void *ctx)
{
	row_walk w = {fn, ctx};
	return pg_walk(impl, "SELECT id, line FROM parties ORDER BY id", 0, NULL, walk_two, &w, "store: party list");
}

static int64_t pg_party_count(void *impl)
{
	return pg_int(impl, Q_PARTY_COUNT, "store: party count");
}

static int pg_rules_put(void *impl, const char *hash, const char *canonical, const char *loaded_at)
{
	const char *p[] = {hash, canonical, loaded_at};
	return pg_run(impl, Q_RULES_PUT, 3, p, NULL, NULL, "store: rules put");
}

static int pg_rules_get(void *impl, const char *hash, char **canonical)
{
	const char *p[] = {hash};
	int rc = pg_get1(impl, Q_RULES_GET, 1, p, canonical, "store: rules get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "no rule set %s in the store", hash);
	return rc;
}

static int pg_measure_next_id(void *impl, char id[16])
{
	int64_t n = pg_int(impl, Q_MEASURE_NEXT, "store: next measure id");
	if (n < 0)
		return CUSTOS_ERROR;
	if (n > 99999999999LL)
		return custos_error_set(CUSTOS_ELIMIT, "store: measure numbers are exhausted");
	snprintf(id, 16, "M-%06lld", (long long)n);
	return 0;
}

static int pg_measure_put(void *impl, const char *id, const char *measure, const char *decision, const char *state,
			  const char *filed_at)
{
	const char *p[] = {id, measure, decision, state, filed_at};
	return pg_run(impl, Q_MEASURE_PUT, 5, p, NULL, NULL, "store: measure put");
}

static int pg_measure_set_state(void *impl, const char *id, const char *state)
{
	pg_store *s = impl;
	const char *p[] = {id, state};
	PGresult *r = NULL;
	int rc = pg_run(s, Q_MEASURE_STATE, 2, p, NULL, &r, "store: measure state");
	if (rc)
		return rc;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	PQclear(r);
	return rc;
}

/* A measures row (id, measure, decision, state, filed_at) into *m. */
static int pg_measure_row(const PGresult *r, int row, custos_store_measure *m)
{
	if (pg_col(r, row, 0, &m->id) || pg_col(r, row, 1, &m->measure) || pg_col(r, row, 2, &m->decision) ||
	    pg_col(r, row, 3, &m->state) || pg_col(r, row, 4, &m->filed_at)) {
		custos_store_measure_dispose(m);
		return custos_error_set(CUSTOS_ENOMEM, "store: out of memory reading measure");
	}
	return 0;
}

static int pg_measure_get(void *impl, custos_store_measure *out, const char *id)
{
	const char *p[] = {id};
	PGresult *r = NULL;
	int rc = pg_run(impl, Q_MEASURE_GET, 1, p, NULL, &r, "store: measure get");
	if (rc)
		return rc;
	rc = PQntuples(r) ? pg_measure_row(r, 0, out) : custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	PQclear(r);
	return rc;
}

/* The filing order of measure `after` as text into from (0 for NULL); ENOTFOUND naming it if there is none. */
static int pg_seq_of(pg_store *s, const char *after, char from[24])
{
	const char *p[] = {after};
	char *v = NULL;
	int rc;
	snprintf(from, 24, "0");
	if (!after)
		return 0;
	rc = pg_get1(s, Q_MEASURE_SEQ, 1, p, &v, "store: measure list");
	if (rc == CUSTOS_ENOTFOUND)
		return custos_error_set(rc, "no measure '%s'", after);
	if (!rc)
		snprintf(from, 24, "%s", v);
	free(v);
	return rc;
}

typedef struct {
	custos_store_measure_fn fn;
	void *ctx;
} measure_walk;

static int walk_measure(void *vctx, const PGresult *r, int row)
{
	measure_walk *w = vctx;
	custos_store_measure m = {0};
	int rc = pg_measure_row(r, row, &m);
	if (rc)
		return rc;
	rc = w->fn(w->ctx, &m);
	custos_store_measure_dispose(&m);
	return rc;
}

static int pg_measure_each(void *impl, const char *after, custos_store_measure_fn fn, void *ctx)
{
	char from[24];
	const char *p[] = {from};
	measure_walk w = {fn, ctx};
	int rc = pg_seq_of(impl, after, from);
	if (rc)
		return rc;
	return pg_walk(impl, "SELECT id, measure, decision, state, filed_at FROM measures WHERE seq > $1::bigint ORDER BY seq",
		       1, p, walk_measure, &w, "store: measure list");
}

static int pg_access_add(void *impl, const char *id, const char *who)
{
	const char *p[] = {who, id};
	return pg_run(impl, Q_ACCESS_ADD, 2, p, NULL, NULL, "store: access add");
}

static int pg_access_clear(void *impl, const char *id)
{
	const char *p[] = {id};
	return pg_run(impl, Q_ACCESS_CLEAR, 1, p, NULL, NULL, "store: access clear");
}

/* The keys as a text[] literal: {"a","b"}, each quoted with its quotes and backslashes escaped; NULL if out of memory. */
static char *array_literal(const char *const *who, size_t nwho)
{
	custos_buf b;
	int bad = 0;
	custos_buf_init(&b, 1u << 20);
	bad |= custos_buf_puts(&b, "{");
	for (size_t i = 0; i < nwho; i++) {
		bad |= custos_buf_puts(&b, i ? ",\"" : "\"");
		for (const char *c = who[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				bad |= custos_buf_append(&b, "\\", 1);
			bad |= custos_buf_append(&b, c, 1);
		}
		bad |= custos_buf_puts(&b, "\"");
	}
	bad |= custos_buf_puts(&b, "}");
	if (bad) {
		custos_buf_dispose(&b);
		return NULL;
	}
	return custos_buf_detach(&b);
}

static int pg_measure_each_visible(void *impl, const char *after, const char *const *who, size_t nwho,
				   custos_store_measure_fn fn, void *ctx)
{
	char from[24], *keys;
	const char *p[2];
	measure_walk w = {fn, ctx};
	int rc = pg_seq_of(impl, after, from);
	if (rc)
		return rc;
	if (!(keys = array_literal(who, nwho)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	p[0] = from;
	p[1] = keys;
	rc = pg_walk(impl,
		     "SELECT id, measure, decision, state, filed_at FROM measures WHERE seq IN"
		     " (SELECT seq FROM measure_access WHERE who = ANY($2::text[])) AND seq > $1::bigint ORDER BY seq",
		     2, p, walk_measure, &w, "store: measure list");
	free(keys);
	return rc;
}

static int pg_request_claim(void *impl, const char *key, int64_t idx, int64_t *first)
{
	pg_store *s = impl;
	char ix[24];
	const char *p[] = {key, ix};
	char *v = NULL;
	PGresult *r = NULL;
	int rc;
	snprintf(ix, sizeof(ix), "%lld", (long long)idx);
	if ((rc = pg_run(s, Q_REQUEST_CLAIM, 2, p, NULL, &r, "store: request claim")))
		return rc;
	rc = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (rc)
		return 0;
	if ((rc = pg_get1(s, Q_REQUEST_GET, 1, p, &v, "store: request claim")))
		return rc == CUSTOS_ENOTFOUND ? custos_error_set(CUSTOS_ERROR, "store: request claim: lost") : rc;
	*first = strtoll(v, NULL, 10);
	free(v);
	return CUSTOS_EEXISTS;
}

static int pg_record_put(void *impl, const char *kind, const char *id, const char *body)
{
	const char *p[] = {kind, id, body};
	return pg_run(impl, Q_RECORD_PUT, 3, p, NULL, NULL, "store: record put");
}

static int pg_record_get(void *impl, const char *kind, const char *id, char **body)
{
	const char *p[] = {kind, id};
	int rc = pg_get1(impl, Q_RECORD_GET, 2, p, body, "store: record get");
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "no %s '%s'", kind, id);
	return rc;
}

static int pg_record_each(void *impl, const char *kind, const char *prefix, custos_store_row_fn fn, void *ctx)
{
	row_walk w = {fn, ctx};
	const char *p[] = {kind, prefix ? prefix : ""};
	/* under COLLATE "C" a prefix is a range of the primary key */
	return pg_walk(impl,
		       "SELECT id, body FROM records WHERE kind = $1 AND id >= $2 AND left(id, length($2)) = $2 ORDER BY id",
		       2, p, walk_two, &w, "store: record list");
}

static int pg_record_delete(void *impl, const char *kind, const char *id, int prefix)
{
	const char *p[] = {kind, id};
	return pg_run(impl, prefix ? Q_RECORD_DELETE_PREFIX : Q_RECORD_DELETE, 2, p, NULL, NULL, "store: record delete");
}

/* The projections as rows by key, as sqlite.c's projection_sql gives them: the same keys, order and text. */
static const struct projection_sql {
	const char *table, *sql;
	size_t n;
	const char *names[5];
} projection_sql[] = {
	{"meta", "SELECT key, value FROM meta WHERE key = 'rules_hash' OR left(key, 12) = 'log.witness.' ORDER BY key", 1,
	 {"value"}},
	{"witnessed_logs", "SELECT origin, vkey, size::text, encode(root, 'hex'), updated_at FROM witnessed_logs ORDER BY origin",
	 4, {"vkey", "size", "root", "updated_at"}},
	{"rulesets", "SELECT hash, canonical, loaded_at FROM rulesets ORDER BY hash", 2, {"canonical", "loaded_at"}},
	{"parties", "SELECT id, line FROM parties ORDER BY id", 1, {"line"}},
	{"measures", "SELECT id, seq::text, measure, decision, state, filed_at FROM measures ORDER BY id", 5,
	 {"seq", "measure", "decision", "state", "filed_at"}},
	{"records", "SELECT k, body FROM (SELECT kind || ' ' || id AS k, body FROM records) r ORDER BY k COLLATE \"C\"", 1,
	 {"body"}},
	{"requests", "SELECT key, idx::text FROM requests ORDER BY key", 1, {"first"}},
	{"measure_access",
	 "SELECT k, '' FROM (SELECT who || ' ' || COALESCE((SELECT id FROM measures m WHERE m.seq = a.seq), '#' || a.seq) AS k"
	 " FROM measure_access a) x ORDER BY k COLLATE \"C\"",
	 1, {""}},
};

typedef struct {
	const struct projection_sql *p;
	custos_store_projection_fn fn;
	void *ctx;
} projection_walk;

static int walk_projection(void *vctx, const PGresult *r, int row)
{
	projection_walk *w = vctx;
	const char *values[5];
	for (size_t i = 0; i < w->p->n; i++)
		values[i] = PQgetvalue(r, row, (int)i + 1);
	return w->fn(w->ctx, PQgetvalue(r, row, 0), w->p->names, values, w->p->n);
}

static int pg_projection_each(void *impl, const char *table, custos_store_projection_fn fn, void *ctx)
{
	projection_walk w = {NULL, fn, ctx};
	for (size_t i = 0; i < sizeof(projection_sql) / sizeof(projection_sql[0]); i++)
		if (strcmp(projection_sql[i].table, table) == 0)
			w.p = &projection_sql[i];
	if (!w.p)
		return custos_error_set(CUSTOS_EINVALID, "store: no projection '%s'", table);
	return pg_walk(impl, w.p->sql, 0, NULL, walk_projection, &w, "store: projection");
}

static int pg_projection_clear(void *impl, unsigned flags)
{
	pg_store *s = impl;
	int rc = s->npend || s->ntiles ? pg_flush(s) : 0;
	if (!rc)
		rc = pg_exec(impl,
			 "SET LOCAL custos.rebuild = 'on'; DELETE FROM requests; SET LOCAL custos.rebuild = 'off';"
			 " DELETE FROM meta WHERE key = 'rules_hash' OR left(key, 12) = 'log.witness.';"
			 " DELETE FROM measure_access; DELETE FROM records; DELETE FROM measures; DELETE FROM rulesets;"
			 " DELETE FROM witnessed_logs",
			 "store: clearing the projections");
	if (!rc && !(flags & CUSTOS_STORE_KEEP_PARTIES))
		rc = pg_exec(impl, "DELETE FROM parties", "store: clearing the projections");
	return rc;
}

/* ---- the log ------------------------------------------------------------------------------------------- */

/* Queues one event's row (its strings copied) for the next flush. */
static int pg_event_append_pending(pg_store *s, int64_t index, const char *const *v)
{
	char **row;
	if (s->npend == s->cappend) {
		size_t cap = s->cappend ? 2 * s->cappend : 64;
		char **p = realloc(s->pend, cap * PEND_COLS * sizeof(*p));
		if (!p)
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		s->pend = p;
		s->cappend = cap;
	}
	row = s->pend + s->npend * PEND_COLS;
	for (int i = 0; i < PEND_COLS; i++) {
		char ix[24];
		const char *x = v[i];
		if (i == 0) {
			snprintf(ix, sizeof(ix), "%lld", (long long)index);
			x = ix;
		}
		row[i] = NULL;
		if (x && !(row[i] = custos_strdup(x))) {
			for (int j = 0; j < i; j++)
				free(row[j]);
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		}
	}
	s->npend++;
	return 0;
}

static int pg_event_append(void *impl, int64_t index, const char *type, const char *time, const char *actor,
			   const char *ref, const char *payload, const char *payload_hash)
{
	pg_store *s = impl;
	const char *v[PEND_COLS] = {NULL, type, time, actor, ref, payload, payload_hash};
	int rc = pg_event_append_pending(s, index, v);
	if (rc)
		return rc;
	s->appended++;
	/* outside a transaction there is no commit to send it at: at once; in one, a chunk at a time */
	return !pg_in_tx(s) || s->npend >= PEND_CHUNK ? pg_flush(s) : 0;
}

typedef struct {
	custos_store_event_fn fn;
	void *ctx;
} event_walk;

static int walk_event(void *vctx, const PGresult *r, int row)
{
	event_walk *w = vctx;
	custos_store_event e;
	/* borrowed: valid while the page is, which is all the callback needs */
	e.index = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	e.type = (char *)pg_val(r, row, 1);
	e.time = (char *)pg_val(r, row, 2);
	e.actor = (char *)pg_val(r, row, 3);
	e.ref = (char *)pg_val(r, row, 4);
	e.payload = (char *)pg_val(r, row, 5);
	e.payload_hash = (char *)pg_val(r, row, 6);
	return w->fn(w->ctx, &e);
}

static int pg_event_each(void *impl, custos_store_event_fn fn, void *ctx)
{
	event_walk w = {fn, ctx};
	return pg_walk(impl, "SELECT idx, type, time, actor, ref, payload, payload_hash FROM events ORDER BY idx", 0, NULL,
		       walk_event, &w, "store: event list");
}

static int64_t pg_event_count(void *impl)
{
	pg_store *s = impl;
	/* in a write transaction, under the lock, nobody else appends: the size at its begin and what it appended */
	if (s->size_at_begin >= 0 && pg_in_tx(s))
		return s->size_at_begin + s->appended;
	return pg_int(impl, Q_EVENT_COUNT, "store: event count");
}

static int pg_event_get(void *impl, int64_t index, custos_store_event *out)
{
	char ix[24];
	const char *p[] = {ix};
	PGresult *r = NULL;
	int rc;
	snprintf(ix, sizeof(ix), "%lld", (long long)index);
	if ((rc = pg_run(impl, Q_EVENT_GET, 1, p, NULL, &r, "store: event get")))
		return rc;
	memset(out, 0, sizeof(*out));
	if (PQntuples(r) == 0)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no event %lld", (long long)index);
	else {
		out->index = index;
		if (pg_col(r, 0, 1, &out->type) || pg_col(r, 0, 2, &out->time) || pg_col(r, 0, 3, &out->actor) ||
		    pg_col(r, 0, 4, &out->ref) || pg_col(r, 0, 5, &out->payload) || pg_col(r, 0, 6, &out->payload_hash)) {
			custos_store_event_dispose(out);
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		}
	}
	PQclear(r);
	return rc;
}

static int pg_event_find(void *impl, int64_t from, const char *prefix, int64_t *index)
{
	char ix[24], *v = NULL;
	const char *p[] = {ix, prefix};
	int rc;
	snprintf(ix, sizeof(ix), "%lld", (long long)from);
	rc = pg_get1(impl, Q_EVENT_FIND, 2, p, &v, "store: event find");
	if (rc == CUSTOS_ENOTFOUND)
		return custos_error_set(rc, "no %s event from %lld", prefix, (long long)from);
	if (!rc)
		*index = strtoll(v, NULL, 10);
	free(v);
	return rc;
}

static int pg_event_erase(void *impl, int64_t index)
{
	char ix[24];
	const char *p[] = {ix};
	PGresult *r = NULL;
	int rc;
	snprintf(ix, sizeof(ix), "%lld", (long long)index);
	if ((rc = pg_run(impl, Q_EVENT_ERASE, 1, p, NULL, &r, "store: event erase")))
		return rc;
	if (strcmp(PQcmdTuples(r), "1") != 0)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "event %lld: no payload to erase", (long long)index);
	PQclear(r);
	return rc;
}

static int pg_tile_put(void *impl, unsigned level, uint64_t index, const uint8_t *hashes, size_t n)
{
	pg_store *s = impl;
	struct pend_tile *t = NULL;
	uint8_t *copy;
	char lv[8], ix[24];
	snprintf(lv, sizeof(lv), "%u", level);
	snprintf(ix, sizeof(ix), "%" PRIu64, index);
	/* sent with the events at the next read or at commit; a tile written twice is sent once, as last written */
	for (size_t i = 0; !t && i < s->ntiles; i++)
		if (strcmp(s->tiles[i].level, lv) == 0 && strcmp(s->tiles[i].index, ix) == 0)
			t = &s->tiles[i];
	if (!(copy = malloc(n ? n * 32 : 1)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	memcpy(copy, hashes, n * 32);
	if (!t) {
		if (s->ntiles == s->captiles) {
			size_t cap = s->captiles ? 2 * s->captiles : 16;
			struct pend_tile *p = realloc(s->tiles, cap * sizeof(*p));
			if (!p) {
				free(copy);
				return custos_error_set(CUSTOS_ENOMEM, "out of memory");
			}
			s->tiles = p;
			s->captiles = cap;
		}
		t = &s->tiles[s->ntiles++];
		snprintf(t->level, sizeof(t->level), "%s", lv);
		snprintf(t->index, sizeof(t->index), "%s", ix);
	} else {
		free(t->hashes);
	}
	t->hashes = copy;
	t->len = (int)(n * 32);
	return !pg_in_tx(s) || s->ntiles >= PEND_CHUNK ? pg_flush(s) : 0;
}

static int pg_tile_get(void *impl, unsigned level, uint64_t index, uint8_t *hashes, size_t *n)
{
	char lv[8], ix[24];
	const char *p[] = {lv, ix};
	PGresult *r = NULL;
	long got;
	int rc;
	*n = 0;
	snprintf(lv, sizeof(lv), "%u", level);
	snprintf(ix, sizeof(ix), "%" PRIu64, index);
	if ((rc = pg_run(impl, Q_TILE_GET, 2, p, NULL, &r, "store: log tile")))
		return rc;
	if (PQntuples(r) == 0)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "log tile (level %u, index %llu) is missing", level,
				      (unsigned long long)index);
	else if ((got = unhex(pg_val(r, 0, 0), hashes, CUSTOS_TILE_HASHES * 32)) < 0)
		rc = custos_error_set(CUSTOS_ERROR, "log tile (level %u, index %llu) is malformed", level,
				      (unsigned long long)index);
	else
		*n = (size_t)got / 32;
	PQclear(r);
	return rc;
}

typedef struct {
	custos_store_tile_fn fn;
	void *ctx;
	uint8_t *buf;
} tile_walk;

static int walk_tile(void *vctx, const PGresult *r, int row)
{
	tile_walk *w = vctx;
	long got = unhex(pg_val(r, row, 2), w->buf, CUSTOS_TILE_HASHES * 32);
	return w->fn(w->ctx, (unsigned)strtoul(PQgetvalue(r, row, 0), NULL, 10), strtoull(PQgetvalue(r, row, 1), NULL, 10), w->buf,
		     got < 0 ? 0 : (size_t)got / 32);
}

static int pg_tile_each(void *impl, custos_store_tile_fn fn, void *ctx)
{
	tile_walk w = {fn, ctx, malloc(CUSTOS_TILE_HASHES * 32)};
	int rc;
	if (!w.buf)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	rc = pg_walk(impl, "SELECT level, idx, hashes FROM log_tiles ORDER BY tile", 0, NULL, walk_tile, &w,
		     "store: log tiles");
	free(w.buf);
	return rc;
}

static int pg_checkpoint_put(void *impl, uint64_t size, const char *note, const char *now)
{
	char sz[24];
	const char *p[] = {sz, note, now};
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return pg_run(impl, Q_CKPT_PUT, 3, p, NULL, NULL, "store: checkpoint");
}

static int pg_checkpoint_latest(void *impl, uint64_t *size, char **note)
{
	PGresult *r = NULL;
	int rc = pg_run(impl, Q_CKPT_LATEST, 0, NULL, NULL, &r, "store: checkpoint");
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "no checkpoint signed yet");
	else {
		*size = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		rc = pg_col(r, 0, 1, note) ? custos_error_set(CUSTOS_ENOMEM, "out of memory") : 0;
	}
	PQclear(r);
	return rc;
}

typedef struct {
	custos_store_checkpoint_fn fn;
	void *ctx;
} checkpoint_walk;

static int walk_checkpoint(void *vctx, const PGresult *r, int row)
{
	checkpoint_walk *w = vctx;
	return w->fn(w->ctx, strtoull(PQgetvalue(r, row, 0), NULL, 10), PQgetvalue(r, row, 1));
}

static int pg_checkpoint_each(void *impl, custos_store_checkpoint_fn fn, void *ctx)
{
	checkpoint_walk w = {fn, ctx};
	return pg_walk(impl, "SELECT size, note FROM checkpoints ORDER BY size", 0, NULL, walk_checkpoint, &w,
		       "store: checkpoints");
}

static int pg_cosignature_put(void *impl, uint64_t size, const char *witness, const char *line, const char *now)
{
	char sz[24];
	const char *p[] = {sz, witness, line, now};
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return pg_run(impl, Q_COSIG_PUT, 4, p, NULL, NULL, "store: cosignature");
}

static int pg_cosignature_each(void *impl, uint64_t size, custos_store_row_fn fn, void *ctx)
{
	char sz[24];
	const char *p[] = {sz};
	row_walk w = {fn, ctx};
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return pg_walk(impl, "SELECT witness, line FROM cosignatures WHERE size = $1::bigint ORDER BY witness", 1, p,
		       walk_two, &w, "store: cosignatures");
}

static const custos_store_log_ops pg_log = {
	.version = CUSTOS_STORE_LOG_VERSION,
	.event_append = pg_event_append,
	.event_each = pg_event_each,
	.event_count = pg_event_count,
	.event_get = pg_event_get,
	.event_find = pg_event_find,
	.event_erase = pg_event_erase,
	.tile_put = pg_tile_put,
	.tile_get = pg_tile_get,
	.tile_each = pg_tile_each,
	.checkpoint_put = pg_checkpoint_put,
	.checkpoint_latest = pg_checkpoint_latest,
	.checkpoint_each = pg_checkpoint_each,
	.cosignature_put = pg_cosignature_put,
	.cosignature_each = pg_cosignature_each,
};

static const custos_store_projection_ops pg_proj = {
	.version = CUSTOS_STORE_PROJECTION_VERSION,
	.party_put = pg_party_put,
	.party_get = pg_party_get,
	.party_each = pg_party_each,
	.party_count = pg_party_count,
	.rules_put = pg_rules_put,
	.rules_get = pg_rules_get,
	.measure_next_id = pg_measure_next_id,
	.measure_put = pg_measure_put,
	.measure_set_state = pg_measure_set_state,
	.measure_get = pg_measure_get,
	.measure_each = pg_measure_each,
	.access_add = pg_access_add,
	.access_clear = pg_access_clear,
	.measure_each_visible = pg_measure_each_visible,
	.request_claim = pg_request_claim,
	.record_put = pg_record_put,
	.record_get = pg_record_get,
	.record_each = pg_record_each,
	.record_delete = pg_record_delete,
	.projection_each = pg_projection_each,
	.projection_clear = pg_projection_clear,
};

static const custos_store_config_ops pg_config = {
	.version = CUSTOS_STORE_CONFIG_VERSION,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.witness_get = pg_witness_get,
	.witness_put = pg_witness_put,
};

const custos_store_backend custos_store_pg_backend = {
	.version = CUSTOS_STORE_BACKEND_VERSION,
	.name = "postgresql",
	.accepts = pg_accepts,
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.begin_read = pg_begin_read,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.schema_version = pg_schema_version,
	.log = &pg_log,
	.proj = &pg_proj,
	.config = &pg_config,
};
