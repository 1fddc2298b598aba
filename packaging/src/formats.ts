/**
 * The package formats, made with the system's tools from a staged install folder:
 * `.tar.gz` (GNU tar, sorted, owner 0, fixed times; gzip -9 -n), `.zip` (zip -9 -X, sorted),
 * `.deb` (dpkg-deb, xz; installs into /opt/ns-llm with /usr/bin/ns-llm). The .msi is msi.ts.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, rm, symlink, writeFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Target } from "./targets.ts";

const run = promisify(execFile);
const BIG = { maxBuffer: 256 * 1024 * 1024 };

async function tool(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  try {
    await run(file, args, { ...BIG, ...options });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error(`${file} is not installed (${file === "wixl" || file === "wixl-heat" ? "apt-get install wixl" : `apt-get install ${file === "dpkg-deb" ? "dpkg" : file}`})`);
    throw new Error(`${file} failed: ${(e.stderr ?? e.message).trim().split("\n").slice(-3).join(" / ")}`);
  }
}

/**
 * `best` is for releases (gzip -9; xz for the .deb: a third smaller than gzip, ~2 min on 2 cores);
 * `fast` (gzip -1 everywhere) is for tests, which check contents and behaviour, not size.
 */
export type Compression = "best" | "fast";

/** `<root>` (a staged install folder) as `<out>`, a reproducible .tar.gz with one top folder. */
export async function makeTarGz(root: string, out: string, compression: Compression = "best"): Promise<void> {
  const dir = path.dirname(root);
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  await tool("bash", ["-o", "pipefail", "-c", `tar --sort=name --owner=0 --group=0 --numeric-owner --format=gnu -cf - -C ${q(dir)} ${q(path.basename(root))} | gzip ${compression === "best" ? "-9" : "-1"} -n > ${q(out)}`]);
}

export async function makeZip(root: string, out: string): Promise<void> {
  await rm(out, { force: true });
  const files = (await readdir(root, { recursive: true })).map((f) => path.join(path.basename(root), f)).sort();
  const list = path.join(path.dirname(root), `.${path.basename(root)}.zip-list`);
  await writeFile(list, `${files.join("\n")}\n`);
  await tool("bash", ["-o", "pipefail", "-c", `zip -9 -X -q -@ "$1" < "$2"`, "zip", out, list], { cwd: path.dirname(root) });
  await rm(list, { force: true });
}

/** A .deb that installs the folder as /opt/ns-llm and links /usr/bin/ns-llm to its launcher. */
export async function makeDeb(root: string, out: string, target: Target, version: string, mtime: Date, compression: Compression = "best"): Promise<void> {
  if (!target.debArch) throw new Error(`no .deb for ${target.platform}`);
  const debRoot = `${root}.debroot`;
  await rm(debRoot, { recursive: true, force: true });
  await mkdir(path.join(debRoot, "DEBIAN"), { recursive: true });
  await mkdir(path.join(debRoot, "opt"), { recursive: true });
  await mkdir(path.join(debRoot, "usr", "bin"), { recursive: true });
  await cp(root, path.join(debRoot, "opt", "ns-llm"), { recursive: true, preserveTimestamps: true });
  await symlink("/opt/ns-llm/ns-llm", path.join(debRoot, "usr", "bin", "ns-llm"));
  const installedKb = Math.ceil((await duBytes(root)) / 1024);
  await writeFile(
    path.join(debRoot, "DEBIAN", "control"),
    [
      "Package: ns-llm",
      `Version: ${version}`,
      `Architecture: ${target.debArch}`,
      "Maintainer: NS-LLM maintainers <ns-llm@users.noreply.github.com>",
      `Installed-Size: ${installedKb}`,
      "Section: net",
      "Priority: optional",
      "Homepage: https://github.com/ns-llm",
      "Description: governed local AI backend (embeddings and generation) for a contributor network",
      " The NS-LLM node with its own Node.js runtime: `ns-llm` serves the demo models until a chain",
      " is configured in ~/.local/share/ns-llm/config.env (NS_LLM_RPC_URL).",
      "",
    ].join("\n"),
  );
  await tool("dpkg-deb", ["--root-owner-group", ...(compression === "best" ? ["-Zxz"] : ["-Zgzip", "-z1"]), "--build", debRoot, out], { env: { ...process.env, SOURCE_DATE_EPOCH: String(Math.floor(mtime.getTime() / 1000)) } });
  await rm(debRoot, { recursive: true, force: true });
}

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  return total;
}
