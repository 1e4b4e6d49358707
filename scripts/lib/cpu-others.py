#!/usr/bin/python3
"""CPU time used by processes that are not descendants of a given PID.

  cpu-others.py snapshot ROOT_PID > FILE     # per-PID CPU ticks of everyone else, now
  cpu-others.py since FILE ROOT_PID          # milliseconds they used since the snapshot

A process that started and ended between the two calls is not seen, so the figure is a lower
bound; it is meant to say "the machine was (not) quiet", not to account for every tick.
"""
import os
import sys

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def table():
    """pid -> (ppid, utime + stime in ticks, start time) for every process now."""
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        procs[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), fields[19])
    return procs


def others(root):
    procs = table()
    mine = {root}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, _) in procs.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                changed = True
    return {pid: (ticks, start) for pid, (_, ticks, start) in procs.items() if pid not in mine and pid != os.getpid()}


def main():
    if sys.argv[1] == "snapshot":
        for pid, (ticks, start) in others(int(sys.argv[2])).items():
            print(pid, start, ticks)
    elif sys.argv[1] == "since":
        before = {}
        with open(sys.argv[2]) as f:
            for line in f:
                pid, start, ticks = line.split()
                before[(int(pid), start)] = int(ticks)
        used = 0
        for pid, (ticks, start) in others(int(sys.argv[3])).items():
            used += ticks - before.get((pid, start), 0)
        print(int(used * TICK_MS))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
