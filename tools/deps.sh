#!/usr/bin/env bash
# deps.sh — installs the Debian packages custos needs, only those missing.
#   tools/deps.sh build   libraries and tools to build, test and run
#   tools/deps.sh fuzz    plus clang and its libFuzzer runtime
set -euo pipefail
mode=${1:-build}
pkgs=(build-essential pkg-config libsqlite3-dev libpq-dev postgresql libjansson-dev libssl-dev libsodium-dev libidn2-dev libicu-dev libcmocka-dev sqlite3 jq
	libmicrohttpd-dev curl wrk linux-perf
	libcurl4-openssl-dev libyaml-dev
	golang-go golang-golang-x-mod-dev
	chromium nodejs) # the browser tests: Debian's chromium driven by playwright-core from npm
# npm: Debian's package only where the machine's Node.js does not bring its own (NodeSource's does, and conflicts)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
[ "$mode" = fuzz ] && pkgs+=(clang libclang-rt-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing Debian packages: ${missing[*]}" >&2
sudo=
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
