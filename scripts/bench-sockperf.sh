#!/usr/bin/env bash
# Latency baseline: sockperf ping-pong from the peer namespace of the test network against
#   - Linux:            `sockperf sr` (C, epoll) in the root namespace, sleeping in epoll_wait
#                       and busy-polling it (--timeout 0),
#   - jix kernel/backoff and jix kernel/spin: `./jix serve sockperf --backend kernel`,
#   - jix xdp: `./jix serve sockperf --backend xdp` — jix's own stack on the AF_XDP queues of jix0,
#     one elastic thread owning both queues (spin with checked and unchecked views, and backoff),
# all on the same veth link, in the same run, TCP and UDP, each client run bounded by -t.
# Prints a Markdown table of avg/p50/p99/p99.9 in microseconds. Needs root (the test network).
#
# Usage: scripts/bench-sockperf.sh [SECONDS_PER_RUN] [MESSAGE_SIZE]
set -euo pipefail

seconds=${1:-10}
msg=${2:-64}
root=$(cd "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
addr=198.18.0.1
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    "$root/jix" testnet down >/dev/null
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || { echo "bench-sockperf: needs root for the test network" >&2; exit 1; }
# shellcheck source=lib/testnet-lock.sh
source "$root/scripts/lib/testnet-lock.sh"
hold_testnet_lock "$0" "$@"

command -v sockperf >/dev/null || { echo "bench-sockperf: apt-get install sockperf" >&2; exit 1; }

"$root/jix" testnet up >/dev/null
limit=$((seconds * 8 + 60))

# Each server runs alone while it is measured: a spinning server left running beside the others
# would take one of the two CPUs from them.
gclog=/tmp/jix-bench-gc.log
serve() { # command...; starts it, remembers its PID, gives it time to listen
    rm -f "$gclog"
    JIX_JAVA_OPTS="-Xlog:gc:file=$gclog" "$@" >/tmp/jix-bench-server.log 2>&1 &
    pids=($!)
    sleep 3
}

gcs() { # garbage collections the jix server has logged so far (none for Linux's own servers)
    if [[ -f $gclog ]]; then grep -c 'Pause' "$gclog" || true; else echo 0; fi
}

stop() {
    kill "${pids[0]}" 2>/dev/null || true
    wait "${pids[0]}" 2>/dev/null || true
    pids=()
}

measure() { # label, port, transport flag (or empty)
    local label=$1 port=$2 transport=$3 out gc_before gc
    gc_before=$(gcs)
    out=$(ip netns exec jix-peer timeout $((seconds + 20)) sockperf ping-pong -i "$addr" -p "$port" $transport \
        -t "$seconds" -m "$msg" --pps max 2>&1) || true
    local avg p50 p99 p999 n
    avg=$(sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' <<<"$out")
    p50=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' <<<"$out")
    p99=$(sed -n 's/.*percentile 99.000 = *\([0-9.]*\).*/\1/p' <<<"$out")
    p999=$(sed -n 's/.*percentile 99.900 = *\([0-9.]*\).*/\1/p' <<<"$out")
    n=$(sed -n 's/.*Valid Duration.*ReceivedMessages=\([0-9]*\).*/\1/p' <<<"$out")
    gc=$(( $(gcs) - gc_before ))
    if [[ -z $p50 ]]; then
        echo "bench-sockperf: no result for $label; sockperf said:" >&2
        echo "$out" >&2
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "${n:-?}" "${avg:-?}" "${p50:-?}" "${p99:-?}" "${p999:-?}" "$gc"
}

echo "sockperf ping-pong, ${seconds} s per run, ${msg}-byte messages, client in netns jix-peer over veth"
echo
echo "| server | round trips | avg µs | p50 µs | p99 µs | p99.9 µs | GCs during the run |"
echo "|---|---|---|---|---|---|---|"
jix=("$root/jix" serve sockperf --address "$addr" --port 11203 --threads 1 --duration "$limit")
# While jix-xdp owns 198.18.0.1 the kernel never sees that address's frames, so it runs alone too.
xdp=("$root/jix" serve sockperf --backend xdp --interface jix0 --address "$addr/24" --port 11204 --threads 1
    --duration "$limit")
for transport in --tcp ""; do
    name=${transport:+TCP}
    name=${name:-UDP}
    serve timeout "$limit" sockperf sr -i "$addr" -p 11201 $transport
    measure "$name: Linux sockperf sr" 11201 "$transport"
    stop
    serve timeout "$limit" sockperf sr -i "$addr" -p 11202 --timeout 0 $transport
    measure "$name: Linux sockperf sr, busy-polling epoll (--timeout 0)" 11202 "$transport"
    stop
    serve "${jix[@]}" --idle backoff
    measure "$name: jix kernel backend, idle backoff" 11203 "$transport"
    stop
    serve "${jix[@]}" --idle spin
    measure "$name: jix kernel backend, idle spin" 11203 "$transport"
    stop
    serve "${xdp[@]}" --idle spin
    measure "$name: jix xdp backend, idle spin" 11204 "$transport"
    stop
    serve "${xdp[@]}" --idle spin --unchecked-views
    measure "$name: jix xdp backend, idle spin, unchecked views" 11204 "$transport"
    stop
    serve "${xdp[@]}" --idle backoff
    measure "$name: jix xdp backend, idle backoff" 11204 "$transport"
    stop
done
