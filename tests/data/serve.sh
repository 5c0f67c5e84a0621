# serve.sh — sourced by the API and browser tests: the port a custos server listens on, read off its log.
# listening_port LOG [TRIES]: waits (TRIES tenths of a second, default 100) for the server's
# "listening on http://127.0.0.1:PORT/" line in LOG and prints PORT; prints nothing if it never came.
listening_port() {
	local log=$1 tries=${2:-100} p=
	for _ in $(seq "$tries"); do
		p=$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$log")
		[ -n "$p" ] && break
		sleep 0.1
	done
	echo "$p"
}

# The clock the tests run on: $CUSTOS_NOW as custos reads it (an instant, a shift such as +400d, or unset: the
# system clock). Test data is written as of TEST_DATA_DAY; `shifted` moves its dates to the same distance from the
# clock's today, so the suite means the same on any day (CI runs it a year ahead too).
TEST_DATA_DAY=2026-11-24
# clock_secs: what the custos clock reads now, in seconds since the epoch
clock_secs() {
	local s=${CUSTOS_NOW:-} now n unit
	now=$(date -u +%s)
	case $s in
	"") echo "$now" ;;
	[+-]*)
		n=${s:1:${#s}-2} unit=${s: -1}
		case $unit in s) n=$((n)) ;; m) n=$((n * 60)) ;; h) n=$((n * 3600)) ;; d) n=$((n * 86400)) ;; esac
		if [ "${s:0:1}" = - ]; then echo $((now - n)); else echo $((now + n)); fi ;;
	*) date -u -d "$s" +%s ;;
	esac
}
# clock_day [N]: the day N days after the clock's today (YYYY-MM-DD)
clock_day() { date -u -d "@$(($(clock_secs) / 86400 * 86400 + ${1:-0} * 86400))" +%F; }
# shifted [TEXT]: TEXT (or standard input) with every valid YYYY-MM-DD moved by the clock's distance from TEST_DATA_DAY
shifted() {
	local text old new i=0 delta
	if [ $# -gt 0 ]; then text=$1; else text=$(cat); fi
	delta=$(($(clock_secs) / 86400 - $(date -u -d "$TEST_DATA_DAY" +%s) / 86400))
	local olds=() news=()
	for old in $(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$text" | sort -u); do
		new=$(date -u -d "$old + $delta days" +%F 2>/dev/null) || continue # not a real date: left as it is
		olds+=("$old") news+=("$new")
		text=${text//"$old"/"@@date$i@@"}
		i=$((i + 1))
	done
	for i in "${!olds[@]}"; do text=${text//"@@date$i@@"/"${news[$i]}"}; done
	printf '%s\n' "$text"
}

# test_store DIR NAME: the URI of a new, empty store for a test: the SQLite file DIR/NAME.db, or, when run-tests.sh
# runs the suite on PostgreSQL (CUSTOS_TEST_PG and CUSTOS_TEST_PGDIR set, tools/pg.sh), a new database there.
test_store() {
	if [ -n "${CUSTOS_TEST_PG:-}" ]; then
		"$root/tools/pg.sh" createdb "$CUSTOS_TEST_PGDIR" "$2_$$_$RANDOM"
	else
		echo "$1/$2.db"
	fi
}
