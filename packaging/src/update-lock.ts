/**
 * `node packaging/src/update-lock.ts`: pins, in packaging/lock.json, the registry packages each
 * platform's package takes: the Node.js runtime at the version `node@22` has (or the newest 22.x
 * before it when a platform's package lags), node-llama-cpp's prebuilt binaries at the version
 * packaging/runtime-deps pins, and the onnxruntime-node that still has macOS x64 binaries.
 * Run it after changing those versions, review the diff, commit it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ReleasePlatform } from "../../node/src/release/index.ts";
import { LOCK_FILE, type PackagingLock, type PinnedPackage, type PlatformLock } from "./lock.ts";
import { TARGETS } from "./targets.ts";

const NODE_MAJOR = "22";
/** The last onnxruntime-node with bin/napi-v6/darwin/x64 (later ones dropped macOS x64). */
const ONNX_DARWIN_X64 = "1.23.2";

function npmView(spec: string, field: string): unknown {
  const out = execFileSync("npm", ["view", spec, field, "--json"], { encoding: "utf8" }).trim();
  return out ? JSON.parse(out) : undefined;
}

function pin(name: string, version: string): PinnedPackage {
  const integrity = npmView(`${name}@${version}`, "dist.integrity");
  if (typeof integrity !== "string") throw new Error(`${name}@${version} is not on the registry`);
  return { name, version, integrity };
}

const compare = (a: string, b: string) => {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
};

/** node@22's version if `name` has it, else the newest 22.x below it. */
function runtimeVersion(name: string, wanted: string): string {
  const versions = (npmView(name, "versions") as string[]).filter((v) => v.startsWith(`${NODE_MAJOR}.`) && compare(v, wanted) <= 0);
  const best = versions.sort(compare).at(-1);
  if (!best) throw new Error(`${name} has no ${NODE_MAJOR}.x release up to ${wanted}`);
  if (best !== wanted) console.error(`note: ${name} has no ${wanted}; pinning ${best}, its newest ${NODE_MAJOR}.x`);
  return best;
}

const runtimeDeps = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../runtime-deps/package.json"), "utf8")) as { dependencies: Record<string, string> };
const llamaVersion = runtimeDeps.dependencies["node-llama-cpp"]!;
const nodeVersion = npmView(`node@${NODE_MAJOR}`, "version");
const wanted = Array.isArray(nodeVersion) ? (nodeVersion.at(-1) as string) : (nodeVersion as string);

const platforms = {} as Record<ReleasePlatform, PlatformLock>;
for (const target of TARGETS) {
  const entry: PlatformLock = { node: pin(target.nodePackage, runtimeVersion(target.nodePackage, wanted)), llama: pin(target.llamaPackage, llamaVersion) };
  if (target.platform === "darwin-x64") entry.replace = [pin("onnxruntime-node", ONNX_DARWIN_X64), pin("onnxruntime-common", ONNX_DARWIN_X64)];
  platforms[target.platform] = entry;
}
const lock: PackagingLock = { platforms };
writeFileSync(LOCK_FILE, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`wrote ${LOCK_FILE} (node ${wanted}, node-llama-cpp ${llamaVersion})`);
