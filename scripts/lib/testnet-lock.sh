# Sourced by benchmark scripts: hold_testnet_lock SCRIPT ARGS... re-runs SCRIPT holding the
# machine-wide test-network lock that the tests take (TestNet.acquire: a POSIX lock, as Java's
# FileChannel.lock makes), so no test run tears the network down in the middle of a measurement.
# /usr/bin/python3 takes the lock with lockf and execs bash, which keeps it (a POSIX lock belongs
# to the process and survives exec) until the script ends. Returns at once when already held.
hold_testnet_lock() {
    [[ -n ${JIX_BENCH_LOCKED:-} ]] && return 0
    local lockfile=/run/lock/jix-testnet-user.lock
    echo "$(basename -- "$1"): waiting for the test network lock ($lockfile)" >&2
    exec /usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
deadline = time.monotonic() + 1200
while True:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(sys.argv[1] + " held by someone else for 20 min")
        time.sleep(0.2)
os.set_inheritable(fd, True)
os.environ["JIX_BENCH_LOCKED"] = str(fd)
os.execv("/bin/bash", ["bash"] + sys.argv[2:])
' "$lockfile" "$@"
}
