#!/usr/bin/env bash
# hostile.sh — the server under hostile connections (bounded, on 127.0.0.0/8 only): a flood of idle connections
# with bursts, slowloris and churn, each from an address of its own, while a victim on 127.0.0.1 asks /healthz
# every 20 ms and must get every answer within 2 s; afterwards the server stops cleanly on SIGTERM.
# Prints "ok   api/NAME" or "FAIL api/NAME: why" per check.   tests/api/hostile.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
custos=${1:-${CUSTOS_BIN:-$root/build/san/custos}}
hostile=$(dirname "$custos")/tools/hostile
work=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
	[ -n "${attackers:-}" ] && kill $attackers "$victim" 2>/dev/null # shellcheck disable=SC2086
	rm -rf "$work"
}
trap cleanup EXIT
ok() { echo "ok   api/$1"; }
bad() { echo "FAIL api/$1: $2"; }
[ -x "$hostile" ] || { bad hostile-setup "no $hostile"; exit 1; }
export CUSTOS_STORE=$(test_store "$work" custos)
cd "$work" || exit 1 # on PostgreSQL, init writes the log's key file in the current directory
"$custos" init 2>/dev/null || { bad hostile-setup "custos init"; exit 1; }
# the defaults (1024 connections, 64 from one address), with a 5 s request deadline so the test is short
"$custos" serve --listen 127.0.0.1:0 --open --request-deadline 5 2>"$work/serve.log" &
server_pid=$!
port=$(listening_port "$work/serve.log")
[ -n "$port" ] || { bad hostile-setup "the server did not start"; cat "$work/serve.log"; exit 1; }

"$hostile" "$port" victim 16 >"$work/victim" &
victim=$!
sleep 0.5
"$hostile" "$port" flood 127.0.0.2 1000 3 300 >"$work/flood" &
attackers=$!
"$hostile" "$port" slowloris 127.0.0.3 40 9 >"$work/slow" &
attackers="$attackers $!"
"$hostile" "$port" churn 127.0.0.4 3000 >"$work/churn" &
attackers="$attackers $!"
wait $attackers "$victim" # shellcheck disable=SC2086
cat "$work/victim" "$work/flood" "$work/slow" "$work/churn" | sed 's/^/  /'

# every victim request answered within 2 s while the others attacked
read -r requests failed < <(sed -n 's/^victim: \([0-9]*\) requests, \([0-9]*\) failed.*/\1 \2/p' "$work/victim")
[ "${requests:-0}" -gt 100 ] && [ "${failed:-1}" -eq 0 ] && ok hostile-others-served ||
	bad hostile-others-served "$(cat "$work/victim")"
# one address holds at most its 64 connections, however many it opens
held=$(sed -n 's/^flood: opened [0-9]*, held by the server \([0-9]*\)$/\1/p' "$work/flood")
[ -n "$held" ] && [ "$held" -ge 1 ] && [ "$held" -le 64 ] && ok hostile-per-client-limit || bad hostile-per-client-limit "$(cat "$work/flood")"
# a request that never finishes is cut at its deadline (5 s), not held for ever, nor cut early
read -r opened cut first < <(sed -n 's/^slowloris: opened \([0-9]*\), cut by the server \([0-9]*\) (the first after \([0-9.]*\) s)$/\1 \2 \3/p' "$work/slow")
[ "${opened:-0}" -gt 0 ] && [ "$cut" = "$opened" ] && awk -v f="$first" 'BEGIN { exit !(f >= 4.5 && f <= 7.5) }' &&
	ok hostile-slowloris-cut || bad hostile-slowloris-cut "$(cat "$work/slow")"
grep -q "^churn: 3000 " "$work/churn" && ok hostile-churn || bad hostile-churn "$(cat "$work/churn")"
# more connections than the server serves at once, from 20 addresses: the ones beyond its limit are refused before
# they are handed to libmicrohttpd (whose own limit, reached, froze both workers for good), and it serves on after
floods=
for i in $(seq 20); do
	"$hostile" "$port" flood "127.0.1.$i" 60 1 20 >"$work/flood.$i" &
	floods="$floods $!"
done
# what the server holds at once, sampled while they flood (a sample refused at the cap shows nothing)
(for _ in $(seq 30); do
	curl -s -m 1 "http://127.0.0.1:$port/metrics" | sed -n 's/^custos_connections_open //p'
	sleep 0.1
done) >"$work/open-samples" &
sampler=$!
wait $floods $sampler # shellcheck disable=SC2086
most=$(sort -n "$work/open-samples" | tail -1)
full=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^custos_connections_refused_total{reason="server_full"} //p')
status=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[ "${most:-0}" -le 1024 ] && [ "${full:-0}" -gt 0 ] && [ "$status" = 200 ] && ok hostile-server-limit ||
	bad hostile-server-limit "at most ${most:-?} open at once, ${full:-0} refused at the cap, then /healthz: $status"
# the refusals and cuts are counted where an operator looks
metrics=$(curl -s "http://127.0.0.1:$port/metrics")
grep -q '^custos_connections_refused_total{reason="per_client"} [1-9]' <<<"$metrics" &&
	grep -q '^custos_connections_refused_total{reason="server_full"} [1-9]' <<<"$metrics" &&
	grep -q '^custos_connections_cut_total [1-9]' <<<"$metrics" && ok hostile-metrics ||
	bad hostile-metrics "$(grep '^custos_connections' <<<"$metrics")"
# and it stops cleanly on SIGTERM (the sanitisers report at exit)
kill "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then bad hostile-sigterm "still running 10 s after SIGTERM"
else
	wait "$server_pid"; rc=$?; server_pid=
	[ $rc -eq 0 ] && ok hostile-sigterm || { bad hostile-sigterm "exit $rc"; tail -20 "$work/serve.log"; }
fi
