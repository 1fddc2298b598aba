/**
 * Lays out one platform's install folder, as every format then ships it:
 *
 *   ns-llm-<version>-<platform>/
 *     ns-llm | ns-llm.cmd        the launcher (packaging/launcher)
 *     current                    "<version>"
 *     versions/<version>/
 *       node | node.exe          that platform's Node.js runtime (from the registry, pinned)
 *       node-LICENSE
 *       release-key.pem          the public release key updates are verified with
 *       app/node/build/cli/      the bundled node (same bytes on every platform)
 *       app/node/docs/, app/README.md, app/manifests/   the node's search corpus and manifests
 *       app/node_modules/        node-llama-cpp + that platform's binaries, onnxruntime-node with
 *                                that platform's folder only, and their JavaScript dependencies
 *       app/web/                 the dApp's standalone server (dapp.ts; the same on every platform),
 *                                which the node serves on its own port
 */
import { execFile } from "node:child_process";
import { chmod, cp, mkdir, readdir, rm, utimes, writeFile, copyFile, lstat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { fetchPackage } from "./fetch.ts";
import type { PlatformLock } from "./lock.ts";
import { REPO } from "./bundle.ts";
import type { Target } from "./targets.ts";

const run = promisify(execFile);
const LAUNCHER = path.resolve(import.meta.dirname, "../launcher");

/** Files that only building from source or type checking use: never needed to run. */
const LLAMA_BUILD_ONLY = ["llama/gitRelease.bundle", "llama/addon", "llama/cmake", "llama/CMakeLists.txt", "llama/patches", "llama/toolchains", "llama/xpack", "llama/profiles", "templates"];
const NEVER_SHIPPED = /\.(?:d\.ts|d\.mts|d\.cts|map|lib|pdb|exp|md|markdown)$|^(?:CHANGELOG|README|HISTORY)(?:\.\w+)?$/i;

export type StageTargetParameters = {
  target: Target;
  lock: PlatformLock;
  version: string;
  /** The bundled node (bundleNode's outdir). */
  bundle: string;
  /** installRuntimeDeps's node_modules. */
  runtimeDeps: string;
  /** buildDapp's folder (the standalone dApp); none: the package has no dApp. */
  dapp?: string;
  releaseKeyPem: string;
  /** Where to lay out `ns-llm-<version>-<platform>/`. */
  workDir: string;
  /** Timestamp every file gets, so archives are reproducible. */
  mtime: Date;
  log: (line: string) => void;
};

/** Returns the install folder it made. */
export async function stageTarget(p: StageTargetParameters): Promise<string> {
  const { target, version } = p;
  const root = path.join(p.workDir, `ns-llm-${version}-${target.platform}`);
  await rm(root, { recursive: true, force: true });
  const versionRoot = path.join(root, "versions", version);
  const app = path.join(versionRoot, "app");
  await mkdir(app, { recursive: true });

  // The launcher and the pointer it reads.
  const windows = target.os === "win32";
  await copyFile(path.join(LAUNCHER, windows ? "ns-llm.cmd" : "ns-llm"), path.join(root, windows ? "ns-llm.cmd" : "ns-llm"));
  if (!windows) await chmod(path.join(root, "ns-llm"), 0o755);
  await writeFile(path.join(root, "current"), `${version}\n`);

  // The runtime: only the binary and its licence from the registry package.
  const runtimePkg = path.join(p.workDir, `.runtime-${target.platform}`);
  await fetchPackage(p.lock.node, runtimePkg);
  const runtime = path.join(versionRoot, windows ? "node.exe" : "node");
  await copyFile(path.join(runtimePkg, "bin", windows ? "node.exe" : "node"), runtime);
  await chmod(runtime, 0o755);
  await copyFile(path.join(runtimePkg, "LICENSE"), path.join(versionRoot, "node-LICENSE")).catch(() => {});
  await rm(runtimePkg, { recursive: true, force: true });
  if (target.os === "linux") await stripDebugInfo(runtime, p.log);
  await writeFile(path.join(versionRoot, "release-key.pem"), p.releaseKeyPem);

  // The app: the bundle, what the node reads beside its code, and the native dependencies.
  await cp(p.bundle, path.join(app, "node", "build", "cli"), { recursive: true });
  await cp(path.join(REPO, "node", "docs"), path.join(app, "node", "docs"), { recursive: true });
  await writeFile(path.join(app, "node", "package.json"), `${JSON.stringify({ name: "ns-llm", version, private: true, type: "module" }, null, 2)}\n`);
  await copyFile(path.join(REPO, "README.md"), path.join(app, "README.md"));
  await cp(path.join(REPO, "manifests"), path.join(app, "manifests"), { recursive: true });
  if (p.dapp) await cp(p.dapp, path.join(app, "web"), { recursive: true, verbatimSymlinks: true });

  const modules = path.join(app, "node_modules");
  await cp(p.runtimeDeps, modules, { recursive: true, filter: (src) => !src.endsWith(`${path.sep}.bin`) && path.basename(src) !== ".package-lock.json" });
  for (const pkg of p.lock.replace ?? []) await fetchPackage(pkg, path.join(modules, pkg.name));
  await fetchPackage(p.lock.llama, path.join(modules, p.lock.llama.name));
  for (const rel of LLAMA_BUILD_ONLY) await rm(path.join(modules, "node-llama-cpp", rel), { recursive: true, force: true });
  await keepOnnxPlatform(path.join(modules, "onnxruntime-node"), target);
  await removeMatching(modules, NEVER_SHIPPED);

  await setTimes(root, p.mtime);
  return root;
}

/** onnxruntime-node ships every platform's binaries in bin/napi-v6/<os>/<cpu>: keep one. */
async function keepOnnxPlatform(dir: string, target: Target): Promise<void> {
  const napi = path.join(dir, "bin", "napi-v6");
  for (const os of await readdir(napi)) {
    if (os !== target.os) {
      await rm(path.join(napi, os), { recursive: true, force: true });
      continue;
    }
    for (const cpu of await readdir(path.join(napi, os))) if (cpu !== target.cpu) await rm(path.join(napi, os, cpu), { recursive: true, force: true });
  }
  const kept = await readdir(path.join(napi, target.os, target.cpu)).catch(() => []);
  if (kept.length === 0) throw new Error(`onnxruntime-node has no binaries for ${target.os}/${target.cpu} (see packaging/lock.json "replace")`);
  await rm(path.join(dir, "script"), { recursive: true, force: true });
}

/**
 * Node's Linux binaries carry ~18 MB of debug information and symbol tables; `strip --strip-all`
 * removes them (the dynamic symbols native addons link against stay). macOS binaries are
 * signed (stripping would break that); Windows' have none.
 */
async function stripDebugInfo(file: string, log: (line: string) => void): Promise<void> {
  let failure: Error | undefined;
  for (const tool of ["llvm-strip", "strip"]) {
    try {
      await run(tool, ["--strip-all", file]);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") failure = error as Error;
    }
  }
  log(`  note: the Node binary keeps its debug information (${failure ? failure.message.split("\n")[0] : "no llvm-strip or strip found"})`);
}

async function removeMatching(dir: string, pattern: RegExp): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await removeMatching(full, pattern);
    else if (pattern.test(entry.name) && entry.name !== "package.json") await rm(full, { force: true });
  }
}

async function setTimes(dir: string, time: Date): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await setTimes(full, time);
    if (!(await lstat(full)).isSymbolicLink()) await utimes(full, time, time);
  }
  await utimes(dir, time, time);
}
