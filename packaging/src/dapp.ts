/**
 * The dApp for the packages, built once per packaging run and shipped in every package as
 * `versions/<v>/app/web/` (pure JavaScript, the same bytes for every platform): a Next.js
 * `output: "standalone"` build, which keeps the app's server side (its layout reads the chain,
 * the deployment and the node's token at request time), unlike a static export. The packaged node
 * starts it on the first page request and forwards pages to it on its own port (node/src/dapp/).
 *
 *   app/web/
 *     web/server.js              Next's standalone server (the node runs it with the package's Node)
 *     web/package.json           {"type": "module"}: server.js is an ES module
 *     web/.next-package/server/  the compiled pages;  web/.next-package/static/  their browser assets
 *     web/node_modules/, node_modules/   only the modules the server's trace reaches (next, react, ...)
 *
 * The build is reused while the dApp's sources are unchanged (the cache `npm start` and the browser
 * tests use: scripts/stack/web.ts), so tests that need it share one.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureWebBuild, WEB_DIR } from "../../scripts/stack/web.ts";
import { findBinaries } from "./binaries.ts";

/** The dist folder of the standalone build, apart from `next dev`'s and the browser tests'. */
export const DAPP_DIST_DIR = ".next-package";

/** Modules Next's trace takes for image optimization: native, per platform, and unused (the app has no next/image). */
const LEFT_OUT = ["sharp", "@img", "detect-libc"];

export type BuildDappReturnType = { dir: string; reused: boolean; bytes: number; files: number; seconds: number };

/** Builds (or reuses) the standalone dApp and lays it out in `outdir` as a package ships it. */
export async function buildDapp(outdir: string): Promise<BuildDappReturnType> {
  const started = Date.now();
  const logFile = path.join(tmpdir(), `ns-llm-dapp-build-${process.pid}.log`);
  const dist = path.join(WEB_DIR, DAPP_DIST_DIR);
  let reused: boolean;
  try {
    ({ reused } = await ensureWebBuild(DAPP_DIST_DIR, logFile, { standalone: true, ...(flock() ? { lockFile: lockFile(dist) } : {}) }));
  } catch (error) {
    throw new Error(`building the dApp failed: ${(error as Error).message}\n${(await readFile(logFile, "utf8").catch(() => "")).slice(-10_000)}`);
  } finally {
    await rm(logFile, { force: true });
  }
  const standalone = path.join(dist, "standalone");
  if (!existsSync(path.join(standalone, "web", "server.js"))) throw new Error(`${standalone} holds no web/server.js: was web/next.config.ts's standalone output removed?`);

  await rm(outdir, { recursive: true, force: true });
  await mkdir(path.dirname(outdir), { recursive: true });
  await cp(standalone, outdir, { recursive: true, verbatimSymlinks: true });
  await cp(path.join(dist, "static"), path.join(outdir, "web", DAPP_DIST_DIR, "static"), { recursive: true });
  if (existsSync(path.join(WEB_DIR, "public"))) await cp(path.join(WEB_DIR, "public"), path.join(outdir, "web", "public"), { recursive: true });
  for (const modules of [path.join(outdir, "node_modules"), path.join(outdir, "web", "node_modules")]) {
    for (const name of LEFT_OUT) await rm(path.join(modules, name), { recursive: true, force: true });
  }
  // Only what running needs of web/package.json (no scripts, no dependency lists).
  const pkg = JSON.parse(await readFile(path.join(outdir, "web", "package.json"), "utf8")) as { name: string; version: string; type?: string };
  await writeFile(path.join(outdir, "web", "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, ...(pkg.type ? { type: pkg.type } : {}) }, null, 2)}\n`);

  const binaries = await findBinaries(outdir);
  if (binaries.length > 0) throw new Error(`the dApp build holds native binaries (${binaries.map((b) => path.relative(outdir, b.file)).join(", ")}): it ships to every platform, leave them out (web/next.config.ts)`);
  const { bytes, files } = await sizeOf(outdir);
  return { dir: outdir, reused, bytes, files, seconds: (Date.now() - started) / 1000 };
}

function flock(): boolean {
  try {
    execFileSync("flock", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** One lock per dist folder, shared by every process that builds it (tests run side by side). */
function lockFile(dist: string): string {
  return path.join(tmpdir(), `ns-llm-dapp-${Buffer.from(dist).toString("base64url").slice(-40)}.lock`);
}

async function sizeOf(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

if (import.meta.main) {
  // `node packaging/src/dapp.ts --out DIR`: the dApp as the packages ship it, for NS_LLM_DAPP_DIR.
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  if (!values.out) {
    console.error("usage: node packaging/src/dapp.ts --out DIR");
    process.exit(2);
  }
  try {
    const built = await buildDapp(path.resolve(values.out));
    console.log(`${built.dir}: ${(built.bytes / 1024 / 1024).toFixed(1)} MiB in ${built.files} files (${built.reused ? "reused the cached build" : "built"} in ${built.seconds.toFixed(1)} s); serve it with NS_LLM_DAPP_DIR=${built.dir}`);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(1);
  }
}
