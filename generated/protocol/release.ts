/**
 * The `release` role: what the network adopts is the CID of a signed release file
 * (`ns-llm.signed-release/v1`, written by `npm run package`), not a model manifest. A packaged
 * node verifies its Ed25519 signature against the release key it shipped with, then every byte of
 * its own platform's package, stages it beside the running version and switches to it.
 *
 * The file's shape is checked here, once, for the node (node/src/release) and the dApp (which
 * shows a release proposal and checks its signature in the browser). Pure: no node:crypto, no
 * schema library; the signature itself is checked by each side with its own Ed25519 (node:crypto
 * in the node, Web Crypto in the browser) over `releaseSigningBytes(manifest)`.
 */
import { sha256 } from "viem";

/** The schema name a signed release file carries (the adopted document of role `release`). */
export const SIGNED_RELEASE_SCHEMA = "ns-llm.signed-release/v1";
/** The schema name of the manifest inside it. */
export const RELEASE_SCHEMA = "ns-llm.release/v1";

/** The platforms packages are built for (`<os>-<cpu>` as Node names them, darwin for macOS). */
export const RELEASE_PLATFORMS = ["linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64", "win-x64"] as const;
export type ReleasePlatform = (typeof RELEASE_PLATFORMS)[number];

/** Package formats; `tar.gz` exists for every platform but Windows and is what an update stages. */
export const RELEASE_FORMATS = ["tar.gz", "deb", "zip", "msi"] as const;
export type ReleaseFormat = (typeof RELEASE_FORMATS)[number];

/** A signed release file is small; anything bigger is not one. */
export const MAX_RELEASE_BYTES = 1024 * 1024;

export type ReleaseArtifact = {
  platform: ReleasePlatform;
  format: ReleaseFormat;
  /** A plain file name (no folder). */
  file: string;
  /** 64 lower-case hex digits. */
  sha256: string;
  size: number;
  /** The Node.js runtime inside the package. */
  node: string;
  /** Where to download it (ipfs://, https://); may be empty when the file is handed over. */
  sources: string[];
};

/** `ns-llm.release/v1`: one release of the node, its version and its packages. */
export type ReleaseManifest = {
  schema: typeof RELEASE_SCHEMA;
  name: "ns-llm";
  version: string;
  artifacts: ReleaseArtifact[];
};

export type ReleaseSignature = {
  algorithm: "ed25519";
  /** `sha256:<hex>` of the public key's SPKI DER bytes: which key signed. */
  keyId: string;
  /** base64 Ed25519 signature over the canonical JSON (RFC 8785) of `manifest`. */
  value: string;
};

/** `ns-llm.signed-release/v1`: the manifest as readable JSON and a signature over its canonical form. */
export type SignedRelease = { schema: typeof SIGNED_RELEASE_SCHEMA; manifest: ReleaseManifest; signature: ReleaseSignature };

/** One thing wrong with a release file: where (`artifacts.0.sha256`, `(root)`) and what. */
export type ReleaseProblem = { path: string; message: string };

/** True when `value` (parsed JSON) claims to be a signed release file; says nothing of its signature. */
export function isSignedReleaseDocument(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { schema?: unknown }).schema === SIGNED_RELEASE_SCHEMA;
}

const VERSION_NAME = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const NODE_VERSION = /^\d+\.\d+\.\d+$/;
const KEY_ID = /^sha256:[0-9a-f]{64}$/;

/** Is `version` a release version name (semver-like, safe as a folder name)? */
export function isVersionName(version: string): boolean {
  return VERSION_NAME.test(version);
}

/** "path message; path message": problems for one line of an error. */
export function formatReleaseProblems(problems: readonly ReleaseProblem[]): string {
  return problems.map((p) => `${p.path} ${p.message}`).join("; ");
}

type Field = (value: unknown, path: string, problems: ReleaseProblem[]) => void;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

function literal(expected: string): Field {
  return (value, path, problems) => {
    if (value !== expected) problems.push({ path, message: `must be "${expected}"` });
  };
}

function text(pattern: RegExp, message: string): Field {
  return (value, path, problems) => {
    if (typeof value !== "string") problems.push({ path, message: "must be a string" });
    else if (!pattern.test(value)) problems.push({ path, message });
  };
}

function oneOf(options: readonly string[]): Field {
  return (value, path, problems) => {
    if (typeof value !== "string" || !options.includes(value)) problems.push({ path, message: `must be one of ${options.join(", ")}` });
  };
}

/** An object with exactly these fields (`optional` ones may be absent); anything else is a problem. */
function strictObject(fields: Record<string, Field>, optional: readonly string[] = []): Field {
  return (value, path, problems) => {
    if (!isRecord(value)) return void problems.push({ path: path || "(root)", message: "must be an object" });
    for (const [key, check] of Object.entries(fields)) {
      if (value[key] === undefined) {
        if (!optional.includes(key)) problems.push({ path: at(path, key), message: "is required" });
      } else check(value[key], at(path, key), problems);
    }
    for (const key of Object.keys(value)) if (!(key in fields)) problems.push({ path: at(path, key), message: "is not a field of a release" });
  };
}

const artifactField = strictObject(
  {
    platform: oneOf(RELEASE_PLATFORMS),
    format: oneOf(RELEASE_FORMATS),
    file: text(FILE_NAME, "must be a plain file name"),
    sha256: text(SHA256_HEX, "must be 64 lower-case hex digits"),
    size: (value, path, problems) => {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) problems.push({ path, message: "must be a positive whole number of bytes" });
    },
    node: text(NODE_VERSION, "must be a Node.js version like 22.23.3"),
    sources: (value, path, problems) => {
      if (!Array.isArray(value)) return void problems.push({ path, message: "must be a list of URLs" });
      value.forEach((source, i) => {
        if (typeof source !== "string" || source.length === 0) problems.push({ path: at(path, i), message: "must be a non-empty string" });
      });
    },
  },
  ["sources"],
);

const manifestField = strictObject({
  schema: literal(RELEASE_SCHEMA),
  name: literal("ns-llm"),
  version: text(VERSION_NAME, "must look like 1.2.3 or 1.2.3-rc.1"),
  artifacts: (value, path, problems) => {
    if (!Array.isArray(value) || value.length === 0) return void problems.push({ path, message: "must list at least one package" });
    value.forEach((artifact, i) => artifactField(artifact, at(path, i), problems));
  },
});

const envelopeField = strictObject({
  schema: literal(SIGNED_RELEASE_SCHEMA),
  // Checked on its own (checkReleaseManifest): the node tells a malformed envelope from a malformed manifest.
  manifest: () => {},
  signature: strictObject({
    algorithm: literal("ed25519"),
    keyId: text(KEY_ID, "must be sha256: and 64 lower-case hex digits"),
    value: text(/^[A-Za-z0-9+/]+={0,2}$/, "must be a base64 signature"),
  }),
});

export type CheckReleaseManifestReturnType = { ok: true; manifest: ReleaseManifest } | { ok: false; problems: ReleaseProblem[] };

/** Checks a release manifest's shape; the manifest returned lists `sources` for every artifact (empty when absent). */
export function checkReleaseManifest(value: unknown): CheckReleaseManifestReturnType {
  const problems: ReleaseProblem[] = [];
  manifestField(value, "", problems);
  if (problems.length > 0) return { ok: false, problems };
  const manifest = value as ReleaseManifest;
  return { ok: true, manifest: { ...manifest, artifacts: manifest.artifacts.map((a) => ({ ...a, sources: a.sources ?? [] })) } };
}

/** The problems of a signed release envelope (schema, signature fields), not of the manifest it carries. */
export function signedReleaseEnvelopeProblems(value: unknown): ReleaseProblem[] {
  const problems: ReleaseProblem[] = [];
  envelopeField(value, "", problems);
  return problems;
}

export type ReadSignedReleaseReturnType =
  | {
      ok: true;
      release: SignedRelease;
      /** What the signature covers: the canonical JSON of the manifest as the file carries it. */
      signedBytes: Uint8Array;
    }
  | { ok: false; message: string };

/**
 * A signed release file's bytes, read and checked for shape (size, UTF-8 JSON, envelope,
 * manifest). Says nothing of the signature: check it over `signedBytes` with the key whose id
 * `release.signature.keyId` names.
 */
export function readSignedRelease(bytes: Uint8Array): ReadSignedReleaseReturnType {
  if (bytes.byteLength > MAX_RELEASE_BYTES) return { ok: false, message: `the release file has ${bytes.byteLength} bytes, more than ${MAX_RELEASE_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, message: `the release file is not JSON: ${(error as Error).message}` };
  }
  const problems = signedReleaseEnvelopeProblems(json);
  if (problems.length > 0) return { ok: false, message: `not a signed release: ${formatReleaseProblems(problems)}` };
  const envelope = json as { manifest: unknown; signature: ReleaseSignature };
  const manifest = checkReleaseManifest(envelope.manifest);
  if (!manifest.ok) return { ok: false, message: `the release manifest is invalid: ${formatReleaseProblems(manifest.problems.map((p) => ({ ...p, path: `manifest.${p.path}` })))}` };
  return {
    ok: true,
    release: { schema: SIGNED_RELEASE_SCHEMA, manifest: manifest.manifest, signature: envelope.signature },
    signedBytes: releaseSigningBytes(envelope.manifest),
  };
}

/**
 * The bytes a release signature covers: the UTF-8 of the manifest's canonical JSON (RFC 8785:
 * object keys sorted by UTF-16 code units, no whitespace, numbers and strings as ECMAScript's
 * JSON writes them). Throws for what JSON cannot carry (NaN, undefined in a list, ...).
 */
export function releaseSigningBytes(manifest: unknown): Uint8Array {
  return new TextEncoder().encode(canonical(manifest, "$", 0));
}

function canonical(value: unknown, path: string, depth: number): string {
  if (depth > 64) throw new Error(`${path} is nested too deep`);
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}, which JSON cannot represent`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value
      .map((item, i) => {
        if (item === undefined) throw new Error(`${path}[${i}] is undefined`);
        return canonical(item, `${path}[${i}]`, depth + 1);
      })
      .join(",")}]`;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key], `${path}.${key}`, depth + 1)}`).join(",")}}`;
  }
  throw new Error(`${path} is a ${typeof value}, which JSON cannot represent`);
}

/** The 12 bytes every Ed25519 SubjectPublicKeyInfo (DER) starts with; the 32-byte key follows. */
export const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);

/** The raw 32-byte Ed25519 public key in an SPKI DER, or undefined when `spki` is not one. */
export function ed25519KeyFromSpki(spki: Uint8Array): Uint8Array | undefined {
  if (spki.length !== ED25519_SPKI_PREFIX.length + 32) return undefined;
  if (!ED25519_SPKI_PREFIX.every((byte, i) => spki[i] === byte)) return undefined;
  return spki.slice(ED25519_SPKI_PREFIX.length);
}

/** A release key's id: `sha256:<hex>` of its SPKI DER bytes (what `signature.keyId` names). */
export function releaseKeyIdOfSpki(spki: Uint8Array): string {
  return `sha256:${sha256(spki).slice(2)}`;
}

/** GET /health `release`: present on a node started from a package. */
export type ReleaseHealth = {
  /** The version this process runs. */
  running: string;
  /** The version the launcher starts next (`current`); differs from `running` after a switch until the restart. */
  current: string;
  /** Kept for rollback. */
  previous: string | null;
  /** The operator's pin (NS_LLM_RELEASE_PIN or `ns-llm release pin`): no update switches away from it. */
  pinned: string | null;
  /** Every version folder installed. */
  versions: string[];
  /**
   * The release key the running version ships (`versions/<v>/release-key.pem`): its id and its
   * SPKI DER bytes in base64. Null until read, or when it cannot be read.
   */
  key?: { id: string; spki: string } | null;
  /** The last adopted release this node staged, and whether it switched to it. */
  lastStaged: { version: string; cid: string; switched: boolean; reason: string | null; time: string } | null;
  /** The last adopted release this node refused (bad signature, unknown key, altered package...). */
  lastRefused: { cid: string; code: string; message: string; time: string } | null;
  /** Whether a supervisor runs this node (then a switch takes effect at once, else at the next start). */
  supervised: boolean;
};
