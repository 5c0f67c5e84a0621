#!/usr/bin/env bash
# openli.sh — `custos gate openli` in front of a stand-in for OpenLI's provisioner (tests/openli/provisioner.mjs,
# written from OpenLI's documented REST API: it records what it is sent and answers as OpenLI does, PUT-as-add
# included), all on 127.0.0.1: a token-less create refused, a target outside the token refused, a valid create
# forwarded with the window set, every change and refusal in the log with its token and exact body, revocation
# removing the intercept, a gate killed with -9 between a revocation and its DELETE doing it after a restart, an
# expired window withdrawn; then `custos audit openli` on the provisioner's own YAML file and REST listing.
#   tests/api/openli.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
NAME=openli
. "$root/tests/api/signed.sh"
standin_pid= gate_pid=
cleanup_all() {
	[ -n "$gate_pid" ] && kill -9 "$gate_pid" 2>/dev/null
	[ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null
	cleanup
}
trap cleanup_all EXIT
command -v node >/dev/null || setup_fail "no node (tools/deps.sh installs it)"

principal REQ-VSSE vsse requester
principal HEAD-VSSE vsse service_head
principal BIM bim bim_commission
principal COMR comite_r comite_r

# authorised MEASURE-JSON: files it and signs every approval it asks for; prints its id
authorised() {
	local id r key
	shifted "$1" >m.json
	id=$("$custos" measure file m.json --key REQ-VSSE.key | jq -r .id) || return 1
	for r in $("$custos" measure show "$id" | jq -r '.decision.approvals[] | select(.kind == "approve") | .role'); do
		case $r in service_head) key=HEAD-VSSE ;; bim_commission) key=BIM ;; *) setup_fail "$id asks $r" ;; esac
		"$custos" approve "$id" --role "$r" --key "$key.key" >/dev/null || setup_fail "approve $id as $r"
	done
	case $("$custos" measure show "$id" | jq -r .state) in authorised | active) ;; *) setup_fail "$id not authorised" ;; esac
	echo "$id"
}
M1=$(authorised '{"kind":"interception","scope":"content","framework":"intelligence","requested_by":"vsse",
 "targets":["nai:imacriminal","ip:192.168.10.0/24","sip:badguy@myisp.example","tel:+32470555999","mailto:abadperson@example.org"],
 "period":{"from":"2026-11-24","to":"2026-12-31"},"grounds":"test: the gate",
 "liids":["LP45NNST3","1A23RD112","N72007RT4"],"agency_id":"vsse"}') || setup_fail "file M1"
M2=$(authorised '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["mailto:second@example.org"],"period":{"from":"2026-11-24","to":"2026-12-10"},"grounds":"test: kill -9",
 "liids":["KILL9"],"agency_id":"vsse"}') || setup_fail "file M2"
"$custos" authorization show "$M1.1" | base64 -w0 >t1
"$custos" authorization show "$M2.1" | base64 -w0 >t2
tok1=$(cat t1) tok2=$(cat t2)
win1=$("$custos" authorization show "$M1.1" | sed -n 's/^from //p; s/^to //p' | tr '\n' ' ')
read -r from1 to1 <<<"$win1"
ws=$(date -u -d "$from1" +%s) we=$(($(date -u -d "$to1" +%s) + 86400))

# the stand-in provisioner, with an intercept custos never authorised already running (OpenLI configured by hand)
echo "s3cret-api-key" >api.key
cat >state.json <<'EOF'
{"agency":[{"agencyid":"vsse","hi2address":"192.0.2.1","hi2port":"35530","hi3address":"192.0.2.1","hi3port":"35531"},
           {"agencyid":"Police","hi2address":"192.0.2.2","hi2port":"35530","hi3address":"192.0.2.2","hi3port":"35531"}],
 "ipintercept":[{"liid":"ROGUE1","authcc":"BE","delivcc":"BE","agencyid":"Police","mediator":6001,"user":"someone"}]}
EOF
: >up.jsonl
node "$root/tests/openli/provisioner.mjs" --port-file up.port --record up.jsonl --yaml running.yaml \
	--api-key "$(cat api.key)" --state state.json 2>standin.log &
standin_pid=$!
for _ in $(seq 100); do [ -s up.port ] && break; sleep 0.1; done
[ -s up.port ] || { cat standin.log; setup_fail "the stand-in provisioner did not start"; }
upstream=http://127.0.0.1:$(cat up.port)

# gate [ENV...]: starts the gate (the watcher sweeping every second), its address in $gate
start_gate() {
	env "$@" "$custos" gate openli --listen 127.0.0.1:0 --upstream "$upstream" --api-key-file api.key \
		--interval 1 2>>"$work/gate.log" &
	gate_pid=$!
	local p=
	for _ in $(seq 100); do
		p=$(sed -n 's#.*gate listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/gate.log" | tail -1)
		[ -n "$p" ] && [ "$p" != "${gport:-}" ] && break
		sleep 0.1
	done
	[ -n "$p" ] || { cat "$work/gate.log"; setup_fail "the gate did not start"; }
	gport=$p gate=http://127.0.0.1:$p
}
start_gate

# send METHOD PATH BODY [TOKEN]: through the gate; $status and body
send() {
	local hdr=()
	[ -n "${4:-}" ] && hdr=(-H "Custos-Authorization: $4")
	status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$1" "${hdr[@]}" -H "Content-Type: application/json" \
		${3:+--data-binary "$3"} "$gate$2")
}
# upstream_count METHOD PATH: how many such requests the provisioner received
upstream_count() { jq -s --arg m "$1" --arg p "$2" '[.[] | select(.method == $m and .path == $p)] | length' up.jsonl; }
# wait_for COUNT METHOD PATH [TENTHS]: until the provisioner received COUNT such requests
wait_for() {
	for _ in $(seq "${4:-60}"); do [ "$(upstream_count "$2" "$3")" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
refusals() { "$custos" events | jq -s '[.[] | select(.type == "openli.refused")] | length'; }

IP='{"liid":"LP45NNST3","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"user":"imacriminal","accesstype":"LAN","staticips":[{"iprange":"192.168.10.0/26","sessionid":7}]}'
r0=$(refusals)
send POST /ipintercept "$IP"
expect tokenless-create-refused 403 '.error | test("no Custos-Authorization header")'
[ "$(upstream_count POST /ipintercept)" = 0 ] && ok tokenless-create-not-sent || bad tokenless-create-not-sent "forwarded"
send PUT /ipintercept "$IP"
expect tokenless-put-refused 403 '.liid == "LP45NNST3"'
send POST /ipintercept "${IP/imacriminal/someoneelse}" "$tok1"
expect target-outside-refused 403 '.error == "user: nai:someoneelse is not among the selectors authorisation '"$M1"'.1 grants"'
send POST /ipintercept "${IP/192.168.10.0\/26/192.168.0.0\/16}" "$tok1"
expect staticip-outside-refused 403 '.error | startswith("staticips[0].iprange: ip:192.168.0.0/16 is not among")'
send POST /ipintercept "${IP/LP45NNST3/OTHERLIID}" "$tok1"
expect liid-not-named-refused 403 '.error | test("does not name OTHERLIID")'
send POST /ipintercept "${IP/\"vsse\"/\"Police\"}" "$tok1"
expect agency-refused 403 '.error | startswith("agencyid: '"'"'Police'"'"' is not the agency")'
send POST /ipintercept "${IP/\"mediator\"/\"endtime\":$((we + 1)),\"mediator\"}" "$tok1"
expect window-beyond-refused 403 '.error | startswith("endtime: ")'
send POST /ipintercept "$IP" "$tok2"
expect other-measures-token-refused 403 '.error | test("does not name LP45NNST3")'
send POST /ipintercept "$IP" "$(sed 's/^/x/' t1)"
expect garbled-token-refused 403 '.error | startswith("Custos-Authorization: not base64")'
forged=$("$custos" authorization show "$M1.1" | sed 's/^selector ip:192.168.10.0\/24$/selector ip:0.0.0.0\/0/' | base64 -w0)
send POST /ipintercept "${IP/192.168.10.0\/26/10.0.0.0\/8}" "$forged"
expect forged-token-refused 403 '.error | test("bad signature")'
send POST /ipintercept '{"liid":' "$tok1"
expect unreadable-body-refused 400 '.error | startswith("body: ")'
send POST /ipinterceptX "$IP" "$tok1"
expect prefix-path-not-passed 404
send POST /agency '{"agencyid":"evil","hi2address":"198.51.100.66","hi2port":"1","hi3address":"198.51.100.66","hi3port":"2"}'
expect agency-change-refused 403 '.error | test("--allow-config")'
[ "$(jq -s '[.[] | select(.method != "GET")] | length' up.jsonl)" = 0 ] && ok refusals-send-nothing ||
	bad refusals-send-nothing "$(jq -c 'select(.method != "GET")' up.jsonl | head -3)"
[ $(($(refusals) - r0)) = 13 ] && ok every-refusal-logged || bad every-refusal-logged "$(($(refusals) - r0)) refusals logged, 13 made"
"$custos" events | jq -s -e '[.[] | select(.type == "openli.refused")] | .[2] | .ref == "'"$M1"'"' >/dev/null &&
	ok refusal-names-its-measure || bad refusal-names-its-measure "no ref"

# a valid create: forwarded with the token's window, the API key added, the token not passed on
send POST /ipintercept "$IP" "$tok1"
expect valid-create-forwarded 200
sent=$(jq -s -c '[.[] | select(.method == "POST" and .path == "/ipintercept")] | last' up.jsonl)
jq -e --argjson ws "$ws" --argjson we "$we" '(.body | fromjson) as $b | $b.starttime == $ws and $b.endtime == $we
	and $b.user == "imacriminal" and $b.staticips[0].iprange == "192.168.10.0/26"' <<<"$sent" >/dev/null &&
	ok window-set || bad window-set "$sent"
jq -e '.headers["x-api-key"] == "s3cret-api-key" and (.headers["custos-authorization"] == null)' <<<"$sent" >/dev/null &&
	ok api-key-added-token-kept || bad api-key-added-token-kept "$(jq -c .headers <<<"$sent")"
payload=$(jq -r '.body' <<<"$sent")
"$custos" gate intercepts "$M1" | jq -e --arg b "$payload" --arg t "$M1.1" \
	'select(.liid == "LP45NNST3") | .state == "provisioned" and .body == $b and .authorization == $t' >/dev/null &&
	ok exact-body-recorded || bad exact-body-recorded "$("$custos" gate intercepts "$M1" | head -c 300)"
# with a window of its own inside the token's: kept as given
VOIP='{"liid":"1A23RD112","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"starttime":'$((ws + 3600))',"endtime":'$((we - 3600))',"siptargets":[{"username":"badguy","realm":"myisp.example"},{"username":"+32470555999"}]}'
send PUT /voipintercept "$VOIP" "$tok1"
expect put-as-add-forwarded 200
jq -s -e --argjson s $((ws + 3600)) '[.[] | select(.method == "PUT" and .path == "/voipintercept")] | last | .body | fromjson | .starttime == $s' \
	up.jsonl >/dev/null && ok own-window-kept || bad own-window-kept "starttime changed"
curl -s -H "X-API-KEY: s3cret-api-key" "$upstream/voipintercept/1A23RD112" | jq -e '.liid == "1A23RD112"' >/dev/null &&
	ok provisioner-added-on-put || bad provisioner-added-on-put "the stand-in has no 1A23RD112"
EMAIL='{"liid":"N72007RT4","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"targets":[{"address":"ABadPerson@Example.org"}]}'
send POST /emailintercept "$EMAIL" "$tok1"
expect email-forwarded 200
send GET /ipintercept
expect list-passes 200 '[.[].liid] | index("LP45NNST3") != null'
send DELETE /emailintercept/N72007RT4
expect delete-passes-tokenless 200
[ "$(upstream_count DELETE /emailintercept/N72007RT4)" = 1 ] && ok delete-forwarded || bad delete-forwarded "not sent"
"$custos" gate intercepts | jq -s -e 'map({(.liid): .state}) | add | .N72007RT4 == "removed" and .LP45NNST3 == "provisioned" and ."1A23RD112" == "provisioned"' >/dev/null &&
	ok intercepts-projected || bad intercepts-projected "$("$custos" gate intercepts | jq -c '{liid, state}' | tr '\n' ' ')"

# the audit, while everything authorised runs: the hand-made ROGUE1 is the one finding, on both sources
for _ in $(seq 30); do grep -q 1A23RD112 running.yaml 2>/dev/null && break; sleep 0.1; done
"$custos" audit openli running.yaml >audit.json 2>audit.txt
rc=$?
[ $rc = 1 ] && jq -e '[.findings[] | .liid + ":" + .finding] == ["ROGUE1:no_authorisation"] and (.clean | sort) == ["1A23RD112", "LP45NNST3"]' audit.json >/dev/null &&
	ok audit-yaml-finds-rogue || bad audit-yaml-finds-rogue "exit $rc: $(head -c 400 audit.json)"
grep -q '^ROGUE1 .* no_authorisation ' audit.txt && ok audit-table || bad audit-table "$(cat audit.txt)"
echo "s3cret-api-key" >k2
"$custos" audit openli "$upstream" --api-key-file k2 >audit2.json 2>/dev/null
[ $? = 1 ] && jq -e '[.findings[].liid] == ["ROGUE1"]' audit2.json >/dev/null && ok audit-rest-finds-rogue ||
	bad audit-rest-finds-rogue "$(head -c 300 audit2.json)"
"$custos" events | jq -s -e '[.[] | select(.type == "openli.audit")] | length == 2' >/dev/null && ok audit-logged ||
	bad audit-logged "no openli.audit events"

# revocation: the watcher removes both of M1's intercepts upstream and logs it
"$custos" measure revoke "$M1" --key COMR.key --reason "test: revoked" >/dev/null
if wait_for 1 DELETE /ipintercept/LP45NNST3 && wait_for 1 DELETE /voipintercept/1A23RD112; then ok revocation-removes; else
	bad revocation-removes "$(jq -c '{method, path}' up.jsonl | tail -3)"; fi
for _ in $(seq 30); do
	[ "$("$custos" gate intercepts "$M1" | jq -s '[.[] | select(.state == "withdrawn" and .reason == "revoked")] | length')" = 2 ] && break
	sleep 0.1
done
[ "$("$custos" gate intercepts "$M1" | jq -s '[.[] | select(.state == "withdrawn" and .reason == "revoked")] | length')" = 2 ] &&
	ok withdrawal-logged || bad withdrawal-logged "$("$custos" gate intercepts "$M1" | jq -c '{liid, state}')"
send POST /ipintercept "$IP" "$tok1"
expect revoked-token-refused 403 '.error | test("is revoked")'
# the audit now sees what the provisioner still runs against a revoked authorisation (none: it was removed)
"$custos" audit openli running.yaml >audit3.json 2>/dev/null
jq -e '[.findings[].liid] == ["ROGUE1"]' audit3.json >/dev/null && ok audit-after-withdrawal || bad audit-after-withdrawal "$(head -c 300 audit3.json)"

# kill -9 of the gate between a revocation and its DELETE: the restarted gate still removes it
send POST /emailintercept '{"liid":"KILL9","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"targets":[{"address":"second@example.org"}]}' "$tok2"
expect second-create-forwarded 200
kill -9 "$gate_pid"
wait "$gate_pid" 2>/dev/null
gate_pid=
"$custos" measure revoke "$M2" --key COMR.key --reason "test: revoked while the gate was down" >/dev/null
sleep 1.2
[ "$(upstream_count DELETE /emailintercept/KILL9)" = 0 ] || bad kill9-setup "deleted before the restart"
"$custos" audit openli running.yaml >audit4.json 2>/dev/null
jq -e '[.findings[] | select(.liid == "KILL9") | .finding] == ["revoked"]' audit4.json >/dev/null &&
	ok audit-sees-revoked-still-running || bad audit-sees-revoked-still-running "$(head -c 400 audit4.json)"
start_gate
wait_for 1 DELETE /emailintercept/KILL9 && ok restart-catches-up || bad restart-catches-up "no DELETE after the restart"

# ended by its service, and suspended by a registry change (its number now a diplomat's): both withdrawn
M4=$(authorised '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["mailto:ending@example.org"],"period":{"from":"2026-11-24","to":"2026-12-31"},"grounds":"test: ended",
 "liids":["END1"]}') || setup_fail "file M4"
M5=$(authorised '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["tel:+32470555777"],"period":{"from":"2026-11-24","to":"2026-12-31"},"grounds":"test: suspended",
 "liids":["SUSP1"]}') || setup_fail "file M5"
send POST /emailintercept '{"liid":"END1","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"targets":[{"address":"ending@example.org"}]}' \
	"$("$custos" authorization show "$M4.1" | base64 -w0)"
expect ended-create-forwarded 200
send POST /ipintercept '{"liid":"SUSP1","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"user":"32470555777","accesstype":"mobile"}' \
	"$("$custos" authorization show "$M5.1" | base64 -w0)"
expect mobile-create-forwarded 200
"$custos" measure end "$M4" --key HEAD-VSSE.key --reason "test: the target left" >/dev/null
echo '{"id":"P-NEW-7","category":"diplomatic_agent","name":"Newly Accredited Diplomat","sending_state":"MR","nationality":"MR","permanent_resident":false,"valid_from":"2020-01-01","valid_to":null,"mission":"M-MR","country_of_origin":null,"waiver":null,"selectors":["tel:+32470555777"]}' >p7.jsonl
"$custos" registry import p7.jsonl >/dev/null
[ "$("$custos" measure show "$M5" | jq -r .state)" = suspended ] || bad suspension-setup "$M5 not suspended"
if wait_for 1 DELETE /emailintercept/END1 && wait_for 1 DELETE /ipintercept/SUSP1; then ok ended-and-suspended-removed; else
	bad ended-and-suspended-removed "$(jq -c '{method, path}' up.jsonl | tail -3)"; fi
for _ in $(seq 30); do
	[ "$("$custos" gate intercepts | jq -s -c '[.[] | select(.liid == "END1" or .liid == "SUSP1") | .reason] | sort')" = '["ended","suspended"]' ] && break
	sleep 0.1
done
[ "$("$custos" gate intercepts | jq -s -c '[.[] | select(.liid == "END1" or .liid == "SUSP1") | .reason] | sort')" = '["ended","suspended"]' ] &&
	ok withdrawal-reasons || bad withdrawal-reasons "$("$custos" gate intercepts | jq -c '{liid, state, reason}' | tr '\n' ' ')"

# an expired window: a gate restarted on a clock past it withdraws what still runs
M3=$(authorised '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["nai:expiring"],"period":{"from":"2026-11-24","to":"2026-11-30"},"grounds":"test: expiry",
 "liids":["EXP1"]}') || setup_fail "file M3"
send POST /ipintercept '{"liid":"EXP1","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"user":"expiring"}' \
	"$("$custos" authorization show "$M3.1" | base64 -w0)"
expect no-agency-token-forwarded 200
kill -TERM "$gate_pid"
wait "$gate_pid"
rc=$?
gate_pid=
[ $rc = 0 ] && ok gate-stops-cleanly || bad gate-stops-cleanly "exit $rc"
start_gate CUSTOS_NOW="$(clock_day 10)T12:00:00Z"
wait_for 1 DELETE /ipintercept/EXP1 && ok expired-withdrawn || bad expired-withdrawn "no DELETE"
for _ in $(seq 30); do "$custos" gate intercepts "$M3" | jq -e '.reason == "expired"' >/dev/null && break; sleep 0.1; done
"$custos" gate intercepts "$M3" | jq -e '.state == "withdrawn" and .reason == "expired"' >/dev/null && ok expiry-logged ||
	bad expiry-logged "$("$custos" gate intercepts "$M3")"
kill -TERM "$gate_pid"
wait "$gate_pid"
gate_pid=

# the log is the truth: it verifies, and a rebuild folds the same intercepts and audits again
"$custos" log verify >/dev/null 2>verify.err && ok log-verifies || bad log-verifies "$(cat verify.err)"
"$custos" store dump >dump1
"$custos" store rebuild >/dev/null 2>&1 && "$custos" store dump >dump2 && cmp -s dump1 dump2 && grep -q '"key":"intercept ipintercept/LP45NNST3"' dump1 &&
	ok rebuild-same-intercepts || bad rebuild-same-intercepts "the dump differs after a rebuild: $(diff dump1 dump2 | head -c 600)"
exit $((fails > 0))
