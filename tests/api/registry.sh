#!/usr/bin/env bash
# registry.sh — the registrar's import over HTTP against a real server on 127.0.0.1: POST /v1/registry/preview shows
# the parties an import adds and changes and the authorised measure it would suspend, and stores nothing; POST
# /v1/registry then imports it and suspends that measure.
#   tests/api/registry.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
NAME=registry
. "$root/tests/api/signed.sh"
# what must not change when nothing is stored: the events, every measure's state, the registry
snapshot() { { "$custos" events | wc -l; "$custos" measure list | jq -c '{id, state}'; "$custos" registry export; } | md5sum; }

principal REQ-VSSE vsse requester
principal HEAD-VSSE vsse service_head
principal REG registry registrar

# an authorised measure on a number nobody protects yet (its period moves with the clock)
shifted '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["tel:+32470555123"],"period":{"from":"2026-12-01","to":"2027-01-31"},
 "grounds":"test: a measure on a person nobody protects yet"}' >m.json
id=$("$custos" measure file m.json --key REQ-VSSE.key | jq -r .id)
for r in $("$custos" measure show "$id" | jq -r '.decision.approvals[] | select(.kind == "approve") | .role'); do
	[ "$r" = service_head ] || setup_fail "$id asks $r"
	"$custos" approve "$id" --role "$r" --key HEAD-VSSE.key >/dev/null
done
[ "$("$custos" measure show "$id" | jq -r .state)" = authorised ] || setup_fail "$id not authorised"

# the number now belongs to a newly accredited diplomat; and a party in force gets another name
echo '{"id":"P-NEW-1","category":"diplomatic_agent","name":"Newly Accredited Diplomat","sending_state":"MR","nationality":"MR","permanent_resident":false,"valid_from":"2020-01-01","valid_to":null,"mission":"M-MR","country_of_origin":null,"waiver":null,"selectors":["tel:+32470555123"]}' >d.jsonl
"$custos" registry export | grep '"id":"P-MR-1"' | jq -c '.name = "Renamed Ambassador"' >>d.jsonl
[ "$(wc -l <d.jsonl)" = 2 ] || setup_fail "no P-MR-1 in the demo registry"
printf '%s\n' '{"id":"P-BAD","category":"nobody"}' >bad.jsonl

serve

before=$(snapshot)
as REQ-VSSE POST /v1/registry/preview d.jsonl; expect preview-wrong-role 403
as REG POST /v1/registry/preview bad.jsonl
expect preview-bad-line 400 '.line == 1 and (.error | test("^body:1: "))'
as REG POST /v1/registry/preview d.jsonl
expect preview 200 "([.added[].id] == [\"P-NEW-1\"]) and ([.changed[].id] == [\"P-MR-1\"])
	and .changed[0].before.name != \"Renamed Ambassador\" and .changed[0].after.name == \"Renamed Ambassador\"
	and .removed == [] and .count == 2 and .registry_hash.before != .registry_hash.after
	and ([.suspended[].measure] == [\"$id\"]) and .suspended[0].reason == \"now forbidden\""
cp body preview.json
[ "$before" = "$(snapshot)" ] && ok preview-stores-nothing || bad preview-stores-nothing "the store changed"
[ "$("$custos" measure show "$id" | jq -r .state)" = authorised ] && ok preview-measure-still-authorised ||
	bad preview-measure-still-authorised "$("$custos" measure show "$id" | jq -r .state)"
# the same preview twice is the same answer (nothing of the first stayed)
as REG POST /v1/registry/preview d.jsonl
cmp -s body preview.json && ok preview-repeatable || bad preview-repeatable "a second preview differs"

as REG POST /v1/registry d.jsonl
expect import 200 "(.imported == 2) and ([.suspended[].measure] == [\"$id\"])"
[ "$("$custos" measure show "$id" | jq -r .state)" = suspended ] && ok import-suspends ||
	bad import-suspends "$("$custos" measure show "$id" | jq -r .state)"
[ "$("$custos" registry export | jq -r 'select(.id == "P-MR-1") | .name')" = "Renamed Ambassador" ] &&
	ok import-changes-party || bad import-changes-party "P-MR-1 not renamed"
# now in force: the registry hash is the one previewed, and the same file changes nothing more
as REG POST /v1/registry/preview d.jsonl
expect preview-after-import 200 "(.registry_hash.before == $(jq .registry_hash.after preview.json))
	and .registry_hash.after == .registry_hash.before and .added == [] and .changed == [] and .suspended == []"

# the log replays whole: previews rolled back left no gap nor stray entry
"$custos" log verify >/dev/null 2>"$work/verify.err" && ok log-verifies || bad log-verifies "$(head -3 "$work/verify.err")"

stop
