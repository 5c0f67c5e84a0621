#!/usr/bin/env bash
# lint.sh — project checks that a compiler does not make: banned unsafe calls,
# every public header compiling alone with -pedantic, every source opening with a comment.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|sscanf)\s*\('
if grep -nE "$banned" $(git ls-files '*.c' '*.h' 2>/dev/null || find src include fuzz bench tests tools -name '*.[ch]') \
	| grep -vE '^\S+:[0-9]+:\s*(\*|//)'; then
	echo "lint: banned call above (use snprintf, strtol, custos_buf, ...)"
	status=1
fi
for h in include/custos/*.h; do
	if ! printf '#include "%s"\n' "${h#include/}" |
		${CC:-cc} -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -x c -fsyntax-only - 2>/tmp/lint.$$; then
		echo "lint: $h does not compile alone:"; cat /tmp/lint.$$; status=1
	fi
done
rm -f /tmp/lint.$$
for f in $(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'fuzz/*.c' 'bench/*.c' 'tests/*.c' 'tools/*.c' 2>/dev/null); do
	head -1 "$f" | grep -q '^/\* ' || { echo "lint: $f does not open with a one-line comment"; status=1; }
done
# the web page and the browser tests open with the same one-line comment, in their own syntax
for f in $(git ls-files 'web/*.js' 'web/*.css' 'web/*.html' 'tests/browser/*.mjs' 2>/dev/null); do
	case "$f" in
	*.html) pat='^<!-- [^ ]+ — ' ;;
	*.css) pat='^/\* [^ ]+ — ' ;;
	*) pat='^// [^ ]+ — ' ;;
	esac
	head -1 "$f" | grep -qE "$pat" || { echo "lint: $f does not open with a one-line 'name — purpose' comment"; status=1; }
done
[ $status -eq 0 ] && echo "lint: clean"
exit $status
