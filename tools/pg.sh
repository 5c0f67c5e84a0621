#!/usr/bin/env bash
# pg.sh — a throwaway PostgreSQL server for the tests, in a directory of its own, on 127.0.0.1.
#   tools/pg.sh start DIR     initdb + pg_ctl start; prints the base URI (postgresql://custos@127.0.0.1:PORT)
#   tools/pg.sh stop DIR      pg_ctl stop (fast) and removes DIR
#   tools/pg.sh kill DIR      pg_ctl stop -m immediate (a crash: no checkpoint, WAL replayed at the next start)
#   tools/pg.sh restart DIR   pg_ctl start again on the same port
#   tools/pg.sh createdb DIR NAME   a new empty database; prints its URI
# PostgreSQL refuses to run as root (CI runs as root): then the server runs as the `postgres` user
# Debian's package creates, and the tests connect to it over TCP with trust authentication.
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|kill|restart|createdb DIR [NAME]}
dir=${2:?usage: pg.sh start|stop|kill|restart|createdb DIR [NAME]}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg.sh: no PostgreSQL server (Debian package postgresql)" >&2; exit 1; }
as() { # runs a server command as the owner of the data directory
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
uri() { echo "postgresql://custos@127.0.0.1:$(cat "$dir/port")"; }
case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	as "$bin/initdb" -D "$dir/data" -U custos -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	for _ in $(seq 50); do # a free port on 127.0.0.1
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	done
	echo "$port" >"$dir/port"
	;&
restart)
	port=$(cat "$dir/port")
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c shared_buffers=64MB" start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	uri
	;;
stop)
	as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
kill)
	as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
	;;
createdb)
	name=${3:?usage: pg.sh createdb DIR NAME}
	"$bin/psql" -q -X -v ON_ERROR_STOP=1 "$(uri)/postgres" -c "CREATE DATABASE \"$name\"" >/dev/null
	echo "$(uri)/$name"
	;;
*) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
