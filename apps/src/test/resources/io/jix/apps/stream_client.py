# Streams sequence-numbered bytes through an echo server on many connections and checks every
# byte that comes back: nothing lost, duplicated or reordered. Used by MigrationTest.
#
#   stream_client.py HOST PORT CONNECTIONS WINDOW MAX_SECONDS
#
# Prints "ready" once every connection is open, streams until a line arrives on stdin (or
# MAX_SECONDS pass), then stops sending, drains what is in flight and prints one line:
#   connections=N bytes=B mismatches=M unfinished=U failed=F max_stall_ms=S min_bytes=X
import selectors
import socket
import struct
import sys
import time

host, port, n, window, max_seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
CHUNK = 8192
# 8-byte big-endian counters: any loss, duplication or reordering breaks the sequence.
PATTERN = b''.join(struct.pack('>Q', i) for i in range(1 << 21))  # 16 MiB


def expected(conn, offset, length):
    # Each connection starts at its own place in the pattern, so two connections' bytes differ.
    start = (conn * 65_536 * 8 + offset) % len(PATTERN)
    out = PATTERN[start:start + length]
    while len(out) < length:
        out += PATTERN[:length - len(out)]
    return out


sel = selectors.DefaultSelector()
conns = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = {'i': i, 's': s, 'sent': 0, 'got': 0, 'bad': 0, 'last': time.monotonic(), 'stall': 0.0, 'writing': True}
    conns.append(c)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
sel.register(sys.stdin, selectors.EVENT_READ, None)
print('ready', flush=True)

stopping = False
failed = 0
deadline = time.monotonic() + max_seconds
drain_deadline = None
while True:
    now = time.monotonic()
    if not stopping and now > deadline:
        stopping = True
    if stopping and drain_deadline is None:
        drain_deadline = now + 15
        for c in conns:
            if not c.get('dead'):
                sel.modify(c['s'], selectors.EVENT_READ, c)
    if stopping and (all(c['got'] >= c['sent'] or c.get('dead') for c in conns) or now > drain_deadline):
        break
    for key, ev in sel.select(timeout=0.2):
        c = key.data
        if c is None:
            sys.stdin.readline()
            stopping = True
            sel.unregister(sys.stdin)
            continue
        s = c['s']
        try:
            if ev & selectors.EVENT_READ:
                d = s.recv(262_144)
                if not d:
                    raise ConnectionError('closed by the server')
                t = time.monotonic()
                if c['got'] < c['sent']:
                    c['stall'] = max(c['stall'], t - c['last'])
                c['last'] = t
                if d != expected(c['i'], c['got'], len(d)):
                    c['bad'] += 1
                c['got'] += len(d)
                if not stopping and not c.get('writing') and window - (c['sent'] - c['got']) >= CHUNK:
                    c['writing'] = True
                    sel.modify(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            if ev & selectors.EVENT_WRITE and not stopping:
                room = window - (c['sent'] - c['got'])
                if room >= CHUNK:
                    if c['got'] == c['sent']:
                        c['last'] = time.monotonic()  # the clock of a stall starts with data in flight
                    c['sent'] += s.send(expected(c['i'], c['sent'], min(room, 4 * CHUNK)))
                if window - (c['sent'] - c['got']) < CHUNK:
                    c['writing'] = False
                    sel.modify(s, selectors.EVENT_READ, c)
        except BlockingIOError:
            pass
        except OSError as e:
            print('connection', c['i'], 'failed:', e, file=sys.stderr, flush=True)
            failed += 1
            c['dead'] = True
            sel.unregister(s)

total = sum(c['got'] for c in conns)
print('connections=%d bytes=%d mismatches=%d unfinished=%d failed=%d max_stall_ms=%d min_bytes=%d' % (
    n, total, sum(c['bad'] for c in conns), sum(1 for c in conns if c['got'] < c['sent']), failed,
    int(1000 * max(c['stall'] for c in conns)), min(c['got'] for c in conns)), flush=True)
for c in conns:
    c['s'].close()
