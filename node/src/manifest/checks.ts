/**
 * The rules JSON Schema cannot say: artifact paths stay inside their folder and are unique, the
 * total size fits this node, every source has a scheme the node can fetch, and every governed
 * validation regex compiles (RE2) within its size bound. They run on the
 * raw parsed value (even one the schema refused) so that one report lists every problem.
 */
import { validationRuleProblems, type ManifestProblem } from "@ns-llm/contracts";

export const SOURCE_SCHEMES = ["ipfs:", "http:", "https:"] as const;

export type ManifestCheckOptions = {
  /** The largest total artifact size this node accepts (config.maxModelBytes); no limit when unset. */
  maxTotalBytes?: number;
};

/** Problems of an artifact path, each a reason it could leave (or not name) a file in its folder. */
export function artifactPathProblems(path: string): string[] {
  const problems: string[] = [];
  if (path.length === 0) return ["is empty"];
  const absolute = path.startsWith("/");
  if (absolute) problems.push("is absolute (must be relative to the model's folder)");
  if (path.includes("\\")) problems.push("contains a backslash (separate folders with '/')");
  if (/^[A-Za-z]:/.test(path)) problems.push("starts with a drive letter");
  else if (path.includes(":")) problems.push("contains ':'");
  if (/[\x00-\x1f\x7f]/.test(path)) problems.push("contains control characters");
  const segments = path.split("/");
  if (segments.slice(absolute ? 1 : 0).some((s) => s === "")) problems.push("has an empty segment ('//' or a trailing '/')");
  if (segments.includes("..")) problems.push("has a '..' segment (leaves its folder)");
  if (segments.includes(".")) problems.push("has a '.' segment");
  return problems;
}

/** Problems of a source URL: unparsable, an unsupported scheme, credentials, no CID. */
export function sourceProblems(source: string): string[] {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return ["is not a URL"];
  }
  if (!(SOURCE_SCHEMES as readonly string[]).includes(url.protocol)) {
    return [`has an unsupported scheme "${url.protocol}" (use ipfs://, http:// or https://)`];
  }
  const problems: string[] = [];
  if (url.username || url.password) problems.push("must not carry credentials");
  if (url.protocol === "ipfs:" && !url.host) problems.push("names no CID (ipfs://<cid>)");
  if (url.protocol !== "ipfs:" && !url.hostname) problems.push("names no host");
  return problems;
}

/** Every problem of `value` that the schema cannot express (validation rules that do not compile included). */
export function ruleProblems(value: unknown, options: ManifestCheckOptions = {}): ManifestProblem[] {
  const problems: ManifestProblem[] = validationRuleProblems(value);
  const artifacts = (value as { model?: { artifacts?: unknown } } | null)?.model?.artifacts;
  if (!Array.isArray(artifacts)) return problems;

  const seen = new Map<string, number>();
  const seenFolded = new Map<string, number>();
  let total = 0;
  artifacts.forEach((artifact: unknown, i) => {
    const base = `/model/artifacts/${i}`;
    const a = (artifact ?? {}) as { path?: unknown; size?: unknown; sources?: unknown };
    if (typeof a.path === "string") {
      for (const message of artifactPathProblems(a.path)) problems.push({ pointer: `${base}/path`, message });
      const first = seen.get(a.path);
      const firstFolded = seenFolded.get(a.path.toLowerCase());
      if (first !== undefined) {
        problems.push({ pointer: `${base}/path`, message: `duplicates /model/artifacts/${first}/path` });
      } else if (firstFolded !== undefined) {
        problems.push({ pointer: `${base}/path`, message: `differs only in case from /model/artifacts/${firstFolded}/path` });
      } else {
        for (const [other, j] of seen) {
          if (other.startsWith(`${a.path}/`) || a.path.startsWith(`${other}/`)) {
            problems.push({ pointer: `${base}/path`, message: `conflicts with /model/artifacts/${j}/path (a file cannot also be a folder)` });
          }
        }
      }
      if (first === undefined) seen.set(a.path, i);
      if (firstFolded === undefined) seenFolded.set(a.path.toLowerCase(), i);
    }
    if (typeof a.size === "number" && Number.isFinite(a.size) && a.size > 0) total += a.size;
    if (Array.isArray(a.sources)) {
      a.sources.forEach((source: unknown, k) => {
        if (typeof source !== "string") return;
        for (const message of sourceProblems(source)) problems.push({ pointer: `${base}/sources/${k}`, message });
      });
    }
  });
  if (options.maxTotalBytes !== undefined && total > options.maxTotalBytes) {
    problems.push({
      pointer: "/model/artifacts",
      message: `total size ${total} bytes is above this node's limit of ${options.maxTotalBytes} bytes (NS_LLM_MAX_MODEL_BYTES)`,
    });
  }
  return problems;
}
