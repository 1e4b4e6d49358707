#!/usr/bin/env bash
# The machine's own latency floor, second by second, with no jix in the path: sockperf (C) in the
# test network's peer namespace sends a paced ping-pong (one reply per message) to Linux's
# `sockperf sr` in the root namespace across the veth pair, server pinned to CPU 0 and client to
# the last CPU, and every message's send and receive time is logged (--full-log). Prints the
# round-trip p99 of each second, how many seconds break a given SLA, and the whole run's
# percentiles. Explains what per-second p99s in docs/benchmarks.md §7 can and cannot show here.
# With PAUSE_DAMON=1 it turns the kernel's DAMON monitors off for the measurement and back on
# after (this VM's DAMON pageout scheme stalls every process every 5 s; see §7).
#
# Usage: [PAUSE_DAMON=1] scripts/vm-floor.sh [SECONDS] [MESSAGES_PER_SECOND] [SLA_US]
#        (root; defaults 25 5000 500)
set -euo pipefail

seconds=${1:-25}
mps=${2:-5000}
sla=${3:-500}
root=$(cd "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
addr=198.18.0.1
log=$(mktemp /tmp/jix-vm-floor.XXXXXX.csv)
server=
paused=()

cleanup() {
    for state in "${paused[@]}"; do
        echo on > "$state"
    done
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -f -- "$log"
    "$root/jix" testnet down >/dev/null
}

[[ $(id -u) == 0 ]] || { echo "vm-floor: needs root for the test network" >&2; exit 1; }
# shellcheck source=lib/testnet-lock.sh
source "$root/scripts/lib/testnet-lock.sh"
hold_testnet_lock "$0" "$@"
command -v sockperf >/dev/null || { echo "vm-floor: apt-get install sockperf" >&2; exit 1; }
trap cleanup EXIT

"$root/jix" testnet up >/dev/null
for state in /sys/kernel/mm/damon/admin/kdamonds/*/state; do
    [[ -f $state && $(cat "$state") == on ]] || continue
    if [[ ${PAUSE_DAMON:-0} == 1 ]]; then
        echo off > "$state"
        paused+=("$state")
        echo "DAMON: $state paused for the measurement"
    else
        echo "DAMON: $state is on (PAUSE_DAMON=1 pauses it)"
    fi
done
last=$(($(nproc) - 1))
taskset -c 0 sockperf sr --tcp -i "$addr" -p 11111 >/dev/null 2>&1 &
server=$!
sleep 1
ip netns exec jix-peer taskset -c "$last" timeout $((seconds + 30)) sockperf ul --tcp -i "$addr" -p 11111 \
    --mps "$mps" -t "$seconds" --reply-every 1 -m 64 --full-log "$log" >/dev/null

/usr/bin/python3 - "$log" "$sla" "$mps" <<'EOF'
import sys
path, sla, mps = sys.argv[1], float(sys.argv[2]), sys.argv[3]
rtts, by_second, first = [], {}, None
for line in open(path):
    fields = line.strip().split(',')
    try:
        sent, received = float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        continue  # sockperf's header lines
    first = sent if first is None else first
    rtt = (received - sent) * 1e6
    rtts.append(rtt)
    by_second.setdefault(int(sent - first), []).append(rtt)

def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q / 100))]

per_second = [pct(by_second[s], 99) for s in sorted(by_second)]
print("round-trip p99 of each second (us):", " ".join("%.0f" % p for p in per_second))
print("seconds with p99 > %.0f us: %d of %d" % (sla, sum(p > sla for p in per_second), len(per_second)))
print("whole run, %s messages/s: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us" % (
    mps, pct(rtts, 50), pct(rtts, 99), pct(rtts, 99.9), max(rtts)))
EOF
