#!/usr/bin/env bash
# golden-bless.sh — (re)writes tests/golden/NAME/{stdout,status} from the current build, for review with git diff.
#   tools/golden-bless.sh [TREE] NAME...
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=build/san
[ -d "$root/${1:-}" ] && { tree=$1; shift; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
ln -s "$root/$tree/custos" "$tmp/bin/custos"
for name in "$@"; do
	d="$root/tests/golden/$name"
	work="$tmp/$name"
	mkdir -p "$work"
	(cd "$work" && PATH="$tmp/bin:$PATH" CUSTOS_STORE="$work/custos.db" \
		CUSTOS_NOW=2026-11-24T09:00:00Z CUSTOS_ACTOR=tester ROOT="$root" DATA="$root/tests/data" BUILD="$root/$tree" \
		bash -e -o pipefail "$d/cmd") >"$d/stdout" 2>"$work/stderr"
	echo $? >"$d/status"
	echo "$name: exit $(cat "$d/status")"; sed 's/^/  stderr: /' "$work/stderr" | head -5
done
