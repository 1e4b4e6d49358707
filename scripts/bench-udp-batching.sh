#!/usr/bin/env bash
# Batching where the server is the bottleneck: an open-loop flood of 64-byte UDP datagrams from the
# AF_XDP traffic generator (`./jix nic generate`, in namespace jix-peer, as fast as it can, bounded
# by time) at `./jix serve echo --backend xdp --idle spin --threads 1 --batch CAP`, which echoes
# every datagram it gets to. A TCP closed loop on 2 vCPUs cannot load the server enough (see
# docs/benchmarks.md §3); an open-loop flood can: whatever the server does not take in time, its
# NIC queue drops. For each cap: datagrams offered, datagrams echoed per second (the server's
# `udp tx` counter), and its mean batch size.
#
# Needs root. Holds the test-network lock, brings the network up and down, ends only its own PIDs.
# Usage: scripts/bench-udp-batching.sh [SECONDS]
set -euo pipefail

seconds=${1:-5}
root=$(cd "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench-udp-batching: needs root for the test network" >&2; exit 1; }
# shellcheck source=lib/testnet-lock.sh
source "$root/scripts/lib/testnet-lock.sh"
hold_testnet_lock "$0" "$@"

jix=("$root/jix")
log=$(mktemp /tmp/jix-bench-udp.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    "${jix[@]}" testnet down >/dev/null 2>&1 || true
    rm -f -- "$log" "$log".*
}
trap cleanup EXIT

"${jix[@]}" --version >/dev/null
"${jix[@]}" testnet up >/dev/null
mac=$(cat /sys/class/net/jix0/address)

counter() { # LABEL STATS_FILE: a counter summed over the server's threads
    # `stats --all` prints right-aligned 16-character columns under their labels: cut the one that ends
    # where LABEL ends in the header.
    "${jix[@]}" stats --all "$2" | awk -v label="$1" '
        /^thread / { end = index($0, label) + length(label) - 1; next }
        end > 0 && /^[0-9]+ / { v = substr($0, end - 15, 16); gsub(/ /, "", v); s += v }
        END { print s + 0 }'
}

echo "server:    ./jix serve echo --backend xdp --interface jix0 --address 198.18.0.1/24 --idle spin --threads 1 --batch CAP"
echo "generator: ./jix nic generate --interface jix1 --destination 198.18.0.1 --port 7007 --seconds $seconds" \
    "--threads 1 --cpus 1 (in jix-peer; 64-byte frames)"
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, Linux $(uname -r)"
echo
echo "| cap B | offered pps | echoed per s | echoed / offered | batches | mean batch |"
echo "|---:|---:|---:|---:|---:|---:|"
for cap in 1 2 4 8 16 32 64; do
    "${jix[@]}" serve echo --backend xdp --interface jix0 --address 198.18.0.1/24 --idle spin --threads 1 \
        --batch "$cap" --duration $((seconds * 3 + 30)) >"$log.server" 2>&1 &
    server_pid=$!
    stats=""
    for _ in $(seq 100); do
        stats=$(sed -n 's/^jix: counters in \(.*\.stats\) .*/\1/p' "$log.server")
        [[ -n $stats ]] && break
        sleep 0.1
    done
    [[ -n $stats ]] || { echo "bench-udp-batching: the server did not start" >&2; cat "$log.server" >&2; exit 1; }
    tx0=$(counter "udp tx" "$stats")
    ev0=$(counter "events delivered" "$stats")
    b0=$(counter "non-empty batches" "$stats")
    gen=$(ip netns exec jix-peer "${jix[@]}" nic generate --interface jix1 --destination 198.18.0.1 \
        --destination-mac "$mac" --port 7007 --seconds "$seconds" --threads 1 --cpus 1 2>&1 | tail -n 1)
    tx1=$(counter "udp tx" "$stats")
    ev1=$(counter "events delivered" "$stats")
    b1=$(counter "non-empty batches" "$stats")
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
    server_pid=""
    pps=$(sed -n 's/.*pps=\([0-9]*\).*/\1/p' <<<"$gen")
    secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$gen")
    awk -v cap="$cap" -v pps="${pps:-0}" -v secs="${secs:-$seconds}" -v tx=$((tx1 - tx0)) \
        -v ev=$((ev1 - ev0)) -v b=$((b1 - b0)) 'BEGIN {
        rate = tx / secs
        printf "| %d | %d | %d | %.2f | %d | %.2f |\n", cap, pps, rate, (pps > 0 ? rate / pps : 0), b, (b > 0 ? ev / b : 0) }'
done
