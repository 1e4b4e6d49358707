#!/usr/bin/env bash
# Batching evidence, as in IX's paper: the echo server on the native (AF_XDP) backend — and on the
# kernel backend for contrast — with the batch cap B = 1 2 4 8 16 32 64, loaded by
# `./jix bench echo --in-peer` from namespace jix-peer over the veth pair of `./jix testnet`.
# For each cap: requests/s and p99 from the generator, and from the server's own batch-size
# histogram (its stats file, before and after the load) the mean batch size and the share of
# batches holding more than one event. Then the light-load case: one connection, one request in
# flight, a low rate — and no traffic at all. Prints Markdown tables.
#
# Needs root. Holds the machine-wide test-network lock that the tests take (so it neither waits
# in the middle nor pulls the network from under someone), brings the network up and down itself,
# and ends only the servers it started, by PID.
#
# Usage: scripts/bench-batching.sh [SECONDS] [CONNECTIONS] [DEPTH] [SIZE] [BACKENDS]
#   defaults: 5 s per point, 64 connections x depth 4, 64-byte messages, "xdp kernel"
set -euo pipefail

seconds=${1:-5}
connections=${2:-64}
depth=${3:-4}
size=${4:-64}
backends=${5:-xdp kernel}
root=$(cd "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)

[[ $(id -u) == 0 ]] || { echo "bench-batching: needs root for the test network" >&2; exit 1; }

# shellcheck source=lib/testnet-lock.sh
source "$root/scripts/lib/testnet-lock.sh"
hold_testnet_lock "$0" "$@"

jix=("$root/jix")
log=$(mktemp /tmp/jix-bench-batching.XXXXXX)
server_pid=""

stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

cleanup() {
    stop_server
    "${jix[@]}" testnet down >/dev/null 2>&1 || true
    rm -f -- "$log" "$log".*
}
trap cleanup EXIT

"${jix[@]}" --version >/dev/null # builds once, before anything is timed
"${jix[@]}" testnet up >/dev/null
limit=$((seconds * 4 + 60)) # a server stops by itself even if this script is killed

# start_server BACKEND BATCH: starts the echo server, waits until it listens, sets server_pid and stats.
start_server() {
    local backend=$1 batch=$2
    local args=(serve echo --address 198.18.0.1/24 --idle spin --batch "$batch" --threads 1 --duration "$limit")
    if [[ $backend == kernel ]]; then
        args+=(--backend kernel)
    else
        args+=(--backend "$backend" --interface jix0)
    fi
    "${jix[@]}" "${args[@]}" >"$log.server" 2>&1 &
    server_pid=$!
    stats=""
    for _ in $(seq 100); do
        stats=$(sed -n 's/^jix: counters in \(.*\.stats\) .*/\1/p' "$log.server")
        [[ -n $stats ]] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log.server" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n $stats ]] || { echo "bench-batching: the server did not start" >&2; cat "$log.server" >&2; exit 1; }
}

# histogram: "events batches h1 h2 ... h64" summed over the server's threads, from its stats file.
histogram() {
    # Rows of `jix stats FILE` start with the thread number, then "events delivered".
    "${jix[@]}" stats "$stats" | awk '
        /^[0-9]+ / { events += $2; next }
        /^  thread [0-9]+:/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); k = kv[1]; if (k == "64+") k = 64; h[k] += kv[2] } }
        END { printf "%d", events; for (k = 1; k <= 64; k++) printf " %d", h[k]; print "" }'
}

# batch_stats BEFORE AFTER: "batches mean share>1 share>2 largest" of the difference.
batch_stats() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        events = y[1] - x[1]; batches = 0; one = y[2] - x[2]; two = y[3] - x[3]; largest = 0;
        for (k = 2; k <= 65; k++) { n = y[k] - x[k]; batches += n; if (n > 0) largest = k - 1 }
        if (batches == 0) { printf "0 - - - -"; exit }
        printf "%d %.2f %.1f %.1f %s", batches, events / batches, 100 * (batches - one) / batches,
            100 * (batches - one - two) / batches, largest == 64 ? "64+" : largest }'
}

# bench ARGS...: runs the generator in the peer; prints its summary line.
bench() {
    "${jix[@]}" bench echo --in-peer --address 198.18.0.1 --port 7007 --size "$size" "$@" 2>"$log.bench" \
        | tail -n 1 || true
}

field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

cpus_busy_note() { # milliseconds other processes used during the last point
    python3 "$root/scripts/lib/cpu-others.py" since "$log.cpu" $$
}

echo "echo server: ./jix serve echo --backend B --idle spin --threads 1 --batch CAP (address 198.18.0.1, jix0)"
echo "generator:   ./jix bench echo --in-peer --connections $connections --depth $depth --size $size" \
    "--warmup 1 --duration $seconds (one thread)"
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, Linux $(uname -r)"
for backend in $backends; do
    echo
    echo "### backend $backend, $connections connections x depth $depth, $size-byte messages, $seconds s per cap"
    echo
    echo "| cap B | requests/s | p50 µs | p99 µs | batches | mean batch | > 1 event | > 2 events | largest | errors | others' CPU ms |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for cap in 1 2 4 8 16 32 64; do
        start_server "$backend" "$cap"
        python3 "$root/scripts/lib/cpu-others.py" snapshot $$ >"$log.cpu"
        before=$(histogram)
        line=$(bench --connections "$connections" --depth "$depth" --warmup 1 --duration "$seconds")
        after=$(histogram)
        others=$(cpus_busy_note)
        stop_server
        read -r batches mean share share2 largest <<<"$(batch_stats "$before" "$after")"
        if [[ -z $line || $line != echo:* ]]; then
            echo "bench-batching: no result for $backend cap $cap:" >&2
            cat "$log.bench" >&2
        fi
        printf '| %d | %s | %s | %s | %s | %s | %s %% | %s %% | %s | %s | %s |\n' "$cap" "$(field rps "$line")" \
            "$(field p50_us "$line")" "$(field p99_us "$line")" "$batches" "$mean" "$share" "$share2" "$largest" \
            "$(field errors "$line")" "$others"
    done
done

echo
echo "### light load and no load (cap 64)"
echo
echo "| backend | load | requests/s | p50 µs | p99 µs | batches | mean batch | > 1 event | > 2 events | largest |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
# light_row BACKEND LABEL [bench args...]: one row; no bench args: just wait, nothing sent.
light_row() {
    local backend=$1 label=$2 line=""
    shift 2
    before=$(histogram)
    if (($# > 0)); then
        line=$(bench "$@" --warmup 1 --duration "$seconds")
    else
        sleep "$seconds"
    fi
    after=$(histogram)
    read -r batches mean share share2 largest <<<"$(batch_stats "$before" "$after")"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$label" "$(field rps "$line")" \
        "$(field p50_us "$line")" "$(field p99_us "$line")" "$batches" "$mean" "$share" "$share2" "$largest"
}
for backend in $backends; do
    start_server "$backend" 64
    sleep 1
    light_row "$backend" "none, $seconds s"
    light_row "$backend" "1 connection, depth 1, 1000 req/s" --connections 1 --depth 1 --rate 1000
    light_row "$backend" "1 connection, depth 1, 10000 req/s" --connections 1 --depth 1 --rate 10000
    light_row "$backend" "1 connection, depth 1, closed loop" --connections 1 --depth 1
    stop_server
done
