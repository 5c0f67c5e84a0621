#!/usr/bin/env bash
# run-tests.sh — runs every test against one build tree (default build/san):
# unit tests (cmocka), golden command-line tests, HTTP API tests, the fuzz corpus replay and the browser tests.
# Prints one line per test and closes with "N passed, N failed".
set -uo pipefail
tree=${1:-build/san}
root=$(cd "$(dirname "$0")/.." && pwd)
export CUSTOS_BIN="$root/$tree/custos"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# the allocation-failure test tries every 7th allocation here; .ci/run tries every one
export CUSTOS_TORTURE_STRIDE=${CUSTOS_TORTURE_STRIDE:-7}
pass=0 fail=0 failed=()
result() { # name status
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); failed+=("$1"); echo "FAIL $1"; fi
}
echo "clock: ${CUSTOS_NOW:-the system clock} (golden tests: their pinned instant)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
ln -s "$CUSTOS_BIN" "$tmp/bin/custos"

# A PostgreSQL server of the tests' own (tools/pg.sh) for everything that runs on both backends; its directory is
# outside $tmp: as root the server runs as `postgres`, which may not enter $tmp. No server is a failure, not a skip.
pgdir=$(mktemp -d -t custos-pg.XXXXXX)
if pg=$("$root/tools/pg.sh" start "$pgdir" 2>"$tmp/pg.err"); then
	trap '"$root/tools/pg.sh" stop "$pgdir"; rm -rf "$tmp"' EXIT
	export CUSTOS_TEST_PGDIR="$pgdir"
	result pg/setup 0
else
	cat "$tmp/pg.err"
	result pg/setup 1
	pg=
fi

# 0. project checks (banned calls, headers alone, file comments)
"$root/tools/lint.sh" >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && cat "$tmp/out"
result lint $rc

# 1. unit tests
for t in "$root/$tree"/tests/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	(cd "$tmp" && "$t") >"$tmp/out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && cat "$tmp/out"
	result "$name" $rc
done

# 2. golden command-line tests: tests/golden/NAME/{cmd,stdout,status}, each on a store of its own
golden() { # label, test directory, store URI
	local name=$1/$(basename "$2") d=$2 work="$tmp/$1.$(basename "$2")" rc want ok=0
	mkdir -p "$work"
	(cd "$work" && PATH="$tmp/bin:$PATH" CUSTOS_STORE="$3" \
		CUSTOS_NOW=2026-11-24T09:00:00Z CUSTOS_ACTOR=tester ROOT="$root" DATA="$root/tests/data" BUILD="$root/$tree" \
		bash -e -o pipefail "$d/cmd") >"$work/stdout" 2>"$work/stderr"
	rc=$?
	want=$(cat "$d/status" 2>/dev/null || echo 0)
	if [ "$rc" != "$want" ]; then
		echo "  $name: exit $rc, expected $want"; sed 's/^/  stderr: /' "$work/stderr" | head -20; ok=1
	elif ! diff -u "$d/stdout" "$work/stdout" >"$work/diff"; then
		echo "  $name: stdout differs"; head -40 "$work/diff"; ok=1
	fi
	result "$name" $ok
}
for d in "$root"/tests/golden/*/; do
	[ -f "$d/cmd" ] && golden golden "${d%/}" "$tmp/golden.$(basename "$d")/custos.db"
done

# 2b. the same on PostgreSQL, a database per test. A test marked sqlite-only (the file says why: it edits the SQLite
# file itself, or checks what only a file has) has its PostgreSQL counterpart in tests/store/.
if [ -n "$pg" ]; then
	n=0
	for d in "$root"/tests/golden/*/; do
		[ -f "$d/cmd" ] && [ ! -f "$d/sqlite-only" ] || continue
		n=$((n + 1))
		golden golden-pg "${d%/}" "$("$root/tools/pg.sh" createdb "$pgdir" "g$n")"
	done
fi

# A script that prints "ok   NAME" or "FAIL NAME: why" per check: each line counts as a result; a script
# that fails before reporting any check counts as SETUP_NAME failed.
run_checks() { # script, setup name[, prefix of every check's name]
	local script=$1 setup=$2 prefix=${3:-} out="$tmp/checks.out" rc counted=0 line
	"$script" "$CUSTOS_BIN" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok   "*) result "$prefix${line#ok   }" 0; counted=$((counted + 1)) ;;
		"FAIL "*) echo "  $line"; result "$prefix${line#FAIL }" 1; counted=$((counted + 1)) ;;
		*) [ -n "$line" ] && echo "  $line" ;;
		esac
	done <"$out"
	[ $rc -ne 0 ] && [ $counted -eq 0 ] && result "$prefix$setup" 1
}

# 3. HTTP API tests: a real server on 127.0.0.1; each tests/api/*.sh prints "ok   api/NAME" or "FAIL api/NAME: why"
for script in "$root"/tests/api/*.sh; do
	[ -x "$script" ] && run_checks "$script" "api/$(basename "$script" .sh)-setup"
done
# ... and on PostgreSQL (tests/data/serve.sh's test_store gives each a database of its own)
if [ -n "$pg" ]; then
	for script in "$root"/tests/api/*.sh; do
		[ -x "$script" ] && CUSTOS_TEST_PG=$pg run_checks "$script" "api/$(basename "$script" .sh)-setup" pg:
	done
fi

# 3a. the stand-in for OpenLI's provisioner (tests/openli/standin.sh): the gate's tests trust it to answer as OpenLI does
for script in "$root"/tests/openli/*.sh; do
	[ -x "$script" ] && run_checks "$script" "openli/$(basename "$script" .sh)-setup"
done

# 3b. the store as a database administrator leaves it (tests/store/*.sh): tampering caught and repaired, replay equals live
for script in "$root"/tests/store/*.sh; do
	[ -x "$script" ] && run_checks "$script" "store/$(basename "$script" .sh)-setup"
done
# ... the tampering on PostgreSQL too (tests/store/pg.sh starts a server of its own: it stops it mid-load)
[ -n "$pg" ] && CUSTOS_TEST_PG=$pg run_checks "$root/tests/store/tamper.sh" store/tamper-setup pg:

# 4. fuzz corpus and regression inputs, replayed under the sanitisers
for r in "$root/$tree"/replay/fuzz_*; do
	[ -x "$r" ] || continue
	target=$(basename "$r")
	dirs=()
	for d in "$root/fuzz/corpus/$target" "$root/fuzz/regressions/$target"; do [ -d "$d" ] && dirs+=("$d"); done
	if [ ${#dirs[@]} -eq 0 ]; then echo "  $target: no corpus"; result "replay/$target" 1; continue; fi
	"$r" "${dirs[@]}" >"$tmp/out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && tail -30 "$tmp/out"
	result "replay/$target" $rc
done

# 5. the web page in Debian's chromium (playwright-core); a missing browser or node is a failure, not a skip
[ -x "$root/tests/browser/browser.sh" ] && run_checks "$root/tests/browser/browser.sh" browser/setup
[ -n "$pg" ] && [ -x "$root/tests/browser/browser.sh" ] &&
	CUSTOS_TEST_PG=$pg run_checks "$root/tests/browser/browser.sh" browser/setup pg:

echo
[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed" | tee "$root/build/test-summary.txt"
[ $fail -eq 0 ]
