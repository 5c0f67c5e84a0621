# signed.sh — sourced by the API tests that sign as principals (oversight.sh, registry.sh): a fresh store with the
# demo registry, principals with key files, signed requests (build/*/tools/httpsign), checks and a clean stop.
# The caller sets NAME (the checks' prefix) and sources this after tests/data/serve.sh; it is not a test itself.
custos=${1:-${CUSTOS_BIN:-$root/build/san/custos}}
sign=$(dirname "$custos")/tools/httpsign
work=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export CUSTOS_STORE=$(test_store "$work" custos) CUSTOS_ACTOR=$NAME-test
cd "$work" || exit 1
fails=0
ok() { echo "ok   api/$NAME-$1"; }
bad() { echo "FAIL api/$NAME-$1: $2"; fails=$((fails + 1)); [ -s "$work/body" ] && head -c 400 "$work/body" | sed 's/^/  body: /'; echo; }
setup_fail() { echo "FAIL api/$NAME-setup: $1"; exit 1; }
[ -x "$sign" ] || setup_fail "no $sign"
"$custos" init --origin test.example/custos 2>/dev/null || setup_fail init
"$custos" registry import "$root/demo/registry.jsonl" >/dev/null || setup_fail "registry import"

# principal ID AUTHORITY ROLE...: a key file ID.key and the principal holding it
principal() {
	local id=$1 authority=$2
	shift 2
	"$custos" key generate "$id.key" >"$id.pub" && "$custos" principal add "$id" --name "Test $id" \
		--authority "$authority" --role "$@" --pubkey "$(cat "$id.pub")" >/dev/null
}
# serve: the server on a free port of 127.0.0.1, its address in $base
serve() {
	"$custos" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
	server_pid=$!
	port=$(listening_port "$work/serve.log")
	[ -n "${port:-}" ] || { cat "$work/serve.log"; setup_fail "server did not start"; }
	base=http://127.0.0.1:$port
}
# as KEY METHOD PATH [BODYFILE [TYPE]]: a request signed with KEY.key; the status in $status, the body in body
as() {
	local key=$1 method=$2 path=$3 bodyfile=${4:-} type=${5:-application/jsonl} hdrs=() line
	while IFS= read -r line; do hdrs+=(-H "$line"); done < <("$sign" "$key.key" "$method" "127.0.0.1:$port" "$path" $bodyfile)
	if [ -n "$bodyfile" ]; then
		status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$method" "${hdrs[@]}" -H "Content-Type: $type" \
			--data-binary @"$bodyfile" "$base$path")
	else
		status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$method" "${hdrs[@]}" "$base$path")
	fi
}
# expect NAME STATUS [JQ]: the last answer has STATUS and, as JSON, makes JQ true
expect() {
	local name=$1 want=$2 cond=${3:-}
	if [ "$status" != "$want" ]; then bad "$name" "status $status, expected $want"; return; fi
	if [ -n "$cond" ] && ! jq -e "$cond" "$work/body" >/dev/null 2>&1; then bad "$name" "not true: $cond"; return; fi
	ok "$name"
}
# stop: SIGTERM ends the server with status 0 (the sanitisers report at exit); exits with the checks' verdict
stop() {
	kill -TERM "$server_pid"
	wait "$server_pid"
	local rc=$?
	server_pid=
	[ "$rc" = 0 ] && ok server-stops-cleanly || bad server-stops-cleanly "exit $rc"
	exit $((fails > 0))
}
