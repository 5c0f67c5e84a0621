#!/usr/bin/env bash
# replay.sh CUSTOS — replay equals live: a long random sequence of operations, through the command line and
# through the HTTP API (a real server on 127.0.0.1, signed requests) on one store, then `custos store rebuild`:
# every table folded from the log must be byte for byte what the live commands wrote (`custos store dump`
# before and after), and `custos log verify` must pass before and after.
# The sequence is drawn from a fixed seed (REPLAY_SEED) so that a failure can be replayed; REPLAY_OPS sets its
# length (make check: 300; .ci/run: 3000).
set -uo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
sign=$(dirname "$bin")/tools/httpsign
tmp=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/bin" "$tmp/w"
ln -s "$bin" "$tmp/bin/custos"
export PATH="$tmp/bin:$PATH" CUSTOS_STORE="$tmp/w/custos.db" CUSTOS_NOW=2026-11-24T09:00:00Z CUSTOS_ACTOR=tester
export ROOT="$root" DATA="$root/tests/data"
cd "$tmp/w" || exit 1
[ -x "$sign" ] || { echo "FAIL store/replay-setup: no $sign"; exit 1; }
(set -e; . "$DATA/life-setup.sh") >setup.out 2>&1 || { cat setup.out; echo "FAIL store/replay-setup"; exit 1; }
custos serve --listen 127.0.0.1:0 2>serve.log &
server_pid=$!
port=$(listening_port serve.log)
[ -n "${port:-}" ] || { cat serve.log; echo "FAIL store/replay-setup: the server did not start"; exit 1; }

RANDOM=${REPLAY_SEED:-20261205}
ops=${REPLAY_OPS:-300}
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }
# api KEY METHOD PATH [BODYFILE]: a signed request; its status in $status
api() {
	local key=$1 method=$2 path=$3 bodyfile=${4:-} hdrs=() line
	while IFS= read -r line; do hdrs+=(-H "$line"); done < <("$sign" "$key.key" "$method" "127.0.0.1:$port" "$path" $bodyfile)
	status=$(curl -s -o api.out -w '%{http_code}' -X "$method" "${hdrs[@]}" ${bodyfile:+-H "Content-Type: application/json" --data-binary @"$bodyfile"} "http://127.0.0.1:$port$path")
}
# a measure of a random kind for a random service (some touch protected parties, some need approvals)
measure() {
	local n=$((RANDOM % 9000 + 1000)) kind
	kind=$(pick s1 s3 s4 s5-lawful own own own)
	if [ "$kind" = own ]; then
		printf '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse","targets":["tel:+324705%05d"],"period":{"from":"2026-12-01","to":"2027-01-31"},"grounds":"replay test"}\n' "$n" >m.json
	else
		cp "$root/demo/measures/$kind.json" m.json
	fi
}
key_of_role() {
	case $1 in
	service_head) echo HEAD-VSSE ;; foreign_affairs) echo FA ;; investigating_judge) echo JUDGE ;;
	bim_commission) echo BIM ;; data_protection_officer) echo DPO ;; central_authority) echo CA ;;
	comite_r) echo COMR ;; parliament_president) echo PP ;; *) echo NONE ;;
	esac
}
done_ops=0 accepted=0
for _ in $(seq "$ops"); do
	op=$(pick file file api-file approve approve approve approve approve refuse acknowledge extend extend revoke end import import \
		principal rules checkpoint erase)
	case $op in
	approve | refuse) ids=$(custos measure list --state pending | jq -r .id) ;;
	extend | revoke | end) ids=$(custos measure list | jq -r 'select(.state == "authorised" or .state == "extended" or .state == "suspended") | .id') ;;
	acknowledge) ids=$(custos measure list | jq -r 'select(.state != "erased") | .id') ;;
	*) ids=$(custos measure list | jq -r .id) ;;
	esac
	id=$(pick $ids x)
	case $op in
	file) measure; custos measure file m.json --key REQ-VSSE.key >/dev/null 2>&1 ;;
	api-file) measure; api REQ-VSSE POST /v1/measures m.json; [ "$status" = 201 ] ;;
	approve | refuse)
		role=$(custos measure show "$id" 2>/dev/null | jq -r '[.life.approvals[]? | select(.state == "pending" and .kind == "approve") | .role] | .[0] // empty')
		[ -n "$role" ] || continue
		if [ "$op" = approve ]; then
			custos approve "$id" --role "$role" --key "$(key_of_role "$role").key" >/dev/null 2>&1
		else
			custos approve "$id" --role "$role" --key "$(key_of_role "$role").key" --refuse --reason "replay test" >/dev/null 2>&1
		fi ;;
	acknowledge)
		role=$(custos measure show "$id" 2>/dev/null | jq -r '[.life.approvals[]? | select(.state == "pending" and .kind == "notify") | .role] | .[0] // empty')
		[ -n "$role" ] || continue
		custos approve "$id" --role "$role" --key "$(key_of_role "$role").key" --acknowledge >/dev/null 2>&1 ;;
	extend) custos measure extend "$id" --key REQ-VSSE.key --until "$(pick 2027-02-28 2027-03-31)" >/dev/null 2>&1 ;;
	revoke) custos measure revoke "$id" --key COMR.key --reason "replay test" >/dev/null 2>&1 ;;
	end) custos measure end "$id" --key HEAD-VSSE.key --reason "replay test" >/dev/null 2>&1 ;;
	import)
		# half of the time the number of a measure already filed: an authorised one is then suspended
		n=$((RANDOM % 9000 + 1000))
		sel=$(printf 'tel:+324705%05d' "$((RANDOM % 9000 + 1000))")
		[ $((RANDOM % 2)) = 0 ] && sel=$(custos measure show "$id" 2>/dev/null | jq -r '[.measure.targets[]? | select(startswith("tel:"))] | .[0] // empty') && [ -n "$sel" ] || true
		[ -n "$sel" ] || sel=$(printf 'tel:+324705%05d' "$n")
		printf '{"id":"P-R-%d","category":"diplomatic_agent","name":"Replay Diplomat %d","sending_state":"MR","nationality":"MR","permanent_resident":false,"valid_from":"2026-11-01","valid_to":null,"mission":"M-MR","country_of_origin":null,"waiver":null,"selectors":["%s"]}\n' "$n" "$n" "$sel" >p.jsonl
		custos registry import p.jsonl >/dev/null 2>&1 ;;
	principal)
		n=$((RANDOM % 100000))
		if custos key generate "X$n.key" >"X$n.pub" 2>/dev/null; then
			custos principal add "X$n" --name "Replay $n" --authority vsse --role requester --pubkey "$(cat "X$n.pub")" >/dev/null 2>&1 &&
				[ $((RANDOM % 2)) = 0 ] && custos principal revoke "X$n" --reason "replay test" >/dev/null 2>&1
		fi ;;
	rules) custos rules load "$root/rules/be" >/dev/null 2>&1 ;;
	checkpoint) custos log checkpoint >/dev/null 2>&1 ;;
	erase)
		[ $((RANDOM % 4)) = 0 ] || continue
		e=$(custos events | jq -r "select(.ref == \"$id\" and .type == \"measure.decided\") | .index")
		[ -n "$e" ] && custos log erase "$e" --reason "replay test" >/dev/null 2>&1 ;;
	esac && accepted=$((accepted + 1))
	done_ops=$((done_ops + 1))
done
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=
events=$(custos events | wc -l)
echo "  $done_ops operations ($accepted accepted), $events events, $(custos measure list | wc -l) measures:" \
	"$(custos measure list | jq -r .state | sort | uniq -c | tr -s ' \n' ' ')"
echo "  events: $(custos events | jq -r .type | sort | uniq -c | tr -s ' \n' ' ')"
if custos log verify >verify.out 2>&1; then echo "ok   store/replay-verify-live"; else echo "FAIL store/replay-verify-live: $(cat verify.out)"; fi
custos store dump >live.dump
if ! custos store rebuild >rebuild.out 2>&1; then
	echo "FAIL store/replay-equals-live: rebuild failed: $(cat rebuild.out)"
elif ! custos store dump | cmp -s - live.dump; then
	echo "FAIL store/replay-equals-live: the rebuilt tables differ from the live ones:"
	custos store dump | diff live.dump - | head -10
else
	echo "ok   store/replay-equals-live"
fi
if custos log verify >verify.out 2>&1; then echo "ok   store/replay-verify-rebuilt"; else echo "FAIL store/replay-verify-rebuilt: $(cat verify.out)"; fi
# a signed request's acceptance deleted (it could then be replayed): named, and put back by a rebuild
key=$(sqlite3 custos.db "SELECT key FROM requests LIMIT 1")
if [ -z "$key" ]; then
	echo "FAIL store/replay-request-deleted: no signed request was accepted"
else
	sqlite3 custos.db "DROP TRIGGER requests_no_delete; DELETE FROM requests WHERE key = '$key'"
	if custos log verify >verify.out 2>&1 || ! grep -q "table requests, key $key: missing" verify.out; then
		echo "FAIL store/replay-request-deleted: $(cat verify.out)"
	elif ! custos store rebuild >/dev/null 2>&1 || ! custos store dump | cmp -s - live.dump; then
		echo "FAIL store/replay-request-deleted: the rebuild did not put it back"
	else
		echo "ok   store/replay-request-deleted"
	fi
fi
