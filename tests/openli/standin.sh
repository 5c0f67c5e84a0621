#!/usr/bin/env bash
# standin.sh — the self-test of tests/openli/provisioner.mjs, the stand-in for OpenLI's provisioner REST API that the
# `custos gate openli` tests use as their upstream. Starts it in a temp dir, drives it with curl and jq, prints
# "ok   NAME" or "FAIL NAME: why" per check, and exits non-zero on any failure.
#   tests/openli/standin.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
standin=$root/tests/openli/provisioner.mjs
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

fails=0
ok() { echo "ok   openli/$1"; }
bad() { echo "FAIL openli/$1: $2"; fails=$((fails + 1)); [ -s "$work/body" ] && head -c 600 "$work/body" | sed 's/^/  body: /'; echo; }

# start NAME [options...]: the stand-in on a free port, its files under $work/NAME.*; sets pid, base, nreq
start() {
	local name=$1
	shift
	rm -f "$work/$name.port"
	node "$standin" --port-file "$work/$name.port" --record "$work/$name.jsonl" --yaml "$work/$name.yaml" "$@" 2>"$work/$name.err" &
	pid=$!
	for _ in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.1; done
	[ -s "$work/$name.port" ] || { echo "FAIL openli/setup-$name: no port file"; cat "$work/$name.err"; exit 1; }
	base=http://127.0.0.1:$(cat "$work/$name.port")
	nreq=0
}
# req METHOD PATH [curl options...]: the status in $status, the body in $work/body, the headers in $work/headers
req() {
	local method=$1 path=$2
	shift 2
	nreq=$((nreq + 1))
	status=$(curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' -X "$method" "$@" "$base$path")
	curl_rc=$?
}
# send METHOD PATH JSON [curl options...]: a JSON body, as OpenLI's REST clients send it
send() { local m=$1 p=$2 d=$3; shift 3; req "$m" "$p" -H 'Content-Type: application/json' --data-binary "$d" "$@"; }
# expect NAME STATUS [JQ | /REGEX]: the last answer has STATUS and its body makes JQ true (or matches REGEX)
expect() {
	local name=$1 want=$2 cond=${3:-}
	if [ "$status" != "$want" ]; then bad "$name" "status $status, expected $want"; return; fi
	case $cond in
	"") ;;
	/*) grep -qE -- "${cond#/}" "$work/body" || { bad "$name" "body does not match ${cond#/}"; return; } ;;
	*) jq -e "$cond" "$work/body" >/dev/null 2>&1 || { bad "$name" "not true: $cond"; return; } ;;
	esac
	ok "$name"
}
check() { local name=$1; shift; if "$@" >/dev/null; then ok "$name"; else bad "$name" "failed: $*"; fi; }
yaml() { python3 -c 'import sys, yaml, json; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$1"; }

ip() { echo "{\"liid\":\"$1\",\"authcc\":\"NZ\",\"delivcc\":\"NZ\",\"agencyid\":\"${3:-Police}\",\"mediator\":6001,\"user\":\"$2\"}"; }
AGENCY='{"agencyid":"Police","agencycc":"NZ","hi2address":"192.0.2.1","hi2port":"35530","hi3address":"192.0.2.1","hi3port":"35531"}'
FAILED='OpenLI provisioner configuration failed'
SUCCESS='^<html><body>OpenLI provisioner configuration was successfully updated.</body></html>$'

node "$standin" --port-file x 2>/dev/null
[ $? = 2 ] && ok usage || bad usage "a missing --record/--yaml did not exit 2"

start plain

# ---- agencies, and an intercept needs a known agency --------------------------------------------------------
send POST /ipintercept "$(ip L1 alice)"
expect ip-unknown-agency 400 "/$FAILED.*The agency for intercept L1 \\(Police\\) is not recognised by the provisioner"
send POST /agency "$AGENCY"; expect agency-add 200 "/$SUCCESS"
req GET /agency; expect agency-list 200 'length == 1 and .[0].agencyid == "Police" and .[0].hi3port == "35531" and .[0].agencycc == "NZ"'
send POST /agency '{"agencyid":"Police","hi2address":"192.0.2.1"}'; expect agency-missing-field 400 "/could not parse 'hi3address' in agency update socket message"
send POST /agency '{"hi2address":"x"}'; expect agency-no-id 400 "/must include an 'agencyid'"

# ---- add, list, the same LIID again ------------------------------------------------------------------------------
send POST /ipintercept "$(ip L1 alice)"; expect ip-add 200 "/$SUCCESS"
grep -qi '^content-type: text/html' "$work/headers" && ok ip-add-html || bad ip-add-html "$(grep -i content-type "$work/headers")"
req GET /ipintercept; expect ip-list 200 'length == 1 and .[0].liid == "L1" and .[0].user == "alice" and .[0].mediator == 6001 and .[0].authcc == "NZ" and .[0].delivcc == "NZ" and .[0].agencyid == "Police"'
grep -qi '^content-type: application/json' "$work/headers" && ok ip-list-json || bad ip-list-json "$(grep -i content-type "$work/headers")"
req GET /ipintercept/L1; expect ip-get-one 200 '.liid == "L1" and .radiusident == "any" and .accesstype == "undefined" and (has("starttime") | not)'
req GET /ipintercept/NOPE; expect ip-get-unknown 404 '/unable to find the requested resource'
send POST /ipintercept "$(ip L1 bob)"
expect ip-add-existing 400 "/$FAILED.*LIID L1 already exists as an IP intercept, please use PUT method"
req GET /ipintercept/L1; expect ip-add-existing-unchanged 200 '.user == "alice"'

# ---- PUT: an unknown LIID is added (OpenLI's quirk), a known one changed --------------------------------------
send PUT /ipintercept "$(ip L2 carol)"; expect ip-put-unknown 200 "/$SUCCESS"
req GET /ipintercept/L2; expect ip-put-unknown-added 200 '.user == "carol" and .mediator == 6001'
send PUT /ipintercept '{"liid":"L2","agencyid":"Police","mediator":7001,"user":"dave","staticips":[{"iprange":"198.51.100.7","sessionid":9},{"iprange":"2001:db8::/56"}],"starttime":1000,"endtime":2000}'
expect ip-put-known 200 "/$SUCCESS"
req GET /ipintercept/L2
expect ip-put-known-changed 200 '.user == "dave" and .mediator == 7001 and .authcc == "NZ" and .starttime == 1000 and .endtime == 2000 and .staticips == [{"iprange":"198.51.100.7/32","sessionid":9},{"iprange":"2001:db8::/56","sessionid":1}]'
send PUT /ipintercept '{"liid":"L2","agencyid":"Police","user":"erin"}'
req GET /ipintercept/L2; expect ip-put-resets-mediator 200 '.user == "erin" and .mediator == 0 and .starttime == 1000'
send PUT /ipintercept '{"liid":"L2","user":"frank"}'
expect ip-put-needs-agency 400 "/Intercept L2 does not have a valid destination agency"
send PUT /ipintercept '{"user":"frank"}'; expect ip-put-no-liid 400 "/could not parse 'liid' in IP intercept update socket message"

# ---- DELETE ---------------------------------------------------------------------------------------------------------------
req DELETE /ipintercept/L2; expect ip-delete 200 "/$SUCCESS"
req GET /ipintercept/L2; expect ip-delete-gone 404
req GET /ipintercept; expect ip-delete-list 200 'map(.liid) == ["L1"]'
req DELETE /ipintercept/NOPE; expect ip-delete-unknown-is-200 200 "/$SUCCESS"
req DELETE /ipintercept; expect ip-delete-no-id-is-200 200 "/$SUCCESS"

# ---- required fields, each named ---------------------------------------------------------------------------------
for f in liid authcc delivcc agencyid mediator user; do
	send POST /ipintercept "$(ip L3 gina | jq -c "del(.$f)")"
	expect "ip-missing-$f" 400 "/$FAILED.*could not parse '$f' in IP intercept update socket message"
done
send POST /ipintercept "$(ip L3 gina | jq -c '.mediator = "six"')"; expect ip-mediator-not-int 400 "/could not parse 'mediator'"
send POST /ipintercept "$(ip L3 gina | jq -c '.mediator = "6002"')"; expect ip-mediator-as-string 200
send POST /ipintercept "$(ip '' gina)"; expect ip-empty-liid 400 "/'liid' must be not be null or have zero length"
send POST /ipintercept "$(ip L4 gina | jq -c '.starttime = 2000 | .endtime = 1000')"; expect ip-start-after-end 400 "/'starttime' parameter must be a timestamp BEFORE the 'endtime'"
# json-c reads a time that is no integer as nothing, and OpenLI does not force it: the intercept has no start time
send POST /ipintercept "$(ip L5 ivan | jq -c '.starttime = "soon"')"; expect ip-time-not-int-ignored 200
req GET /ipintercept/L5; expect ip-time-not-int-unset 200 'has("starttime") | not'
req DELETE /ipintercept/L5
send POST /ipintercept "$(ip L4 gina | jq -c '.staticips = [{"iprange":"nowhere"}]')"; expect ip-bad-iprange 400 "/'nowhere' is not a valid prefix or IP address"
send POST /ipintercept "$(ip L4 gina | jq -c '.staticips = "10.0.0.1"')"; expect ip-staticips-not-array 400 "/'staticips' members for an IP intercept must be expressed as a JSON array"
send POST /ipintercept '{"liid":"L4",'; expect bad-json 400 "/unable to parse JSON received over update socket"
req POST /ipintercept -H 'Content-Type: text/plain' --data-binary "$(ip L4 gina)"; expect wrong-content-type-400-success-page 400 "/$SUCCESS"
req POST /ipintercept -H 'Content-Type: application/json'; expect empty-body 400
req GET /ipintercept/L4; expect failed-adds-store-nothing 404

# ---- VoIP and email intercepts ---------------------------------------------------------------------------------------------
V='{"liid":"V1","authcc":"NZ","delivcc":"NZ","agencyid":"Police","mediator":6001,"siptargets":[{"username":"alice","realm":"example.org"},{"username":"6478564444"}]}'
send POST /voipintercept "$V"; expect voip-add 200
req GET /voipintercept/V1; expect voip-get 200 '.siptargets == [{"username":"alice","realm":"example.org"},{"username":"6478564444"}]'
send POST /voipintercept "$V"; expect voip-add-existing 400 "/LIID V1 already exists as an VOIP intercept"
send POST /voipintercept "$(jq -c '.liid = "V2" | del(.siptargets)' <<<"$V")"; expect voip-no-targets 400 "/VOIP intercept V2 has been specified without valid SIP targets or XIDs"
send POST /voipintercept "$(jq -c '.liid = "V2" | del(.siptargets) | .xids = ["29F28E1C-F230-486A-A860-F5A784AB9172"]' <<<"$V")"; expect voip-xids-only 200
send POST /voipintercept "$(jq -c '.liid = "V3" | .siptargets = [{"realm":"x"}]' <<<"$V")"; expect voip-target-no-username 400 "/could not parse 'username' in VOIP intercept SIP target"
E='{"liid":"E1","authcc":"DE","delivcc":"DE","agencyid":"Police","mediator":6001,"targets":[{"address":"a@example.org"},{"address":"a@example.org"},{"address":"b@example.org"}]}'
send POST /emailintercept "$E"; expect email-add 200
req GET /emailintercept; expect email-list 200 'length == 1 and .[0].targets == [{"address":"a@example.org"},{"address":"b@example.org"}]'
send POST /emailintercept "$(jq -c '.liid = "E2" | .targets = []' <<<"$E")"; expect email-no-targets 400 "/Email intercept E2 has been specified without valid target addresses"
send PUT /emailintercept "$(jq -c '.targets = [{"address":"c@example.org"}]' <<<"$E")"; expect email-put 200
req GET /emailintercept/E1; expect email-put-changed 200 '.targets == [{"address":"c@example.org"}]'

# ---- routes OpenLI does not know, methods it does not take ---------------------------------------------------
req GET /nothing; [ "$curl_rc" = 52 ] && [ "$status" = 000 ] && ok unknown-url-closed || bad unknown-url-closed "curl exit $curl_rc, status $status"
req PATCH /ipintercept/L1; expect other-method 400 '/does not support that type of request'
req GET /ipinterceptfoo/L1; expect prefix-routing 200 '.liid == "L1"'
send POST /ipintercept "$(ip 0xAB12 hank)"; expect hex-liid-add 200
req GET /ipintercept/AB12; expect hex-liid-get 200 '.liid == "0xAB12"'

# ---- awkward strings survive JSON and YAML ----------------------------------------------------------------------------
# weird: a JSON string's inside (escapes and all); want: the string it means
weird='we: \"ird\" # not a comment\\ \n\t ünï \u0085\u007f\u2028 ✓ - [x] {y} !tag &a *b'
want=$(jq -rn --arg w "$weird" '"\"" + $w + "\"" | fromjson')
send POST /ipintercept "{\"liid\":\"W1\",\"authcc\":\"NZ\",\"delivcc\":\"NZ\",\"agencyid\":\"Police\",\"mediator\":1,\"user\":\"$weird\"}"
expect weird-add 200
req GET /ipintercept/W1; expect weird-get 200
check weird-get-same jq -e --arg w "$want" '.user == $w' "$work/body"

# ---- the running-intercept YAML ----------------------------------------------------------------------------------------
if yaml "$work/plain.yaml" >"$work/yaml.json" 2>"$work/yaml.err"; then ok yaml-parses; else bad yaml-parses "$(cat "$work/yaml.err")"; fi
check yaml-sections jq -e 'keys - ["email-defaultdelivercompressed"] == ["agencies","emailintercepts","ipintercepts","voipintercepts"]' "$work/yaml.json"
check yaml-ip-fields jq -e '.ipintercepts[0] | .liid == "L1" and .authcountrycode == "NZ" and .deliverycountrycode == "NZ" and .agencyid == "Police" and .mediator == 6001 and .user == "alice" and .starttime == 0 and (has("authcc") | not)' "$work/yaml.json"
check yaml-hex-liid jq -e '[.ipintercepts[].liid] == ["L1","L3","0xAB12","W1"]' "$work/yaml.json"
check yaml-voip jq -e '.voipintercepts[0].siptargets == [{"username":"alice","realm":"example.org"},{"username":"6478564444"}] and .voipintercepts[1].xids == ["29f28e1c-f230-486a-a860-f5a784ab9172"]' "$work/yaml.json"
check yaml-email jq -e '.emailintercepts[0].targets == [{"address":"c@example.org"}]' "$work/yaml.json"
check yaml-agency jq -e '.agencies[0] | .agencyid == "Police" and .agencycountrycode == "NZ" and .hi2port == "35530"' "$work/yaml.json"
check yaml-weird-string jq -e --arg w "$want" '.ipintercepts[3].user == $w' "$work/yaml.json"
ls "$work"/plain.yaml.tmp* >/dev/null 2>&1 && bad yaml-no-temp-left "a temp file is left" || ok yaml-no-temp-left

# ---- agency deletion takes its intercepts with it -------------------------------------------------------------
req DELETE /agency/Police; expect agency-delete 200
req GET /ipintercept; expect agency-delete-cascades 200 'length == 0'
req GET /voipintercept; expect agency-delete-cascades-voip 200 'length == 0'

# ---- the record: one line per request, the exact body -----------------------------------------------------------
n=$(wc -l <"$work/plain.jsonl")
[ "$n" = "$nreq" ] && ok record-one-line-per-request || bad record-one-line-per-request "$n lines for $nreq requests"
check record-is-json jq -se 'all(has("method") and has("path") and has("headers") and has("body") and has("status"))' "$work/plain.jsonl"
check record-exact-body jq -se --arg b "$V" 'any(.method == "POST" and .path == "/voipintercept" and .body == $b and .status == 200)' "$work/plain.jsonl"
check record-weird-body jq -se --arg w "$weird" 'any(.body | contains($w))' "$work/plain.jsonl"
check record-statuses jq -se '[.[] | select(.path == "/nothing")][0].status == 0 and [.[] | select(.method == "PATCH")][0].status == 400' "$work/plain.jsonl"
check record-headers-lower-case jq -se 'all(.headers | keys | all(. == ascii_downcase)) and (.[1].headers["content-type"] == "application/json")' "$work/plain.jsonl"

# ---- SIGTERM stops it ---------------------------------------------------------------------------------------------------
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc = 0 ] && ok sigterm-stops || bad sigterm-stops "exit $rc"

# ---- --api-key, and --state: intercepts present from the start ---------------------------------------------------
jq -n --argjson a "$AGENCY" --argjson i "$(ip PRE1 mallory)" '{agency: [$a], ipintercept: [$i]}' >"$work/state.json"
start keyed --api-key s3cret --state "$work/state.json"
check state-in-yaml grep -q '^  - liid: "PRE1"$' "$work/keyed.yaml"
req GET /ipintercept; expect apikey-none 401 '/Authentication failed'
grep -qi '^www-authenticate: Digest realm="provisioner@openli.nz"' "$work/headers" && ok apikey-challenge || bad apikey-challenge "no Digest challenge"
req GET /ipintercept -H 'X-API-KEY: wrong'; expect apikey-wrong 401
send POST /ipintercept "$(ip L9 oscar)"; expect apikey-none-post 401
req GET /nothing; expect apikey-before-routing 401
req GET /ipintercept -H 'X-API-KEY: s3cret'; expect apikey-right 200 'map(.liid) == ["PRE1"]'
send POST /ipintercept "$(ip L9 oscar)" -H 'X-API-KEY: s3cret'; expect apikey-right-post 200
[ "$(wc -l <"$work/keyed.jsonl")" = "$nreq" ] && ok apikey-recorded || bad apikey-recorded "$(wc -l <"$work/keyed.jsonl") lines for $nreq"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc = 0 ] && ok sigterm-stops-keyed || bad sigterm-stops-keyed "exit $rc"
echo '{"ipintercept":[{"liid":"X"}]}' >"$work/badstate.json"
node "$standin" --port-file "$work/bad.port" --record "$work/bad.jsonl" --yaml "$work/bad.yaml" --state "$work/badstate.json" 2>"$work/bad.err"
[ $? = 1 ] && grep -q "could not parse 'authcc'" "$work/bad.err" && ok state-invalid || bad state-invalid "$(cat "$work/bad.err")"

[ $fails = 0 ] || { echo "$fails check(s) failed"; exit 1; }
