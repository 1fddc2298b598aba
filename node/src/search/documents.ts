/**
 * The node's local corpus: Markdown files cut into sections (one document per heading, long
 * sections cut at paragraph ends) and the descriptions of JSON manifests. It ships with the node
 * (node/docs/) and, when run from the repository, also reads its README.md and manifests/.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SearchDocument } from "./types.ts";

const MAX_SECTION_CHARS = 1200;

/** Where the default corpus lives: node/docs, and the repository's README.md and manifests/. */
export function defaultCorpusPaths(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const nodeDir = path.resolve(here, "../..");
  const repo = path.resolve(nodeDir, "..");
  return [path.join(nodeDir, "docs"), path.join(repo, "README.md"), path.join(repo, "manifests")];
}

/** Reads every .md and .json file under `paths` (files or folders; missing ones are skipped). */
export async function loadDocuments(paths: readonly string[] = defaultCorpusPaths()): Promise<SearchDocument[]> {
  const docs: SearchDocument[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    for (const file of await listFiles(p)) {
      const name = path.basename(file);
      const text = await readFile(file, "utf8");
      const found = file.endsWith(".md") ? markdownSections(name, text) : manifestDocument(name, text);
      for (const d of found) {
        let id = d.id;
        for (let n = 2; seen.has(id); n++) id = `${d.id}~${n}`;
        seen.add(id);
        docs.push({ ...d, id });
      }
    }
  }
  return docs;
}

async function listFiles(p: string): Promise<string[]> {
  const info = await stat(p).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return /\.(md|json)$/.test(p) ? [p] : [];
  const entries = await readdir(p, { withFileTypes: true });
  const nested = await Promise.all(
    entries.sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => listFiles(path.join(p, e.name))),
  );
  return nested.flat();
}

/** One document per heading; a section longer than MAX_SECTION_CHARS is cut at paragraph ends. */
export function markdownSections(file: string, markdown: string): SearchDocument[] {
  const docs: SearchDocument[] = [];
  let title = file;
  let lines: string[] = [];
  const flush = () => {
    const body = lines.join("\n").trim();
    lines = [];
    if (!body) return;
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "top";
    chunks(body).forEach((text, i) => docs.push({ id: `${file}#${slug}${i ? `-${i + 1}` : ""}`, title, text }));
  };
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      title = heading[1]!.trim();
    } else lines.push(line);
  }
  flush();
  return docs;
}

function chunks(body: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const para of body.split(/\n\s*\n/)) {
    if (current && current.length + para.length > MAX_SECTION_CHARS) {
      out.push(current);
      current = "";
    }
    current = current ? `${current}\n\n${para}` : para;
  }
  if (current) out.push(current);
  return out;
}

function manifestDocument(file: string, json: string): SearchDocument[] {
  try {
    const m = JSON.parse(json) as { name?: unknown; description?: unknown; role?: unknown };
    if (typeof m.description !== "string" || !m.description.trim()) return [];
    const name = typeof m.name === "string" ? m.name : file;
    const role = typeof m.role === "string" ? ` (${m.role} model)` : "";
    return [{ id: `${file}#manifest`, title: `${name}${role}`, text: m.description.trim() }];
  } catch {
    return [];
  }
}
