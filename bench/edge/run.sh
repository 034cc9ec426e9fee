#!/usr/bin/env bash
# bench/edge/run.sh: Steward's edge under attack, on loopback only.
#
# Installs its tools (Debian packages, pinned), builds steward and the Go
# helper (bench/edge/main.go), and makes a bench CA with its CRL and a
# certificate for localhost, 127.0.0.1 and ::1 whose CRL distribution point
# is http://127.0.0.1:$CRL_PORT/bench-ca.crl (`edgebench certs`, the dev
# CA's code), served there by `edgebench crl` for the whole run. It creates
# a fresh PostgreSQL database (DATABASE=postgres, the default: on $PG_URL,
# dropped at the end) or SQLite file (DATABASE=sqlite), runs `steward
# migrate up` and `steward keys init`, then for each of two configurations,
# the protections off (the baseline) and on, starts `steward serve`
# (production mode: tls_cert_file/tls_key_file with the edge's TLS policy,
# HSTS, the Host allowlist from public_url https://127.0.0.1:$PORT, the
# Teams bot on with Bot Framework tokens required) on 127.0.0.1:$PORT and:
#   - TLS (once, protections on): testssl.sh (trusting the bench CA with
#     --add-ca, fetching the CRL with --phone-out) and nmap
#     ssl-enum-ciphers;
#   - slowloris, slow body and slow read (slowhttptest, $CONNS connections
#     from 127.0.0.1, $ATTACK_SECONDS s each) while the probe measures
#     /healthz and POST /api/messages latency from 127.0.0.2 and samples the
#     server's VmRSS;
#   - a flood from 127.0.0.1 while a steady client on 127.0.0.2 keeps asking.
# Every client addresses 127.0.0.1, the allowed host. Results land in $OUT
# (JSON, slowhttptest CSV/HTML, testssl and nmap output, server logs) and a
# summary in $OUT/summary.md.
#
#   sudo bench/edge/run.sh            # as root: apt-get needs it
#   SKIP_INSTALL=1 CONNS=1000 ATTACK_SECONDS=30 bench/edge/run.sh
#   SKIP_INSTALL=1 CONNS=50 ATTACK_SECONDS=8 FLOOD_SECONDS=3 bench/edge/run.sh   # a light trial
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-18443}
CRL_PORT=${CRL_PORT:-18480}
DATABASE=${DATABASE:-postgres}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432} # trust auth, or a password in the URL
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
for tool in testssl nmap slowhttptest jq curl $([ "$DATABASE" = postgres ] && echo psql); do
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

APP_ID=6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21 # any GUID: no token is ever issued for it here
SERVER_PID="" CRL_PID="" DB_NAME=""
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}
cleanup() {
	stop_server
	if [ -n "$CRL_PID" ]; then
		kill "$CRL_PID" 2>/dev/null || true
		wait "$CRL_PID" 2>/dev/null || true
	fi
	if [ -n "$DB_NAME" ]; then
		psql -q "$PG_URL/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

# The certificate: a bench CA (the dev CA's code) whose CRL is served over
# plain HTTP, as a public CA's is.
CRL_URL="http://127.0.0.1:$CRL_PORT/bench-ca.crl"
"$OUT/edgebench" certs -dir "$OUT/ca" -crl-url "$CRL_URL" >"$OUT/certs.json"
CA="$OUT/ca/dev-ca.pem"
"$OUT/edgebench" crl -dir "$OUT/ca" -listen "127.0.0.1:$CRL_PORT" -path /bench-ca.crl -duration 4h >"$OUT/crl-server.log" 2>&1 &
CRL_PID=$!
for _ in $(seq 1 50); do
	curl -fsS -o /dev/null "$CRL_URL" 2>/dev/null && break
	sleep 0.1
done
curl -fsS -o "$OUT/bench-ca.crl" "$CRL_URL" || { echo "the CRL server did not answer on $CRL_URL (see $OUT/crl-server.log)" >&2; exit 1; }
openssl crl -inform DER -in "$OUT/bench-ca.crl" -noout -CAfile "$CA" 2>&1 | grep -q 'verify OK' ||
	{ echo "the CRL at $CRL_URL does not verify against $CA" >&2; exit 1; }

# The store: a database of its own, migrated once, and a keyring.
case "$DATABASE" in
postgres)
	DB_NAME="steward_edge_$(date -u +%Y%m%d%H%M%S)_$$"
	psql -q "$PG_URL/postgres?sslmode=disable" -c "CREATE DATABASE $DB_NAME" >/dev/null
	DATABASE_URL="$PG_URL/$DB_NAME?sslmode=disable"
	;;
sqlite) DATABASE_URL="sqlite:$OUT/steward.db" ;;
*)
	echo "DATABASE=$DATABASE: postgres or sqlite" >&2
	exit 2
	;;
esac
# The bot is on (teams_app_id), so POST /api/messages exists: it decodes
# the activity, then refuses the probe's, which carries no Bot Framework
# token (401). Its secret is never used: nothing is sent to Teams.
head -c 32 /dev/urandom | base64 >"$OUT/bot-secret"
chmod 600 "$OUT/bot-secret"
SERVE_ENV=(STEWARD_DATABASE_URL="$DATABASE_URL" STEWARD_KEYRING_FILE="$OUT/keys/keyring.json"
	STEWARD_APP_ID="$APP_ID" STEWARD_LISTEN="127.0.0.1:$PORT" STEWARD_PUBLIC_URL="$URL"
	STEWARD_TEAMS_APP_ID=0b7c2f4e-9d1a-4c3b-8e6f-2a5d7c9e1b30 STEWARD_BOT_SECRET_FILE="$OUT/bot-secret"
	STEWARD_BOT_TENANT_ID=3f1e5d7c-2b4a-4968-8c0e-6a1b3d5f7e92
	STEWARD_TLS_CERT_FILE="$OUT/ca/localhost.pem" STEWARD_TLS_KEY_FILE="$OUT/ca/localhost-key.pem"
	STEWARD_LOG_LEVEL=error)
env "${SERVE_ENV[@]}" "$OUT/steward" migrate up >"$OUT/migrate.log" 2>&1
env "${SERVE_ENV[@]}" "$OUT/steward" keys init >"$OUT/keys.log" 2>&1

# start_server MODE: off = every protection off (the baseline); on = the
# production defaults for rate limits and shedding.
start_server() {
	local mode=$1 data="$OUT/data-$1"
	rm -rf "$data"
	mkdir -p "$data"
	local -a env=("${SERVE_ENV[@]}" STEWARD_DATA_DIR="$data" STEWARD_BLOB_DIR="$data/blobs")
	if [ "$mode" = on ]; then
		env+=(STEWARD_RATE_LIMIT_PER_IP=50/s,burst=200 STEWARD_MAX_IN_FLIGHT=256 STEWARD_MAX_IN_FLIGHT_PER_IP=64)
	else
		env+=(STEWARD_RATE_LIMIT_PER_IP=off STEWARD_MAX_IN_FLIGHT=0 STEWARD_MAX_IN_FLIGHT_PER_IP=0)
	fi
	env "${env[@]}" "$OUT/steward" serve >"$OUT/server-$mode.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -fsS --cacert "$CA" "$URL/healthz" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	echo "steward serve did not answer on $URL (see $OUT/server-$mode.log)" >&2
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
		# --add-ca: trust the bench CA, so the chain check grades the chain
		# as it would a public CA's; --phone-out: fetch the CRL the
		# certificate names and check the certificate against it (it also
		# tries pwnedkeys.com, which answers or gives a WARN offline).
		timeout 900 testssl --quiet --color 0 --warnings off --phone-out --add-ca "$CA" --jsonfile-pretty "$OUT/testssl.json" \
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
	echo "testssl.sh revocation:"
	jq -r '.scanResult[0] | [.. | objects | select(has("id")) | select(.id | test("^cert_(crl|ocsp|revocation)")) | "\(.severity) \(.id): \(.finding)"] | .[]' "$OUT/testssl.json" 2>/dev/null || echo "(no testssl.json)"
	echo
	echo "testssl.sh findings above INFO/OK:"
	jq -r '.scanResult[0] | [.. | objects | select(has("severity")) | select(.severity != "OK" and .severity != "INFO") | "\(.severity) \(.id): \(.finding)"] | .[]' "$OUT/testssl.json" 2>/dev/null || echo "(no testssl.json)"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
