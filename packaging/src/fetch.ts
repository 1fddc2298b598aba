/**
 * Takes a pinned package from the npm registry with npm's own client (`npm pack`, through npm's
 * cache), checks its sha512 against the lock, and unpacks it. Nothing else is downloaded, and
 * nothing is used that does not match its pin.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { x as extractTar } from "tar";
import type { PinnedPackage } from "./lock.ts";

const run = promisify(execFile);

/** Where downloaded tarballs and the installed runtime dependencies are kept between builds. */
export function packagingCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.NS_LLM_PACKAGING_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "ns-llm", "packaging");
}

function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/** The tarball of `pkg`, from the cache when its digest still matches, else from the registry. */
export async function fetchTarball(pkg: PinnedPackage, cache = packagingCache()): Promise<string> {
  const dir = path.join(cache, "tarballs");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${pkg.name.replace("@", "").replace("/", "-")}-${pkg.version}.tgz`);
  if (existsSync(file) && integrityOf(await readFile(file)) === pkg.integrity) return file;
  const temp = await mkdtemp(path.join(dir, ".pack-"));
  try {
    const { stdout } = await run("npm", ["pack", `${pkg.name}@${pkg.version}`, "--pack-destination", temp, "--json", "--silent"], { maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
    const downloaded = path.join(temp, packed!.filename);
    const integrity = integrityOf(await readFile(downloaded));
    if (integrity !== pkg.integrity) {
      throw new Error(`${pkg.name}@${pkg.version} from the registry has ${integrity}, packaging/lock.json pins ${pkg.integrity} (run packaging/src/update-lock.ts only if this change is expected)`);
    }
    await rename(downloaded, file);
    return file;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    if (e.stdout === undefined) throw error;
    const reason = e.stderr?.trim().split("\n").at(-1) || e.stdout.trim().replace(/\s+/g, " ");
    throw new Error(`npm pack ${pkg.name}@${pkg.version} failed: ${reason} (is the npm registry reachable?)`);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Unpacks `pkg` into `dest` (the tarball's `package/` folder becomes `dest`). */
export async function fetchPackage(pkg: PinnedPackage, dest: string, cache = packagingCache()): Promise<void> {
  const tarball = await fetchTarball(pkg, cache);
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  await extractTar({ file: tarball, cwd: dest, strip: 1, strict: true });
}
