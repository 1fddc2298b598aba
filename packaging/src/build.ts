/**
 * `npm run package [-- --platform P ...] [--out DIR] [--version V] [--no-check] [--fast] [--json]`:
 * builds the node's self-contained packages (default: every platform in targets.ts), writes the
 * signed release manifest `release.json` beside them, then checks every package as a user would
 * get it (check.ts). Prints each package's size and the time each step took.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { computeCid } from "../../node/src/ipfs/import-options.ts";
import { signRelease, type ReleaseArtifact, type ReleaseFormat, type ReleaseManifest } from "../../node/src/release/index.ts";
import { codeSigningIdentity, hasSignature, signFile, type CodeSigningIdentity } from "./authenticode.ts";
import { findBinaries } from "./binaries.ts";
import { bundleNode, REPO } from "./bundle.ts";
import { checkPackage } from "./check.ts";
import { buildDapp } from "./dapp.ts";
import { makeDeb, makeTarGz, makeZip, type Compression } from "./formats.ts";
import { readLock } from "./lock.ts";
import { makeMsi } from "./msi.ts";
import { releaseSigningKey } from "./release-key.ts";
import { installRuntimeDeps } from "./runtime-deps.ts";
import { stageTarget } from "./stage.ts";
import { TARGETS, targetFor, type Target } from "./targets.ts";

export type BuildPackagesParameters = {
  platforms?: readonly string[];
  out?: string;
  version?: string;
  check?: boolean;
  /** The release signing key (PEM file); default NS_LLM_RELEASE_KEY, else the out folder's dev key. */
  releaseKeyFile?: string;
  /**
   * Where each package will be downloadable, besides IPFS: URL prefixes (`<prefix>/<file>`).
   * Every artifact always names `ipfs://<its CID>` first (computed offline, the CID `ns-llm ipfs
   * add` gives the file), so a governed update can fetch it once someone publishes it.
   */
  sourcePrefixes?: readonly string[];
  /** Only these formats (default: every format of each platform); tests that need one skip the rest. */
  formats?: readonly ReleaseFormat[];
  /** "fast" compresses quickly (tests); the default "best" makes the smallest packages. */
  compression?: Compression;
  log?: (line: string) => void;
};

export type BuiltPackage = ReleaseArtifact & { path: string; seconds: number };
export type BuildPackagesReturnType = {
  version: string;
  out: string;
  release: string;
  keyId: string;
  devKey: boolean;
  packages: BuiltPackage[];
  totalBytes: number;
  seconds: { bundle: number; dapp: number; runtimeDeps: number; total: number; check: number };
  /** The dApp every package ships (app/web), before compression. */
  dapp: { bytes: number; files: number; reused: boolean };
};

const EXTENSION: Record<ReleaseFormat, string> = { "tar.gz": ".tar.gz", deb: ".deb", zip: ".zip", msi: ".msi" };

export async function buildPackages(p: BuildPackagesParameters = {}): Promise<BuildPackagesReturnType> {
  const started = Date.now();
  const log = p.log ?? ((line: string) => console.error(line));
  const targets: Target[] = p.platforms?.length ? p.platforms.map(targetFor) : [...TARGETS];
  const version = p.version ?? (JSON.parse(await readFile(path.join(REPO, "node", "package.json"), "utf8")) as { version: string }).version;
  const out = path.resolve(p.out ?? path.join(REPO, "dist", "packages"));
  const work = path.join(out, ".work");
  const devKeys = path.join(out, "dev-keys");
  const lock = readLock();
  const mtime = sourceDate();
  await mkdir(work, { recursive: true });

  const key = await releaseSigningKey(devKeys, p.releaseKeyFile ? { ...process.env, NS_LLM_RELEASE_KEY: p.releaseKeyFile } : process.env);
  log(`release key ${key.keyId}${key.dev ? ` (DEVELOPMENT key ${path.relative(process.cwd(), key.source)}: set NS_LLM_RELEASE_KEY for a real release)` : ""}`);
  const codeSigning = targets.some((t) => t.os === "win32") ? await codeSigningIdentity(devKeys) : undefined;

  let t = Date.now();
  const bundle = path.join(work, "bundle");
  await rm(bundle, { recursive: true, force: true });
  await bundleNode(bundle);
  const bundleSeconds = (Date.now() - t) / 1000;
  log(`bundled the node in ${bundleSeconds.toFixed(1)} s`);
  t = Date.now();
  const dapp = await buildDapp(path.join(work, "dapp"));
  const dappSeconds = (Date.now() - t) / 1000;
  log(`${dapp.reused ? "reused the dApp's standalone build" : "built the dApp (standalone)"}: ${mb(dapp.bytes)} in ${dapp.files} files, in ${dappSeconds.toFixed(1)} s`);
  t = Date.now();
  const runtimeDeps = await installRuntimeDeps();
  const runtimeDepsSeconds = (Date.now() - t) / 1000;
  log(`runtime dependencies ready in ${runtimeDepsSeconds.toFixed(1)} s`);

  const packages: BuiltPackage[] = [];
  for (const target of targets) {
    t = Date.now();
    const platformLock = lock.platforms[target.platform];
    const root = await stageTarget({ target, lock: platformLock, version, bundle, runtimeDeps, dapp: dapp.dir, releaseKeyPem: key.publicPem, workDir: work, mtime, log });
    if (target.os === "win32") await signUnsigned(root, codeSigning!);
    const staged = (Date.now() - t) / 1000;
    log(`${target.platform}: staged in ${staged.toFixed(1)} s (node ${platformLock.node.version}, ${platformLock.llama.name}@${platformLock.llama.version})`);
    for (const format of target.formats.filter((f) => !p.formats || p.formats.includes(f))) {
      const f0 = Date.now();
      const file = path.join(out, `ns-llm-${version}-${target.platform}${EXTENSION[format]}`);
      await rm(file, { force: true });
      if (format === "tar.gz") await makeTarGz(root, file, p.compression);
      else if (format === "zip") await makeZip(root, file);
      else if (format === "deb") await makeDeb(root, file, target, version, mtime, p.compression);
      else {
        await makeMsi(root, file, version);
        await signFile(file, codeSigning!);
      }
      const size = (await stat(file)).size;
      const seconds = (Date.now() - f0) / 1000;
      const sources = [`ipfs://${await computeCid(createReadStream(file))}`, ...(p.sourcePrefixes ?? []).map((prefix) => `${prefix.replace(/\/+$/, "")}/${path.basename(file)}`)];
      packages.push({ platform: target.platform, format, file: path.basename(file), sha256: await sha256File(file), size, node: platformLock.node.version, sources, path: file, seconds });
      log(`${target.platform}: ${path.basename(file)}  ${mb(size)}  (${seconds.toFixed(1)} s)`);
    }
    await rm(root, { recursive: true, force: true });
  }

  const manifest: ReleaseManifest = {
    schema: "ns-llm.release/v1",
    name: "ns-llm",
    version,
    artifacts: packages.map(({ path: _path, seconds: _seconds, ...artifact }) => artifact),
  };
  const release = signRelease({ manifest, privateKey: key.privateKey });
  const releaseFile = path.join(out, "release.json");
  await writeFile(releaseFile, release);
  await writeFile(path.join(out, "release-key.pem"), key.publicPem);

  t = Date.now();
  if (p.check !== false) {
    for (const pkg of packages) {
      const target = targetFor(pkg.platform);
      const result = await checkPackage({ file: pkg.path, format: pkg.format, target, lock: lock.platforms[target.platform], release, releaseKeyPem: key.publicPem, codeSigning });
      const signed = target.os === "win32" ? `, Authenticode: ${result.signedByUs} ours + ${result.signedUpstream} by their publishers` : "";
      log(`checked ${pkg.file}: ${result.binaries} native binaries, all ${target.os} ${target.cpu}${signed}; verifies against release.json`);
    }
  }
  const checkSeconds = (Date.now() - t) / 1000;
  await rm(work, { recursive: true, force: true });
  const totalBytes = packages.reduce((s, x) => s + x.size, 0);
  log(`${packages.length} packages, ${mb(totalBytes)} together, in ${((Date.now() - started) / 1000).toFixed(1)} s; signed release manifest ${path.relative(process.cwd(), releaseFile)}`);
  return {
    version,
    out,
    release: releaseFile,
    keyId: key.keyId,
    devKey: key.dev,
    packages,
    totalBytes,
    dapp: { bytes: dapp.bytes, files: dapp.files, reused: dapp.reused },
    seconds: { bundle: bundleSeconds, dapp: dappSeconds, runtimeDeps: runtimeDepsSeconds, check: checkSeconds, total: (Date.now() - started) / 1000 },
  };
}

/** Signs every PE file of a staged Windows folder that nobody signed (publishers' signatures stay). */
async function signUnsigned(root: string, identity: CodeSigningIdentity): Promise<void> {
  for (const binary of await findBinaries(root)) if (!(await hasSignature(binary.file))) await signFile(binary.file, identity);
}

/** SOURCE_DATE_EPOCH, else the last commit's time: every file in a package gets this time. */
function sourceDate(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH ?? (() => {
    try {
      return execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: REPO, encoding: "utf8" }).trim();
    } catch {
      return "";
    }
  })();
  return epoch ? new Date(Number(epoch) * 1000) : new Date();
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      platform: { type: "string", multiple: true },
      out: { type: "string" },
      version: { type: "string" },
      "no-check": { type: "boolean", default: false },
      fast: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      source: { type: "string", multiple: true },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npm run package -- [--platform ${TARGETS.map((t) => t.platform).join("|")} ...] [--out DIR] [--version V] [--no-check] [--fast] [--json] [--source URL-PREFIX ...]`);
    process.exit(0);
  }
  try {
    const result = await buildPackages({ platforms: values.platform, out: values.out, version: values.version, check: !values["no-check"], compression: values.fast ? "fast" : "best", ...(values.source ? { sourcePrefixes: values.source } : {}) });
    if (values.json) console.log(JSON.stringify(result));
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(1);
  }
}
