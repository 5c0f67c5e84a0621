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
principal REG registry registrar

# the past (tests/data/history.sh): vsse's light interceptions over the three months before this one, 1, 1, then 4
. "$root/tests/data/history.sh"
history || setup_fail "history"

# the register: s1 (a mission, forbidden), s3 (an MEP, forbidden), s4 three times (one kind, one month: a jump from none),
# and the first s4 approved by the service head at once (seconds after its filing)
file() { shifted <"$root/demo/measures/$1.json" >"$1.json" && "$custos" measure file "$1.json" | jq -r .id; }
s1=$(file s1); s3=$(file s3); s4a=$(file s4); s4b=$(file s4); s4c=$(file s4)
[ -n "$s1" ] && [ -n "$s4c" ] || setup_fail "filing"
"$custos" approve "$s4a" --role service_head --key HEAD-VSSE.key >/dev/null ||
	setup_fail "approve $s4a"
# the number of the light measures becomes an MEP's: the two authorised are suspended, each with a round of approvals
echo '{"id":"E-NEW","category":"mep","name":"Newly Elected Member","sending_state":null,"nationality":"FR","permanent_resident":false,"valid_from":"2020-01-01","valid_to":null,"mission":null,"country_of_origin":null,"waiver":null,"selectors":["tel:+32470555123"]}' >d.jsonl
suspended=$("$custos" registry import d.jsonl 2>&1 >/dev/null; "$custos" measure list | jq -sc 'map(select(.state == "suspended") | .id)')
[ "$suspended" = "$(printf '%s\n' "${history_approved[@]}" | jq -Rsc 'split("\n")[:-1]')" ] || setup_fail "suspended: $suspended"
"$custos" measure list >list.jsonl

serve

status=$(curl -s -o "$work/body" -w '%{http_code}' "$base/v1/oversight"); expect unsigned 401
as REQ-VSSE GET /v1/oversight; expect wrong-role 403
as COMR GET /v1/oversight; expect overview 200 '.total == 11 and (.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))'
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
# the service head's approvals: s4a's within the minute (flagged); the history's two and one days after filing, and
# its extensions' three and four days after they were asked (timed from the extension, not the filing)
expect waits 200 "[.waits[] | select(.role == \"service_head\")] | length == 1 and .[0].count == 5
	and .[0].measures == [\"${history_approved[0]}\", \"${history_approved[1]}\", \"$s4a\"]
	and .[0].median_seconds == 172800 and .[0].median_measure == \"${history_approved[0]}\"
	and .[0].worst_seconds == 345600 and .[0].worst_measure == \"${history_approved[0]}\""
expect fast-approval 200 "[.anomalies[] | select(.kind == \"fast_approval\") | .measures] == [[\"$s4a\"]]"
# approvals asked and not given: the history's pending ones since their filing (the oldest three months back), the
# suspended ones since their suspension (seconds ago, not months)
expect waiting-since-filing 200 "[.waiting[] | select(.role == \"service_head\")][0]
	| (.measures | index(\"${history_waiting[0]}\")) != null and .oldest_measure == \"${history_waiting[0]}\"
	and .oldest_seconds >= 60 * 86400"
expect waiting-since-suspension 200 "[.waiting[] | select(.role == \"bim_commission\")] | length == 1
	and .[0].measures == [\"${history_approved[0]}\", \"${history_approved[1]}\"] and .[0].oldest_seconds < 86400"
# filings jump twice: vsse's interceptions last month (4, after 1), its intelligence exchanges this month (3, after none)
expect filing-jump 200 "[.anomalies[] | select(.kind == \"filing_jump\")] | length == 2
	and (.[0].measures | sort) == ([\"${history_ids[2]}\", \"${history_ids[3]}\", \"${history_ids[4]}\", \"${history_ids[5]}\"] | sort)
	and (.[0].what | test(\"^vsse filed 4 interception measures in [0-9-]+ \\\\(1 in \"))
	and (.[1].measures | sort) == ([\"$s4a\", \"$s4b\", \"$s4c\"] | sort) and (.[1].what | test(\"^vsse filed 3 \"))"
# the series: one per service, every month from the first filing's to the clock's (none left out), each month's
# count the register's, the jumps marked in them
clock_month=$(clock_day | cut -c1-7)
reg_series=$(jq -sc 'group_by(.requested_by) | map({key: .[0].requested_by, value: (group_by(.filed_at[0:7])
	| map({key: .[0].filed_at[0:7], value: (map(.id))}) | from_entries)}) | from_entries' list.jsonl)
api_series=$(jq -c '.services | map({key: .service, value: (.months | map(select(.count > 0) | {key: .month, value: .measures})
	| from_entries)}) | from_entries' overview.json)
[ "$reg_series" = "$api_series" ] && ok series-match-register || bad series-match-register "$api_series vs $reg_series"
expect series-every-month 200 "[.services[] | .months | map(.month)] | length == 1 and (.[0] | length == 4)
	and .[0][3] == \"$clock_month\" and .[0] == (.[0] | sort | unique)
	and ([.[0][] | strptime(\"%Y-%m\") | mktime] | . as \$t | [range(1; length) | (\$t[.] - \$t[. - 1]) / 86400 | . >= 28 and . <= 31] | all)"
expect series-counts 200 '.services[0].months | map(.count) == [1, 1, 4, 5] and all(.count == (.measures | length))
	and all((.kinds | [.[].count] | add // 0) == .count)'
expect series-jumps 200 "[.services[0].jumps[] | {kind, count, before}] == [{\"kind\": \"interception\", \"count\": 4, \"before\": 1},
	{\"kind\": \"intelligence_exchange\", \"count\": 3, \"before\": 0}] and .services[0].jumps[1].month == \"$clock_month\""
expect renewed 200 "[.anomalies[] | select(.kind == \"renewed\")] | length == 1
	and .[0].measures == [\"${history_approved[0]}\"] and (.[0].what | test(\"extended 2 times\"))"

stop
