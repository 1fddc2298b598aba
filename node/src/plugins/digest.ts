/**
 * A plugin package's digest, the one the governed `plugins` field names: sha256 over its files
 * (every regular file under the package folder except `node_modules/` and `.git/`, symbolic links
 * not followed), sorted by their '/'-separated relative path (code-point order), each contributing
 *
 *   <relative path> NUL <sha256 of its bytes, hex> LF
 *
 * and the digest is the sha256 (hex) of that text. It depends on the files' contents and names
 * alone (not on times, modes or the folder's place), so any node, and `ns-llm plugin digest`,
 * computes the same value for the same package. `npm pack`'s tarball is not used: its bytes
 * change with npm's version and file times.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

const SKIPPED = new Set(["node_modules", ".git"]);

export async function packageDigest(folder: string): Promise<string> {
  const files = await listFiles(folder, "");
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const outer = createHash("sha256");
  for (const rel of files) {
    const inner = createHash("sha256").update(await readFile(path.join(folder, rel))).digest("hex");
    outer.update(`${rel}\u0000${inner}\n`);
  }
  return outer.digest("hex");
}

async function listFiles(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED.has(entry.name)) out.push(...(await listFiles(root, child)));
    } else if (entry.isFile()) out.push(child);
  }
  return out;
}
