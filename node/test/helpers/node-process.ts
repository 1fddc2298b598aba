/**
 * A real node as a child process (`ns-llm serve --no-chain`, with `--demo` unless told otherwise)
 * in its own NS_LLM_HOME, on a port the OS chose, with one inference thread. The faults the client
 * and the gateway must survive are done to the real process: `kill()` (SIGKILL, a crash),
 * `restart()` (same port, same home), `pause()`/`resume()` (SIGSTOP/SIGCONT: the kernel still
 * accepts connections, nothing answers — a node made slow).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const BIN = path.resolve(import.meta.dirname, "../../bin/ns-llm.js");

export type NodeProcess = {
  readonly url: string;
  readonly port: number;
  readonly home: string;
  /** The current process id (a restart changes it). */
  readonly pid: number;
  readonly running: boolean;
  /** The last few KiB of its stdout and stderr (why it is degraded, why it failed). */
  readonly output: string;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and home. */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Prometheus text of the node's /metrics. */
  metrics(): Promise<string>;
  /** ns_llm_http_requests_total for a route (all statuses, or one). */
  requests(route: string, method?: string, status?: number): Promise<number>;
  /** Kills it and removes its home. */
  stop(): Promise<void>;
};

export type SpawnNodeParameters = {
  /** Serve the demo models (default true); false = a node without models (/embed answers 503). */
  demo?: boolean;
  env?: Record<string, string>;
};

const live = new Set<ChildProcess>();
// A test process that dies early must not leave nodes behind.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function spawnNode(p: SpawnNodeParameters = {}): Promise<NodeProcess> {
  const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-proc-"));
  const args = [BIN, "serve", "--no-chain", ...(p.demo === false ? [] : ["--demo"])];
  let child: ChildProcess | undefined;
  let port = 0;
  let paused = false;
  let tail = "";

  const start = async () => {
    const c = spawn(process.execPath, args, {
      env: { ...process.env, NS_LLM_HOME: home, NS_LLM_HOST: "127.0.0.1", NS_LLM_PORT: String(port), NS_LLM_THREADS: "1", ...p.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = c;
    live.add(c);
    c.once("exit", () => live.delete(c));
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.kill("SIGKILL");
        reject(new Error(`the node did not start within 60 s:\n${output}`));
      }, 60_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const match = /ns-llm listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          c.stdout!.off("data", onData);
          c.stderr!.off("data", onData);
          resolve(match[1]!);
        }
      };
      c.stdout!.on("data", onData);
      c.stderr!.on("data", onData);
      c.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the node exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
    // Keep draining its output (a chatty node must never block on a full pipe), keep the tail.
    tail = output.slice(-8192);
    const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-8192));
    c.stdout!.on("data", keep);
    c.stderr!.on("data", keep);
    port = Number(new URL(url).port);
    if (p.demo !== false) {
      // A node that could not load a model still listens (degraded): fail here, saying why.
      const health = (await (await fetch(`${url}/health`)).json()) as { embedding: { ready: boolean }; generation: { ready: boolean } };
      if (!health.embedding.ready || !health.generation.ready) {
        c.kill("SIGKILL");
        throw new Error(`the node started without its demo models:\n${JSON.stringify(health)}\n${tail}`);
      }
    }
  };

  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill("SIGKILL");
    await exited;
    paused = false;
  };

  try {
    await start();
  } catch (error) {
    // Nothing left behind when it does not come up: no process, no folder.
    await kill();
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  const handle: NodeProcess = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    home,
    get pid() {
      return child!.pid!;
    },
    get output() {
      return tail;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill,
    async restart() {
      await kill();
      await start();
    },
    pause() {
      child!.kill("SIGSTOP");
      paused = true;
    },
    resume() {
      if (paused) child!.kill("SIGCONT");
      paused = false;
    },
    async metrics() {
      const response = await fetch(`${handle.url}/metrics`);
      return response.text();
    },
    async requests(route, method = "POST", status) {
      const text = await handle.metrics();
      let total = 0;
      for (const line of text.split("\n")) {
        if (!line.startsWith("ns_llm_http_requests_total{")) continue;
        if (!line.includes(`route="${route}"`) || !line.includes(`method="${method}"`)) continue;
        if (status !== undefined && !line.includes(`status="${status}"`)) continue;
        total += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
      return total;
    },
    async stop() {
      if (paused) child?.kill("SIGCONT");
      await kill();
      await rm(home, { recursive: true, force: true });
    },
  };
  return handle;
}
