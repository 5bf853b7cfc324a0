// A test brain on the Node.js reference Socket.IO server: the Artificial
// Brains protocol (PROTOCOL.md sections 2 and 3) well enough for the bridge.
// It is the Node twin of test/peers/ab_brain.py and speaks the same REST,
// realtime and control interface (see that file's docstring):
//
//   node ab_brain.js [--port N] [--transports websocket|polling,websocket]
//                    [--deflate on|off] [--period-ms N] [--deadline-ms N]
//                    [--adopt-run PROJECT=RUNID]...
//
// The API key comes from the environment variable AB_BRAIN_KEY (empty: no
// auth). "PORT <n>" is printed once listening; stdin takes the commands
// stats, kick and shutdown (end of stdin is a shutdown).
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const readline = require("node:readline");
const { Server } = require("socket.io");

const NSP = "/ab";
const KEY = process.env.AB_BRAIN_KEY || "";

const CONSTANTS = { gamma: 64, outputWindowN: 32, feedbackN: 128, feedbackT: 64 };
const IO = {
  inputs: [
    { id: "cam", kind: "Image", width: 64, height: 48 },
    { id: "shoulder_pos", kind: "Proprioception", lo: -3.14, hi: 3.14 },
    { id: "fb", kind: "Feedback", n: 128, fromOutput: "V1", outputKind: "Motor" },
  ],
  outputs: [
    { id: "V1", kind: "Motor", n: 32 },
    { id: "V2", kind: "Motor", n: 32 },
  ],
  feedback: [{ id: "fb", n: 128, fromOutput: "V1", outputKind: "Motor" }],
  stdp3: { layers: ["L1"] },
};

function parseArgs(argv) {
  const a = { port: 0, transports: "websocket", deflate: "off", periodMs: 100, deadlineMs: 0, adopt: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--port": a.port = Number(v); i++; break;
      case "--transports": a.transports = v; i++; break;
      case "--deflate": a.deflate = v; i++; break;
      case "--period-ms": a.periodMs = Number(v); i++; break;
      case "--deadline-ms": a.deadlineMs = Number(v); i++; break;
      case "--adopt-run": a.adopt.push(v); i++; break;
      default:
        process.stderr.write(`ab_brain: unknown argument ${argv[i]}\n`);
        process.exit(2);
    }
  }
  if (!["websocket", "polling,websocket"].includes(a.transports)) throw new Error("bad --transports " + a.transports);
  if (!["on", "off"].includes(a.deflate)) throw new Error("bad --deflate " + a.deflate);
  if (!(a.deadlineMs > 0)) a.deadlineMs = Math.max(1, Math.floor((a.periodMs * 8) / 10));
  return a;
}

const args = parseArgs(process.argv.slice(2));

// ---- state ------------------------------------------------------------------
const runs = new Map(); // runId -> {id, project, running, cycle, pending:Set, members:Set}
let seq = 0;
let port = 0;
const counts = { connects: 0, refused: 0, disconnects: 0, unknownJoins: 0, nonBinaryChunks: 0, unknownRunEvents: 0, kicks: 0, deflated: 0 };
const perRun = { joins: {}, chunks: {}, chunkBytes: {}, states: {}, rewards: {}, needs: {}, cycles: {} };
const sockets = new Set();

function bump(kind, id, by = 1) {
  perRun[kind][id] = (perRun[kind][id] || 0) + by;
}

function newRun(id, project) {
  const r = { id, project, running: true, cycle: 0, pending: new Set(), members: new Set() };
  runs.set(id, r);
  return r;
}

for (const spec of args.adopt) {
  const i = spec.indexOf("=");
  if (i <= 0 || i === spec.length - 1) throw new Error("--adopt-run wants PROJECT=RUNID, got " + spec);
  newRun(spec.slice(i + 1), spec.slice(0, i));
}

function stats() {
  const out = { ...counts, server: "node", transports: args.transports, deflate: args.deflate, sockets: sockets.size };
  for (const [k, v] of Object.entries(perRun)) out[k] = { ...v };
  out.runs = [...runs.values()].filter((r) => r.running).map((r) => r.id);
  return out;
}

function say(line) {
  process.stdout.write(line + "\n");
}

// ---- REST -----------------------------------------------------------------------
function keyOK(headers) {
  return !KEY || headers["x-api-key"] === KEY || headers["authorization"] === "Bearer " + KEY;
}

function rest(method, path, headers, body) {
  if (!keyOK(headers)) return [401, { error: "missing or invalid API key" }];
  const parts = path.replace(/^\/+|\/+$/g, "").split("/").map(decodeURIComponent);
  if (parts[0] === "test" && parts.length === 2) {
    if (method === "GET" && parts[1] === "stats") return [200, stats()];
    if (method === "POST" && (parts[1] === "kick" || parts[1] === "shutdown")) {
      setImmediate(() => command(parts[1]));
      return [200, { ok: true }];
    }
    return [404, { error: `no control command ${method} ${parts[1]}` }];
  }
  if (parts.length < 4 || parts[0] !== "api" || parts[1] !== "robot") return [404, { error: `no endpoint ${method} ${path}` }];
  const project = parts[2];
  const action = parts.slice(3).join("/");
  let doc = {};
  try {
    doc = body.length ? JSON.parse(body) : {};
  } catch {
    return [400, { error: "body is not JSON" }];
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return [400, { error: "body is not a JSON object" }];
  if (method === "POST" && action === "start") {
    seq++;
    const id = `${project}-${seq}-${crypto.randomBytes(4).toString("hex")}`;
    newRun(id, project);
    return [200, { runId: id, projectId: project, constants: CONSTANTS, io: IO, realtime: { url: `http://127.0.0.1:${port}`, namespace: NSP } }];
  }
  if (method === "POST" && action === "stop") {
    const r = runs.get(doc.runId);
    if (!r || r.project !== project || !r.running) return [200, { ok: true, stopped: null }];
    r.running = false;
    return [200, { ok: true, stopped: r.id }];
  }
  if (method === "GET" && action === "io/state") {
    const r = [...runs.values()].reverse().find((x) => x.project === project && x.running);
    if (!r) return [404, { error: "no running run for project " + project }];
    return [200, { ok: true, runId: r.id, status: "running", cycle: r.cycle, needs: IO.inputs.map((i) => ({ id: i.id, kind: i.kind })) }];
  }
  if (method === "GET" && action === "contract") return [200, { ok: true, projectId: project, constants: CONSTANTS, io: IO }];
  return [404, { error: `no endpoint ${method} ${path}` }];
}

// ---- servers ----------------------------------------------------------------------
const web = http.createServer((req, res) => {
  // socket.io answers its own path before this listener runs.
  if (req.url.startsWith("/socket.io/")) return;
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const [status, doc] = rest(req.method, new URL(req.url, "http://x").pathname, req.headers, Buffer.concat(chunks).toString());
    const raw = JSON.stringify(doc);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(raw) });
    res.end(raw);
  });
});

// Every TCP connection, for the shutdown.
const connections = new Set();
web.on("connection", (c) => {
  connections.add(c);
  c.on("close", () => connections.delete(c));
});

const io = new Server(web, {
  transports: args.transports.split(","),
  perMessageDeflate: args.deflate === "on" ? { threshold: 0 } : false,
  maxHttpBufferSize: 10e6,
});
const ab = io.of(NSP);

ab.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  const h = socket.handshake.headers;
  const presented = [auth.token, auth.apiKey, h["x-api-key"], (h["authorization"] || "").replace(/^Bearer /, "")];
  if (!KEY || presented.includes(KEY)) return next();
  counts.refused++;
  next(new Error("invalid api key"));
});

function runOf(data) {
  const r = data && typeof data === "object" ? runs.get(data.runId) : undefined;
  if (!r) counts.unknownRunEvents++;
  return r;
}

// Whether a websocket negotiated per-message deflate (ws keeps the
// accepted extensions on its socket; a private field, read defensively).
function deflated(socket) {
  try {
    const t = socket.conn.transport;
    return t.name === "websocket" && Boolean(t.socket._extensions["permessage-deflate"]);
  } catch {
    return false;
  }
}

ab.on("connection", (socket) => {
  counts.connects++;
  if (deflated(socket)) counts.deflated++;
  sockets.add(socket);
  socket.on("disconnect", () => {
    counts.disconnects++;
    sockets.delete(socket);
    for (const r of runs.values()) r.members.delete(socket.id);
  });
  socket.on("run:join", (data, ack) => {
    const r = data && typeof data === "object" ? runs.get(data.runId) : undefined;
    if (!r || !r.running) {
      counts.unknownJoins++;
      if (typeof ack === "function") ack({ ok: false, error: "unknown run" });
      return;
    }
    for (const other of runs.values()) {
      if (other.members.delete(socket.id)) socket.leave(other.id);
    }
    r.members.add(socket.id);
    socket.join(r.id);
    bump("joins", r.id);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("io:chunk", (data) => {
    const r = runOf(data);
    if (!r) return;
    if (!Buffer.isBuffer(data.data)) {
      counts.nonBinaryChunks++;
      return;
    }
    bump("chunks", r.id);
    bump("chunkBytes", r.id, data.data.length);
    if (data.meta && data.meta.cycle === r.cycle) r.pending.delete(data.inputId);
  });
  socket.on("robot:state", (data) => {
    const r = runOf(data);
    if (r) bump("states", r.id);
  });
  socket.on("learn:reward", (data) => {
    const r = runOf(data);
    if (r) bump("rewards", r.id);
  });
});

// ---- the cycle --------------------------------------------------------------------
// One timer for every run: each period, an io:need to every run with members,
// then its cycle:update once all needs of the cycle are answered or the
// deadline passed.
let stopping = false;
let timer = null;

function outputsOf() {
  const rows = [];
  for (let t = 0; t < 4; t++) {
    for (const o of IO.outputs) rows.push({ t, id: o.id, bits: Array.from({ length: o.n }, () => crypto.randomInt(2)) });
  }
  return rows;
}

function tick() {
  const t0 = Date.now();
  const opened = [];
  for (const r of runs.values()) {
    if (!r.running || r.members.size === 0) continue;
    r.cycle++;
    r.pending = new Set(IO.inputs.map((i) => i.id));
    bump("needs", r.id);
    ab.to(r.id).emit("io:need", { runId: r.id, cycle: r.cycle, deadlineMs: args.deadlineMs, needs: IO.inputs.map((i) => ({ ...i })) });
    opened.push([r, r.cycle]);
  }
  const finish = () => {
    for (const [r, cycle] of opened) {
      bump("cycles", r.id);
      ab.to(r.id).emit("cycle:update", { runId: r.id, cycle, outputs: outputsOf() });
    }
    if (!stopping) timer = setTimeout(tick, Math.max(0, t0 + args.periodMs - Date.now()));
  };
  const wait = () => {
    if (opened.length === 0 || Date.now() >= t0 + args.deadlineMs || opened.every(([r]) => r.pending.size === 0)) return finish();
    timer = setTimeout(wait, 5);
  };
  wait();
}

// ---- control ------------------------------------------------------------------------
function kick() {
  counts.kicks++;
  const n = sockets.size;
  // A namespace DISCONNECT packet for each socket, the connection kept
  // (disconnect(false)): a server-initiated disconnect.
  for (const s of [...sockets]) s.disconnect(false);
  return n;
}

function command(cmd) {
  if (cmd === "stats") say("STATS " + JSON.stringify(stats()));
  else if (cmd === "kick") say("KICKED " + kick());
  else if (cmd === "shutdown") shutdown();
  else if (cmd) say("ERROR unknown command " + cmd);
}

function shutdown() {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  // Graceful: every socket closed by the server (socket.io closes its
  // websockets with a close frame), then the HTTP server. The server's
  // close waits for every TCP connection, upgraded ones included, and a
  // websocket's ends only when its client closes TCP or after ws's 30 s
  // close timeout: after a grace period for the close handshakes, whatever
  // is still open (also idle REST keep-alives) is destroyed. A bound in
  // case something lingers all the same, failing loudly.
  setTimeout(() => {
    process.stderr.write("ab_brain: shutdown did not complete within 5 s\n");
    process.exit(1);
  }, 5000).unref();
  io.close(() => {
    say("BYE");
    process.exit(0);
  });
  setTimeout(() => {
    for (const c of connections) c.destroy();
  }, 300);
}

readline.createInterface({ input: process.stdin }).on("line", (l) => command(l.trim())).on("close", () => command("shutdown"));
process.on("SIGTERM", shutdown);

web.listen(args.port, "127.0.0.1", () => {
  port = web.address().port;
  say("PORT " + port);
  tick();
});
