/**
 * The node's native dependencies (node-llama-cpp, onnxruntime-node) and theirs, installed once per
 * lock file with `npm ci` from packaging/runtime-deps, without optional packages: each target
 * then adds only its own platform's binaries. The result is kept in the packaging cache.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { packagingCache } from "./fetch.ts";

const run = promisify(execFile);
const SOURCE = path.resolve(import.meta.dirname, "../runtime-deps");

/** The folder holding the installed node_modules. */
export async function installRuntimeDeps(cache = packagingCache()): Promise<string> {
  const lock = await readFile(path.join(SOURCE, "package-lock.json"));
  const key = createHash("sha256").update(lock).update(await readFile(path.join(SOURCE, "package.json"))).digest("hex").slice(0, 16);
  const dir = path.join(cache, `runtime-deps-${key}`);
  const done = path.join(dir, ".complete");
  if (existsSync(done)) return path.join(dir, "node_modules");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const file of ["package.json", "package-lock.json"]) await copyFile(path.join(SOURCE, file), path.join(dir, file));
  try {
    await run("npm", ["ci", "--omit=optional", "--omit=dev", "--omit=peer", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
      // Read the lock as it is, and never let a user's npm config install from elsewhere.
      env: { ...process.env, npm_config_onnxruntime_node_install: "skip", ONNXRUNTIME_NODE_INSTALL: "skip" },
    });
  } catch (error) {
    throw new Error(`npm ci of packaging/runtime-deps failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()} (is the npm registry reachable?)`);
  }
  await writeFile(done, "");
  return path.join(dir, "node_modules");
}
