#!/usr/bin/env bash
# fuzz-smoke.sh — runs each libFuzzer target for N seconds from its corpus.
# A crash leaves its input under build/fuzz/findings/TARGET/ and fails the run:
# copy it into fuzz/regressions/TARGET/ once fixed, so the test run replays it.
set -uo pipefail
secs=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for f in "$root"/build/fuzz/bin/fuzz_*; do
	t=$(basename "$f")
	out="$root/build/fuzz/findings/$t"
	work="$root/build/fuzz/work/$t"
	mkdir -p "$out" "$work"
	seeds=()
	for d in "$root/fuzz/corpus/$t" "$root/fuzz/regressions/$t"; do [ -d "$d" ] && seeds+=("$d"); done
	echo "== fuzzing $t for ${secs}s"
	if ! "$f" -max_total_time="$secs" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
		-artifact_prefix="$out/" "$work" "${seeds[@]}" >"$out/log" 2>&1; then
		echo "FINDING in $t:"; tail -40 "$out/log"; status=1
	else
		grep -E '^#[0-9]+.*DONE' "$out/log" | tail -1
	fi
done
exit $status
