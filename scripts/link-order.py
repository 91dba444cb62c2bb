#!/usr/bin/env python3
"""Writes Sources/sextant/link.order: the functions a static release `sextant` executes,
hottest first, for lld's --symbol-ordering-file (Package.swift, docs/PERFORMANCE.md
"Code layout"). Run it after changes that add or rename much code; a stale file costs
resident memory, never correctness.

It runs the binary under valgrind's callgrind (every function executed, start-up code
included, which sampling would miss) through what a server does:
  1. the demo zones (YAML manifests and a zone file): UDP and TCP questions of each kind,
     dnsperf, the HTTP endpoints;
  2. the load kit's shape: a zone file and a JSON List of 1,000 services in 3 clusters,
     on one CPU as the kit pins it;
  3. the API test server (LIST, WATCH, changes) with a JSON List in the zones folder, and
     names forwarded to an upstream (a second sextant), twice so the cache answers.
Then keeps the names that are functions of the binary, grouped by the runs that executed
them so that each run's functions lie together (those of all three in the middle), and
within a group ordered by instructions executed.

    scripts/link-order.py        # needs valgrind, dnsperf, dig (apt-get install valgrind dnsperf bind9-dnsutils)
"""
import collections, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import soak  # noqa: E402  (the API test server's objects and helpers)

BUILD = [
    "swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "sextant",
    "--build-path", os.path.join(ROOT, ".build-static"),
]


def dig(port, *args):
    out = subprocess.run(["dig", "+time=10", "+tries=1", "-p", str(port), "@127.0.0.1", *args],
                         capture_output=True, text=True).stdout
    return next((l for l in out.splitlines() if "status:" in l), "no reply")


def dnsperf(port, names, seconds=3):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"{n}\n" for n in names))
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", f.name, "-l", str(seconds), "-Q", "3000"],
                         capture_output=True, text=True).stdout
    os.unlink(f.name)
    return next((l.strip() for l in out.splitlines() if "Queries completed" in l), "dnsperf: no summary")


def http(port, paths):
    for p in paths:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=10) as r:
                r.read()
        except OSError as e:
            print(f"  GET {p}: {e}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def callgrind(binary, out, args, log, cpus=None):
    # cpus: a CPU list for taskset (the kit pins the server to one core, and with one CPU
    # a List file is read in one pass: the code the kit's start-up runs).
    pin = ["taskset", "-c", cpus] if cpus else []
    return subprocess.Popen(pin + ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
                                   "--compress-pos=no", f"--callgrind-out-file={out}", binary, *args],
                            stdout=log, stderr=log)


def demo_run(binary, work):
    dns, web = soak.free_port(), soak.free_port()
    log = open(f"{work}/demo.log", "w")
    p = callgrind(binary, f"{work}/demo.cg", ["serve", "--zones", os.path.join(ROOT, "zones"),
                                              "--listen", f"127.0.0.1:{dns}", "--http", f"127.0.0.1:{web}"], log)
    try:
        soak.wait_ready(web, p, 300)
        svc = "nginx.default.svc.clusterset.local"
        for args in ([svc, "A"], [svc, "AAAA"], [svc, "SRV"], [f"_http._tcp.{svc}", "SRV"],
                     [f"cluster1.{svc}", "A"], ["nope.default.svc.clusterset.local", "A"], ["clusterset.local", "SOA"],
                     ["clusterset.local", "NS"], ["example.com", "A"], ["+tcp", svc, "A"], ["+noedns", svc, "A"],
                     ["+dnssec", svc, "A"], ["clusterset.local", "AXFR"]):
            print(f"  demo {' '.join(args)}: {dig(dns, *args)}")
        print("  demo dnsperf:", dnsperf(dns, [f"{svc} A", f"{svc} SRV", "nope.default.svc.clusterset.local A", f"{svc} AAAA"]))
        http(web, ["/metrics", "/health", "/ready", "/debug/state", "/nope"])
    finally:
        stop(p)


def kit_run(binary, work):
    os.makedirs(f"{work}/kit")
    shutil.copy(os.path.join(ROOT, "zones/clusterset.local.zone"), f"{work}/kit/")
    items = []
    for i in range(1000):
        items.append(soak.service_import(i))
        items += [soak.slice_of(i, c, f"10.{k}.{i // 250}.{i % 250 + 1}", True) for k, c in enumerate(("cluster1", "cluster2", "cluster3"), 1)]
    with open(f"{work}/kit/services.json", "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f, separators=(",", ":"))
    dns, web = soak.free_port(), soak.free_port()
    p = callgrind(binary, f"{work}/kit.cg", ["serve", "--zones", f"{work}/kit", "--listen", f"127.0.0.1:{dns}",
                                             "--http", f"127.0.0.1:{web}", "--workers", "1"], open(f"{work}/kit.log", "w"),
                  cpus="0")
    try:
        soak.wait_ready(web, p, 300)
        print("  kit dnsperf:", dnsperf(dns, [f"svc-{i}.soak.svc.clusterset.local A" for i in range(1000)]
                                           + [f"nope-{i}.soak.svc.clusterset.local A" for i in range(50)]))
    finally:
        stop(p)


def cluster_run(binary, work):
    services = 1000
    with open(f"{work}/token", "w") as f:
        f.write("order-token")
    api = subprocess.Popen(["python3", soak.SERVER, "--token-file", f"{work}/token"], stdout=subprocess.PIPE,
                           stderr=open(f"{work}/api.log", "w"), text=True)
    upstream = sx = None
    try:
        api_url = control_port = None
        while api_url is None or control_port is None:
            kind, url = api.stdout.readline().split()
            if kind == "api":
                api_url = url
            else:
                control_port = int(url.rsplit(":", 1)[1])
        objects = []
        for i in range(services):
            objects += [soak.service_import(i), soak.slice_of(i, "cluster1", f"10.1.{i // 250}.{i % 250 + 1}", True),
                        soak.slice_of(i, "cluster2", f"10.2.{i // 250}.{i % 250 + 1}", i % 7 != 0)]
        soak.control(control_port, "/apply", {"kind": "List", "items": objects})
        with open(f"{work}/kubeconfig", "w") as f:
            f.write(f"apiVersion: v1\nkind: Config\ncurrent-context: o\nclusters:\n- name: o\n  cluster:\n    server: {api_url}\n"
                    f"users:\n- name: o\n  user:\n    tokenFile: {work}/token\ncontexts:\n- name: o\n  context:\n    cluster: o\n    user: o\n")
        # The zones folder: the zone file and a JSON List of services of another namespace.
        os.makedirs(f"{work}/zones")
        shutil.copy(os.path.join(ROOT, "zones/clusterset.local.zone"), f"{work}/zones/")
        listed = []
        for i in range(200):
            si, sl = soak.service_import(i), soak.slice_of(i, "cluster3", f"10.3.0.{i + 1}", True)
            si["metadata"]["namespace"] = sl["metadata"]["namespace"] = "files"
            sl["metadata"]["labels"]["lighthouse.submariner.io/sourceNamespace"] = "files"
            listed += [si, sl]
        with open(f"{work}/zones/files.json", "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": listed}, f)
        # The upstream: a plain sextant serving a zone of its own.
        os.makedirs(f"{work}/upstream")
        with open(f"{work}/upstream/upstream.test.zone", "w") as f:
            f.write("$ORIGIN upstream.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n"
                    + "".join(f"h{i} A 192.0.2.{i + 10}\n" for i in range(50)))
        up_dns = soak.free_port()
        upstream = subprocess.Popen([binary, "serve", "--zones", f"{work}/upstream", "--listen", f"127.0.0.1:{up_dns}",
                                     "--http", "off"], stdout=subprocess.DEVNULL, stderr=open(f"{work}/upstream.log", "w"))
        dns, web = soak.free_port(), soak.free_port()
        sx = callgrind(binary, f"{work}/cluster.cg",
                       ["serve", "--kubeconfig", f"{work}/kubeconfig", "--cluster-id", "cluster1", "--connectivity", "none",
                        "--zones", f"{work}/zones", "--forward", f"127.0.0.1:{up_dns}", "--listen", f"127.0.0.1:{dns}",
                        "--http", f"127.0.0.1:{web}"], open(f"{work}/cluster.log", "w"))
        soak.wait_ready(web, sx, 300)
        for i in range(0, services, 25):  # changes through the watch
            soak.control(control_port, "/apply", soak.slice_of(i, "cluster2", f"10.9.{i // 250}.{i % 250 + 1}", True))
        soak.control(control_port, "/delete", {"kind": "EndpointSlice", "namespace": soak.NS, "name": "svc-3-cluster2"})
        time.sleep(5)
        for args in (["svc-1.soak.svc.clusterset.local", "A"], ["svc-3.soak.svc.clusterset.local", "SRV"],
                     ["cluster2.svc-4.soak.svc.clusterset.local", "A"], ["svc-5.files.svc.clusterset.local", "A"],
                     ["h1.upstream.test", "A"], ["h1.upstream.test", "A"], ["nope.upstream.test", "A"], ["+tcp", "h2.upstream.test", "A"]):
            print(f"  cluster {' '.join(args)}: {dig(dns, *args)}")
        names = [f"svc-{i}.soak.svc.clusterset.local A" for i in range(0, services, 3)]
        names += [f"h{i}.upstream.test A" for i in range(50)] + [f"svc-{i}.files.svc.clusterset.local A" for i in range(0, 200, 5)]
        print("  cluster dnsperf:", dnsperf(dns, names))
        http(web, ["/metrics", "/debug/state", "/ready"])
    finally:
        for p in (sx, upstream):
            if p:
                stop(p)
        api.terminate()
        api.wait()


def costs(path):
    """Instructions executed per function (self cost) in a callgrind file."""
    total, fn, skip = collections.Counter(), None, False
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("fn="):
                fn = line[3:].rstrip("\n")
                total[fn] += 0
            elif line.startswith("calls="):
                skip = True  # the next cost line is the call's inclusive cost
            elif line[:1].isdigit() or line[:1] in "+-*":
                if skip:
                    skip = False
                elif fn is not None:
                    parts = line.split()
                    if len(parts) > 1:
                        total[fn] += int(parts[1])
    return total


def main():
    for tool in ("valgrind", "dnsperf", "dig"):
        if not shutil.which(tool):
            raise SystemExit(f"link-order: {tool} is needed (apt-get install valgrind dnsperf bind9-dnsutils)")
    subprocess.run(BUILD, cwd=ROOT, check=True)
    built = os.path.join(ROOT, ".build-static/release/sextant")
    work = tempfile.mkdtemp(prefix="sextant-order-")
    # valgrind gives up on the debug information of this binary: run a copy without it.
    binary = f"{work}/sextant"
    subprocess.run(["strip", "-g", "-o", binary, built], check=True)
    demo_run(binary, work)
    kit_run(binary, work)
    cluster_run(binary, work)
    runs = [costs(f"{work}/{r}.cg") for r in ("demo", "kit", "cluster")]
    symbols = {}
    for line in subprocess.run(["nm", "-S", "--defined-only", built], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 4 and p[2] in "tTwW":
            symbols[p[3]] = int(p[1], 16)
    cost = sum(runs, collections.Counter())
    # Which runs executed each function, as bits (demo 1, kit 2, cluster 4), in an order
    # where each run's groups are neighbours: cluster (4 5 _ _ 7 6) with only the two small
    # demo groups between, demo (5 1 3 7), kit (3 7 6 2).
    groups = [4, 5, 1, 3, 7, 6, 2]
    mask = {f: sum(1 << i for i, r in enumerate(runs) if f in r) for f in cost if f in symbols}
    ran = sorted(mask, key=lambda f: (groups.index(mask[f]), -cost[f], f))
    for g in groups:
        members = [f for f in ran if mask[f] == g]
        print(f"  group {g}: {len(members)} functions, {sum(symbols[f] for f in members) / 1e3:.0f} kB")
    out = os.path.join(ROOT, "Sources/sextant/link.order")
    with open(out, "w") as f:
        f.write("".join(f"{name}\n" for name in ran))
    size = sum(symbols[f] for f in ran)
    print(f"link-order: {len(ran)} functions ({size / 1e6:.2f} MB of {sum(symbols.values()) / 1e6:.2f} MB of code) -> {out}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
