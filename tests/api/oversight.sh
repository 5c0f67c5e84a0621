#!/usr/bin/env bash
# oversight.sh — GET /v1/oversight (comite_r's overview) against a real server on 127.0.0.1: its counts are the
# register's (`custos measure list`), every count names its measures, and the anomalies it flags are the ones made.
#   tests/api/oversight.sh [CUSTOS_BIN]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/data/serve.sh"
NAME=oversight
. "$root/tests/api/signed.sh"

principal REQ-VSSE vsse requester
principal HEAD-VSSE vsse service_head
principal COMR comite_r comite_r

# the register: s1 (a mission, forbidden), s3 (an MEP, forbidden), s4 three times (one kind, one month: a jump from none),
# and the first s4 approved by the service head at once (seconds after its filing)
file() { shifted <"$root/demo/measures/$1.json" >"$1.json" && "$custos" measure file "$1.json" | jq -r .id; }
s1=$(file s1); s3=$(file s3); s4a=$(file s4); s4b=$(file s4); s4c=$(file s4)
[ -n "$s1" ] && [ -n "$s4c" ] || setup_fail "filing"
"$custos" approve "$s4a" --role service_head --key HEAD-VSSE.key >/dev/null ||
	setup_fail "approve $s4a"
"$custos" measure list >list.jsonl

serve

status=$(curl -s -o "$work/body" -w '%{http_code}' "$base/v1/oversight"); expect unsigned 401
as REQ-VSSE GET /v1/oversight; expect wrong-role 403
as COMR GET /v1/oversight; expect overview 200 '.total == 5 and (.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))'
cp body overview.json

# every count is the length of its list of measures
if jq -e '[.. | objects | select(has("count") and has("measures") and (has("role") | not))
	| .count == (.measures | length)] | all' overview.json >/dev/null; then ok counts-are-their-measures
else bad counts-are-their-measures "a count differs from its list"; fi

# by outcome and by service, summed over the months, is what `custos measure list` says
reg_outcome=$(jq -sc 'group_by(.outcome) | map({key: .[0].outcome, value: (map(.id) | sort)}) | from_entries' list.jsonl)
api_outcome=$(jq -c '[.months[].outcome | to_entries[]] | group_by(.key)
	| map({key: .[0].key, value: (map(.value.measures[]) | sort)}) | from_entries' overview.json)
[ "$reg_outcome" = "$api_outcome" ] && ok outcome-matches-register || bad outcome-matches-register "$api_outcome vs $reg_outcome"
reg_service=$(jq -sc 'group_by(.requested_by) | map({key: .[0].requested_by, value: length}) | from_entries' list.jsonl)
api_service=$(jq -c '[.months[].service | to_entries[]] | group_by(.key)
	| map({key: .[0].key, value: (map(.value.count) | add)}) | from_entries' overview.json)
[ "$reg_service" = "$api_service" ] && ok service-matches-register || bad service-matches-register "$api_service vs $reg_service"
reg_month=$(jq -sc 'map(.filed_at[0:7]) | unique' list.jsonl)
api_month=$(jq -c '[.months[].month]' overview.json)
[ "$reg_month" = "$api_month" ] && ok months-match-register || bad months-match-register "$api_month vs $reg_month"

# states: the forbidden ones are the register's
reg_forbidden=$(jq -sc 'map(select(.state == "forbidden") | .id) | sort' list.jsonl)
api_forbidden=$(jq -c '.states.forbidden.measures // [] | sort' overview.json)
[ "$reg_forbidden" = "$api_forbidden" ] && [ "$reg_forbidden" != "[]" ] && ok forbidden-matches-register ||
	bad forbidden-matches-register "$api_forbidden vs $reg_forbidden"

# protected categories come from each measure's decision
cp overview.json body
expect categories 200 ".categories.mission.measures == [\"$s1\"] and .categories.mep.measures == [\"$s3\"]"
# the service head's approval: one wait, signed within the minute, flagged
expect waits 200 "[.waits[] | select(.role == \"service_head\")] | length == 1 and .[0].count == 1
	and .[0].measures == [\"$s4a\"] and .[0].worst_seconds >= 0 and .[0].worst_seconds <= 60
	and .[0].median_seconds == .[0].worst_seconds and .[0].worst_measure == \"$s4a\""
expect fast-approval 200 "[.anomalies[] | select(.kind == \"fast_approval\") | .measures] == [[\"$s4a\"]]"
expect filing-jump 200 "[.anomalies[] | select(.kind == \"filing_jump\")] | length == 1
	and (.[0].measures | sort) == ([\"$s4a\", \"$s4b\", \"$s4c\"] | sort) and (.[0].what | test(\"^vsse filed 3 \"))"
expect nothing-renewed 200 '[.anomalies[] | select(.kind == "renewed")] == []'

stop
