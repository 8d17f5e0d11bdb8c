#!/usr/bin/env bash
# The live-feed benchmark of docs/benchmarks.md: `duban serve` and duban-wsload in two
# processes on loopback, against the Redis at $DUBAN_REDIS_URL (default the local one),
# under a key prefix of its own that is deleted afterwards.
#
#   cmd/duban-wsload/bench.sh [CLIENTS [ALERTS [TRIGGER]]]     # defaults: 10000 20 push
#
# TRIGGER push posts overdue cases through the push API (ingestion → apply → relay →
# alert stream → hub → clients); redis appends alerts straight onto the alert stream (the
# hub alone).
set -euo pipefail
cd "$(dirname "$0")/../.."

clients=${1:-10000}
alerts=${2:-20}
trigger=${3:-push}
redis=${DUBAN_REDIS_URL:-redis://127.0.0.1:6379/0}
port=${BENCH_PORT:-18080}
prefix="wsbench$$:"
bin=$(mktemp -d)

go build -o "$bin/duban" ./cmd/duban
go build -o "$bin/duban-wsload" ./cmd/duban-wsload

DUBAN_CONFIG=cmd/duban-wsload/testdata/duban.yaml DUBAN_LISTEN="127.0.0.1:$port" \
	DUBAN_REDIS_URL="$redis" DUBAN_REDIS_PREFIX="$prefix" \
	"$bin/duban" serve 2>"$bin/serve.log" &
server=$!
cleanup() {
	kill -TERM "$server" 2>/dev/null && wait "$server" || true
	redis-cli -u "$redis" --scan --pattern "$prefix*" | xargs -r -n 500 redis-cli -u "$redis" DEL >/dev/null
	rm -rf "$bin"
}
trap cleanup EXIT

for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
	sleep 0.1
done
echo "server pid $server: $(grep 'Max open files' /proc/$server/limits)"

timeout 900 "$bin/duban-wsload" -url "ws://127.0.0.1:$port/ws" -token bench-viewer \
	-clients "$clients" -alerts "$alerts" -trigger "$trigger" -push-token bench-env \
	-redis "$redis" -prefix "$prefix"

echo "server: $(grep -E 'VmHWM' /proc/$server/status | tr -s ' '), threads $(grep Threads /proc/$server/status | cut -f2)"
