/**
 * The dApp for `npm start`: a production build (`next build`), made once and reused while its
 * sources are unchanged (a hash of them is kept beside the build), then `next start`.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { spawn } from "node:child_process";
import { StackError } from "./ports.ts";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const WEB_DIR = path.join(REPO_ROOT, "web");
const SOURCES = ["app", "components", "lib", "public", "next.config.ts", "tsconfig.json", "package.json"].map((p) => path.join(WEB_DIR, p));
const SHARED_SOURCES = [path.join(REPO_ROOT, "generated")];

export function nextBin(): string {
  const pkg = createRequire(path.join(WEB_DIR, "package.json")).resolve("next/package.json");
  return path.join(path.dirname(pkg), "dist/bin/next");
}

/** A hash of every source file that goes into the build. */
export async function webSourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const target of [...SOURCES, ...SHARED_SOURCES]) {
    if (!existsSync(target)) continue;
    const entries = await readdir(target, { withFileTypes: true, recursive: true }).catch(() => null);
    const files = entries === null ? [target] : entries.filter((e) => e.isFile() && !e.parentPath.includes("node_modules")).map((e) => path.join(e.parentPath, e.name));
    for (const file of files.sort()) {
      hash.update(path.relative(REPO_ROOT, file));
      hash.update(await readFile(file));
    }
  }
  return hash.digest("hex");
}

export type EnsureWebBuildOptions = {
  /** Build under `flock --exclusive` on this file, so a `next start` holding it shared never sees its files replaced. */
  lockFile?: string;
  /** A Next.js standalone build (`output: "standalone"`, what the packages ship: packaging/src/dapp.ts). */
  standalone?: boolean;
};

/** Builds the dApp into `distDir` (relative to web/) unless a build of the same sources is there. */
export async function ensureWebBuild(distDir: string, logFile: string, options: EnsureWebBuildOptions = {}): Promise<{ reused: boolean }> {
  const key = await webSourceHash();
  const dist = path.join(WEB_DIR, distDir);
  const keyFile = path.join(dist, "ns-llm-source-hash");
  if (existsSync(path.join(dist, "BUILD_ID")) && (await readFile(keyFile, "utf8").catch(() => "")) === key) return { reused: true };
  const { createWriteStream } = await import("node:fs");
  const log = createWriteStream(logFile, { flags: "a" });
  const build = [process.execPath, nextBin(), "build"];
  const [command, ...args] = options.lockFile ? ["flock", "--exclusive", options.lockFile, ...build] : build;
  const child = spawn(command!, args, {
    cwd: WEB_DIR,
    env: { ...process.env, NS_LLM_WEB_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1", ...(options.standalone ? { NS_LLM_WEB_OUTPUT: "standalone" } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  // "close": the output is all read; then the log is complete on disk.
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) throw new StackError(`next build failed (exit ${code})`, `see ${logFile}`);
  await writeFile(keyFile, key);
  return { reused: false };
}
