#!/usr/bin/env python3
"""The latency a cache miss adds: one client asks distinct names (a wildcard, so never
cached anywhere) one at a time, in alternating blocks, of NSD directly and of a
`sextant serve --forward NSD --cache-size 0` in front of it; prints the medians and their
difference (docs/PERFORMANCE.md). Python's own cost per query is in both figures alike.

    scripts/forward-latency.py [path/to/sextant] [queries per side, default 20000]
"""
import os, random, shutil, socket, statistics, struct, subprocess, sys, tempfile, time

BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/release/sextant"
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 20000


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def query(name, qid):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1) + wire + struct.pack(">HH", 1, 1) \
        + b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)


def wait_answer(port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    for _ in range(100):
        try:
            s.sendto(query(name, 1), ("127.0.0.1", port))
            s.recv(4096)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answers on 127.0.0.1:{port}")


def main():
    d = tempfile.mkdtemp(prefix="sextant-fwdlat-")
    nsd_port, sx_port = free_port(), free_port()
    with open(f"{d}/zone", "w") as f:
        f.write("$ORIGIN lat.test.\n$TTL 300\n@ IN SOA ns1 h 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n*.w IN A 192.0.2.1\n")
    with open(f"{d}/nsd.conf", "w") as f:
        f.write(f'server:\n  ip-address: 127.0.0.1@{nsd_port}\n  port: {nsd_port}\n  username: ""\n  chroot: ""\n'
                f'  zonesdir: "{d}"\n  pidfile: "{d}/nsd.pid"\n  database: ""\n  xfrdfile: "{d}/x"\n  zonelistfile: "{d}/zl"\n'
                f'  logfile: "{d}/log"\n  server-count: 1\n  rrl-ratelimit: 0\nremote-control:\n  control-enable: no\n'
                f'zone:\n  name: lat.test\n  zonefile: zone\n')
    os.mkdir(f"{d}/zones")
    nsd = subprocess.Popen(["taskset", "-c", "1", "nsd", "-d", "-c", f"{d}/nsd.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sx = subprocess.Popen([BIN, "serve", "--zones", f"{d}/zones", "--zone", "forward.invalid", "--workers", "1",
                           "--forward", f"127.0.0.1:{nsd_port}", "--cache-size", "0", "--listen", f"127.0.0.1:{sx_port}", "--http", "off"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The same position for Unbound (stub zone, one thread) and dnsmasq, for comparison.
    ub_port, dm_port = free_port(), free_port()
    with open(f"{d}/unbound.conf", "w") as f:
        f.write(f'server:\n  interface: 127.0.0.1@{ub_port}\n  port: {ub_port}\n  do-ip6: no\n  num-threads: 1\n  do-daemonize: no\n'
                f'  username: ""\n  chroot: ""\n  directory: "{d}"\n  pidfile: "{d}/unbound.pid"\n  use-syslog: no\n'
                f'  do-not-query-localhost: no\n  module-config: "iterator"\n  domain-insecure: "lat.test"\n  ratelimit: 0\n  local-zone: "test." nodefault\n'
                f'remote-control:\n  control-enable: no\nstub-zone:\n  name: "lat.test"\n  stub-addr: 127.0.0.1@{nsd_port}\n')
    peers = [subprocess.Popen(["unbound", "-d", "-c", f"{d}/unbound.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen(["dnsmasq", "-k", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                               "-p", str(dm_port), f"--server=/lat.test/127.0.0.1#{nsd_port}", "--user=root",
                               f"--pid-file={d}/dnsmasq.pid", "--cache-size=10000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_answer(nsd_port, "ready.w.lat.test")
        wait_answer(sx_port, "ready.w.lat.test")
        wait_answer(ub_port, "ready.w.lat.test")
        wait_answer(dm_port, "ready.w.lat.test")
        os.sched_setaffinity(0, {0})
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        names = {nsd_port: "NSD direct", sx_port: "sextant", ub_port: "unbound", dm_port: "dnsmasq"}
        times = {p: [] for p in names}
        bad = {}
        n = 0
        block = 500
        while n < COUNT:
            for port in names:
                for i in range(block):
                    name = f"q{n + i}-{port}-{random.randrange(1 << 30)}.w.lat.test"
                    msg = query(name, (n + i) & 0xFFFF)
                    t0 = time.perf_counter_ns()
                    s.sendto(msg, ("127.0.0.1", port))
                    try:
                        reply = s.recv(4096)
                    except socket.timeout:
                        continue
                    if len(reply) < 12 or reply[3] & 0x0F != 0 or struct.unpack(">H", reply[6:8])[0] != 1:
                        bad[port] = bad.get(port, 0) + 1
                        continue
                    times[port].append(time.perf_counter_ns() - t0)
            n += block
        direct = statistics.median(times[nsd_port]) / 1000
        print(f"forward-latency: {len(times[nsd_port])} queries each, every one a miss; median NSD direct {direct:.1f} us")
        for port, name in names.items():
            if port == nsd_port:
                continue
            via = statistics.median(times[port]) / 1000
            print(f"forward-latency: through {name}: {via:.1f} us, a miss adds {via - direct:.1f} us"
                  + (f" ({bad[port]} replies without the answer left out)" if port in bad else ""))
    finally:
        for p in [sx, nsd] + peers:
            p.terminate()
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


main()
