#!/usr/bin/env bash
# auth.sh — the HTTP API with principals: RFC 9421 signatures (unknown key 401, wrong role 403, replayed or stale 401),
# what each role may read, and the life of a measure over HTTP (statement text, signed statement, token, revocations).
#   tests/api/auth.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
custos=${1:-${CUSTOS_BIN:-$root/build/san/custos}}
sign=$(dirname "$custos")/tools/httpsign
work=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export CUSTOS_STORE=$(test_store "$work" custos) CUSTOS_ACTOR=auth-test
cd "$work" || exit 1
fails=0
ok() { echo "ok   api/auth-$1"; }
bad() { echo "FAIL api/auth-$1: $2"; fails=$((fails + 1)); [ -s "$work/body" ] && head -c 400 "$work/body" | sed 's/^/  body: /'; echo; }
[ -x "$sign" ] || { echo "FAIL api/auth-setup: no $sign"; exit 1; }

# as KEY METHOD PATH [BODYFILE [TYPE]]: a request signed with KEY's file; status in $status, answer in body
as() {
	local key=$1 method=$2 path=$3 bodyfile=${4:-} type=${5:-text/plain}
	local hdrs=() line
	while IFS= read -r line; do hdrs+=(-H "$line"); done < <("$sign" "$key.key" "$method" "127.0.0.1:$port" "$path" $bodyfile)
	if [ -n "$bodyfile" ]; then
		status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$method" "${hdrs[@]}" -H "Content-Type: $type" \
			--data-binary @"$bodyfile" "$base$path")
	else
		status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$method" "${hdrs[@]}" "$base$path")
	fi
	printf '%s\n' "${hdrs[@]}" | grep -v '^-H$' >"$work/last.headers"
}
expect() {
	local name=$1 want=$2 cond=${3:-}
	if [ "$status" != "$want" ]; then bad "$name" "status $status, expected $want"; return; fi
	if [ -n "$cond" ] && ! jq -e "$cond" "$work/body" >/dev/null 2>&1; then bad "$name" "not true: $cond"; return; fi
	ok "$name"
}

"$custos" init --origin test.example/custos 2>/dev/null || { echo "FAIL api/auth-setup: init"; exit 1; }
"$custos" registry import "$root/demo/registry.jsonl" >/dev/null
principal() {
	local id=$1 authority=$2
	shift 2
	"$custos" key generate "$id.key" >"$id.pub" && "$custos" principal add "$id" --name "Test $id" \
		--authority "$authority" --role "$@" --pubkey "$(cat "$id.pub")" >/dev/null
}
principal REQ-VSSE vsse requester
principal HEAD-VSSE vsse service_head
principal REQ-FP federal_police requester
principal FA fps_foreign_affairs foreign_affairs
principal COMR comite_r comite_r
"$custos" key generate stranger.key >/dev/null

"$custos" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
server_pid=$!
port=$(listening_port "$work/serve.log")
[ -n "${port:-}" ] || { echo "FAIL api/auth-setup: server did not start"; cat "$work/serve.log"; exit 1; }
base=http://127.0.0.1:$port

# ---- signatures ----------------------------------------------------------------------------------------
status=$(curl -s -o "$work/body" -w '%{http_code}' "$base/v1/measures"); expect unsigned 401 '.field == "Signature-Input" or .field == "Signature"'
as stranger GET /v1/measures; expect unknown-key 401
as FA GET /v1/me; expect me 200 '.id == "FA" and .roles == ["foreign_affairs"]'
hdrs=(); while IFS= read -r l; do hdrs+=(-H "$l"); done <"$work/last.headers"
# a read changes nothing: the same signed request again is answered while its signature is fresh
status=$(curl -s -o "$work/body" -w '%{http_code}' "${hdrs[@]}" "$base/v1/me"); expect read-replayed-answered 200 '.id == "FA"'
# a signature for another server is refused: the Host it was signed for must be one of this server's names
status=$(curl -s -o "$work/body" -w '%{http_code}' "${hdrs[@]}" -H "Host: elsewhere.example" "$base/v1/me")
expect other-authority 401 '.field == "Host" and (.error | test("elsewhere.example"))'
HTTPSIGN_CREATED=$(($(clock_secs) - 3600)) as FA GET /v1/me; expect stale 401
shifted <"$root/demo/measures/s5-lawful.json" >s5.json
as FA POST /v1/measures s5.json application/json; expect wrong-role 403
as FA GET /v1/principals; expect principals-wrong-role 403
as COMR GET /v1/principals; expect principals 200 '(.principals | length) == 5'
# principals added and revoked while the server runs count at once (the server remembers keys, not trust)
principal LATE vsse requester
as LATE GET /v1/me; expect principal-added-while-serving 200 '.id == "LATE"'
"$custos" principal revoke LATE --reason "left the service" >/dev/null
as LATE GET /v1/me; expect principal-revoked-while-serving 401 '.error | test("unknown key")'
status=$(curl -s -o "$work/body" -w '%{http_code}' "$base/v1/log/checkpoint"); expect public-log-unsigned 200
curl -s -D "$work/headers" -o /dev/null "$base/" && grep -qi "^content-security-policy: .*frame-ancestors 'none'" "$work/headers" &&
	ok page-not-framable || bad page-not-framable "$(grep -i '^content-security' "$work/headers")"

# ---- file as the service, then what each role reads ----------------------------------------------------------
as REQ-VSSE POST /v1/measures s5.json application/json; expect file-signed 201 '.outcome == "needs_approval"'
id=$(jq -r .id "$work/body")
# the same signed filing again files nothing, ever: on this server, and on a second server on the same store
# (addressed by the same name), and after this one restarts
cp "$work/last.headers" filing.headers
replay_filing() { # BASE
	local h=() l
	while IFS= read -r l; do h+=(-H "$l"); done <filing.headers
	status=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "${h[@]}" -H "Content-Type: application/json" \
		-H "Host: 127.0.0.1:$port" --data-binary @s5.json "$1/v1/measures")
}
replay_filing "$base"; expect filing-replayed 409 '.field == "Signature" and (.error | test("replayed"))'
"$custos" serve --listen 127.0.0.1:0 --authority "127.0.0.1:$port" 2>"$work/serve2.log" &
second=$!
port2=$(listening_port "$work/serve2.log")
replay_filing "http://127.0.0.1:$port2"; expect filing-replayed-second-server 409 '.error | test("replayed")'
kill "$second"; wait "$second"
kill "$server_pid"; wait "$server_pid"
"$custos" serve --listen "127.0.0.1:$port" 2>>"$work/serve.log" &
server_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "$base/healthz" && break; sleep 0.1; done
replay_filing "$base"; expect filing-replayed-after-restart 409 '.error | test("replayed")'
[ "$("$custos" measure list | wc -l)" = 1 ] && ok filed-once || bad filed-once "$("$custos" measure list)"
shifted <"$root/demo/measures/s6.json" >s6.json
as REQ-FP POST /v1/measures s6.json application/json; expect file-other-service 201
other=$(jq -r .id "$work/body")
as REQ-VSSE GET /v1/measures; expect requester-sees-own 200 "[.measures[].id] == [\"$id\"]"
as FA GET "/v1/measures?role=foreign_affairs"; expect inbox 200 "[.measures[].id] == [\"$id\"]"
HTTPSIGN_NO_QUERY=1 as FA GET "/v1/measures?role=foreign_affairs"; expect query-unsigned 401 '.error | test("must cover @query")'
# signed for ?role=foreign_affairs, sent with another query: the signature no longer verifies
hdrs=(); while IFS= read -r l; do hdrs+=(-H "$l"); done < <("$sign" FA.key GET "127.0.0.1:$port" "/v1/measures?role=foreign_affairs")
status=$(curl -s -o "$work/body" -w '%{http_code}' "${hdrs[@]}" "$base/v1/measures?role=comite_r"); expect query-changed 401 '.error | test("does not verify")'
as FA GET "/v1/measures/$other"; expect approver-cannot-see-other 404
as COMR GET /v1/measures; expect comite-sees-all 200 '(.measures | length) == 2'
"$custos" measure show "$id" | jq -S 'del(.life)' >cli.json
as REQ-VSSE GET "/v1/measures/$id"; jq -S 'del(.life)' "$work/body" >api.json
cmp -s cli.json api.json && ok show-same-as-cli || bad show-same-as-cli "$(diff cli.json api.json | head -5)"

# ---- approve over HTTP: the statement text, signed by the principal's key, posted ------------------------
as FA GET "/v1/measures/$id/statement?action=approve&role=foreign_affairs"; expect statement-text 200
head -1 "$work/body" | grep -qx 'custos-statement/v1' && grep -qx 'principal FA' "$work/body" && ok statement-is-fa-s ||
	bad statement-is-fa-s "$(head -3 "$work/body")"
cp "$work/body" fa.text
"$custos" approve "$id" --role foreign_affairs --key FA.key --print >fa.stmt
as HEAD-VSSE POST /v1/statements fa.stmt; expect statement-of-another 403 '.field == "principal"'
as FA POST /v1/statements fa.stmt; expect approve 200 '.approvals[] | select(.role == "foreign_affairs") | .state == "approved"'
HTTPSIGN_CREATED=$(($(clock_secs) + 1)) as FA POST /v1/statements fa.stmt; expect approve-replayed 409 '.error | test("already approved")'
"$custos" approve "$id" --role service_head --key HEAD-VSSE.key --print >head.stmt
as HEAD-VSSE POST /v1/statements head.stmt; expect authorised 200 '.authorizations == ["'"$id"'.1"]'
as REQ-VSSE GET "/v1/authorizations/$id.1"; expect token 200
cp "$work/body" token
"$custos" authorization verify token --vkey "$("$custos" log vkey)" --revocations <("$custos" authorization revocations) \
	--date "$(shifted 2026-12-15)" >/dev/null && ok token-verifies ||
	bad token-verifies "custos authorization verify"
as REQ-FP GET "/v1/authorizations/$id.1"; expect token-other-service 404
vreq() { status=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary @"$1" "$base/v1/authorizations/verify$2"); }
vreq token "?date=$(shifted 2026-12-01)"; expect verify-first-day 200 ".valid and .id == \"$id.1\" and .revocation_checked"
vreq token "?date=$(shifted 2027-01-01)"; expect verify-after-window 400 '.error | test("after its window")'
sed "s/^to $(shifted 2026-12-31)\$/to $(shifted 2027-12-31)/" token >forged.tok
vreq forged.tok "?date=$(shifted 2026-12-15)"; expect verify-forged 400 '.error | test("bad signature")'
vreq token "?date=2026-13-01"; expect verify-bad-date 400 '.field == "date"'
as REQ-VSSE GET "/v1/measures/$id/statement?action=extend&until=$(shifted 2027-01-15)&reason=more%20time"; expect extend-text 200
grep -qx "until $(shifted 2027-01-15)" "$work/body" && grep -qx 'action extend' "$work/body" && ok extend-text-names-until ||
	bad extend-text-names-until "$(cat "$work/body")"
"$custos" measure revoke "$id" --key COMR.key --reason "test" >/dev/null
status=$(curl -s -o "$work/body" -w '%{http_code}' "$base/revocations"); expect revocations-public 200
grep -qx "revoked $id.1" "$work/body" && ok revocations-list || bad revocations-list "$(cat "$work/body")"
vreq token "?date=$(shifted 2026-12-15)"; expect verify-revoked 400 '.error | test("revoked")'
"$custos" log verify >/dev/null 2>"$work/verify.err" && ok log-verifies || bad log-verifies "$(cat "$work/verify.err")"

# a service files only for itself, and the filer signs no approval of what it filed
shifted <"$root/demo/measures/s1.json" >s1.json
as REQ-FP POST /v1/measures s1.json application/json; expect file-for-another-authority 403 '.field == "requested_by"'
principal BOTH vsse requester service_head
as BOTH POST /v1/measures s5.json application/json; expect file-as-both 201
mine=$(jq -r .id "$work/body")
as BOTH GET "/v1/measures/$mine/statement?action=approve&role=service_head"
if [ "$status" = 200 ]; then
	cp "$work/body" mine.text
	"$custos" approve "$mine" --role service_head --key BOTH.key --print >mine.stmt 2>"$work/body" ||
		echo '{"error":"'"$(tr -d '"' <"$work/body")"'"}' >"$work/body"
	[ -s mine.stmt ] && as BOTH POST /v1/statements mine.stmt
fi

[ "$status" != 200 ] && jq -e '.error | test("filer|filed")' "$work/body" >/dev/null 2>&1 && ok filer-cannot-approve ||
	bad filer-cannot-approve "status $status: $(head -c 300 "$work/body")"

kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ "$rc" = 0 ] && ok server-stops-cleanly || bad server-stops-cleanly "exit $rc"
exit $((fails > 0))
