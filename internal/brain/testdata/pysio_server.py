"""A brain-side peer for the realtime tests: the official python-socketio
server (threading mode, websocket via simple-websocket, on the standard
library's WSGI server), speaking the brain's side of PROTOCOL.md section 3.

Prints "PORT <n>" once listening; runs until stdin closes. The API key is
read from the AB_TEST_KEY environment variable, never from argv.
"""
import hashlib
import os
import socketserver
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, ServerHandler

import socketio

KEY = os.environ["AB_TEST_KEY"]

sio = socketio.Server(async_mode="threading", transports=["websocket"], logger=False, engineio_logger=False)
_counter = [0]
_lock = threading.Lock()


def next_cycle():
    with _lock:
        _counter[0] += 1
        return _counter[0]


@sio.on("connect", namespace="/ab")
def connect(sid, environ, auth):
    token = (auth or {}).get("token")
    header = environ.get("HTTP_X_API_KEY")
    if token != KEY or header != KEY or environ.get("HTTP_AUTHORIZATION") != "Bearer " + KEY:
        # A refusal without data: the Go client library drops the message
        # of such errors unless the session catches it itself.
        raise socketio.exceptions.ConnectionRefusedError("invalid api key")


@sio.on("run:join", namespace="/ab")
def run_join(sid, data):
    sio.emit("io:need", {"runId": data.get("runId"), "cycle": next_cycle(), "deadlineMs": 100,
                         "needs": [{"id": "cam", "kind": "Image", "width": 64}]}, to=sid, namespace="/ab")


@sio.on("io:chunk", namespace="/ab")
def io_chunk(sid, data):
    if data.get("inputId") == "kick":
        sio.disconnect(sid, namespace="/ab")
        return
    raw = data.get("data")
    sio.emit("cycle:update", {"runId": data.get("runId"), "cycle": int(data["meta"]["cycle"]),
                              "outputs": [[0, "V1", [1, 0]], {"t": 1, "id": "V1", "bits": [0, 1]}],
                              "dataType": type(raw).__name__, "len": len(raw) if raw is not None else -1,
                              "sha256": hashlib.sha256(raw).hexdigest() if isinstance(raw, bytes) else ""},
             to=sid, namespace="/ab")


@sio.on("robot:state", namespace="/ab")
def robot_state(sid, data):
    sio.emit("cycle:update", {"cycle": 900, "echo": {"event": "robot:state", "payload": data}}, to=sid, namespace="/ab")


@sio.on("learn:reward", namespace="/ab")
def learn_reward(sid, data):
    sio.emit("cycle:update", {"cycle": 901, "echo": {"event": "learn:reward", "payload": data}}, to=sid, namespace="/ab")


class Handler(WSGIRequestHandler):
    """Hands the raw socket to simple-websocket, as gunicorn would."""

    def get_environ(self):
        env = super().get_environ()
        env["gunicorn.socket"] = self.connection
        return env

    def log_message(self, *args):
        pass

    def handle(self):
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        handler = ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        try:
            handler.run(self.server.get_app())
        except Exception:
            pass  # the websocket took the socket over and closed it


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main():
    # StopIteration from the websocket wrapper ends a session; keep it out
    # of the log.
    ServerHandler.log_exception = lambda self, exc_info: None
    ServerHandler.error_output = lambda self, environ, start_response: []
    srv = Server(("127.0.0.1", 0), Handler)
    srv.set_app(socketio.WSGIApp(sio))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("PORT", srv.server_address[1], flush=True)
    sys.stdin.read()  # until the test closes our stdin
    srv.shutdown()


if __name__ == "__main__":
    main()
