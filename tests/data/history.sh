# history.sh — sourced by the tests that need a register with a past (oversight.sh, browser.sh): vsse's filings of a
# light measure (a metadata interception of a number nobody protects) over the three months before the clock's, on
# instants of their own (CUSTOS_NOW), so that a service's habits read month by month: 1, 1, then 4 (a jump). The first
# of the second month back is approved two days after its filing, then extended twice (each extension approved three,
# then four days after it was asked: renewed again and again); the first of last month's is approved a day after its
# filing; the rest wait. Needs serve.sh (clock_secs, shifted), `custos` on PATH (or in $custos), the store in
# CUSTOS_STORE, HEAD-VSSE.key (service_head of vsse) in the current directory. Sets history_ids (in filing order),
# history_approved (the two approved, in filing order), history_waiting (the oldest first).

# month_at K DAY: 10:00 UTC on day DAY of the month K months before the clock's
month_at() { date -u -d "$(date -u -d "@$(clock_secs)" +%Y-%m-01) -$1 months +$(($2 - 1)) days" +%FT10:00:00Z; }
history_light() {
	shifted '{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["tel:+32470555123"],"period":{"from":"2026-12-01","to":"2027-01-31"},"grounds":"a number nobody protects yet"}'
}
# history_file INSTANT: files the light measure as of INSTANT; its id
history_file() { history_light >history.json && CUSTOS_NOW=$1 "${custos:-custos}" measure file history.json | jq -r .id; }
history_approve() { CUSTOS_NOW=$2 "${custos:-custos}" approve "$1" --role service_head --key HEAD-VSSE.key >/dev/null; }
# history_extend ID INSTANT UNTIL: the service head asks, as of INSTANT, for ID's window to run to UNTIL (moved with the clock)
history_extend() {
	CUSTOS_NOW=$2 "${custos:-custos}" measure extend "$1" --key HEAD-VSSE.key --until "$(shifted "$3")" >/dev/null
}
history() {
	local m3 m2 a b c d
	m3=$(history_file "$(month_at 3 14)") && m2=$(history_file "$(month_at 2 14)") &&
		history_approve "$m2" "$(month_at 2 16)" &&
		history_extend "$m2" "$(month_at 2 18)" 2027-03-02 && history_approve "$m2" "$(month_at 2 21)" &&
		history_extend "$m2" "$(month_at 2 22)" 2027-04-01 && history_approve "$m2" "$(month_at 2 26)" &&
		a=$(history_file "$(month_at 1 3)") && history_approve "$a" "$(month_at 1 4)" &&
		b=$(history_file "$(month_at 1 5)") && c=$(history_file "$(month_at 1 7)") &&
		d=$(history_file "$(month_at 1 9)") || return 1
	history_ids=("$m3" "$m2" "$a" "$b" "$c" "$d")
	history_approved=("$m2" "$a")
	history_waiting=("$m3" "$b" "$c" "$d")
}
