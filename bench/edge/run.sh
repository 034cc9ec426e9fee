#!/usr/bin/env bash
# bench/edge/run.sh: Steward's edge under attack, on loopback only.
#
# Installs its tools (Debian packages, pinned), builds steward and the Go
# probe (bench/edge/main.go), then for each of two configurations, the
# protections off (the baseline) and on, starts `steward dev` with HTTPS
# (dev_tls: the edge's TLS configuration with a local CA) on 127.0.0.1 and:
#   - TLS (once, protections on): testssl.sh and nmap ssl-enum-ciphers;
#   - slowloris, slow body and slow read (slowhttptest, $CONNS connections
#     from 127.0.0.1, $ATTACK_SECONDS s each) while the probe measures
#     /healthz and POST /api/messages latency from 127.0.0.2 and samples the
#     server's VmRSS;
#   - a flood from 127.0.0.1 while a steady client on 127.0.0.2 keeps asking.
# Results land in $OUT (JSON, slowhttptest CSV/HTML, testssl and nmap
# output) and a summary in $OUT/summary.md.
#
#   sudo bench/edge/run.sh            # as root: apt-get needs it
#   SKIP_INSTALL=1 CONNS=1000 ATTACK_SECONDS=30 bench/edge/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-18443}
CONNS=${CONNS:-1000}
ATTACK_SECONDS=${ATTACK_SECONDS:-30}
FLOOD_SECONDS=${FLOOD_SECONDS:-20}
OUT=${OUT:-bench/edge/results/$(date -u +%Y%m%dT%H%M%SZ)}
URL="https://127.0.0.1:$PORT"
[ "$CONNS" -le 4000 ] || { echo "CONNS at most 4000" >&2; exit 2; }
[ "$ATTACK_SECONDS" -le 300 ] || { echo "ATTACK_SECONDS at most 300" >&2; exit 2; }

# Pinned: the versions of Debian 12 (bookworm) these results were taken with.
if [ -z "${SKIP_INSTALL:-}" ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		testssl.sh=3.0.8+dfsg-1 nmap=7.93+dfsg1-1 slowhttptest=1.8.2-1+b1 jq
fi
for tool in testssl nmap slowhttptest jq curl; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# 1,000+ attacking connections plus the server's: raise the soft limit to
# the hard one, and check it suffices.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((CONNS + 1000)) ] || {
	echo "open files limit $(ulimit -n) is below CONNS+1000; raise it (ulimit -Hn) or lower CONNS" >&2
	exit 1
}
go build -o "$OUT/steward" ./cmd/steward
go build -o "$OUT/edgebench" ./bench/edge
echo "results in $OUT"

SERVER_PID=""
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}
trap stop_server EXIT

# start_server MODE: off = every protection off (the baseline); on = the
# production defaults for rate limits and shedding.
start_server() {
	local mode=$1 data="$OUT/data-$1"
	rm -rf "$data"
	mkdir -p "$data"
	local -a env=(STEWARD_DATA_DIR="$data" STEWARD_LISTEN="127.0.0.1:$PORT" STEWARD_DEV_TLS=true
		STEWARD_BOT_ALLOW_UNAUTHENTICATED=true STEWARD_LOG_LEVEL=error)
	if [ "$mode" = on ]; then
		env+=(STEWARD_RATE_LIMIT_PER_IP=50/s,burst=200 STEWARD_MAX_IN_FLIGHT=256 STEWARD_MAX_IN_FLIGHT_PER_IP=64)
	else
		env+=(STEWARD_RATE_LIMIT_PER_IP=off STEWARD_MAX_IN_FLIGHT=0 STEWARD_MAX_IN_FLIGHT_PER_IP=0)
	fi
	env "${env[@]}" "$OUT/steward" dev >"$OUT/server-$mode.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -fsS --cacert "$data/tls/dev-ca.pem" "$URL/healthz" >/dev/null 2>&1; then
			CA="$data/tls/dev-ca.pem"
			return 0
		fi
		sleep 0.2
	done
	echo "steward dev did not answer on $URL (see $OUT/server-$mode.log)" >&2
	exit 1
}

# attack MODE NAME SLOWHTTPTEST-ARGS...: the attack and the probe, side by side.
attack() {
	local mode=$1 name=$2
	shift 2
	echo "== $mode: $name"
	timeout $((ATTACK_SECONDS + 60)) slowhttptest "$@" -c "$CONNS" -r 250 -l "$ATTACK_SECONDS" -p 3 -g \
		-o "$OUT/$mode-$name" >"$OUT/$mode-$name.slowhttptest.txt" 2>&1 &
	local attacker=$!
	sleep 4 # let the connections pile up before measuring
	"$OUT/edgebench" probe -url "$URL" -cacert "$CA" -src 127.0.0.2 -pid "$SERVER_PID" -rate 20 \
		-duration "$((ATTACK_SECONDS - 6))s" -out "$OUT/$mode-$name.json" >/dev/null
	wait "$attacker" || true
}

for mode in off on; do
	start_server "$mode"
	echo "== $mode: idle"
	"$OUT/edgebench" probe -url "$URL" -cacert "$CA" -src 127.0.0.2 -pid "$SERVER_PID" -rate 20 \
		-duration 10s -out "$OUT/$mode-idle.json" >/dev/null
	if [ "$mode" = on ]; then
		echo "== TLS: testssl.sh, nmap ssl-enum-ciphers"
		# --add-ca: trust the dev CA, so the chain check grades the chain
		# as a browser that trusts it would (a production certificate comes
		# from a public CA).
		timeout 900 testssl --quiet --color 0 --warnings off --add-ca "$CA" --jsonfile-pretty "$OUT/testssl.json" \
			--logfile "$OUT/testssl.txt" "$URL" >/dev/null 2>&1 || true
		timeout 300 nmap -Pn -p "$PORT" --script ssl-enum-ciphers -oN "$OUT/nmap.txt" 127.0.0.1 >/dev/null || true
	fi
	attack "$mode" slowloris -H -i 10 -x 24 -u "$URL/"
	attack "$mode" slowbody -B -i 10 -s 65536 -x 10 -f application/json -u "$URL/api/messages"
	attack "$mode" slowread -X -w 512 -y 1024 -n 5 -z 32 -k 3 -u "$URL/api/v1/openapi.json"
	echo "== $mode: flood"
	"$OUT/edgebench" flood -url "$URL" -cacert "$CA" -flood-src 127.0.0.1 -legit-src 127.0.0.2 -workers 64 \
		-rate 20 -path / -duration "${FLOOD_SECONDS}s" -out "$OUT/$mode-flood.json" >/dev/null
	stop_server
done

{
	echo "| protections | scenario | /healthz p50 / p99 ms | /healthz errors | bot p50 / p99 ms | bot errors | RSS start → max MiB |"
	echo "|---|---|---|---|---|---|---|"
	for mode in off on; do
		for name in idle slowloris slowbody slowread; do
			jq -r --arg m "$mode" --arg n "$name" '"| \($m) | \($n) | \(.healthz.p50_ms) / \(.healthz.p99_ms) | \(.healthz.errors)/\(.healthz.requests) | \(.bot_endpoint.p50_ms) / \(.bot_endpoint.p99_ms) | \(.bot_endpoint.errors)/\(.bot_endpoint.requests) | \(.rss.start_mib|floor) → \(.rss.max_mib|floor) |"' "$OUT/$mode-$name.json"
		done
	done
	echo
	echo "| protections | flooder rps | flooder outcomes | flooder limited % | steady client outcomes | steady client errors % | steady p99 ms |"
	echo "|---|---|---|---|---|---|---|"
	for mode in off on; do
		jq -r --arg m "$mode" '"| \($m) | \(.flooder_rps|floor) | \(.flooder.outcomes|tostring) | \(.flooder_limited_pct*100|floor/100) | \(.steady_client.outcomes|tostring) | \(.steady_client.error_pct) | \(.steady_client.p99_ms) |"' "$OUT/$mode-flood.json"
	done
	echo
	for mode in off on; do
		for name in slowloris slowbody slowread; do
			echo "$mode $name: $(sed 's/\x1b\[[0-9;]*m//g' "$OUT/$mode-$name.slowhttptest.txt" |
				grep -E 'pending|connected|error|closed|service available|Exit status' | tail -6 | tr -s ' \n' ' ')"
		done
	done
	echo
	echo "nmap ssl-enum-ciphers:"
	grep -E 'TLSv|least strength|TLS_|compressors|warnings' "$OUT/nmap.txt" | sed 's/^|/ /' || true
	echo
	echo "testssl.sh findings above INFO/OK:"
	jq -r '.scanResult[0] | [.. | objects | select(has("severity")) | select(.severity != "OK" and .severity != "INFO") | "\(.severity) \(.id): \(.finding)"] | .[]' "$OUT/testssl.json" 2>/dev/null || echo "(no testssl.json)"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
