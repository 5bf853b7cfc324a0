"""A test brain: the Artificial Brains protocol (PROTOCOL.md sections 2 and 3)
served by python-socketio, well enough for the bridge.

One script, three python-socketio servers (--server):
  aiohttp    socketio.AsyncServer attached to an aiohttp application, with
             the library's default options;
  uvicorn    socketio.AsyncServer as an ASGI app under uvicorn (--ws picks
             uvicorn's websocket implementation);
  threading  socketio.Server (threading) on the standard library's WSGI
             server, websockets through simple-websocket.
--transports websocket | polling,websocket is what the server allows.
--io joints serves, instead of the default contract, one like the local
brain's demo without its camera and feedback (the two arm joints in, the
two motors out), so a bridge under measurement waits on nothing but the
joints; --rows-t is how many timesteps of rows each cycle:update carries.
--stamp prints "STAMP <cycle> <ns>" for every cycle:update: the wall clock
(time.time_ns) taken right before the emit, for latency measurements.

What it serves:
  POST /api/robot/{project}/start   a run contract (runId, constants, io,
                                    realtime {url, namespace}); starts the run
  POST /api/robot/{project}/stop    {"runId"}; stops that run
  GET  /api/robot/{project}/io/state  the running run's cycle and needs, 404
                                    when the project has no running run
  GET  /api/robot/{project}/contract  the contract without starting a run
  GET  /test/stats, POST /test/kick, POST /test/shutdown  the control
                                    commands below, over HTTP
The API key (environment variable AB_BRAIN_KEY, never argv; empty means no
auth) is checked on REST (x-api-key or Authorization: Bearer) and on the
namespace /ab (auth token/apiKey or the same headers): a wrong key is
refused with the message "invalid api key".

Realtime: run:join {runId} puts the socket into the run's room and answers
an acknowledgement {ok: true}; an unknown run gets {ok: false, error:
"unknown run"} and the socket nothing else. Each running run with members
emits io:need {runId, cycle, needs, deadlineMs} every --period-ms, waits for
one io:chunk per need of that cycle (or the deadline), then emits
cycle:update {runId, cycle, outputs: [{t, id, bits}, ...]}. io:chunk (its
data must be a binary attachment), robot:state and learn:reward are counted.
Runs live in memory: a restarted server knows none, except those named by
--adopt-run (a brain that kept its runs across a restart).

Control, one command a line on stdin, answers on stdout:
  stats     -> STATS {json}   (see Brain.stats)
  kick      -> KICKED <n>     every /ab socket disconnected by the server
                              (a namespace DISCONNECT packet)
  shutdown  -> BYE            graceful shutdown, then the process exits
End of stdin is a shutdown too. "PORT <n>" is printed once listening.
"""
import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import sys
import threading
import time
from urllib.parse import unquote

import socketio

NSP = "/ab"
KEY = os.environ.get("AB_BRAIN_KEY", "")

CONSTANTS = {"gamma": 64, "outputWindowN": 32, "feedbackN": 128, "feedbackT": 64}
IO = {
    "inputs": [
        {"id": "cam", "kind": "Image", "width": 64, "height": 48},
        {"id": "shoulder_pos", "kind": "Proprioception", "lo": -3.14, "hi": 3.14},
        {"id": "fb", "kind": "Feedback", "n": 128, "fromOutput": "V1", "outputKind": "Motor"},
    ],
    "outputs": [{"id": "V1", "kind": "Motor", "n": 32}, {"id": "V2", "kind": "Motor", "n": 32}],
    "feedback": [{"id": "fb", "n": 128, "fromOutput": "V1", "outputKind": "Motor"}],
    "stdp3": {"layers": ["L1"]},
}

# The local brain's demo contract, less its camera and feedback.
JOINTS_IO = {
    "inputs": [
        {"id": "shoulder_pos", "kind": "Proprioception", "lo": -3.14159, "hi": 3.14159},
        {"id": "elbow_pos", "kind": "Proprioception", "lo": -3.14159, "hi": 3.14159},
    ],
    "outputs": [{"id": "shoulder_motor", "kind": "Motor", "n": 32}, {"id": "elbow_motor", "kind": "Motor", "n": 32}],
    "feedback": [],
    "stdp3": {"layers": ["motor"]},
}

_out_lock = threading.Lock()


def say(*parts):
    with _out_lock:
        print(*parts, flush=True)


def log(*parts):
    print("ab_brain:", *parts, file=sys.stderr, flush=True)


class Run:
    def __init__(self, run_id, project):
        self.id = run_id
        self.project = project
        self.running = True
        self.cycle = 0
        self.pending = set()  # input ids of the open cycle not yet answered
        self.members = set()  # sids in the room


class Brain:
    """The protocol state, shared by every server kind. Every method is
    quick and takes the lock, so both the asyncio and the threading servers
    can call it from their handlers."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.runs = {}
        self.seq = 0
        self.port = 0
        self.started = time.time()
        self.counts = {"connects": 0, "refused": 0, "disconnects": 0, "unknownJoins": 0,
                       "nonBinaryChunks": 0, "unknownRunEvents": 0, "kicks": 0}
        self.per_run = {k: {} for k in ("joins", "chunks", "chunkBytes", "states", "rewards", "needs", "cycles")}
        self.sockets = set()
        for spec in args.adopt_run:
            project, _, run_id = spec.partition("=")
            if not run_id:
                raise SystemExit("--adopt-run wants PROJECT=RUNID, got " + spec)
            self.runs[run_id] = Run(run_id, project)

    def _bump(self, kind, run_id, by=1):
        m = self.per_run[kind]
        m[run_id] = m.get(run_id, 0) + by

    # ---- REST -------------------------------------------------------------
    def key_ok(self, headers):
        if not KEY:
            return True
        return headers.get("x-api-key") == KEY or headers.get("authorization") == "Bearer " + KEY

    def rest(self, method, path, headers, body):
        """One REST request: (status, JSON-able answer). headers: lower-case names."""
        if not self.key_ok(headers):
            return 401, {"error": "missing or invalid API key"}
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["test"] and len(parts) == 2:
            return self.control_http(method, parts[1])
        if len(parts) < 4 or parts[:2] != ["api", "robot"]:
            return 404, {"error": "no endpoint %s %s" % (method, path)}
        project, action = parts[2], "/".join(parts[3:])
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "body is not JSON"}
        if not isinstance(doc, dict):
            return 400, {"error": "body is not a JSON object"}
        if method == "POST" and action == "start":
            return 200, self.start(project)
        if method == "POST" and action == "stop":
            return 200, self.stop(project, doc.get("runId"))
        if method == "GET" and action == "io/state":
            return self.io_state(project)
        if method == "GET" and action == "contract":
            return 200, {"ok": True, "projectId": project, "constants": CONSTANTS, "io": IO}
        return 404, {"error": "no endpoint %s %s" % (method, path)}

    def start(self, project):
        with self.lock:
            self.seq += 1
            run_id = "%s-%d-%s" % (project, self.seq, secrets.token_hex(4))
            self.runs[run_id] = Run(run_id, project)
        return {"runId": run_id, "projectId": project, "constants": CONSTANTS, "io": IO,
                "realtime": {"url": "http://127.0.0.1:%d" % self.port, "namespace": NSP}}

    def stop(self, project, run_id):
        with self.lock:
            r = self.runs.get(run_id)
            if r is None or r.project != project or not r.running:
                return {"ok": True, "stopped": None}
            r.running = False
        return {"ok": True, "stopped": run_id}

    def io_state(self, project):
        with self.lock:
            for r in reversed(list(self.runs.values())):
                if r.project == project and r.running:
                    return 200, {"ok": True, "runId": r.id, "status": "running", "cycle": r.cycle,
                                 "needs": [{"id": i["id"], "kind": i["kind"]} for i in IO["inputs"]]}
        return 404, {"error": "no running run for project " + project}

    def running_runs(self):
        with self.lock:
            return [r for r in self.runs.values() if r.running]

    # ---- realtime -----------------------------------------------------------
    def authorise(self, environ, auth):
        if not KEY:
            return True
        auth = auth if isinstance(auth, dict) else {}
        ok = KEY in (auth.get("token"), auth.get("apiKey"), environ.get("HTTP_X_API_KEY"),
                     (environ.get("HTTP_AUTHORIZATION") or "").removeprefix("Bearer "))
        return ok

    def connected(self, sid, ok):
        with self.lock:
            if ok:
                self.counts["connects"] += 1
                self.sockets.add(sid)
            else:
                self.counts["refused"] += 1

    def disconnected(self, sid):
        with self.lock:
            self.counts["disconnects"] += 1
            self.sockets.discard(sid)
            for r in self.runs.values():
                r.members.discard(sid)

    def join(self, sid, data):
        """The run to put sid into, or None for an unknown run."""
        run_id = data.get("runId") if isinstance(data, dict) else None
        with self.lock:
            r = self.runs.get(run_id)
            if r is None or not r.running:
                self.counts["unknownJoins"] += 1
                return None
            for other in self.runs.values():
                other.members.discard(sid)
            r.members.add(sid)
            self._bump("joins", r.id)
            return r

    def _run_of(self, data):
        run_id = data.get("runId") if isinstance(data, dict) else None
        r = self.runs.get(run_id)
        if r is None:
            self.counts["unknownRunEvents"] += 1
        return r

    def chunk(self, data):
        with self.lock:
            r = self._run_of(data)
            if r is None:
                return
            raw = data.get("data")
            if not isinstance(raw, bytes):
                self.counts["nonBinaryChunks"] += 1
                return
            self._bump("chunks", r.id)
            self._bump("chunkBytes", r.id, len(raw))
            meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
            if meta.get("cycle") == r.cycle:
                r.pending.discard(data.get("inputId"))

    def state(self, data):
        with self.lock:
            r = self._run_of(data)
            if r is not None:
                self._bump("states", r.id)

    def reward(self, data):
        with self.lock:
            r = self._run_of(data)
            if r is not None:
                self._bump("rewards", r.id)

    # ---- the cycle ------------------------------------------------------------
    def open_cycle(self, r):
        """The io:need of r's next cycle, or None while r has no members."""
        with self.lock:
            if not r.members or not r.running:
                return None
            r.cycle += 1
            r.pending = {i["id"] for i in IO["inputs"]}
            self._bump("needs", r.id)
            return {"runId": r.id, "cycle": r.cycle, "deadlineMs": self.args.deadline_ms,
                    "needs": [dict(i) for i in IO["inputs"]]}

    def answered(self, r):
        with self.lock:
            return not r.pending

    def close_cycle(self, r, cycle):
        with self.lock:
            self._bump("cycles", r.id)
        rows = []
        for t in range(self.args.rows_t):
            for out in IO["outputs"]:
                # Not secrets: a 64-timestep update at 50 Hz is 200,000 bits a second.
                word = random.getrandbits(out["n"])
                rows.append({"t": t, "id": out["id"], "bits": [(word >> i) & 1 for i in range(out["n"])]})
        return {"runId": r.id, "cycle": cycle, "outputs": rows}

    def stats(self):
        with self.lock:
            out = dict(self.counts)
            out.update({k: dict(v) for k, v in self.per_run.items()})
            out["server"] = self.args.server
            out["transports"] = self.args.transports
            out["sockets"] = len(self.sockets)
            out["runs"] = [r.id for r in self.runs.values() if r.running]
            return out

    def control_http(self, method, cmd):
        if method == "GET" and cmd == "stats":
            return 200, self.stats()
        if method == "POST" and cmd in ("kick", "shutdown"):
            self.control(cmd)
            return 200, {"ok": True}
        return 404, {"error": "no control command %s %s" % (method, cmd)}

    control = None  # set by the server kind: control(cmd) schedules kick or shutdown


def cycle_timing(args):
    return args.period_ms / 1000.0, args.deadline_ms / 1000.0


# ---- async servers (aiohttp, uvicorn) -------------------------------------------
def make_async_sio(brain, args):
    sio = socketio.AsyncServer(async_mode="aiohttp" if args.server == "aiohttp" else "asgi",
                               transports=args.transports.split(","))

    @sio.on("connect", namespace=NSP)
    async def connect(sid, environ, auth):
        ok = brain.authorise(environ, auth)
        brain.connected(sid, ok)
        if not ok:
            raise socketio.exceptions.ConnectionRefusedError("invalid api key")

    @sio.on("disconnect", namespace=NSP)
    async def disconnect(sid, *reason):
        brain.disconnected(sid)

    @sio.on("run:join", namespace=NSP)
    async def run_join(sid, data=None):
        r = brain.join(sid, data)
        if r is None:
            return {"ok": False, "error": "unknown run"}
        await sio.enter_room(sid, r.id, namespace=NSP)
        return {"ok": True}

    @sio.on("io:chunk", namespace=NSP)
    async def io_chunk(sid, data=None):
        brain.chunk(data)

    @sio.on("robot:state", namespace=NSP)
    async def robot_state(sid, data=None):
        brain.state(data)

    @sio.on("learn:reward", namespace=NSP)
    async def learn_reward(sid, data=None):
        brain.reward(data)

    return sio


async def async_cycles(brain, sio, stop):
    """One loop for every run: a need per member run each period."""
    period, deadline = cycle_timing(brain.args)
    while not stop.is_set():
        t0 = time.monotonic()
        opened = []
        for r in brain.running_runs():
            need = brain.open_cycle(r)
            if need is not None:
                await sio.emit("io:need", need, room=r.id, namespace=NSP)
                opened.append((r, need["cycle"]))
        while opened and time.monotonic() < t0 + deadline and not all(brain.answered(r) for r, _ in opened):
            await asyncio.sleep(0.005)
        for r, cycle in opened:
            update = brain.close_cycle(r, cycle)
            stamp = time.time_ns()
            await sio.emit("cycle:update", update, room=r.id, namespace=NSP)
            if brain.args.stamp:
                say("STAMP", cycle, stamp)
        await asyncio.sleep(max(0.0, t0 + period - time.monotonic()))


async def kick_async(brain, sio):
    with brain.lock:
        sids = list(brain.sockets)
        brain.counts["kicks"] += 1
    for sid in sids:
        await sio.disconnect(sid, namespace=NSP)
    return len(sids)


async def serve_async(brain, args, sock):
    sio = make_async_sio(brain, args)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    async def command(cmd):
        if cmd == "stats":
            say("STATS", json.dumps(brain.stats(), sort_keys=True))
        elif cmd == "kick":
            say("KICKED", await kick_async(brain, sio))
        elif cmd == "shutdown":
            stop.set()
        elif cmd:
            say("ERROR unknown command", cmd)

    brain.control = lambda cmd: asyncio.run_coroutine_threadsafe(command(cmd), loop)

    def read_stdin():
        for line in sys.stdin:
            asyncio.run_coroutine_threadsafe(command(line.strip()), loop)
        asyncio.run_coroutine_threadsafe(command("shutdown"), loop)

    if args.server == "aiohttp":
        from aiohttp import web

        async def rest(request):
            status, doc = brain.rest(request.method, request.path,
                                     {k.lower(): v for k, v in request.headers.items()}, await request.read())
            return web.json_response(doc, status=status)

        app = web.Application()
        sio.attach(app)
        app.router.add_route("*", "/api/{tail:.*}", rest)
        app.router.add_route("*", "/test/{tail:.*}", rest)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.SockSite(runner, sock, shutdown_timeout=2.0)
        await site.start()

        async def stop_web():
            await runner.cleanup()
    else:
        import uvicorn

        async def rest_asgi(scope, receive, send):
            if scope["type"] != "http":
                return
            body = b""
            while True:
                msg = await receive()
                body += msg.get("body", b"")
                if not msg.get("more_body"):
                    break
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            status, doc = brain.rest(scope["method"], scope["path"], headers, body)
            raw = json.dumps(doc).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]})
            await send({"type": "http.response.body", "body": raw})

        app = socketio.ASGIApp(sio, other_asgi_app=rest_asgi)
        config = uvicorn.Config(app, ws=args.ws, lifespan="off", log_level="warning",
                                timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        # uvicorn would take over SIGINT/SIGTERM; the test stops us by stdin
        # or by signal, and the default handlers suit both.
        server.install_signal_handlers = lambda: None
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                serving.result()
                raise SystemExit("uvicorn ended before it started")
            await asyncio.sleep(0.01)

        async def stop_web():
            server.should_exit = True
            await serving

    cycles = asyncio.create_task(async_cycles(brain, sio, stop))
    say("PORT", brain.port)
    threading.Thread(target=read_stdin, daemon=True).start()
    await stop.wait()
    # Graceful: no more cycles, every client told (namespace DISCONNECT and
    # engine.io CLOSE), background tasks stopped, then the web server.
    log("shutdown: cycles")
    await cycles
    log("shutdown: disconnecting", await kick_async(brain, sio), "sockets")
    if sio.eio.sockets:  # its wait() refuses an empty set
        await sio.eio.disconnect()
    log("shutdown: engine.io closed")
    await sio.shutdown()
    await stop_web()
    log("shutdown: web server closed")
    say("BYE")


# ---- threading server ------------------------------------------------------------
def serve_threading(brain, args, sock):
    import socketserver
    from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

    sio = socketio.Server(async_mode="threading", transports=args.transports.split(","))

    @sio.on("connect", namespace=NSP)
    def connect(sid, environ, auth):
        ok = brain.authorise(environ, auth)
        brain.connected(sid, ok)
        if not ok:
            raise socketio.exceptions.ConnectionRefusedError("invalid api key")

    @sio.on("disconnect", namespace=NSP)
    def disconnect(sid, *reason):
        brain.disconnected(sid)

    @sio.on("run:join", namespace=NSP)
    def run_join(sid, data=None):
        r = brain.join(sid, data)
        if r is None:
            return {"ok": False, "error": "unknown run"}
        sio.enter_room(sid, r.id, namespace=NSP)
        return {"ok": True}

    sio.on("io:chunk", lambda sid, data=None: brain.chunk(data), namespace=NSP)
    sio.on("robot:state", lambda sid, data=None: brain.state(data), namespace=NSP)
    sio.on("learn:reward", lambda sid, data=None: brain.reward(data), namespace=NSP)

    def rest_wsgi(environ, start_response):
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(n) if n > 0 else b""
        status, doc = brain.rest(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), headers, body)
        raw = json.dumps(doc).encode()
        start_response("%d %s" % (status, "OK" if status < 400 else "Error"),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))])
        return [raw]

    stop = threading.Event()

    def kick():
        with brain.lock:
            sids = list(brain.sockets)
            brain.counts["kicks"] += 1
        for sid in sids:
            sio.disconnect(sid, namespace=NSP)
        return len(sids)

    def cycles():
        period, deadline = cycle_timing(args)
        while not stop.is_set():
            t0 = time.monotonic()
            opened = []
            for r in brain.running_runs():
                need = brain.open_cycle(r)
                if need is not None:
                    sio.emit("io:need", need, room=r.id, namespace=NSP)
                    opened.append((r, need["cycle"]))
            while opened and time.monotonic() < t0 + deadline and not all(brain.answered(r) for r, _ in opened):
                time.sleep(0.005)
            for r, cycle in opened:
                update = brain.close_cycle(r, cycle)
                stamp = time.time_ns()
                sio.emit("cycle:update", update, room=r.id, namespace=NSP)
                if args.stamp:
                    say("STAMP", cycle, stamp)
            stop.wait(max(0.0, t0 + period - time.monotonic()))

    def command(cmd):
        if cmd == "stats":
            say("STATS", json.dumps(brain.stats(), sort_keys=True))
        elif cmd == "kick":
            say("KICKED", kick())
        elif cmd == "shutdown":
            stop.set()
        elif cmd:
            say("ERROR unknown command", cmd)

    brain.control = lambda cmd: threading.Thread(target=command, args=(cmd,), daemon=True).start()

    class Handler(WSGIRequestHandler):
        """Hands the raw socket to simple-websocket, as gunicorn would."""

        def get_environ(self):
            env = super().get_environ()
            env["gunicorn.socket"] = self.connection
            return env

        def log_message(self, *a):
            pass

        def handle(self):
            self.raw_requestline = self.rfile.readline(65537)
            if not self.parse_request():
                return
            h = ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
            h.request_handler = self
            try:
                h.run(self.server.get_app())
            except Exception:
                pass  # the websocket took the socket over and closed it

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

        def server_bind(self):
            # The socket is bound already (main): only the WSGI bookkeeping.
            self.server_name, self.server_port = "127.0.0.1", self.socket.getsockname()[1]
            self.setup_environ()

    # StopIteration from the websocket wrapper ends a session; keep it out
    # of the log.
    ServerHandler.log_exception = lambda self, exc_info: None
    ServerHandler.error_output = lambda self, environ, start_response: []
    srv = Server(sock.getsockname(), Handler, bind_and_activate=False)
    srv.socket.close()
    srv.socket = sock
    srv.server_bind()
    srv.set_app(socketio.WSGIApp(sio, wsgi_app=rest_wsgi))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    loop_thread = threading.Thread(target=cycles, daemon=True)
    loop_thread.start()
    say("PORT", brain.port)

    def read_stdin():
        for line in sys.stdin:
            command(line.strip())
        stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    stop.wait()
    log("shutdown: cycles")
    loop_thread.join(5)
    log("shutdown: disconnecting", kick(), "sockets")
    # Not sio.eio.disconnect(): its Socket.close(wait=True) joins the
    # socket's send queue, which never drains when the client has just
    # closed that connection itself (as it does after the kick above), and
    # the shutdown hangs for good (python-engineio 4.15.1).
    for eio_socket in list(sio.eio.sockets.values()):
        eio_socket.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT)
    sio.eio.sockets = {}
    log("shutdown: engine.io closed")
    sio.shutdown()
    srv.shutdown()
    srv.server_close()
    log("shutdown: web server closed")
    say("BYE")


def listen(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A restart on the port of a server just stopped must not wait out
    # TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.monotonic() + 5
    while True:
        try:
            sock.bind(("127.0.0.1", port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    sock.listen(128)
    sock.setblocking(False)
    return sock


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", choices=["aiohttp", "uvicorn", "threading"], required=True)
    p.add_argument("--transports", choices=["websocket", "polling,websocket"], default="websocket")
    p.add_argument("--ws", default="websockets-sansio", help="uvicorn's websocket implementation (websockets, websockets-sansio, wsproto)")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--period-ms", type=int, default=100)
    p.add_argument("--deadline-ms", type=int, default=0, help="default: 80%% of the period")
    p.add_argument("--adopt-run", action="append", default=[], metavar="PROJECT=RUNID",
                   help="start knowing this running run (as a brain that kept its runs would)")
    p.add_argument("--io", choices=["default", "joints"], default="default", help="the contract's io (see above)")
    p.add_argument("--rows-t", type=int, default=4, help="timesteps of output rows per cycle:update")
    p.add_argument("--stamp", action="store_true", help="print STAMP <cycle> <ns> at each cycle:update")
    args = p.parse_args()
    if args.io == "joints":
        global IO
        IO = JOINTS_IO
    if args.deadline_ms <= 0:
        args.deadline_ms = max(1, args.period_ms * 8 // 10)
    brain = Brain(args)
    sock = listen(args.port)
    brain.port = sock.getsockname()[1]
    if args.server == "threading":
        sock.setblocking(True)
        serve_threading(brain, args, sock)
    else:
        asyncio.run(serve_async(brain, args, sock))
    # Handler threads of clients that never said goodbye must not hold the
    # process: the test waits for it to end.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
