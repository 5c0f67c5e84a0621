#!/usr/bin/env bash
# pg.sh — custos on PostgreSQL as its administrators run it: a server of this test's own (tools/pg.sh) on 127.0.0.1.
#  - the log's tables refuse UPDATE, DELETE and TRUNCATE (triggers), and a role granted as docs/DEPLOY.md says
#    (deploy/postgresql-roles.sql) may not even ask;
#  - `store copy` SQLite -> PostgreSQL -> SQLite: byte-identical dumps, checkpoints and roots;
#  - three `custos serve` on one database under concurrent filings (8 clients over HTTP) and approvals (the
#    command line): every acknowledged filing stored once, ids unique, the log verifies; one server killed
#    with -9 mid-load, and then the database itself stopped with `pg_ctl stop -m immediate` mid-load and
#    restarted: nothing acknowledged is lost, and the servers serve again without a restart of their own.
# Prints "ok   store/pg-NAME" or "FAIL store/pg-NAME: why" per check.
#   tests/store/pg.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
custos=${1:-${CUSTOS_BIN:-$root/build/san/custos}}
work=$(mktemp -d)
pgdir=$(mktemp -d -t custos-pg.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	"$root/tools/pg.sh" stop "$pgdir"
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
export CUSTOS_ACTOR=pg-test
fails=0
ok() { echo "ok   store/pg-$1"; }
bad() { echo "FAIL store/pg-$1: $2"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-not true: $2}"; fi; }
setup_fail() { echo "FAIL store/pg-setup: $1"; exit 1; }
base=$("$root/tools/pg.sh" start "$pgdir") || setup_fail "no PostgreSQL server"
db() { "$root/tools/pg.sh" createdb "$pgdir" "$1"; }
psql_as() { psql -X -q -At -v ON_ERROR_STOP=1 "$@" 2>&1; }

# ---- the log refuses to change --------------------------------------------------------------------------------------
export CUSTOS_STORE=$(db trail)
"$custos" init --origin test.example/pg 2>/dev/null || setup_fail init
"$custos" registry import "$root/demo/registry.jsonl" >/dev/null || setup_fail "registry import"
"$custos" measure file "$root/demo/measures/s4.json" >/dev/null || setup_fail "measure file"
"$custos" log checkpoint >/dev/null || setup_fail "log checkpoint"
refused() { # NAME SQL: the store's owner runs SQL; the log's triggers refuse it
	local out
	if out=$(psql_as "$CUSTOS_STORE" -c "$2"); then bad "$1" "accepted: $2"
	elif [[ $out == *"append-only"* || $out == *"only grow"* ]]; then ok "$1"
	else bad "$1" "$out"; fi
}
refused refuses-update-event "UPDATE events SET payload = '{}' WHERE idx = 2"
refused refuses-delete-event "DELETE FROM events WHERE idx = 2"
refused refuses-truncate-events "TRUNCATE events"
refused refuses-shrinking-tile "UPDATE log_tiles SET hashes = substring(hashes FROM 1 FOR 32)"
refused refuses-delete-checkpoint "DELETE FROM checkpoints"
refused refuses-truncate-tiles "TRUNCATE log_tiles"
check log-verifies-after-refusals '"$custos" log verify >/dev/null'
# the role of docs/DEPLOY.md: custos's own rights, no more
psql_as "$CUSTOS_STORE" -c "CREATE ROLE custos_app LOGIN" >/dev/null
psql_as "$CUSTOS_STORE" -v role=custos_app -f "$root/deploy/postgresql-roles.sql" >/dev/null || setup_fail "roles"
app=${CUSTOS_STORE/custos@/custos_app@}
check app-role-files 'CUSTOS_STORE=$app "$custos" measure file "$root/demo/measures/s4.json" >/dev/null'
denied() { # NAME SQL: custos's role may not even ask
	local out
	if out=$(psql_as "$app" -c "$2"); then bad "$1" "accepted: $2"
	elif [[ $out == *"permission denied"* || $out == *"must be owner"* ]]; then ok "$1"
	else bad "$1" "$out"; fi
}
denied app-role-no-delete "DELETE FROM events WHERE idx = 1"
denied app-role-no-trigger-off "ALTER TABLE events DISABLE TRIGGER events_guard"
denied app-role-no-truncate "TRUNCATE events"
denied app-role-no-rewrite "UPDATE events SET type = 'x' WHERE idx = 1"
denied app-role-no-checkpoint-edit "UPDATE checkpoints SET note = 'x'"
check app-role-erases 'CUSTOS_STORE=$app "$custos" log erase 3 --reason "retention test" >/dev/null'
check app-role-rebuilds 'CUSTOS_STORE=$app "$custos" store rebuild >/dev/null'
check log-verifies-as-app 'CUSTOS_STORE=$app "$custos" log verify >/dev/null'

# ---- store copy, both ways ----------------------------------------------------------------------------------------
"$custos" --store "$work/src.db" demo --no-serve >/dev/null 2>&1 || setup_fail demo
"$custos" --store "$work/src.db" log checkpoint >/dev/null
to=$(db copied)
check copy-to-postgresql '"$custos" store copy "$work/src.db" "$to" >/dev/null'
check copy-back-to-sqlite '"$custos" store copy "$to" "$work/back.db" >/dev/null'
same() { cmp -s <("$custos" --store "$work/src.db" "$@") <("$custos" --store "$to" "$@") &&
	cmp -s <("$custos" --store "$work/src.db" "$@") <("$custos" --store "$work/back.db" "$@"); }
check copy-same-projections 'same store dump'
check copy-same-checkpoint 'same log checkpoint'
check copy-same-events 'same events'
check copy-same-proof 'same log prove 5'
out=$("$custos" store copy "$work/src.db" "$to" 2>&1) && bad copy-refuses-non-empty "accepted" ||
	{ [[ $out == *"must be empty"* ]] && ok copy-refuses-non-empty || bad copy-refuses-non-empty "$out"; }

# ---- three servers on one log ------------------------------------------------------------------------------------------
export CUSTOS_STORE=$(db shared)
"$custos" init --origin test.example/shared 2>/dev/null || setup_fail "init shared"
"$custos" registry import "$root/demo/registry.jsonl" >/dev/null
for r in service_head comite_r; do
	"$custos" key generate "$r.key" >"$r.pub" &&
		"$custos" principal add "P-$r" --name "Test $r" --authority vsse --role "$r" --pubkey "$(cat "$r.pub")" >/dev/null ||
		setup_fail "principal $r"
done
ports=()
start_server() { # N [options]: server N on a free port, its pid in pids[N], port in ports[N]
	local n=$1
	shift
	"$custos" serve --listen 127.0.0.1:0 --threads 2 --open "$@" 2>"$work/serve$n.log" &
	pids[$n]=$!
	ports[$n]=$(listening_port "$work/serve$n.log")
	[ -n "${ports[$n]}" ] || { cat "$work/serve$n.log"; setup_fail "server $n did not start"; }
}
start_server 0
start_server 1 --no-sign
start_server 2 --no-sign
: >acked
client() { # C FILINGS: files FILINGS measures, each on a server picked in turn; prints "ID" per 201
	local c=$1 n=$2 i s loc
	for i in $(seq "$n"); do
		s=${ports[$(((c + i) % 3))]}
		loc=$(curl -s -m 20 -o /dev/null -w '%{http_code} %header{location}' -H 'Content-Type: application/json' \
			--data-binary @"$root/demo/measures/s4.json" "http://127.0.0.1:$s/v1/measures" 2>/dev/null)
		[ "${loc%% *}" = 201 ] && echo "${loc##*/}"
	done
}
approver() { # approves, as service_head then comite_r, what waits for them; prints "ID ROLE" per approval
	local round id r
	for round in $(seq 30); do
		for r in service_head comite_r; do
			for id in $("$custos" measure list 2>/dev/null | jq -r --arg r "$r" \
				'select(.approvals[]? | .role == $r and .state == "pending") | .id' | head -3); do
				"$custos" approve "$id" --role "$r" --key "$r.key" >/dev/null 2>&1 && echo "$id $r"
			done
		done
		sleep 0.1
	done
}
load() { # runs 8 clients and the approver; returns when they are done
	local p=() c
	for c in 0 1 2 3 4 5 6 7; do client "$c" "$1" >>acked & p+=($!); done
	approver >>approved & p+=($!)
	sleep "$2"
	eval "$3" # what happens mid-load
	wait "${p[@]}"
}
: >approved
load 25 1.5 '{ kill -9 ${pids[1]}; wait ${pids[1]}; } 2>/dev/null; ok server-killed-mid-load'
start_server 1 --no-sign # back, as its supervisor would
listed() { "$custos" measure list | jq -r .id | sort; }
check filings-acknowledged '[ "$(wc -l <acked)" -gt 50 ]' "only $(wc -l <acked) filings acknowledged"
check every-acknowledged-once '[ -z "$(comm -23 <(sort acked) <(listed))" ] && [ "$(sort acked | uniq -d)" = "" ]' \
	"missing: $(comm -23 <(sort acked) <(listed) | head -3)"
check ids-unique '[ "$(listed | uniq -d)" = "" ] && [ "$("$custos" events | jq -r "select(.type == \"measure.filed\") | .ref" | sort | uniq -d)" = "" ]'
check approvals-recorded '[ "$(wc -l <approved)" -gt 0 ] && while read -r id r; do
	"$custos" measure show "$id" | jq -e --arg r "$r" "[.life.approvals[] | select(.role == \$r and .state == \"approved\")] | length > 0" >/dev/null || exit 1
	done <approved' "an approval acknowledged is not in its measure's life"
check log-verifies-after-kill '"$custos" log verify >/dev/null'
# the key holder signs; the others serve what it signed
c0=$(curl -s "http://127.0.0.1:${ports[0]}/v1/log/checkpoint") c2=$(curl -s "http://127.0.0.1:${ports[2]}/v1/log/checkpoint")
check others-serve-signed-checkpoint '[ -n "$c0" ] && [ "$c0" = "$c2" ]' "server 0: $(sed -n 2p <<<"$c0"), server 2: $(sed -n 2p <<<"$c2")"
check checkpoint-is-the-tree '[ "$(sed -n 2p <<<"$c0")" = "$("$custos" events | wc -l)" ]'

# the database stopped as by a power cut, mid-load, and started again
before=$(wc -l <acked)
load 25 1.5 '"$root/tools/pg.sh" kill "$pgdir" && ok database-killed-mid-load; sleep 1; "$root/tools/pg.sh" restart "$pgdir" >/dev/null'
check filings-around-crash '[ "$(wc -l <acked)" -gt "$before" ]' "no filing acknowledged in the second load"
check nothing-acknowledged-lost '[ -z "$(comm -23 <(sort acked) <(listed))" ]' "missing: $(comm -23 <(sort acked) <(listed) | head -3)"
check log-verifies-after-crash '"$custos" log verify >/dev/null'
for n in 0 1 2; do
	check "server-$n-serves-after-crash" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" \
		--data-binary @"$root/demo/measures/s4.json" "http://127.0.0.1:${ports[$n]}/v1/measures")" = 201 ]'
done
for n in 0 1 2; do
	kill -TERM "${pids[$n]}"
	wait "${pids[$n]}"
	rc=$?
	[ "$rc" = 0 ] && ok "server-$n-stops-cleanly" || { bad "server-$n-stops-cleanly" "exit $rc"; cat "$work/serve$n.log"; }
done
pids=()
exit $((fails > 0))
