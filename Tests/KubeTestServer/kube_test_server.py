#!/usr/bin/env python3
"""A Kubernetes API server for Sextant's tests (Python standard library only).

Faithful to ../shared/spec/kubernetes-watch.md where a watcher can tell: LIST with
limit/continue (consistent snapshots, tokens that expire), WATCH with chunked NDJSON
from a resourceVersion, bookmarks, 410 Gone as an HTTP status or as an ERROR event,
label selectors (with transition semantics on watches), bearer tokens and client
certificates over TLS with its own CA, Status error bodies (and plain-text 429s).

A plain-HTTP control port lets a test change objects and inject faults:
  POST /apply   an object or a List       POST /delete  {kind, namespace, name}
  POST /reset   {"items": [...]}          GET  /objects  every object
  POST /fault   {...}                     see Fault below
Objects persist in --state (if given), so a killed server comes back with them; its
history does not, so watchers resuming from an old version get 410 and re-list.
"""
import argparse, base64, bisect, json, os, re, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

KINDS = {
    # kind: (group, version, plural, namespaced, builtin)
    "ServiceImport": ("multicluster.x-k8s.io", "v1alpha1", "serviceimports", True, False),
    "EndpointSlice": ("discovery.k8s.io", "v1", "endpointslices", True, True),
    "Gateway": ("submariner.io", "v1", "gateways", True, False),
    "Namespace": ("", "v1", "namespaces", False, True),
    "Cluster": ("submariner.io", "v1", "clusters", True, False),
    "Endpoint": ("submariner.io", "v1", "endpoints", True, False),
}
PLURALS = {v[2]: k for k, v in KINDS.items()}


def status(code, reason, message, **extra):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    s.update(extra)
    return s


class Store:
    def __init__(self, state_path):
        self.lock = threading.Condition()
        self.rv = 1000
        self.objects = {}          # plural -> {(ns, name): obj}
        self.history = []          # (rv, plural, type, obj, old), in rv order
        self.history_rvs = []
        self.oldest = 0            # watches from an rv below this get 410
        self.snapshots = {}        # continue id -> (rv, items)
        self.state_path = state_path
        self.removed = set()       # plurals answered with 404
        # id(obj) -> (obj, its JSON as a LIST item): written when the object is, so that a
        # LIST joins bytes instead of encoding 40,000 objects while the client waits (the
        # stand-in's own cost was most of the first LIST's wall-clock time).
        self.rendered = {}
        if state_path and os.path.exists(state_path):
            with open(state_path) as f:
                st = json.load(f)
            self.rv = st["rv"] + 10
            for o in st["objects"]:
                self._put(o)
            self.oldest = self.rv  # a restart loses the history

    def _put(self, o):
        plural = KINDS[o["kind"]][2]
        m = o["metadata"]
        self.objects.setdefault(plural, {})[(m.get("namespace", ""), m["name"])] = o
        self.render_item(o)

    def render(self, o):
        """An object's bytes as a LIST item (built-in kinds' items carry no kind/apiVersion)."""
        if KINDS[o["kind"]][4]:
            o = {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
        return json.dumps(o, separators=(",", ":")).encode()

    def rendered_item(self, o):
        r = self.rendered.get(id(o))
        return r[1] if r is not None and r[0] is o else self.render_item(o)

    def render_item(self, o):
        data = self.render(o)
        self.rendered[id(o)] = (o, data)
        return data

    def save(self):
        if not self.state_path:
            return
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"rv": self.rv, "objects": [o for d in self.objects.values() for o in d.values()]}, f)
        os.replace(tmp, self.state_path)

    def apply(self, o):
        kind = o.get("kind")
        if kind not in KINDS:
            return None
        g, v, plural, namespaced, _ = KINDS[kind]
        o = json.loads(json.dumps(o))
        m = o.setdefault("metadata", {})
        if not namespaced:
            m.pop("namespace", None)
        elif not m.get("namespace"):
            m["namespace"] = "default"
        key = (m.get("namespace", ""), m["name"])
        with self.lock:
            old = self.objects.get(plural, {}).get(key)
            self.rv += 1
            m["resourceVersion"] = str(self.rv)
            m.setdefault("uid", "uid-%d" % self.rv)
            m.setdefault("creationTimestamp", "2026-11-30T00:00:00Z")
            if old is not None:
                m["uid"] = old["metadata"].get("uid", m["uid"])
            self.objects.setdefault(plural, {})[key] = o
            self.render_item(o)
            if old is not None:
                self.rendered.pop(id(old), None)
            self.history.append((self.rv, plural, "MODIFIED" if old else "ADDED", o, old))
            self.history_rvs.append(self.rv)
            self.save()
            self.lock.notify_all()
        return o

    def delete(self, kind, ns, name):
        if kind not in KINDS:
            return False
        plural = KINDS[kind][2]
        with self.lock:
            old = self.objects.get(plural, {}).pop((ns or "", name), None)
            if old is None:
                return False
            self.rendered.pop(id(old), None)
            self.rv += 1
            gone = json.loads(json.dumps(old))
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self.history.append((self.rv, plural, "DELETED", gone, old))
            self.history_rvs.append(self.rv)
            self.save()
            self.lock.notify_all()
        return True


def parse_selector(text):
    """Label selector -> list of predicates; raises ValueError like the API's 400."""
    reqs = []
    if not text:
        return reqs
    parts = re.findall(r'[^,(]+(?:\([^)]*\))?', text)
    for p in parts:
        p = p.strip()
        if not p:
            continue
        m = re.match(r'^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$', p)
        if m:
            vals = {x.strip() for x in m.group(3).split(",")}
            reqs.append((m.group(1), m.group(2), vals))
            continue
        m = re.match(r'^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$', p)
        if m:
            reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", m.group(3)))
            continue
        m = re.match(r'^(!?)([\w./-]+)$', p)
        if m:
            reqs.append((m.group(2), "!" if m.group(1) else "exists", None))
            continue
        raise ValueError("unable to parse requirement: %r" % p)
    return reqs


def matches(reqs, obj):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for key, op, val in reqs:
        have = key in labels
        v = labels.get(key)
        if op == "=" and v != val: return False
        if op == "!=" and have and v == val: return False
        if op == "in" and (not have or v not in val): return False
        if op == "notin" and have and v in val: return False
        if op == "exists" and not have: return False
        if op == "!" and have: return False
    return True


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.fail = []             # dicts: status, count, match, verb, retry_after, plain
        self.malformed = []        # plural substrings: the next event line is garbage
        self.stall = False
        self.gone_mode = "event"   # how a too-old watch rv is answered: event | http
        self.bookmark_interval = 1.0
        self.watches = set()       # live watch handlers
        self.requests = []         # (method, path) log for tests

    def take_failure(self, path, verb):
        with self.lock:
            for f in self.fail:
                if f.get("match", "") in path and f.get("verb", "any") in ("any", verb) and f["count"] > 0:
                    f["count"] -= 1
                    return dict(f)
        return None


class API(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-test-server"

    def log_message(self, *a):
        pass

    def send_json(self, code, body, headers=()):
        self.send_bytes(code, json.dumps(body, separators=(",", ":")).encode(), headers)

    def send_bytes(self, code, data, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Audit-Id", "test")
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        token_file = self.server.args.token_file
        cert = None
        try:
            cert = self.connection.getpeercert()
        except Exception:
            pass
        if cert:
            return True
        if not token_file:
            return True
        try:
            with open(token_file) as f:
                want = f.read().strip()
        except OSError:
            return False
        return self.headers.get("Authorization", "") == "Bearer " + want

    def do_GET(self):
        st, fl = self.server.store, self.server.faults
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        watching = q.get("watch") in ("1", "true")
        with fl.lock:
            fl.requests.append(("WATCH" if watching else "LIST", self.path))
        if not self.authorized():
            return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        f = fl.take_failure(self.path, "watch" if watching else "list")
        if f:
            hdrs = [("Retry-After", str(f["retry_after"]))] if f.get("retry_after") is not None else []
            if f.get("plain"):
                data = b"Too many requests, please try again later.\n"
                self.send_response(f["status"])
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                for k, v in hdrs: self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            return self.send_json(f["status"], status(f["status"], f.get("reason", "InternalError"), "injected failure"), hdrs)
        m = re.match(r'^/(?:api/v1|apis/([^/]+)/([^/]+))(?:/namespaces/([^/]+))?/([^/]+)$', url.path)
        if not m or m.group(4) not in PLURALS or m.group(4) in st.removed:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        ns, plural = m.group(3), m.group(4)
        kind = PLURALS[plural]
        g, v, _, _, builtin = KINDS[kind]
        if (m.group(1) or "") != g or (m.group(2) or "v1") != v:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        try:
            reqs = parse_selector(q.get("labelSelector", ""))
        except ValueError as e:
            return self.send_json(400, status(400, "BadRequest", str(e)))
        if watching:
            return self.watch(plural, kind, ns, reqs, q)
        return self.list(plural, kind, ns, reqs, q, builtin)

    def write_target(self):
        """(kind, namespace, name, subresource) of a write URL, or an error already sent."""
        url = urlsplit(self.path)
        with self.server.faults.lock:
            self.server.faults.requests.append((self.command, self.path))
        if not self.authorized():
            self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
            return None
        m = re.match(r'^/(?:api/v1|apis/([^/]+)/([^/]+))(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?(?:/(status))?$', url.path)
        if not m or m.group(4) not in PLURALS or m.group(4) in self.server.store.removed:
            self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
            return None
        kind = PLURALS[m.group(4)]
        g, v = KINDS[kind][0], KINDS[kind][1]
        if (m.group(1) or "") != g or (m.group(2) or "v1") != v:
            self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
            return None
        return kind, m.group(3) or "", m.group(5), m.group(6)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except ValueError as e:
            self.send_json(400, status(400, "BadRequest", "body is not JSON: %s" % e))
            return None

    def do_POST(self):
        t = self.write_target()
        if t is None:
            return
        kind, ns, name, sub = t
        if name is not None:
            return self.send_json(405, status(405, "MethodNotAllowed", "POST goes to the collection"))
        body = self.read_body()
        if body is None:
            return
        st = self.server.store
        body["kind"] = kind
        meta = body.setdefault("metadata", {})
        meta["namespace"] = ns
        meta["creationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with st.lock:
            if (ns, meta.get("name")) in st.objects.get(KINDS[kind][2], {}):
                return self.send_json(409, status(409, "AlreadyExists", '%s "%s" already exists' % (KINDS[kind][2], meta.get("name"))))
            meta.pop("resourceVersion", None)
            o = st.apply(body)
        self.send_json(201, o)

    def do_PUT(self):
        t = self.write_target()
        if t is None:
            return
        kind, ns, name, sub = t
        body = self.read_body()
        if body is None or name is None:
            return None if body is None else self.send_json(405, status(405, "MethodNotAllowed", "PUT names an object"))
        st = self.server.store
        with st.lock:
            old = st.objects.get(KINDS[kind][2], {}).get((ns, name))
            if old is None:
                return self.send_json(404, status(404, "NotFound", '%s "%s" not found' % (KINDS[kind][2], name)))
            rv = body.get("metadata", {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                return self.send_json(409, status(409, "Conflict", "the object has been modified"))
            if sub == "status":
                new = json.loads(json.dumps(old))
                new["status"] = body.get("status")
            else:
                new = body
                new["kind"] = kind
                new.setdefault("metadata", {})["namespace"] = ns
                new["metadata"]["name"] = name
                new["metadata"]["creationTimestamp"] = old["metadata"].get("creationTimestamp")
                if "status" in old:
                    new["status"] = old["status"]
            o = st.apply(new)
        self.send_json(200, o)

    def do_DELETE(self):
        t = self.write_target()
        if t is None:
            return
        kind, ns, name, sub = t
        if name is None or sub is not None:
            return self.send_json(405, status(405, "MethodNotAllowed", "DELETE names an object"))
        if not self.server.store.delete(kind, ns, name):
            return self.send_json(404, status(404, "NotFound", '%s "%s" not found' % (KINDS[kind][2], name)))
        self.send_json(200, status(200, "", "deleted") | {"status": "Success"})

    def list(self, plural, kind, ns, reqs, q, builtin):
        st = self.server.store
        limit = int(q.get("limit") or 0)
        cont = q.get("continue")
        g, v = KINDS[kind][0], KINDS[kind][1]
        api_version = (g + "/" if g else "") + v
        with st.lock:
            if cont:
                try:
                    tok = json.loads(base64.b64decode(cont))
                    rv, items = st.snapshots[tok["id"]]
                    start = tok["offset"]
                except Exception:
                    return self.send_json(410, status(410, "Expired", "The provided continue parameter is too old to display a consistent list result."),)
            else:
                rv = st.rv
                items = [o for (k_ns, _), o in sorted(st.objects.get(plural, {}).items())
                         if (ns is None or k_ns == ns) and matches(reqs, o)]
                start = 0
            page = items[start:start + limit] if limit else items[start:]
            meta = {"resourceVersion": str(rv)}
            nxt = start + len(page)
            if limit and nxt < len(items):
                sid = "%d-%d" % (rv, len(st.snapshots))
                st.snapshots[sid] = (rv, items)
                meta["continue"] = base64.b64encode(json.dumps({"id": sid, "offset": nxt}).encode()).decode()
            elif not builtin:
                meta["continue"] = ""
            items_bytes = [st.rendered_item(o) for o in page]
        head = json.dumps({"kind": kind + "List", "apiVersion": api_version, "metadata": meta}, separators=(",", ":"))
        self.send_bytes(200, head[:-1].encode() + b',"items":[' + b",".join(items_bytes) + b"]}")

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, plural, kind, ns, reqs, q):
        st, fl = self.server.store, self.server.faults
        try:
            since = int(q.get("resourceVersion") or 0)
        except ValueError:
            return self.send_json(400, status(400, "BadRequest", "invalid resourceVersion"))
        timeout = float(q.get("timeoutSeconds") or 1800)
        too_old = since < st.oldest
        if too_old and fl.gone_mode == "http":
            return self.send_json(410, status(410, "Expired", "too old resource version: %d (%d)" % (since, st.oldest)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        g, v = KINDS[kind][0], KINDS[kind][1]
        api_version = (g + "/" if g else "") + v
        with fl.lock:
            fl.watches.add(self)
        try:
            if too_old:
                self.write_chunk(json.dumps({"type": "ERROR", "object": status(410, "Expired", "too old resource version: %d (%d)" % (since, st.oldest))}, separators=(",", ":")).encode() + b"\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            deadline = time.time() + timeout
            last_bookmark = time.time()
            pos = since
            while time.time() < deadline:
                if fl.stall:
                    # A stalled stream: the connection stays open, nothing is written.
                    time.sleep(0.1)
                    continue
                lines = []
                with st.lock:
                    if st.oldest > pos:
                        lines.append(json.dumps({"type": "ERROR", "object": status(410, "Expired", "too old resource version: %d (%d)" % (pos, st.oldest))}))
                        pos = None
                    else:
                        for (rv, pl, typ, obj, old) in st.history[bisect.bisect_right(st.history_rvs, pos):]:
                            if rv <= pos or pl != plural:
                                continue
                            if ns is not None and obj["metadata"].get("namespace") != ns:
                                continue
                            new_ok = matches(reqs, obj)
                            old_ok = old is not None and matches(reqs, old)
                            if typ == "DELETED":
                                t = "DELETED" if old_ok else None
                            elif new_ok and old_ok:
                                t = "MODIFIED"
                            elif new_ok:
                                t = "ADDED"
                            elif old_ok:
                                t = "DELETED"
                                gone = json.loads(json.dumps(old)); gone["metadata"]["resourceVersion"] = str(rv); obj = gone
                            else:
                                t = None
                            if t:
                                lines.append(json.dumps({"type": t, "object": obj}, separators=(",", ":")))
                        pos = st.rv
                    if not lines:
                        st.lock.wait(timeout=min(0.2, max(0.0, deadline - time.time())))
                for line in lines:
                    data = line.encode() + b"\n"
                    with fl.lock:
                        bad = next((mm for mm in fl.malformed if mm in plural), None)
                        if bad is not None:
                            fl.malformed.remove(bad)
                            data = b'{"type":"MODIFIED","object":{"metadata":' + b"\n"
                    self.write_chunk(data)
                if pos is None:
                    break
                if fl.bookmark_interval and time.time() - last_bookmark >= fl.bookmark_interval:
                    last_bookmark = time.time()
                    # Everything up to pos has been sent: that is what the bookmark says.
                    self.write_chunk(json.dumps({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": str(pos)}}}, separators=(",", ":")).encode() + b"\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError, ValueError):
            self.close_connection = True
        finally:
            with fl.lock:
                fl.watches.discard(self)


class Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        st, fl = self.server.api.store, self.server.api.faults
        if self.path == "/objects":
            with st.lock:
                return self.reply(200, {"rv": st.rv, "items": [o for d in st.objects.values() for o in d.values()]})
        if self.path == "/requests":
            with fl.lock:
                return self.reply(200, fl.requests)
        self.reply(404, {"error": "no such path"})

    def do_POST(self):
        st, fl = self.server.api.store, self.server.api.faults
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        if self.path == "/apply":
            items = body.get("items", []) if body.get("kind") == "List" else [body]
            out = [st.apply(o) for o in items]
            return self.reply(200, {"rv": st.rv, "applied": sum(1 for o in out if o)})
        if self.path == "/delete":
            ok = st.delete(body["kind"], body.get("namespace", ""), body["name"])
            return self.reply(200 if ok else 404, {"rv": st.rv})
        if self.path == "/reset":
            with st.lock:
                for plural, objs in list(st.objects.items()):
                    for (ns, name), o in list(objs.items()):
                        st.delete(o["kind"], ns, name)
            for o in body.get("items", []):
                st.apply(o)
            return self.reply(200, {"rv": st.rv})
        if self.path == "/fault":
            with fl.lock:
                if body.get("clear_fail"): fl.fail = []
                if "fail" in body: fl.fail.append(dict(body["fail"]))
                if "malformed" in body: fl.malformed.append(body["malformed"])
                if "stall" in body: fl.stall = bool(body["stall"])
                if "gone_mode" in body: fl.gone_mode = body["gone_mode"]
                if "bookmark_interval" in body: fl.bookmark_interval = float(body["bookmark_interval"])
                watches = list(fl.watches) if body.get("drop_watches") else []
            if body.get("compact"):
                with st.lock:
                    st.oldest = st.rv
                    st.history = []
                    st.history_rvs = []
                    st.lock.notify_all()
            if body.get("expire_continue"):
                with st.lock:
                    st.snapshots.clear()
            if "remove_resource" in body:
                st.removed.add(body["remove_resource"])
            if "restore_resource" in body:
                st.removed.discard(body["restore_resource"])
            for w in watches:
                try:
                    w.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return self.reply(200, {"dropped": len(watches)})
        self.reply(404, {"error": "no such path"})


class APIServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument("--cert"); p.add_argument("--key")
    p.add_argument("--client-ca", help="accept client certificates signed by this CA")
    p.add_argument("--token-file", help="the bearer token wanted, read at each request")
    p.add_argument("--state", help="objects persist here across restarts")
    args = p.parse_args()

    api = APIServer(("127.0.0.1", args.port), API)
    api.args = args
    api.store = Store(args.state)
    api.faults = Faults()
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.set_alpn_protocols(["http/1.1"])
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        api.socket = ctx.wrap_socket(api.socket, server_side=True)
    control = APIServer(("127.0.0.1", args.control_port), Control)
    control.api = api
    threading.Thread(target=control.serve_forever, daemon=True).start()
    scheme = "https" if args.cert else "http"
    print("api %s://127.0.0.1:%d" % (scheme, api.server_address[1]), flush=True)
    print("control http://127.0.0.1:%d" % control.server_address[1], flush=True)
    api.serve_forever()


if __name__ == "__main__":
    main()
