/**
 * The packaged node's supervisor (what `ns-llm` with no arguments runs): it owns the port users
 * talk to and runs the node as a child process on a port of its own, forwarding each HTTP request
 * to it. When the node switches to a new version (a governed update tells it over IPC; an
 * operator's `ns-llm release rollback` is seen in the `current` file), the supervisor holds new
 * requests, lets the running version finish the ones it is answering, stops it, starts the new
 * version and, once it answers /health, hands it the held requests: none is lost or refused, the
 * ones that arrive during the switch wait a few seconds. A new version that does not become
 * healthy is stopped, rolled back from (`current` names the old one again) and the old one is
 * started again and told why (its /health `release.lastRefused`).
 *
 * Why one after the other and not side by side: both versions use the same data folder, whose
 * embedded IPFS repo and databases one process owns at a time. Why a forwarding proxy rather than
 * handing the listening socket over: Node has no SO_REUSEPORT, and a socket passed between
 * processes leaves the clients' keep-alive connections with the old process, which must close
 * them while a request may be on its way; the proxy keeps every client connection itself. The
 * cost is one local hop per request, small next to a generation. NS_LLM_SUPERVISOR=0 runs the
 * node directly (then a switch takes effect at the next start).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { createInterface } from "node:readline";
import { rollbackVersion } from "../../node/src/release/install-layout.ts";

export type SupervisorParameters = {
  root: string;
  /** The version the launcher chose (`current`, or `previous` when `current` is not complete). */
  version: string;
  /** The node's arguments (`serve --demo ...`). */
  args: string[];
  host: string;
  port: number;
  env: NodeJS.ProcessEnv;
};

type Backend = {
  version: string;
  child: ChildProcess;
  /** Where the child answers (its own port). */
  target: { host: string; port: number };
  agent: http.Agent;
  inflight: number;
  drained: Array<() => void>;
};

const READY_TIMEOUT_MS = 180_000;
const DRAIN_TIMEOUT_MS = 120_000;
const POLL_MS = 1_000;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade", "te", "trailer"]);

export async function supervise(p: SupervisorParameters): Promise<void> {
  const say = (line: string) => console.error(`ns-llm supervisor: ${line}`);
  let active: Backend | undefined;
  let switching = false;
  let stopping = false;
  const waiters: Array<(b: Backend) => void> = [];
  /** Every child started and not yet exited (one, but for a moment while a start fails). */
  const children = new Set<ChildProcess>();
  const backendReady = () => (active ? Promise.resolve(active) : new Promise<Backend>((resolve) => waiters.push(resolve)));

  // Keep-alive as long as the node itself keeps it (fastify's 72 s): with Node's default 5 s, a
  // client reusing a connection the supervisor just closed loses its request.
  const server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 72_000 }, (req, res) => {
    void backendReady().then((backend) => forward(backend, req, res));
  });
  server.keepAliveTimeout = 72_000;
  server.headersTimeout = 75_000;

  function forward(backend: Backend, req: http.IncomingMessage, res: http.ServerResponse): void {
    backend.inflight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (--backend.inflight === 0) for (const wake of backend.drained.splice(0)) wake();
    };
    res.once("close", finish);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const upstream = http.request({ ...backend.target, method: req.method, path: req.url, headers, agent: backend.agent }, (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      if (!res.writableFinished) say(`${req.method} ${req.url} to version ${backend.version} failed: ${error.message}`);
      if (res.headersSent) return void res.destroy(error);
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "node_unavailable", message: `the node (version ${backend.version}) did not answer: ${error.message}` } }));
    });
    // A client that goes away cancels the request upstream (a generation stops).
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** Starts `version` as a child; resolves once it answers /health, rejects if it exits or takes too long. */
  function startBackend(version: string): Promise<Backend> {
    const dir = path.join(p.root, "versions", version);
    const runtime = path.join(dir, process.platform === "win32" ? "node.exe" : "node");
    const child = spawn(runtime, [path.join(dir, "app", "node", "build", "cli", "launch.js"), ...p.args], {
      env: { ...p.env, NS_LLM_SUPERVISED: "1", NS_LLM_SUPERVISOR_VERSION: p.version, NS_LLM_INSTALL_ROOT: p.root, NS_LLM_VERSION: version, NS_LLM_HOST: p.host, NS_LLM_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    return new Promise<Backend>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill("SIGTERM");
        reject(new Error(`version ${version} ${why}`));
      };
      const timer = setTimeout(() => fail(`did not answer /health within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
      child.once("exit", (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
      child.once("error", (error) => fail(`could not start: ${error.message}`));
      child.stderr!.pipe(process.stderr, { end: false });
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const listening = /^ns-llm listening on (http:\/\/\S+)/.exec(line);
        if (!listening) return void console.log(line);
        // The child's own port is the supervisor's business; users talk to the supervisor's.
        say(`version ${version} answers on ${listening[1]}`);
        const url = new URL(listening[1]!);
        const target = { host: connectable(url.hostname), port: Number(url.port) };
        void healthy(target, p.env.NS_LLM_API_TOKEN).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            // A fresh loopback connection per request: a reused one the node is closing would fail the request.
            const backend: Backend = { version, child, target, agent: new http.Agent({ keepAlive: false }), inflight: 0, drained: [] };
            child.on("message", (message) => onMessage(backend, message));
            child.once("exit", (code, signal) => onExit(backend, code, signal));
            resolve(backend);
          },
          (error: Error) => fail(`failed its health check: ${error.message}`),
        );
      });
    });
  }

  function onMessage(from: Backend, message: unknown): void {
    const m = message as { type?: string; version?: string };
    if (m?.type === "ns-llm.release.switched" && from === active && m.version) void switchTo(m.version);
  }

  function onExit(backend: Backend, code: number | null, signal: NodeJS.Signals | null): void {
    if (backend !== active || stopping) return;
    say(`version ${backend.version} exited (${signal ?? code}); stopping`);
    void stop(code ?? 1);
  }

  function setActive(backend: Backend): void {
    active = backend;
    for (const wake of waiters.splice(0)) wake(backend);
  }

  /** Holds new requests, drains and stops the running version, starts `version`; rolls back if it fails. */
  async function switchTo(version: string): Promise<void> {
    if (switching || stopping || !active || active.version === version) return;
    switching = true;
    const old = active;
    active = undefined;
    say(`switching from ${old.version} to ${version}: new requests wait; ${old.version} finishes its ${old.inflight} request(s) and stops`);
    try {
      await stopBackend(old);
      try {
        setActive(await startBackend(version));
        say(`version ${version} is healthy: it answers the held requests and all new ones`);
      } catch (error) {
        const reason = (error as Error).message;
        say(reason);
        // Back to what ran: `current` names it again, the failed version is `previous`.
        try {
          await rollbackVersion({ root: p.root });
          say(`rolled back to ${old.version}`);
        } catch (rollback) {
          say(`could not roll back: ${(rollback as Error).message}`);
        }
        const again = await startBackend(old.version);
        again.child.send({ type: "ns-llm.release.failed", version, reason });
        setActive(again);
      }
    } catch (error) {
      say(`no version runs: ${(error as Error).message}`);
      await stop(1);
    } finally {
      switching = false;
    }
  }

  async function stopBackend(backend: Backend): Promise<void> {
    if (backend.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
        backend.drained.push(() => (clearTimeout(timer), resolve()));
      });
    }
    if (backend.child.exitCode === null && backend.child.signalCode === null) {
      const exited = new Promise((resolve) => backend.child.once("exit", resolve));
      backend.child.kill("SIGTERM");
      const timer = setTimeout(() => backend.child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    backend.agent.destroy();
  }

  async function stop(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    clearInterval(poll);
    server.close();
    if (active) await stopBackend(active);
    for (const child of children) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    process.exit(code);
  }

  // The operator's moves (ns-llm release rollback, pin, a switch done while the supervisor ran
  // another version) show in `current`: the supervisor follows it.
  const poll = setInterval(() => {
    if (!active || switching || stopping) return;
    const current = readCurrent(p.root);
    // An incomplete version is passed over, as the launcher does (ns-llm release status tells).
    if (current && current !== active.version && complete(p.root, current)) void switchTo(current);
  }, POLL_MS);
  poll.unref();
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void stop(0));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(p.port, p.host, () => resolve());
  });
  // The first version: the launcher's choice, else (it does not start) the previous one.
  const first = p.version;
  try {
    active = await startBackend(first);
  } catch (error) {
    say((error as Error).message);
    const state = await rollbackVersion({ root: p.root }).catch(() => undefined);
    if (!state) {
      server.close();
      throw error;
    }
    say(`starting the previous version ${state.current} instead`);
    active = await startBackend(state.current);
  }
  setActive(active);
  const address = server.address() as { port: number };
  console.log(`ns-llm listening on http://${p.host.includes(":") ? `[${p.host}]` : p.host}:${address.port}`);
}

function readCurrent(root: string): string | undefined {
  try {
    return readFileSync(path.join(root, "current"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function complete(root: string, version: string): boolean {
  const dir = path.join(root, "versions", version);
  return existsSync(path.join(dir, process.platform === "win32" ? "node.exe" : "node")) && existsSync(path.join(dir, "app", "node", "build", "cli", "launch.js"));
}

/** An address to reach a server bound to `host` (a wildcard is reached on loopback). */
function connectable(host: string): string {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "0.0.0.0") return "127.0.0.1";
  if (bare === "::") return "::1";
  return bare;
}

/** Resolves once `target` answers GET /health with 200 (with the API token: a node bound beyond loopback asks for it). */
async function healthy(target: { host: string; port: number }, token: string | undefined): Promise<void> {
  const status = await new Promise<number>((resolve, reject) => {
    const headers = { host: "127.0.0.1", ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = http.get({ ...target, path: "/health", headers, timeout: 30_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("timeout", () => req.destroy(new Error("timed out")));
    req.once("error", reject);
  });
  if (status !== 200) throw new Error(`/health answered ${status}`);
}
