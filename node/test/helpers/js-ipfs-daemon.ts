/**
 * A real Kubo-RPC server for tests: the js-ipfs daemon (npm `ipfs`, deprecated, but a full
 * implementation of the /api/v0 HTTP API), installed on first use into a stable folder under the
 * OS temp dir (never into the project's dependencies) and started offline on free ports.
 *
 * Its dependency ranges now resolve to mixed majors of @multiformats/multiaddr (11 and 12), and
 * @multiformats/mafmt 11.1.2+ (which uses 12) then rejects every 11-made listen address ("no
 * valid addresses were provided for transports"); pinning mafmt to 11.1.0 (which uses 11) by an
 * npm override makes it start. It needs Node >= 22 (its newer transitive deps use
 * Promise.withResolvers), so it runs under the test's own Node.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { stopChild } from "./processes.ts";

export const JS_IPFS_VERSION = "0.66.1";
const PACKAGE = {
  name: "ns-llm-test-js-ipfs",
  private: true,
  dependencies: { ipfs: JS_IPFS_VERSION },
  overrides: { "@multiformats/mafmt": "11.1.0" },
};
const INSTALL_KEY = createHash("sha256").update(JSON.stringify(PACKAGE)).digest("hex").slice(0, 12);

/** The stable install folder (kept between runs, so only the first run downloads). */
export const JS_IPFS_DIR = process.env.NS_LLM_TEST_JS_IPFS_DIR ?? path.join(os.tmpdir(), `ns-llm-test-js-ipfs-${JS_IPFS_VERSION}-${INSTALL_KEY}`);

export type JsIpfsDaemon = { apiUrl: string; pid: number; stop(): Promise<void> };

/** Installs js-ipfs into JS_IPFS_DIR unless it is there already; returns its CLI's path. */
export async function installJsIpfs(options: { timeoutMs?: number } = {}): Promise<string> {
  const cli = path.join(JS_IPFS_DIR, "node_modules", "ipfs", "src", "cli.js");
  const marker = path.join(JS_IPFS_DIR, ".installed");
  if (await exists(marker)) return cli;
  await fs.mkdir(JS_IPFS_DIR, { recursive: true });
  await fs.writeFile(path.join(JS_IPFS_DIR, "package.json"), `${JSON.stringify(PACKAGE, null, 2)}\n`);
  await run(
    await npmCommand(),
    ["install", "--prefix", JS_IPFS_DIR, "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", "--loglevel=error"],
    { cwd: JS_IPFS_DIR, timeoutMs: options.timeoutMs ?? 20 * 60_000 },
  );
  if (!(await exists(cli))) throw new Error(`npm finished but ${cli} is missing`);
  await fs.writeFile(marker, `${new Date().toISOString()}\n`);
  return cli;
}

/** Starts `jsipfs daemon --offline` on a fresh repo in `repoDir`, every port chosen by the OS. */
export async function startJsIpfs(cli: string, repoDir: string): Promise<JsIpfsDaemon> {
  const env = { ...process.env, IPFS_PATH: repoDir, IPFS_MONITORING: "", DEBUG: "" };
  await run(process.execPath, [cli, "init", "--profile", "test"], { env, timeoutMs: 120_000 });
  const configFile = path.join(repoDir, "config");
  const config = JSON.parse(await fs.readFile(configFile, "utf8"));
  // The test profile already listens on port 0 and has no bootstrap peers or MDNS; also the gRPC
  // port (fixed 5003 by default), and no delegates.
  config.Addresses = { ...config.Addresses, API: "/ip4/127.0.0.1/tcp/0", Gateway: "/ip4/127.0.0.1/tcp/0", RPC: "/ip4/127.0.0.1/tcp/0", Swarm: ["/ip4/127.0.0.1/tcp/0"], Delegates: [] };
  config.Bootstrap = [];
  await fs.writeFile(configFile, JSON.stringify(config, null, 2));

  const child = spawn(process.execPath, [cli, "daemon", "--offline"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`js-ipfs did not start within 120 s:\n${output}`)), 120_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /HTTP API listening on \/ip4\/([\d.]+)\/tcp\/(\d+)/.exec(output);
      if (match && output.includes("Daemon is ready")) {
        clearTimeout(timer);
        resolve(`http://${match[1]}:${match[2]}`);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`js-ipfs exited with ${code}:\n${output}`));
    });
  });
  return { apiUrl, pid: child.pid!, stop: () => stopChild(child, "SIGTERM", 10_000) };
}

/** npm next to the running node, else the one on PATH. */
async function npmCommand(): Promise<string> {
  const beside = path.join(path.dirname(process.execPath), "npm");
  return (await exists(beside)) ? beside : "npm";
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(command)} ${args.slice(0, 2).join(" ")} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
