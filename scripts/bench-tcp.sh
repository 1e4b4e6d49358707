#!/usr/bin/env bash
# JMH microbenchmarks of jix TCP's per-segment receive and send paths (module bench/): builds
# bench/target/jix-bench.jar with ./mvnw (tests skipped), then runs it with the JDK 25 that
# ./mvnw and ./jix use, with the GC profiler so every result carries gc.alloc.rate.norm (B/op).
# No privileges, no network: the benchmarks drive the stack through an in-memory queue.
#
# Usage: scripts/bench-tcp.sh [JMH options and benchmark regexps]
#   no arguments: -f 1 -wi 5 -w 1s -i 5 -r 1s -prof gc, every benchmark (about 1.5 minutes)
#   arguments replace that list (the benchmarks' annotations default to the same fork and
#   iteration counts; add -prof gc yourself), e.g.
#     scripts/bench-tcp.sh TcpReceiveBench -f 3 -prof gc
#     scripts/bench-tcp.sh -l        (list the benchmarks)      scripts/bench-tcp.sh -h   (JMH's help)
set -euo pipefail

root=$(cd "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=lib/java-home.sh
. "$root/scripts/lib/java-home.sh"
jix_java_home || exit 1

(cd "$root" && ./mvnw -q -B -DskipTests -pl bench -am package)

args=("$@")
if (( ${#args[@]} == 0 )); then
    args=(-f 1 -wi 5 -w 1s -i 5 -r 1s -prof gc)
fi
# Machine-wide busy and total CPU ticks (first line of /proc/stat), and the CPU ticks of this
# script's finished children (utime + cstime fields of /proc/$$/stat: java and the forks it waited for).
machine_ticks() {
    local _ user nice system idle iowait irq softirq steal
    read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
    echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}
children_ticks() {
    local -a f
    read -ra f <"/proc/$$/stat"
    echo $((f[15] + f[16]))
}

read -r busy0 all0 < <(machine_ticks)
ours0=$(children_ticks)
# JMH 1.37 uses sun.misc.Unsafe, which JDK 25 warns about; the forks get the same flag from @Fork.
"$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -jar "$root/bench/target/jix-bench.jar" "${args[@]}"
read -r busy1 all1 < <(machine_ticks)
ours1=$(children_ticks)

# Microbenchmarks on a small VM are only as good as the machine is quiet: say how busy it was.
awk -v b=$((busy1 - busy0)) -v a=$((all1 - all0)) -v o=$((ours1 - ours0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "CPU during the run: %.1f of %.1f CPU-seconds busy; the benchmark JVMs %.1f, everything else %.1f\n",
        b / hz, a / hz, o / hz, (b - o) / hz
}'
