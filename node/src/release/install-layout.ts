/**
 * The install folder of a packaged node, and the moves an update makes in it:
 *
 *   <root>/ns-llm (ns-llm.cmd)   the launcher: runs the version named in `current`
 *   <root>/current               the active version's name (one line)
 *   <root>/previous              the version before it, kept for rollback
 *   <root>/pinned                optional: the operator's pin; no switch away from it
 *   <root>/versions/<version>/   a whole version: its own Node runtime, the app, the release key
 *
 * The pointers are small files replaced by rename (atomic on every platform, where a symbolic
 * link needs extra rights on Windows); a version folder appears by rename too, complete or not at
 * all. Staging, switching and rolling back never touch the running version's files.
 */
import { randomBytes } from "node:crypto";
import { access, cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ReleaseError } from "./errors.ts";
import { isVersionName } from "./manifest.ts";

export type InstallState = {
  current: string;
  previous: string | undefined;
  pinned: string | undefined;
  /** Every complete version folder, sorted by name. */
  versions: string[];
};

/** The files that make a version folder runnable, relative to it. */
export function versionEntryPoints(platform: NodeJS.Platform = process.platform): { runtime: string; app: string } {
  return { runtime: platform === "win32" ? "node.exe" : "node", app: path.join("app", "node", "build", "cli", "launch.js") };
}

export async function readInstallState(root: string): Promise<InstallState> {
  const current = await readPointer(root, "current");
  if (!current) throw new ReleaseError("install_layout", `${root} is not an NS-LLM install folder (no current version)`, "run this from a packaged node, or pass --root with its install folder");
  let entries: string[] = [];
  try {
    entries = await readdir(path.join(root, "versions"));
  } catch {
    throw new ReleaseError("install_layout", `${root} has no versions folder`, "reinstall the package");
  }
  return {
    current,
    previous: await readPointer(root, "previous"),
    pinned: await readPointer(root, "pinned"),
    versions: entries.filter(isVersionName).sort(),
  };
}

export type StageVersionParameters = {
  root: string;
  version: string;
  /** A folder holding the version's tree (runtime, app, key), e.g. from an extracted package. */
  source: string;
  /** Rename `source` into place instead of copying it (it must be on the same file system). */
  move?: boolean;
};

/**
 * Puts a version beside the running one, as `versions/<version>`: copied into a staging folder
 * first, checked, then renamed into place. Returns false when that version is already staged.
 */
export async function stageVersion({ root, version, source, move = false }: StageVersionParameters): Promise<boolean> {
  assertVersionName(version);
  const target = versionDir(root, version);
  if (await exists(target)) return false;
  await checkRunnable(source, version);
  if (move) {
    await rename(source, target);
    return true;
  }
  const staging = path.join(root, "versions", `.staging-${version}-${randomBytes(4).toString("hex")}`);
  try {
    await cp(source, staging, { recursive: true, errorOnExist: true, force: false, verbatimSymlinks: true });
    await checkRunnable(staging, version);
    await rename(staging, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return true;
}

export type SwitchVersionParameters = { root: string; version: string };

/**
 * Makes `version` the one the launcher runs next: `previous` becomes the version that was
 * current. Refused when the operator pinned another version, or the version is not staged.
 */
export async function switchVersion({ root, version }: SwitchVersionParameters): Promise<InstallState> {
  const state = await readInstallState(root);
  if (state.pinned && state.pinned !== version) {
    throw new ReleaseError("version_pinned", `the operator pinned version ${state.pinned}; not switching to ${version}`, "unpin it first: ns-llm release pin --unpin");
  }
  await checkRunnable(versionDir(root, version), version);
  if (state.current === version) return state;
  await writePointer(root, "previous", state.current);
  await writePointer(root, "current", version);
  return readInstallState(root);
}

/** Goes back to the previous version (the current one becomes `previous`, for a roll forward). */
export async function rollbackVersion({ root }: { root: string }): Promise<InstallState> {
  const state = await readInstallState(root);
  if (!state.previous || state.previous === state.current) {
    throw new ReleaseError("no_previous_version", `there is no version to roll back to (current is ${state.current})`, "a rollback needs an earlier version that was switched from");
  }
  if (state.pinned && state.pinned !== state.previous) {
    throw new ReleaseError("version_pinned", `the operator pinned version ${state.pinned}; not rolling back to ${state.previous}`, "unpin it first: ns-llm release pin --unpin");
  }
  await checkRunnable(versionDir(root, state.previous), state.previous);
  const { current, previous } = state;
  await writePointer(root, "previous", current);
  await writePointer(root, "current", previous);
  return readInstallState(root);
}

/** Pins a staged version (no update switches away from it), or removes the pin with `undefined`. */
export async function pinVersion({ root, version }: { root: string; version: string | undefined }): Promise<InstallState> {
  const state = await readInstallState(root);
  if (version === undefined) {
    await rm(path.join(root, "pinned"), { force: true });
  } else {
    await checkRunnable(versionDir(root, version), version);
    await writePointer(root, "pinned", version);
  }
  return { ...state, pinned: version };
}

/**
 * Removes every version folder but the current, previous and pinned ones and those in `keep` (the
 * version running now, whose files are in use until it stops). Returns what it removed.
 */
export async function pruneVersions({ root, keep: extra = [] }: { root: string; keep?: readonly string[] }): Promise<string[]> {
  const state = await readInstallState(root);
  const keep = new Set([state.current, state.previous, state.pinned, ...extra].filter(Boolean));
  const removed = state.versions.filter((v) => !keep.has(v));
  for (const version of removed) await rm(versionDir(root, version), { recursive: true, force: true });
  return removed;
}

export function versionDir(root: string, version: string): string {
  assertVersionName(version);
  return path.join(root, "versions", version);
}

async function checkRunnable(dir: string, version: string): Promise<void> {
  const entry = versionEntryPoints();
  for (const file of [entry.runtime, entry.app]) {
    if (!(await exists(path.join(dir, file)))) {
      throw new ReleaseError("version_missing", `version ${version} is not complete: ${path.join(dir, file)} is missing`, "stage it again from its verified package");
    }
  }
}

function assertVersionName(version: string): void {
  if (!isVersionName(version)) throw new ReleaseError("install_layout", `"${version}" is not a version name`, "versions look like 1.2.3 or 1.2.3-rc.1");
}

async function readPointer(root: string, name: "current" | "previous" | "pinned"): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(root, name), "utf8");
  } catch {
    return undefined;
  }
  const version = text.trim();
  if (!isVersionName(version)) throw new ReleaseError("install_layout", `${path.join(root, name)} holds "${version}", not a version name`, `write a staged version's name into it, e.g. ${versionsHint(root)}`);
  return version;
}

/** Written beside the pointer, then renamed over it: a reader sees the old name or the new one. */
async function writePointer(root: string, name: "current" | "previous" | "pinned", version: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const temp = path.join(root, `.${name}-${randomBytes(4).toString("hex")}`);
  await writeFile(temp, `${version}\n`, { flush: true });
  await rename(temp, path.join(root, name));
}

function versionsHint(root: string): string {
  return `a folder name under ${path.join(root, "versions")}`;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
