#!/usr/bin/env bash
# tamper.sh CUSTOS — a database administrator without the keys edits the store: on a populated store, with
# every trigger dropped, one value of every column of every table is edited (each top-level field of a JSON
# cell in turn), one row of each is deleted, one added. Every single edit must make `custos log verify` fail
# and name the table (and the key and field); `custos store rebuild` must then repair each edit of a
# projection, byte for byte, and refuse to work on an edited log (the log itself is not repairable).
# Prints "ok   store/tamper-TABLE.COLUMN" or "FAIL store/tamper-TABLE.COLUMN: why", one line per column.
# With CUSTOS_TEST_PG set (run-tests.sh's PostgreSQL server) the same edits are made on PostgreSQL: each on a copy
# of the populated database (CREATE DATABASE ... TEMPLATE), with the triggers off for the session
# (session_replication_role = replica, which the tests' superuser may set), in PostgreSQL's dialect.
#
# The requests table (signed requests accepted) is covered here by a row added; tests/store/replay.sh, whose
# store has signed requests, deletes one of them; golden/log-witness edits the witness state and a cosignature
# (this store has no witness). Not covered, and why: the meta rows of the log's origin, key and key path
# (configuration fixed at init, which every signed checkpoint names; docs/LOG.md).
set -uo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/w"
ln -s "$bin" "$tmp/bin/custos"
pg=${CUSTOS_TEST_PG:-}
pristine=$tmp/w/custos.db
if [ -n "$pg" ]; then
	pgdb=tamper_$$_$RANDOM
	psql -X -q -v ON_ERROR_STOP=1 "$pg/postgres" -c "CREATE DATABASE $pgdb" >/dev/null || { echo "FAIL store/tamper-setup: createdb"; exit 1; }
	pristine=$pg/$pgdb
fi
export PATH="$tmp/bin:$PATH" CUSTOS_STORE="$pristine" CUSTOS_NOW=2026-11-24T09:00:00Z CUSTOS_ACTOR=tester
export ROOT="$root" DATA="$root/tests/data"
cd "$tmp/w" || exit 1
if ! (set -e; . "$DATA/populated.sh") >setup.out 2>&1; then
	cat setup.out
	echo "FAIL store/tamper-setup: the populated store could not be made"
	exit 1
fi
custos log verify >/dev/null 2>verify.err || { cat verify.err; echo "FAIL store/tamper-setup: verify"; exit 1; }
custos store dump >pristine.dump
zeros=0000000000000000000000000000000000000000000000000000000000000000
if [ -z "$pg" ]; then
	cp custos.db pristine.db
	unlock=$(sqlite3 pristine.db "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master WHERE type = 'trigger'")
	q() { sqlite3 pristine.db "$1"; }
	# copy: a copy of the pristine store to edit, its name in $t
	copy() { cp pristine.db t.db; rm -f t.db-wal t.db-shm; t=$PWD/t.db; }
	run() { sqlite3 "$t" "$unlock $1"; }
	# the dialect: a tile's first hash zeroed; a JSON cell's member (table col key type where) changed
	zero_tile="CAST(zeroblob(32) || substr(hashes, 33) AS BLOB)"
	members() { q "SELECT key, type FROM json_each((SELECT $2 FROM $1 WHERE $3))"; }
	member_set() {
		local col=$1 key=$2 type=$3 path="'\$.\"$2\"'" new
		case "$type" in
		text) new="json_extract($col, $path) || 'x'" ;;
		integer | real) new="json_extract($col, $path) + 1" ;;
		null) new="'x'" ;;
		true) new="json('false')" ;;
		false) new="json('true')" ;;
		array) new="json_insert(json_extract($col, $path), '\$[#]', 'x')" ;;
		object) new="json_set(json_extract($col, $path), '\$.x', 'x')" ;;
		esac
		echo "json_set($col, $path, $new)"
	}
else
	q() { psql -X -q -At -v ON_ERROR_STOP=1 "$pristine" -c "$1"; }
	copies=0
	copy() { # the previous copy goes first: 80 copies of a database would fill a small disk
		[ "$copies" -gt 0 ] && psql -X -q "$pg/postgres" -c "DROP DATABASE IF EXISTS ${pgdb}_$copies" >/dev/null
		copies=$((copies + 1))
		psql -X -q -v ON_ERROR_STOP=1 "$pg/postgres" -c "CREATE DATABASE ${pgdb}_$copies TEMPLATE $pgdb" >/dev/null
		t=$pg/${pgdb}_$copies
	}
	run() { psql -X -q -v ON_ERROR_STOP=1 "$t" -c "SET session_replication_role = replica; $1" 2>&1 >/dev/null; }
	zero_tile="decode('$zeros', 'hex') || substring(hashes FROM 33)"
	members() { q "SELECT key, jsonb_typeof(value) || CASE WHEN jsonb_typeof(value) = 'boolean' THEN value::text ELSE '' END FROM jsonb_each((SELECT $2 FROM $1 WHERE $3)::jsonb)" | sed 's/|booleantrue$/|true/; s/|booleanfalse$/|false/; s/|string$/|text/; s/|number$/|integer/'; }
	member_set() {
		local col=$1 key=$2 type=$3 new
		case "$type" in
		text) new="to_jsonb(($col::jsonb ->> '$key') || 'x')" ;;
		integer) new="to_jsonb(($col::jsonb ->> '$key')::numeric + 1)" ;;
		null) new="'\"x\"'::jsonb" ;;
		true) new="'false'::jsonb" ;;
		false) new="'true'::jsonb" ;;
		array) new="($col::jsonb -> '$key') || '[\"x\"]'::jsonb" ;;
		object) new="($col::jsonb -> '$key') || '{\"x\": \"x\"}'::jsonb" ;;
		esac
		echo "jsonb_set($col::jsonb, '{$key}', $new)::text"
	}
fi

failures=""
# edit WHAT KIND SQL: applies SQL to a copy; KIND "projection" (verify names it, rebuild repairs it) or "log"
edit() {
	local what=$1 kind=$2 sql=$3 err
	copy
	if ! err=$(run "$sql" 2>&1); then
		failures+="$what: the edit itself failed ($err); "
		return
	fi
	if CUSTOS_STORE="$t" custos log verify >/dev/null 2>v.err; then
		failures+="$what: not caught; "
		return
	fi
	case "$kind" in
	projection:*)
		if ! grep -q "TAMPERING DETECTED: table ${kind#projection:}" v.err; then
			failures+="$what: verify said: $(cat v.err); "
			return
		fi
		if ! CUSTOS_STORE="$t" custos store rebuild >/dev/null 2>r.err; then
			failures+="$what: rebuild failed: $(cat r.err); "
		elif ! CUSTOS_STORE="$t" custos store dump | cmp -s - pristine.dump; then
			failures+="$what: rebuild did not restore the tables; "
		elif ! CUSTOS_STORE="$t" custos log verify >/dev/null 2>&1; then
			failures+="$what: verify fails after the rebuild; "
		fi
		;;
	log)
		if ! grep -q "TAMPERING DETECTED: .*\(event\|checkpoint\)" v.err; then
			failures+="$what: verify said: $(cat v.err); "
		elif CUSTOS_STORE="$t" custos store rebuild >/dev/null 2>r.err; then
			failures+="$what: rebuild worked on an edited log; "
		fi
		;;
	esac
}
report() { # NAME: one line for a column's (or table's) edits
	if [ -z "$failures" ]; then echo "ok   store/tamper-$1"; else echo "FAIL store/tamper-$1: $failures"; fi
	failures=""
}
# json_edits TABLE COLUMN WHERE TABLE-OF-REPORT: each top-level member of the JSON cell, changed in turn
json_edits() {
	local table=$1 col=$2 where=$3 ptable=$4 key type n=0
	while IFS='|' read -r key type; do
		n=$((n + 1))
		edit "$table.$col.$key" "projection:$ptable, key .*, field .*$key" \
			"UPDATE $table SET $col = $(member_set "$col" "$key" "$type") WHERE $where"
	done < <(members "$table" "$col" "$where")
	[ $n -gt 0 ] || failures+="$table.$col: no JSON members found where $where; "
}

# ---- the projections ----------------------------------------------------------------------------------
edit meta.value projection:meta "UPDATE meta SET value = 'sha256:$zeros' WHERE key = 'rules_hash'"
edit meta.key projection:meta "UPDATE meta SET key = 'rules_hash_old' WHERE key = 'rules_hash'"
edit meta.row projection:meta "DELETE FROM meta WHERE key = 'rules_hash'"
report meta
cur=$(q "SELECT value FROM meta WHERE key = 'rules_hash'")
edit rulesets.hash projection:rulesets "UPDATE rulesets SET hash = 'sha256:$zeros' WHERE hash = '$cur'"
edit rulesets.canonical projection:rulesets "UPDATE rulesets SET canonical = replace(canonical, 'forbid', 'permit') WHERE hash = '$cur'"
edit rulesets.loaded_at projection:rulesets "UPDATE rulesets SET loaded_at = '2020-01-01T00:00:00Z' WHERE hash = '$cur'"
edit rulesets.row projection:rulesets "DELETE FROM rulesets WHERE hash = '$cur'"
edit rulesets.added projection:rulesets "INSERT INTO rulesets SELECT 'sha256:$zeros', canonical, loaded_at FROM rulesets WHERE hash = '$cur'"
report rulesets
party="id = 'P-NEW-1'"
edit parties.id projection:parties "UPDATE parties SET id = 'P-NEW-2' WHERE $party"
report parties.id
json_edits parties line "$party" parties
report parties.line
edit parties.row projection:parties "DELETE FROM parties WHERE $party"
edit parties.added projection:parties "INSERT INTO parties SELECT 'P-FAKE', replace(line, 'P-NEW-1', 'P-FAKE') FROM parties WHERE $party"
report parties.rows
m="id = 'M-000002'"
edit measures.seq projection:measures "UPDATE measures SET seq = 99 WHERE $m"
edit measures.id projection:measures "UPDATE measures SET id = 'M-000099' WHERE $m"
edit measures.state projection:measures "UPDATE measures SET state = 'permitted' WHERE $m"
edit measures.filed_at projection:measures "UPDATE measures SET filed_at = '2020-01-01T00:00:00Z' WHERE $m"
report measures.columns
json_edits measures measure "$m" measures
report measures.measure
json_edits measures decision "$m" measures
report measures.decision
edit measures.row projection:measures "DELETE FROM measures WHERE $m"
edit measures.added projection:measures "INSERT INTO measures SELECT 99, 'M-000099', measure, decision, state, filed_at FROM measures WHERE $m"
report measures.rows
for rec in "life M-000002" "statement M-000002/0001" "authorization M-000002.1" "principal FA"; do
	w="kind = '${rec% *}' AND id = '${rec#* }'"
	json_edits records body "$w" records
	report "records.body.${rec% *}"
done
w="kind = 'openli_audit' AND id = '$(q "SELECT id FROM records WHERE kind = 'openli_audit'")'"
json_edits records body "$w" records
report records.body.openli_audit
w="kind = 'life' AND id = 'M-000002'"
edit records.kind projection:records "UPDATE records SET kind = 'lives' WHERE $w"
edit records.id projection:records "UPDATE records SET id = 'M-000099' WHERE $w"
for kind in life statement authorization principal openli_audit; do
	edit "records.row.$kind" projection:records \
		"DELETE FROM records WHERE (kind, id) = (SELECT kind, id FROM records WHERE kind = '$kind' LIMIT 1)"
done
edit records.added projection:records "INSERT INTO records SELECT kind, 'M-000099', body FROM records WHERE $w"
report records.rows
a="who = 'role:service_head' AND seq = 2"
edit measure_access.who projection:measure_access "UPDATE measure_access SET who = 'role:nobody' WHERE $a"
edit measure_access.seq projection:measure_access "UPDATE measure_access SET seq = 99 WHERE $a"
edit measure_access.row projection:measure_access "DELETE FROM measure_access WHERE $a"
edit measure_access.added projection:measure_access "INSERT INTO measure_access VALUES ('authority:sgrs', 2)"
report measure_access
edit requests.added projection:requests "INSERT INTO requests VALUES ('sha256:$zeros', 3)"
report requests

# ---- the log: verify names it; nothing rebuilds it ------------------------------------------------------
for col in type time actor ref payload payload_hash; do
	edit "events.$col" log "UPDATE events SET $col = $col || 'x' WHERE idx = 7"
done
edit events.idx log "UPDATE events SET idx = 1000 WHERE idx = (SELECT MAX(idx) FROM events)"
edit events.row log "DELETE FROM events WHERE idx = 7"
report events
edit log_tiles.hashes log "UPDATE log_tiles SET hashes = $zero_tile WHERE level = 0 AND idx = 0"
edit log_tiles.row log "DELETE FROM log_tiles WHERE level = 0 AND idx = 0"
report log_tiles
edit checkpoints.note log "UPDATE checkpoints SET note = replace(note, 'test.example', 'test.exampla') WHERE size = (SELECT MIN(size) FROM checkpoints)"
edit checkpoints.size log "UPDATE checkpoints SET size = size - 1 WHERE size = (SELECT MIN(size) FROM checkpoints)"
edit checkpoints.first log "DELETE FROM checkpoints WHERE size = (SELECT MIN(size) FROM checkpoints)"
edit checkpoints.latest log "DELETE FROM checkpoints WHERE size = (SELECT MAX(size) FROM checkpoints)"
report checkpoints
