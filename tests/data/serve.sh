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
