/**
 * The dApp beside the node: a Next.js standalone build (`NS_LLM_DAPP_DIR`, by default a package's
 * `app/web`) that the node starts on the first page request as a loopback-only child process on a
 * free port, and stops with itself. The node's HTTP server forwards page requests to it
 * (server/page-proxy.ts), so a person opens the dApp on the node's own port.
 *
 * The child never outlives the node: it runs in a process group of its own that close() ends
 * (SIGTERM, then SIGKILL), the node's exit kills it synchronously whatever the reason, and the
 * child itself exits when its IPC channel to the node closes (the node was killed outright).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { NsLlmError } from "../errors.ts";

/** The sources run as .ts; the packages' bundle has it as dapp-child.js beside its chunks (packaging/src/bundle.ts). */
const CHILD = [path.join(import.meta.dirname, "dapp-child.ts"), path.join(import.meta.dirname, "dapp-child.js")].find((file) => existsSync(file)) ?? "dapp-child.ts";

/** The dApp's server could not start, or stopped answering: 503 `dapp_unavailable`. */
export class DappUnavailableError extends NsLlmError<"dapp_unavailable"> {
  constructor(message: string, hint: string) {
    super("dapp_unavailable", message, { transient: true, hint });
  }
}

export type DappHostParameters = {
  /** The built standalone dApp: the folder that holds Next's `server.js`. */
  dir: string;
  /** The dApp server's own settings (NS_LLM_NODE_URL, NS_LLM_RPC_URL, ...), read when it starts. */
  env: () => Record<string, string | undefined>;
  log: (line: string) => void;
  /** How long the server may take to answer after it was started. Default 60 s. */
  startTimeoutMs?: number;
  /** After a failed start, requests get the same 503 for this long before the next try. Default 5 s. */
  retryAfterMs?: number;
};

export type DappTarget = { host: string; port: number };

export type DappHost = {
  dir: string;
  /** Where the dApp answers; starts it on first use. Throws DappUnavailableError. */
  target(): Promise<DappTarget>;
  /** The child's pid while it runs (tests). */
  pid(): number | undefined;
  /** Ends the child's process group; later target() calls fail. */
  close(): Promise<void>;
};

/** Variables of the node's environment the dApp server needs to run at all (no secrets). */
const PASSED_ENV = ["PATH", "Path", "HOME", "USERPROFILE", "TMPDIR", "TEMP", "TMP", "SystemRoot", "LANG", "LC_ALL", "TZ"];
const POSIX = process.platform !== "win32";
const OUTPUT_LINES = 40;

/**
 * `dir` as a standalone build: its server.js (in `dir`, or in `dir/web` as Next lays out a build
 * of this repository's workspace and the packages ship it), or the reason it is not one.
 */
export function standaloneServer(dir: string): { serverJs: string } | { problem: string } {
  if (!existsSync(dir)) return { problem: `${dir} does not exist` };
  const serverJs = [path.join(dir, "server.js"), path.join(dir, "web", "server.js")].find((file) => existsSync(file));
  if (!serverJs) return { problem: `${dir} holds no server.js (not a Next.js standalone build)` };
  return { serverJs };
}

export function createDappHost(p: DappHostParameters): DappHost {
  const startTimeoutMs = p.startTimeoutMs ?? 60_000;
  const retryAfterMs = p.retryAfterMs ?? 5_000;
  const hint = `check NS_LLM_DAPP_DIR (${p.dir}) and the node's log; NS_LLM_DAPP=0 serves the API alone`;
  let child: ChildProcess | undefined;
  let starting: Promise<DappTarget> | undefined;
  let failure: { error: DappUnavailableError; at: number } | undefined;
  let closed = false;

  // Whatever ends the node (process.exit included), the group goes with it.
  const killNow = () => {
    if (child && child.exitCode === null && child.signalCode === null) signalGroup(child, "SIGKILL");
  };
  process.once("exit", killNow);

  async function start(): Promise<DappTarget> {
    const server = standaloneServer(p.dir);
    if ("problem" in server) throw new DappUnavailableError(`the dApp cannot start: ${server.problem}`, hint);
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]!;
    for (const [name, value] of Object.entries(p.env())) if (value !== undefined && value !== "") env[name] = value;
    Object.assign(env, { NEXT_TELEMETRY_DISABLED: "1", HOSTNAME: "127.0.0.1", PORT: String(port) });
    const proc = spawn(process.execPath, [CHILD, server.serverJs], {
      cwd: path.dirname(server.serverJs),
      env: { ...env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      detached: POSIX, // a process group of its own, ended as one
      windowsHide: true,
    });
    child = proc;
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) if (line.trim()) output.push(line.trimEnd());
      output.splice(0, Math.max(0, output.length - OUTPUT_LINES));
    };
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    const said = () => (output.length ? `: ${output.slice(-5).join(" | ")}` : "");
    let exited: string | undefined;
    let ready = false;
    proc.once("exit", (code, signal) => {
      exited = signal ?? String(code);
      if (child === proc) child = undefined;
      if (closed || !ready) return;
      // It ran and stopped on its own: the next page request starts a new one.
      starting = undefined;
      p.log(`the dApp server (pid ${proc.pid}) exited (${exited}); the next page request starts it again${said()}`);
    });
    proc.once("error", (error) => (exited = error.message));
    const target = { host: "127.0.0.1", port };
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (closed) throw new DappUnavailableError("the node is stopping", hint);
      if (exited !== undefined) throw new DappUnavailableError(`the dApp server exited (${exited}) before it answered${said()}`, hint);
      if (await answers(target)) break;
      if (Date.now() > deadline) {
        signalGroup(proc, "SIGKILL");
        throw new DappUnavailableError(`the dApp server did not answer within ${startTimeoutMs / 1000} s${said()}`, hint);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ready = true;
    p.log(`dApp server (pid ${proc.pid}) answers on http://127.0.0.1:${port}, behind the node's own port`);
    return target;
  }

  return {
    dir: p.dir,
    target() {
      if (closed) return Promise.reject(new DappUnavailableError("the node is stopping", hint));
      if (starting) return starting;
      if (failure && Date.now() - failure.at < retryAfterMs) return Promise.reject(failure.error);
      const attempt = start();
      starting = attempt;
      attempt.then(
        () => (failure = undefined),
        (error: DappUnavailableError) => {
          if (starting === attempt) starting = undefined;
          failure = { error, at: Date.now() };
          p.log(error.message);
        },
      );
      return attempt;
    },
    pid: () => child?.pid,
    async close() {
      closed = true;
      process.removeListener("exit", killNow);
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      signalGroup(proc, "SIGTERM");
      const timer = setTimeout(() => signalGroup(proc, "SIGKILL"), 5_000);
      await gone;
      clearTimeout(timer);
      // What the server may have started in its group goes too.
      signalGroup(proc, "SIGKILL");
    },
  };
}

/** Signals the child's process group (POSIX), or the child (Windows); a group already gone is fine. */
function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (POSIX && proc.pid) process.kill(-proc.pid, signal);
    else proc.kill(signal);
  } catch {
    // already gone
  }
}

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether an HTTP server answers at `target` (any status: a missing static file is cheap to ask for). */
function answers(target: DappTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ ...target, method: "HEAD", path: "/_next/static/ns-llm-ready-probe", headers: { host: `127.0.0.1:${target.port}` }, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}
