/**
 * The rules JSON Schema cannot say: artifact paths stay inside their folder and are unique, the
 * total size fits this node, every source has a scheme the node can fetch, and every governed
 * validation regex compiles (RE2) within its size bound. They run on the
 * raw parsed value (even one the schema refused) so that one report lists every problem.
 */
import { validationRuleProblems, type ManifestProblem } from "@ns-llm/contracts";
import { CID } from "multiformats/cid";
import { addressRefusal, literalAddress, type SourcePolicy } from "./source-policy.ts";

export const SOURCE_SCHEMES = ["ipfs:", "http:", "https:"] as const;

export type ManifestCheckOptions = {
  /** The largest total artifact size this node accepts (config.maxModelBytes); no limit when unset. */
  maxTotalBytes?: number;
  /**
   * Which hosts and schemes this node fetches from: a source naming a refused address (a literal
   * IP; names are checked again once resolved, when fetching) or http:// when it is not allowed
   * is a problem. Unset: any address, any of the three schemes (offline tools, restoring).
   */
  sourcePolicy?: SourcePolicy;
  /**
   * Every artifact must name at least one source this node can fetch (default true): a manifest
   * put to a vote must be fetchable by every node. Tools that import local files pass false.
   */
  requireSources?: boolean;
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

/**
 * Problems of a source URL: unparsable, an unsupported scheme, credentials, a CID that does not
 * parse, a path that leaves its CID, no host, a host this node's policy refuses, http:// when
 * only https:// is fetched.
 */
export function sourceProblems(source: string, policy?: SourcePolicy): string[] {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return ["is not a URL"];
  }
  if (!(SOURCE_SCHEMES as readonly string[]).includes(url.protocol)) {
    return [`has an unsupported scheme "${url.protocol}" (use ipfs://, https:// or http://)`];
  }
  const problems: string[] = [];
  if (url.username || url.password) problems.push("must not carry credentials");
  if (/[\s\x00-\x1f\x7f]/.test(source)) problems.push("contains white space or control characters");
  if (url.protocol === "ipfs:") {
    if (!url.host) problems.push("names no CID (ipfs://<cid>)");
    else if (!parsesAsCid(url.host)) problems.push(`names "${url.host.slice(0, 80)}", which is not a CID (ipfs://bafy…, ipfs://bafk… or ipfs://Qm…)`);
    if (url.port) problems.push("has a port (ipfs://<cid>[/path] has none)");
    if (url.search || url.hash) problems.push("has a query or fragment (ipfs://<cid>[/path] has none)");
    // The raw text: URL parsing would already have resolved the dot segments away.
    const inside = source.replace(/^ipfs:\/\/[^/?#]*/i, "").split(/[?#]/)[0]!;
    if (inside.split("/").some((s) => [".", ".."].includes(decodeURIComponentSafe(s)))) problems.push("has a '.' or '..' segment in its path");
    return problems;
  }
  if (!url.hostname) {
    problems.push("names no host");
    return problems;
  }
  if (url.hash) problems.push("has a fragment (#…), which is never sent to the server");
  if (policy) {
    if (url.protocol === "http:" && !policy.allowsHttp()) {
      problems.push("is http:// (not encrypted): this node fetches https:// and ipfs:// only (NS_LLM_ALLOW_HTTP_SOURCES=1 allows http://)");
    }
    const literal = literalAddress(url);
    const refusal = literal !== undefined ? addressRefusal(literal, policy) : undefined;
    if (refusal) problems.push(`names ${refusal}: sources must reach public addresses`);
    else if (literal === undefined && policy.allowed() === "none" && /^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i.test(url.hostname)) {
      problems.push(`names ${url.hostname}, a local host name: sources must reach public addresses (NS_LLM_ALLOW_PRIVATE_SOURCES allows them)`);
    }
  }
  return problems;
}

function parsesAsCid(text: string): boolean {
  try {
    CID.parse(decodeURIComponentSafe(text));
    return true;
  } catch {
    return false;
  }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
        for (const message of sourceProblems(source, options.sourcePolicy)) problems.push({ pointer: `${base}/sources/${k}`, message });
      });
      if (a.sources.length === 0 && options.requireSources !== false) {
        problems.push({ pointer: `${base}/sources`, message: "is empty: name at least one ipfs:// or https:// source, or no node can fetch this artifact" });
      }
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
