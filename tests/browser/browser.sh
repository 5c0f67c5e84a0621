#!/usr/bin/env bash
# browser.sh — the web page in Debian's chromium, driven by playwright-core: file, approve, authorise, extend, revoke, end, audit;
# then the overseer's overview and axe-core on every view (views.mjs).
# Starts `custos serve` on a free port over a fresh store with one principal per role (tests/data/life-setup.sh),
# runs tests/browser/flow.mjs, and prints "ok   browser/NAME" or "FAIL browser/NAME: why" per check.
# Screenshots go to build/browser/*.png. A missing chromium, node or npm is a failure (tools/deps.sh installs them).
#   tests/browser/browser.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
custos=${1:-${CUSTOS_BIN:-$root/build/san/custos}}
chromium=${CUSTOS_CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d)
server_pid= demo_pid=
cleanup() {
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$chromium" ] || { echo "FAIL browser/setup: no chromium at $chromium (tools/deps.sh installs it)"; exit 1; }
command -v node >/dev/null || { echo "FAIL browser/setup: no node (tools/deps.sh installs nodejs)"; exit 1; }
command -v npm >/dev/null || { echo "FAIL browser/setup: no npm (tools/deps.sh installs npm)"; exit 1; }
# playwright-core and axe-core from npm, cached under build/npm (no browser: it drives Debian's chromium; axe-core is
# injected by the test, never served by custos)
npm_dir=$root/build/npm
if [ ! -f "$npm_dir/node_modules/playwright-core/package.json" ] || [ ! -f "$npm_dir/node_modules/axe-core/axe.min.js" ]; then
	mkdir -p "$npm_dir"
	npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error playwright-core@1 axe-core@4 >"$work/npm.log" 2>&1 ||
		{ echo "FAIL browser/setup: npm install playwright-core axe-core"; cat "$work/npm.log"; exit 1; }
fi

# a fresh store: the demo registry and one principal per role, each with its key file in $work/keys
mkdir -p "$work/bin" "$work/keys"
ln -s "$custos" "$work/bin/custos"
export PATH="$work/bin:$PATH" CUSTOS_STORE=$(test_store "$work" custos) ROOT="$root"
(cd "$work/keys" && source "$root/tests/data/life-setup.sh") >"$work/setup.log" 2>&1 ||
	{ echo "FAIL browser/setup: store and principals"; cat "$work/setup.log"; exit 1; }

custos serve --listen 127.0.0.1:0 2>"$work/serve.log" &
server_pid=$!
port=$(listening_port "$work/serve.log")
[ -n "$port" ] || { echo "FAIL browser/setup: the server did not start"; cat "$work/serve.log"; exit 1; }

# the page's files, as the server answers them (before any browser)
base=http://127.0.0.1:$port
page_file() { # NAME PATH STATUS TYPE
	local got
	got=$(curl -s -o "$work/body" -w '%{http_code} %{content_type}' "$base$2")
	if [ "$got" = "$3 $4" ]; then echo "ok   browser/$1"; else echo "FAIL browser/$1: GET $2: $got, expected $3 $4"; fi
}
page_file serve-index / 200 "text/html; charset=utf-8"
page_file serve-app-js /web/app.js 200 "text/javascript; charset=utf-8"
page_file serve-crypto-js /web/crypto.js 200 "text/javascript; charset=utf-8"
page_file serve-style-css /web/style.css 200 "text/css; charset=utf-8"
page_file serve-oversight-js /web/oversight.js 200 "text/javascript; charset=utf-8"
page_file serve-file-js /web/file.js 200 "text/javascript; charset=utf-8"
page_file serve-registry-import-js /web/registry-import.js 200 "text/javascript; charset=utf-8"
page_file serve-unknown-file /web/nothing.js 404 "application/json"
page_file serve-no-traversal /web/%2e%2e%2fMakefile 404 "application/json"
page_file serve-not-embedded /web/custos.db 404 "application/json"
if ! curl -s "$base/web/app.js" | cmp -s - "$root/web/app.js"; then
	echo "FAIL browser/serve-bytes: /web/app.js is not web/app.js byte for byte"
else echo "ok   browser/serve-bytes"; fi

# and `custos demo`, as a newcomer runs it: its own store, principals and key files
custos --store "$work/demo.db" demo --listen 127.0.0.1:0 >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
demo_port=$(listening_port "$work/demo.err" 200)
[ -n "$demo_port" ] || { echo "FAIL browser/demo-setup: custos demo did not serve"; tail -5 "$work/demo.err"; }

# S5' (S5 the lawful way) with its period moved to the clock's distance from the day the test data was written for; the browser's
# clock runs at custos' clock (CUSTOS_NOW may shift it: CI runs the suite a year ahead too)
shifted <"$root/demo/measures/s5-lawful.json" >"$work/s5.json"
export CLOCK_SHIFT_SECONDS=$(($(clock_secs) - $(date -u +%s)))
mkdir -p "$root/build/browser"
node "$root/tests/browser/flow.mjs" "http://127.0.0.1:$port" "$work/keys" "$work/s5.json" \
	"$root/build/browser" "$chromium" "$work/profile" "$npm_dir" ${demo_port:+"http://127.0.0.1:$demo_port" "$work/demo.db.keys"}
rc=$?
# then the other roles' views and axe-core on every view, over the register flow.mjs left: a past (tests/data/history.sh:
# vsse's filings over the three months before this one, jumping in the last), a registrar, an authorised measure on a
# number nobody protects yet, and a registry file that gives that number to a newly accredited diplomat
. "$root/tests/data/history.sh"
(
	cd "$work/keys" || exit 1
	history || exit 1
	custos key generate REG.key >REG.pub &&
		custos principal add REG --name "Test principal REG" --authority registry --role registrar --pubkey "$(cat REG.pub)" &&
		shifted '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["tel:+32470555123"],"period":{"from":"2026-12-01","to":"2027-01-31"},"grounds":"a person nobody protects yet",
 "liids":["LIVE1"]}' >m.json &&
		id=$(custos measure file m.json --key REQ-VSSE.key | jq -r .id) &&
		custos approve "$id" --role service_head --key HEAD-VSSE.key >/dev/null && echo "$id" >"$work/authorised.id"
) >"$work/views-setup.log" 2>&1 || { echo "FAIL browser/views-setup"; cat "$work/views-setup.log"; }
# OpenLI: the gate provisions that measure's intercept LIVE1 through the stand-in provisioner (tests/openli/), and an
# audit of the provisioner's file finds ROGUE1, which nobody authorised: the measure's page shows the one, comite_r's
# overview the other
(
	cd "$work" || exit 1
	: >up.jsonl
	echo '{"agency":[{"agencyid":"vsse","hi2address":"192.0.2.1","hi2port":"35530","hi3address":"192.0.2.1","hi3port":"35531"}],
 "ipintercept":[{"liid":"ROGUE1","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"user":"someone"}]}' >openli-state.json
	node "$root/tests/openli/provisioner.mjs" --port-file up.port --record up.jsonl --yaml running.yaml --state openli-state.json &
	sp=$!
	for _ in $(seq 100); do [ -s up.port ] && break; sleep 0.1; done
	# the measure's window opens a week after the clock's today: the gate runs on a clock inside it
	CUSTOS_NOW="$(clock_day 10)T12:00:00Z" custos gate openli --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$(cat up.port)" 2>gate.log &
	gp=$!
	for _ in $(seq 100); do gport=$(sed -n 's#.*gate listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' gate.log); [ -n "$gport" ] && break; sleep 0.1; done
	tok=$(custos authorization show "$(cat authorised.id).1" | base64 -w0)
	curl -sf -X POST -H "Custos-Authorization: $tok" \
		-d '{"liid":"LIVE1","authcc":"BE","delivcc":"BE","agencyid":"vsse","mediator":6001,"user":"32470555123","accesstype":"mobile"}' \
		"http://127.0.0.1:$gport/ipintercept"
	rc=$?
	kill -TERM "$gp"
	wait "$gp"
	CUSTOS_NOW="$(clock_day 10)T12:00:00Z" custos audit openli running.yaml >audit.json
	[ $? = 1 ] && [ $rc = 0 ] && jq -e '[.findings[].liid] == ["ROGUE1"]' audit.json
	rc=$?
	kill "$sp"
	exit $rc
) >"$work/openli-setup.log" 2>&1 || { echo "FAIL browser/openli-setup"; cat "$work/openli-setup.log" "$work/gate.log"; }
echo '{"id":"P-NEW-1","category":"diplomatic_agent","name":"Newly Accredited Diplomat","sending_state":"MR","nationality":"MR","permanent_resident":false,"valid_from":"2020-01-01","valid_to":null,"mission":"M-MR","country_of_origin":null,"waiver":null,"selectors":["tel:+32470555123"]}' >"$work/accredited.jsonl"
shifted <"$root/demo/measures/s3.json" >"$work/s3.json"
shifted <"$root/demo/measures/s7.json" >"$work/s7.json"
# an observation of an ambassador to which his sending state consents (LAW.md: VCDR art. 29, a consent naming its party)
shifted '{"kind":"observation","framework":"criminal","requested_by":"federal_police","targets":["mailto:ambassador@mr-embassy.example"],
 "consent":[{"party":"P-MR-1","sending_state":"MR","reference":"NV-2026-18"}],"period":{"from":"2026-12-10","to":"2027-01-31"},
 "grounds":"Suspected handling of stolen goods at his residence."}' >"$work/consent.json"
VIEWS_AUTHORISED=$(cat "$work/authorised.id" 2>/dev/null) VIEWS_IMPORT=$work/accredited.jsonl VIEWS_S3=$work/s3.json \
	VIEWS_S7=$work/s7.json VIEWS_CONSENT=$work/consent.json \
	node "$root/tests/browser/views.mjs" "http://127.0.0.1:$port" "$work/keys" "$root/build/browser" "$chromium" \
	"$work/profile-views" "$npm_dir" || rc=1
kill "$demo_pid" 2>/dev/null
wait "$demo_pid"
drc=$?
if [ $drc -eq 0 ]; then echo "ok   browser/demo-exit"; else echo "FAIL browser/demo-exit: exit $drc"; tail -20 "$work/demo.err"; rc=1; fi
kill "$server_pid" 2>/dev/null
wait "$server_pid"
src=$?
server_pid=
# the server must stop cleanly on SIGTERM (the sanitisers report at exit)
if [ $src -eq 0 ]; then echo "ok   browser/server-exit"; else echo "FAIL browser/server-exit: exit $src"; tail -20 "$work/serve.log"; rc=1; fi
exit $rc
