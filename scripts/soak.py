#!/usr/bin/env python3
"""The soak (docs/HARDENING.md): Sextant watching the API test server for MINUTES while
dnsperf asks at QPS (half its measured capacity by default) and the server applies
CHANGES object changes a second. Prints RSS every 30 s, and at the end: RSS flat after
the warm-up (within 5 %), warnings and errors logged (none wanted), every service's
answer equal to what the server's final objects say, and dnsperf's lost queries.
Exit status 1 when a check fails.

    scripts/soak.py [--minutes 10] [--services 1000] [--changes 50] [--qps 85000] [--binary .build/release/sextant]
"""
import argparse, json, os, random, re, shutil, socket, struct, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "Tests/KubeTestServer/kube_test_server.py")
NS = "soak"


def service_import(i):
    return {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
            "metadata": {"name": f"svc-{i}", "namespace": NS},
            "spec": {"type": "ClusterSetIP", "ports": [{"name": "http", "protocol": "TCP", "port": 80}]},
            "status": {"clusters": [{"cluster": "cluster1"}, {"cluster": "cluster2"}]}}


def slice_of(i, cluster, address, ready):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"svc-{i}-{cluster}", "namespace": NS, "labels": {
                "endpointslice.kubernetes.io/managed-by": "lighthouse-agent.submariner.io",
                "lighthouse.submariner.io/sourceNamespace": NS,
                "multicluster.kubernetes.io/source-cluster": cluster,
                "multicluster.kubernetes.io/service-name": f"svc-{i}",
                "lighthouse.submariner.io/is-headless": "false"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [address], "conditions": {"ready": ready}}],
            "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}


def control(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def ask(port, name):
    """The A record's address, or the rcode as text."""
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for _ in range(3):
        try:
            s.sendto(q, ("127.0.0.1", port))
            r = s.recv(4096)
            break
        except socket.timeout:
            continue
    else:
        return "timeout"
    rcode = r[3] & 0x0F
    if rcode != 0 or struct.unpack(">H", r[6:8])[0] == 0:
        return f"rcode {rcode}"
    return ".".join(str(b) for b in r[-4:])


def wait_ready(http_port, proc, seconds):
    """Until sextant's /ready says 200; exits if it dies or takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"sextant exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("sextant did not become ready")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--changes", type=int, default=50)
    p.add_argument("--qps", type=int, default=85000)
    p.add_argument("--warmup", type=float, default=2, help="minutes before RSS must be flat")
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/sextant"))
    a = p.parse_args()
    d = tempfile.mkdtemp(prefix="sextant-soak-")
    procs = []
    try:
        with open(f"{d}/token", "w") as f:
            f.write("soak-token")
        api = subprocess.Popen(["python3", SERVER, "--token-file", f"{d}/token"], stdout=subprocess.PIPE, stderr=open(f"{d}/api.log", "w"), text=True)
        procs.append(api)
        api_url = control_port = None
        while api_url is None or control_port is None:
            line = api.stdout.readline()
            if not line:
                raise SystemExit("the API test server did not start")
            kind, url = line.split()
            if kind == "api":
                api_url = url
            else:
                control_port = int(url.rsplit(":", 1)[1])
        # The state: per service, cluster1's address and readiness; cluster2's address.
        state = {i: [f"10.1.{i // 250}.{i % 250 + 1}", True, f"10.2.{i // 250}.{i % 250 + 1}"] for i in range(a.services)}
        objects = []
        for i, (a1, r1, a2) in state.items():
            objects += [service_import(i), slice_of(i, "cluster1", a1, r1), slice_of(i, "cluster2", a2, True)]
        control(control_port, "/apply", {"kind": "List", "items": objects})
        with open(f"{d}/kubeconfig", "w") as f:
            f.write(f"apiVersion: v1\nkind: Config\ncurrent-context: soak\nclusters:\n- name: soak\n  cluster:\n    server: {api_url}\n"
                    f"users:\n- name: soak\n  user:\n    tokenFile: {d}/token\ncontexts:\n- name: soak\n  context:\n    cluster: soak\n    user: soak\n")
        os.mkdir(f"{d}/zones")
        dns_port, http_port = free_port(), free_port()
        log = open(f"{d}/sextant.log", "w")
        sx = subprocess.Popen([a.binary, "serve", "--kubeconfig", f"{d}/kubeconfig", "--cluster-id", "cluster1", "--connectivity", "none", "--zones", f"{d}/zones",
                               "--listen", f"127.0.0.1:{dns_port}", "--http", f"127.0.0.1:{http_port}", "--log-level", "notice"],
                              stdout=subprocess.DEVNULL, stderr=log)
        procs.append(sx)
        wait_ready(http_port, sx, 30)
        with open(f"{d}/queries", "w") as f:
            for i in range(a.services):
                f.write(f"svc-{i}.{NS}.svc.clusterset.local A\n")
        seconds = int(a.minutes * 60)
        perf = subprocess.Popen(["dnsperf", "-s", "127.0.0.1", "-p", str(dns_port), "-d", f"{d}/queries", "-l", str(seconds),
                                 "-Q", str(a.qps), "-c", "8", "-q", "500", "-t", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(perf)
        stop = threading.Event()
        applied = [0]

        def changer():
            rng = random.Random(1)
            period = 1.0 / a.changes
            nxt = time.monotonic()
            n = 0
            while not stop.is_set():
                i = rng.randrange(a.services)
                s = state[i]
                if rng.random() < 0.8:
                    n += 1
                    s[0] = f"10.{100 + n // 62500 % 100}.{n // 250 % 250}.{n % 250 + 1}"
                else:
                    s[1] = not s[1]
                control(control_port, "/apply", slice_of(i, "cluster1", s[0], s[1]))
                applied[0] += 1
                nxt += period
                time.sleep(max(0, nxt - time.monotonic()))

        t = threading.Thread(target=changer, daemon=True)
        t.start()
        start = time.monotonic()
        samples = []
        next_sample = 30
        while perf.poll() is None:
            time.sleep(1)
            el = time.monotonic() - start
            if el >= next_sample:
                next_sample += 30
                samples.append((el, rss_kib(sx.pid)))
                print(f"soak: {el:6.0f} s  RSS {samples[-1][1] / 1024:.1f} MiB  changes {applied[0]}", flush=True)
        stop.set()
        t.join()
        seconds = time.monotonic() - start
        out = perf.stdout.read()
        time.sleep(2)
        wrong = []
        for i, (a1, r1, a2) in state.items():
            want = a1 if r1 else a2
            got = ask(dns_port, f"svc-{i}.{NS}.svc.clusterset.local")
            if got != want:
                wrong.append((i, want, got))
        log.flush()
        logged = [l for l in open(f"{d}/sextant.log") if re.search(r" (warning|error|critical) ", l)]
        after = [r for el, r in samples if el >= a.warmup * 60]
        flat = (max(after) - min(after)) / min(after) * 100 if after else float("nan")
        sent = re.search(r"Queries sent:\s+(\d+)", out)
        lost = re.search(r"Queries lost:\s+(\d+) \(([\d.]+)%\)", out)
        qps = re.search(r"Queries per second:\s+([\d.]+)", out)
        print(f"soak: {a.minutes:g} min, {a.services} services x 2 clusters, {applied[0]} changes ({applied[0] / seconds:.1f}/s over {seconds:.0f} s), "
              f"dnsperf {qps.group(1) if qps else '?'} QPS, sent {sent.group(1) if sent else '?'}, lost {lost.group(1) if lost else '?'} "
              f"({lost.group(2) if lost else '?'} %)")
        span = f"{min(after) / 1024:.1f}-{max(after) / 1024:.1f} MiB ({flat:.1f} %)" if after else "no sample (a run shorter than the warm-up and a 30 s sample)"
        print(f"soak: RSS after {a.warmup:g} min: {span}; "
              f"log lines at warning or above: {len(logged)}; wrong answers at the end: {len(wrong)} of {a.services}")
        for l in logged[:10]:
            print("  log: " + l.rstrip())
        for w in wrong[:10]:
            print(f"  wrong: svc-{w[0]} wants {w[1]}, got {w[2]}")
        ok = flat <= 5 and not logged and not wrong
        print("soak: " + ("pass" if ok else "FAIL"))
        sys.exit(0 if ok else 1)
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.terminate()
                try:
                    pr.wait(5)
                except subprocess.TimeoutExpired:
                    pr.kill()
        shutil.rmtree(d, ignore_errors=True)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


if __name__ == "__main__":
    main()
