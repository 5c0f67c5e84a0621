#!/usr/bin/env bash
# sql.sh — runs one SQL statement against the store $CUSTOS_STORE names, whichever its backend, and prints
# the rows as sqlite3 does by default (columns joined by '|'): the tests read a store as its administrator would.
#   tests/sql.sh "SELECT ..."
set -euo pipefail
case "$CUSTOS_STORE" in
postgresql://* | postgres://*) exec psql -X -q -At -v ON_ERROR_STOP=1 "$CUSTOS_STORE" -c "$1" ;;
*) exec sqlite3 "$CUSTOS_STORE" "$1" ;;
esac
