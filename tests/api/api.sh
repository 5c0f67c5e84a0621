#!/usr/bin/env bash
# api.sh — the HTTP API against a real server on 127.0.0.1: every route and every error status, with curl and jq.
# Starts `custos serve` on a free port over a fresh store (init + demo registry), prints "ok NAME" or
# "FAIL NAME: why" per check, and stops the server (which must exit cleanly: the sanitisers check it).
#   tests/api/api.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
custos=${1:-${CUSTOS_BIN:-$root/build/san/custos}}
work=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export CUSTOS_STORE=$(test_store "$work" custos) CUSTOS_ACTOR=api-test
cd "$work" || exit 1

fails=0
ok() { echo "ok   api/$1"; }
bad() { echo "FAIL api/$1: $2"; fails=$((fails + 1)); [ -s "$work/body" ] && head -c 600 "$work/body" | sed 's/^/  body: /'; echo; }

# req METHOD PATH [curl options...]: the status in $status, the body in body, the headers in headers
req() {
	local method=$1 path=$2
	shift 2
	local how=(-X "$method")
	[ "$method" = HEAD ] && how=(--head) # curl -X HEAD would wait for the body that Content-Length announces
	status=$(curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' "${how[@]}" "$@" "$base$path")
}
# expect NAME STATUS [JQ]: the last answer has STATUS and, as JSON, makes JQ true
expect() {
	local name=$1 want=$2 cond=${3:-}
	if [ "$status" != "$want" ]; then bad "$name" "status $status, expected $want"; return; fi
	if [ -n "$cond" ] && ! jq -e "$cond" "$work/body" >/dev/null 2>&1; then bad "$name" "not true: $cond"; return; fi
	ok "$name"
}
header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
json() { jq -c "$@" "$work/body"; }
log_size() { curl -s "$base/healthz" | jq .log_size; }

# usage errors exit 2, a store that is not there exits 1, before anything listens
"$custos" serve --listen 8080 2>"$work/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--listen: expected HOST:PORT" "$work/err" && ok serve-usage-listen || bad serve-usage-listen "exit $rc"
"$custos" serve --threads 0 2>/dev/null; rc=$?
[ $rc = 2 ] && ok serve-usage-threads || bad serve-usage-threads "exit $rc"
"$custos" serve --listen 127.0.0.1:0 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "custos init" "$work/err" && ok serve-no-store || bad serve-no-store "exit $rc: $(cat "$work/err")"

"$custos" init 2>/dev/null || { echo "FAIL api/setup: custos init"; exit 1; }
"$custos" registry import "$root/demo/registry.jsonl" >/dev/null || { echo "FAIL api/setup: import"; exit 1; }
"$custos" serve --listen 127.0.0.1:0 --open 2>"$work/serve.log" &
server_pid=$!
port=$(listening_port "$work/serve.log")
[ -n "${port:-}" ] || { echo "FAIL api/setup: server did not start"; cat "$work/serve.log"; exit 1; }
base=http://127.0.0.1:$port
JSON=(-H 'Content-Type: application/json')
"$custos" serve --listen "127.0.0.1:$port" 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "cannot listen" "$work/err" && ok serve-port-in-use || bad serve-port-in-use "exit $rc: $(cat "$work/err")"

# ---- health, metrics, the OpenAPI document -------------------------------------------------------
req GET /healthz; expect healthz 200 '.status == "ok" and .log_size == 2'
req HEAD /healthz; expect healthz-head 200
req GET /v1/openapi.json; expect openapi 200 '.openapi == "3.1.0" and (.paths | length) > 10'
# the document and the route table agree: every route appears, and nothing else
jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | "\(ascii_upcase) \($p)"' "$work/body" | sort >"$work/doc.routes"
"$custos" serve --routes | cut -d' ' -f1,2 | sort >"$work/table.routes"
if diff -u "$work/table.routes" "$work/doc.routes" >"$work/routes.diff"; then ok openapi-matches-route-table
else bad openapi-matches-route-table "$(cat "$work/routes.diff")"; fi
# every non-public route names its role and needs a signature in the document
if jq -e '[.paths[][] | select(."x-custos-role" != "public") | select((.security | length) == 0)] | length == 0' \
	"$work/body" >/dev/null; then ok openapi-roles; else bad openapi-roles "a signed route without security"; fi

# ---- dry-run decisions: nothing is stored --------------------------------------------------------
before=$(log_size)
req POST /v1/decide "${JSON[@]}" --data-binary @"$root/demo/measures/s1.json"
expect decide-s1 200 '.outcome == "forbidden" and (has("id") | not) and (has("log_index") | not)'
req POST /v1/decide "${JSON[@]}" --data-binary @"$root/demo/measures/s7.json"
expect decide-s7 200 '.outcome == "forbidden"'
req POST /v1/decide "${JSON[@]}" -d "$(shifted '{"kind":"search","framework":"criminal","requested_by":"police","targets":["tel:+32470555101"],"period":{"from":"2026-12-01","to":"2026-12-31"},"colour":"red"}')"
expect decide-unknown-field 400 '.field == "colour" and (.error | test("unknown field"))'
req POST /v1/decide "${JSON[@]}" -d "$(shifted '{"kind":"search","framework":"criminal","requested_by":"police","targets":["tel:+32abc"],"period":{"from":"2026-12-01","to":"2026-12-31"}}')"
expect decide-bad-selector 400 '.field == "targets[0]"'
req POST /v1/decide "${JSON[@]}" -d '{"kind":"wiretap"}'
expect decide-unknown-kind 400 '.field == "kind"'
req POST /v1/decide "${JSON[@]}" -d '{"kind":"search",'
expect decide-malformed-json 400 '.field == "body" and (.error | test("line 1"))'
req POST /v1/decide "${JSON[@]}" -d "$(shifted '{"kind":"observation","framework":"intelligence","requested_by":"vsse","targets":["tel:+32470555101"],"period":{"from":"2026-12-01","to":"2026-12-31"}}')"
expect decide-rejected-by-rule 400 '.error | test("grounds")'
req POST /v1/decide -H 'Content-Type: text/plain' --data-binary @"$root/demo/measures/s1.json"
expect decide-wrong-type 415 '.field == "Content-Type"'
req POST /v1/decide --data-binary @"$root/demo/measures/s1.json" -H 'Content-Type:'
expect decide-no-type 415 '.field == "Content-Type"'
head -c 1100000 /dev/zero | tr '\0' ' ' >"$work/big.json"
req POST /v1/decide "${JSON[@]}" --data-binary @"$work/big.json"
expect decide-too-large 413 '.field == "body"'
req POST /v1/decide "${JSON[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$work/big.json"
expect decide-too-large-chunked 413
[ "$(log_size)" = "$before" ] && ok decide-stores-nothing || bad decide-stores-nothing "log grew from $before"

# ---- filing measures: one transaction each, or nothing -------------------------------------------
for s in 1 2 3 4 5 6 7; do
	req POST /v1/measures "${JSON[@]}" --data-binary @"$root/demo/measures/s$s.json"
	expect "file-s$s" 201 ".id == \"M-00000$s\" and (.log_index | type) == \"number\""
done
[ "$(header Location)" = "/v1/measures/M-000007" ] && ok file-location || bad file-location "Location: $(header Location)"
# the API and the command line are two faces of one library: the same decision for the same measure
"$custos" measure show M-000003 | jq -c .decision >"$work/cli.decision"
req GET /v1/measures/M-000003
json .decision >"$work/api.decision"
cmp -s "$work/cli.decision" "$work/api.decision" && ok show-same-as-cli || bad show-same-as-cli "API and CLI differ"
before=$(log_size)
req POST /v1/measures "${JSON[@]}" -d "$(shifted '{"kind":"search","framework":"criminal","requested_by":"police","targets":["tel:+32470555101","imei:490154203237519"],"period":{"from":"2026-12-01","to":"2026-12-31"}}')"
expect file-bad-imei 400 '.field == "targets[1]" and (.error | test("check digit"))'
req POST /v1/measures "${JSON[@]}" -d "$(shifted '{"kind":"search","framework":"criminal","requested_by":"police","targets":["tel:+32470555101"],"period":{"from":"2026-12-31","to":"2026-12-01"}}')"
expect file-inverted-period 400 '.field == "period"'
req POST /v1/measures "${JSON[@]}" -d '[1,2]'
expect file-not-an-object 400
[ "$(log_size)" = "$before" ] && ok file-bad-stores-nothing || bad file-bad-stores-nothing "log grew"

req GET /v1/measures; expect list 200 '.measures | length == 7'
req GET '/v1/measures?state=forbidden'; expect list-state 200 '[.measures[].state] | all(. == "forbidden") and length > 0'
req GET '/v1/measures?colour=red'; expect list-unknown-param 400 '.field == "colour"'
req GET '/v1/measures?state=a&state=b'; expect list-param-twice 400 '.field == "state"'
req GET /v1/measures/M-000001; expect show 200 '.id == "M-000001" and .measure.kind == "it_intrusion" and .decision.outcome == "forbidden"'
req GET /v1/measures/M-999999; expect show-unknown 404 '.field == "id"'
req GET /v1/measures/M%2; expect show-bad-escape 400 '.field == "id"'
req DELETE /v1/measures; expect method-not-allowed 405 '.error | test("DELETE")'
allow=$(header Allow)
[[ "$allow" == *GET* && "$allow" == *POST* ]] && ok method-not-allowed-allow || bad method-not-allowed-allow "Allow: $allow"
req GET /v1/nothing; expect not-found 404
req GET "/v1/measures/$(head -c 5000 /dev/zero | tr '\0' x)"; expect uri-too-long 414
req GET /healthz -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' x)"; expect headers-too-large 431
req GET /healthz -d 'x=1' -H 'Content-Type: application/x-www-form-urlencoded'; expect get-with-content 415
# many query arguments are answered at once (libmicrohttpd parsed them into its connection memory and stalled)
args=$(seq 500 | sed 's/^/a/; s/$/=1/' | paste -sd'&')
req GET "/v1/measures?$args" -m 5; expect many-query-arguments 400 '.error | test("a1")'
args=$(seq 3000 | sed 's/^/a/' | paste -sd'&')
req GET "/v1/measures?$args" -m 5; expect very-many-query-arguments 414
# one way to frame the content (request smuggling behind a proxy): raw requests, since curl sends only one
raw() { # REQUEST: the status line of the answer, in $status, and its body
	local answer
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	(trap '' PIPE; printf '%b' "$1" >&3) 2>/dev/null # the server may answer and close before it has read it all
	answer=$(timeout 5 cat <&3)
	exec 3<&-
	status=$(head -1 <<<"$answer" | cut -d' ' -f2)
	sed '1,/^\r*$/d' <<<"$answer" >"$work/body"
}
raw 'POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{}'
expect two-content-lengths 400 '.field == "Content-Length"'
raw 'POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n'
expect length-and-chunked 400 '.field == "Transfer-Encoding"'

# ---- registry and screening -----------------------------------------------------------------------
req GET /v1/registry; expect registry-all 200 '(.parties | length) == 12 and (.registry_hash | startswith("sha256:"))'
req GET '/v1/registry?q=mailto:ambassador@mr-embassy.example'
expect registry-search-selector 200 '[.hits[].party] == ["M-MR", "P-MR-1"]'
req GET '/v1/registry?q=Karim%20Fictif'; expect registry-search-name 200 '[.hits[].party] == ["P-QA-1"]'
req GET '/v1/registry?q=tel:%2B32abc'; expect registry-search-bad 400 '.field == "q"'
req GET '/v1/registry?q=Karim+Fictif&date=2026-02-30'; expect registry-search-bad-date 400 '.field == "date"'
req GET /v1/registry/P-MR-1; expect registry-show 200 '.id == "P-MR-1" and .category == "diplomatic_agent"'
req GET /v1/registry/P-NONE; expect registry-show-unknown 404 '.field == "id"'
printf '%s\n' '{"id":"P-NEW-1","category":"journalist","name":"Nora Nouvelle","sending_state":null,"nationality":"BE","permanent_resident":true,"valid_from":"2020-01-01","valid_to":null,"mission":null,"country_of_origin":null,"waiver":null,"selectors":["mailto:nora@press.example"]}' >"$work/new.jsonl"
printf '%s\n%s\n' "$(cat "$work/new.jsonl")" '{"id":"P-BAD","category":"diplomatic_agent","selectors":["tel:+32abc"]}' >"$work/bad.jsonl"
before=$(log_size)
req POST /v1/registry -H 'Content-Type: application/jsonl' --data-binary @"$work/bad.jsonl"
expect registry-import-bad-line 400 '.line == 2 and .field == "selectors[0]"'
req GET /v1/registry/P-NEW-1; expect registry-import-all-or-nothing 404
[ "$(log_size)" = "$before" ] && ok registry-import-bad-stores-nothing || bad registry-import-bad-stores-nothing "log grew"
req POST /v1/registry "${JSON[@]}" --data-binary @"$work/new.jsonl"; expect registry-import-wrong-type 415
req POST /v1/registry -H 'Content-Type: application/jsonl' --data-binary @"$work/new.jsonl"
expect registry-import 200 '.imported == 1'
req GET /v1/registry/P-NEW-1; expect registry-import-shown 200 '.name == "Nora Nouvelle"'
# the dry run sees the new party at once (the server reloads its registry after an import)
req POST /v1/decide "${JSON[@]}" -d "$(shifted '{"kind":"interception","scope":"content","framework":"criminal","requested_by":"police","targets":["mailto:nora@press.example"],"period":{"from":"2026-12-01","to":"2026-12-31"},"grave_crime":true}')"
expect decide-sees-import 200 '[.findings[].party] | index("P-NEW-1") != null'
req POST /v1/screen "${JSON[@]}" -d "$(shifted '{"selectors":["tel:+32470555101","mailto:nobody@example.org"],"date":"2026-12-01"}')"
expect screen 200 "$(shifted '.date == "2026-12-01" and [.results[0].hits[].party] == ["P-QA-1"] and (.results[1].hits | length) == 0')"
req POST /v1/screen "${JSON[@]}" -d '{"selectors":["tel:+32470555101","tel:+32abc"]}'
expect screen-bad-selector 400 '.field == "selectors[1]"'
req POST /v1/screen "${JSON[@]}" -d '{"selectors":["tel:+32470555101"],"when":"now"}'
expect screen-unknown-field 400 '.field == "when"'
req POST /v1/screen "${JSON[@]}" -d "$(shifted '{"date":"2026-12-01"}')"
expect screen-no-selectors 400 '.field == "selectors"'

# ---- the register: the same bytes as the command line ----------------------------------------------
req GET /v1/log/checkpoint; expect log-checkpoint 200
"$custos" log checkpoint >"$work/cli.checkpoint"
cmp -s "$work/body" "$work/cli.checkpoint" && ok log-checkpoint-same-as-cli || bad log-checkpoint-same-as-cli "differs"
req GET /checkpoint; expect tlog-checkpoint 200
cmp -s "$work/body" "$work/cli.checkpoint" && ok tlog-checkpoint-same || bad tlog-checkpoint-same "differs"
size=$(sed -n 2p "$work/cli.checkpoint")
req GET /v1/log/vkey; expect log-vkey 200
[ "$(cat "$work/body")" = "$("$custos" log vkey)" ] && ok log-vkey-same-as-cli || bad log-vkey-same-as-cli "differs"
req GET /v1/log/entries/3; expect log-entry 200
"$custos" log entry 3 >"$work/cli.entry"
cmp -s "$work/body" "$work/cli.entry" && ok log-entry-same-as-cli || bad log-entry-same-as-cli "differs"
req GET /v1/log/entries/x1; expect log-entry-not-a-number 400 '.field == "n"'
req GET /v1/log/entries/999999; expect log-entry-unknown 404 '.field == "n"'
req GET "/v1/log/proofs/inclusion/5?size=$size"
expect log-inclusion 200 ".index == 5 and .tree_size == $size"
json -r '.hashes[]' >"$work/api.proof"
"$custos" log prove 5 --size "$size" >"$work/cli.proof"
cmp -s "$work/api.proof" "$work/cli.proof" && ok log-inclusion-same-as-cli || bad log-inclusion-same-as-cli "differs"
req GET /v1/log/proofs/inclusion/5; expect log-inclusion-current 200 ".tree_size >= $size"
req GET "/v1/log/proofs/inclusion/5?size=99999"; expect log-inclusion-bad-size 400 '.field == "size"'
req GET "/v1/log/proofs/inclusion/5?size=x"; expect log-inclusion-size-not-number 400 '.field == "size"'
req GET "/v1/log/proofs/inclusion/4?size=3"; expect log-inclusion-beyond 404 '.field == "n"'
req GET "/v1/log/proofs/consistency?old=3&new=$size"; expect log-consistency 200 ".old == 3 and .new == $size"
json -r '.hashes[]' >"$work/api.cons"
"$custos" log consistency 3 "$size" >"$work/cli.cons"
cmp -s "$work/api.cons" "$work/cli.cons" && ok log-consistency-same-as-cli || bad log-consistency-same-as-cli "differs"
req GET "/v1/log/proofs/consistency"; expect log-consistency-no-old 400 '.field == "old"'
req GET "/v1/log/proofs/consistency?old=0"; expect log-consistency-old-zero 400 '.field == "old"'
req GET /v1/log/receipts/2; expect log-receipt 200
"$custos" log receipt 2 >"$work/cli.receipt"
cmp -s "$work/body" "$work/cli.receipt" && ok log-receipt-same-as-cli || bad log-receipt-same-as-cli "differs"
req GET /v1/log/receipts/999999; expect log-receipt-unknown 404 '.field == "n"'

# C2SP tlog-tiles: every file `custos log tiles` writes, served byte for byte
"$custos" log tiles "$work/tiles" >/dev/null
n=0 same=0
while IFS= read -r f; do
	rel=${f#"$work/tiles/"}
	n=$((n + 1))
	curl -s -o "$work/tile" "$base/$rel" && cmp -s "$work/tile" "$f" && same=$((same + 1))
done < <(find "$work/tiles/tile" -type f)
[ "$n" -gt 0 ] && [ "$n" = "$same" ] && ok "tiles-same-as-files" || bad tiles-same-as-files "$same of $n tiles match"
req GET /tile/0/000.p/255; expect tile-beyond-tree 404
req GET /tile/0/x000/001.p/3; expect tile-not-canonical 404
req GET /tile/64/000; expect tile-bad-level 404 '.field == "level"'
req GET /tile/entries/000.p/0; expect tile-bad-width 404

# C2SP tlog-witness: this store witnesses another log
O() { CUSTOS_STORE="$work/other.db" "$custos" "$@"; }
O init --origin other.example/log 2>/dev/null
O registry import "$root/demo/registry.jsonl" >/dev/null
"$custos" witness add-log "$(O log vkey)"
O log checkpoint >/dev/null
O log witness-request 0 >"$work/req1"
req POST /add-checkpoint -H 'Content-Type: text/plain' --data-binary @"$work/req1"
expect witness-cosign 200
grep -q "^— $(hostname)/custos " "$work/body" && ok witness-cosign-line || bad witness-cosign-line "no cosignature line"
req POST /add-checkpoint -H 'Content-Type: text/plain' --data-binary @"$work/req1"
expect witness-conflict 409
cp "$work/body" "$work/body.size"
[ "$(header Content-Type)" = "text/x.tlog.size" ] && [ "$(cat "$work/body")" = "$(O log checkpoint | sed -n 2p)" ] &&
	ok witness-conflict-size || bad witness-conflict-size "$(header Content-Type)"
O measure file "$root/demo/measures/s1.json" >/dev/null
O log checkpoint >"$work/c2"
O log witness-request "$(cat "$work/body.size")" >"$work/req2"
root2=$(sed -n 3p "$work/c2")
sed "s#^$root2\$#AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=#" "$work/req2" >"$work/forged"
req POST /add-checkpoint -H "Content-Type: text/plain" --data-binary @"$work/forged"; expect witness-forged 403
# a consistency proof that does not verify: 422
awk 'NR == 2 { print "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; next } { print }' "$work/req2" >"$work/badproof"
req POST /add-checkpoint -H "Content-Type: text/plain" --data-binary @"$work/badproof"; expect witness-bad-proof 422
req POST /add-checkpoint -H "Content-Type:" --data-binary @"$work/req2"; expect witness-follows 200
CUSTOS_STORE="$work/third.db" "$custos" init --origin third.example/log 2>/dev/null
CUSTOS_STORE="$work/third.db" "$custos" log checkpoint >/dev/null
CUSTOS_STORE="$work/third.db" "$custos" log witness-request 0 >"$work/req3"
req POST /add-checkpoint -H "Content-Type: application/octet-stream" --data-binary @"$work/req3"; expect witness-unknown-log 404
req POST /add-checkpoint -H 'Content-Type: text/plain' --data-binary 'old 0'; expect witness-malformed 400
req POST /add-checkpoint -H 'Content-Type: application/json' --data-binary @"$work/req1"; expect witness-wrong-type 415
req GET /add-checkpoint; expect witness-get 405

# ---- concurrent writers: each worker has its own store handle; every filing lands once, the log verifies ----
before=$(curl -s "$base/v1/measures" | jq '.measures | length')
seq 24 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
	--data-binary @"$root/demo/measures/s3.json" "$base/v1/measures" >"$work/codes"
after=$(curl -s "$base/v1/measures" | jq '[.measures[].id] | unique | length')
if [ "$(sort -u "$work/codes")" = 201 ] && [ "$after" = $((before + 24)) ]; then ok concurrent-filings
else bad concurrent-filings "codes $(sort "$work/codes" | uniq -c | tr '\n' ' '), measures $before -> $after"; fi
"$custos" log verify >/dev/null 2>"$work/verify.err" && ok concurrent-log-verifies || bad concurrent-log-verifies "$(cat "$work/verify.err")"

# ---- pages of measures: ?limit= and ?after=, walked to the end, give the whole list once, in filing order -----
req GET '/v1/measures?limit=5'; expect page-first 200 '(.measures | length) == 5 and .next == .measures[4].id'
curl -s "$base/v1/measures?limit=1000" | jq -r '.measures[].id' >"$work/all.ids"
: >"$work/paged.ids"
cursor= pages=0
while :; do
	curl -s "$base/v1/measures?limit=7${cursor:+&after=$cursor}" >"$work/page.json"
	jq -r '.measures[].id' "$work/page.json" >>"$work/paged.ids"
	cursor=$(jq -r '.next // empty' "$work/page.json")
	pages=$((pages + 1))
	[ -z "$cursor" ] || [ $pages -gt 50 ] && break
done
if [ -s "$work/all.ids" ] && cmp -s "$work/all.ids" "$work/paged.ids" && [ $pages -eq $(( ($(wc -l <"$work/all.ids") + 6) / 7 )) ]; then
	ok pages-walk-the-list
else
	bad pages-walk-the-list "$pages pages; $(diff "$work/all.ids" "$work/paged.ids" | head -3)"
fi
req GET '/v1/measures?limit=0'; expect page-limit-zero 400 '.field == "limit"'
req GET '/v1/measures?limit=1001'; expect page-limit-too-big 400 '.field == "limit"'
req GET '/v1/measures?limit=ten'; expect page-limit-not-a-number 400 '.field == "limit"'
req GET '/v1/measures?after=M-999999'; expect page-after-unknown 400 '.field == "after"'
req GET "/v1/measures?after=$(tail -1 "$work/all.ids")"; expect page-after-last 200 '(.measures | length) == 0 and .next == null'

# ---- metrics after all that --------------------------------------------------------------------------
req GET /metrics; expect metrics 200
grep -q 'custos_http_requests_total{method="POST",route="/v1/decide",status="200"}' "$work/body" &&
	grep -q 'custos_http_requests_total{method="POST",route="/v1/decide",status="413"}' "$work/body" &&
	grep -q 'custos_http_request_duration_seconds_bucket{method="POST",route="/v1/measures",le="+Inf"} ' "$work/body" &&
	grep -q "^custos_log_size $(log_size)\$" "$work/body" && ok metrics-content || bad metrics-content "missing series"

# ---- a clean stop: SIGTERM ends the server with status 0 (and no leak under the sanitisers) ----------
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ "$rc" = 0 ] && ok server-stops-cleanly || { bad server-stops-cleanly "exit $rc"; tail -30 "$work/serve.log"; }
exit $((fails > 0))
