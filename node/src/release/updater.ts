/**
 * Governed updates of a packaged node: the applier of role `release`. For an adopted signed
 * release it checks the signature against the keys this node trusts (the one it shipped with),
 * downloads this platform's `.tar.gz` from the release's sources (ipfs://, https://), checks
 * every byte (size and sha256), stages it as `versions/<version>` beside the running one and
 * points `current` at it: the launcher runs it at the next start, a supervisor at once (it is
 * told over IPC). The previous version stays for rollback; a pin (NS_LLM_RELEASE_PIN, or
 * `ns-llm release pin`) stages without switching. Anything it cannot verify is refused: the
 * follower records the refusal (/health governance.errors.release, the audit log,
 * ns_llm_governance_refusals_total{role="release"}) and this node keeps running what it runs.
 */
import { constants, createWriteStream } from "node:fs";
import { access, mkdir, rename, rm } from "node:fs/promises";
import type { KeyObject } from "node:crypto";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Registry } from "prom-client";
import { Gauge } from "prom-client";
import type { ReleaseHealth } from "@ns-llm/contracts";
import { NsLlmError } from "../errors.ts";
import type { SourceFetchers } from "../inference/store/index.ts";
import { ReleaseError } from "./errors.ts";
import type { GovernedRelease } from "./governed.ts";
import { releaseKeyId } from "./keys.ts";
import { pruneVersions, readInstallState, switchVersion, type InstallState } from "./install-layout.ts";
import type { ReleaseArtifact, ReleasePlatform } from "./manifest.ts";
import type { PackagedInstall } from "./shipped-key.ts";
import { stagePackage } from "./stage-package.ts";
import { verifyRelease } from "./verify-release.ts";

export type ReleaseUpdaterParameters = {
  install: PackagedInstall;
  /** This machine's platform; undefined where no package is built (every release is refused). */
  platform: ReleasePlatform | undefined;
  /** The release keys this node trusts (read when a release arrives). */
  trustedKeys: () => Promise<KeyObject[]>;
  /** Fetchers by URL scheme (`ipfs:`, `https:`) for the package's sources. */
  fetchers: SourceFetchers;
  /** NS_LLM_RELEASE_PIN: stage new releases, never switch away from this version. */
  pin?: string | undefined;
  /** Tells the supervisor the launcher now points at another version (process.send when supervised). */
  notify?: ((message: { type: "ns-llm.release.switched"; version: string }) => void) | undefined;
  log?: (line: string) => void;
};

export type ReleaseUpdater = {
  /** The follower's applier for role `release`. */
  apply(release: GovernedRelease, adoption: { cid: string }, options: { signal: AbortSignal; offline: boolean }): Promise<void>;
  /** The supervisor started `version` and it did not become healthy: it rolled back (told over IPC). */
  failedUnderSupervisor(version: string, reason: string): Promise<void>;
  /** Reads the install folder again (the operator may have rolled back meanwhile). */
  refresh(): Promise<void>;
  health(): ReleaseHealth;
  registerMetrics(registry: Registry): void;
};

export function createReleaseUpdater(p: ReleaseUpdaterParameters): ReleaseUpdater {
  const { root, version: running } = p.install;
  const log = (line: string) => p.log?.(`release: ${line}`);
  let state: InstallState | undefined;
  let lastStaged: ReleaseHealth["lastStaged"] = null;
  let lastRefused: ReleaseHealth["lastRefused"] = null;
  // The key the running version ships, as /health reports it (the dApp compares a proposed
  // release's signer with it, as a secondary check "as reported by the node").
  let key: ReleaseHealth["key"] = null;

  // Reads may overlap (health() starts one at every call): one started before another that was
  // applied already must not put the older state back.
  let reads = 0;
  let appliedRead = 0;
  const refresh = async () => {
    const read = ++reads;
    const next = await readInstallState(root).catch(() => undefined);
    if (next && read > appliedRead) {
      state = next;
      appliedRead = read;
    }
    if (!key) {
      const [first] = await p.trustedKeys().catch(() => []);
      if (first) key = { id: releaseKeyId(first), spki: first.export({ format: "der", type: "spki" }).toString("base64") };
    }
  };

  async function apply(release: GovernedRelease, adoption: { cid: string }, { signal, offline }: { signal: AbortSignal; offline: boolean }): Promise<void> {
    // A restart restores nothing: what was staged and switched is on disk, and an operator's
    // rollback since then must stand until the network adopts another release.
    if (offline) return;
    try {
      const keys = await p.trustedKeys();
      const { manifest } = verifyRelease({ bytes: release.bytes, trustedKeys: keys });
      const artifact = packageFor(manifest.artifacts, p.platform, manifest.version);
      let installed = await readInstallState(root);
      if (!installed.versions.includes(manifest.version)) {
        await writable(root);
        log(`fetching ${artifact.file} (${artifact.size} bytes) for ${manifest.version}`);
        const file = await download(artifact, path.join(root, "downloads"), p.fetchers, signal);
        try {
          signal.throwIfAborted();
          await stagePackage({ root, file, release: release.bytes, trustedKeys: keys, platform: artifact.platform });
        } finally {
          await rm(file, { force: true });
        }
        log(`staged ${manifest.version} beside ${running} (verified signature, ${artifact.size} bytes, sha256 ${artifact.sha256.slice(0, 12)}…)`);
        installed = await readInstallState(root);
      }
      const pin = p.pin ?? installed.pinned;
      let reason: string | null = null;
      if (pin && pin !== manifest.version) {
        reason = `the operator pinned ${pin}${p.pin ? " (NS_LLM_RELEASE_PIN)" : ""}: staged, not switched`;
        log(reason);
      } else if (installed.current !== manifest.version) {
        await switchVersion({ root, version: manifest.version });
        log(`switched to ${manifest.version} (previous ${installed.current}, kept for rollback); ${p.notify ? "the supervisor starts it now" : "it runs from the next start"}`);
        // Storage stays bounded: older versions go, but never one whose files are in use (this
        // process's, and the supervisor's, which outlives the node's switches).
        const removed = await pruneVersions({ root, keep: [running, p.install.supervisor ?? running] });
        if (removed.length > 0) log(`removed older versions ${removed.join(", ")} (kept current, previous, pinned and the ones running)`);
        p.notify?.({ type: "ns-llm.release.switched", version: manifest.version });
      }
      // The install's state first: /health must never show this release staged beside a list of versions without it.
      await refresh();
      lastStaged = { version: manifest.version, cid: adoption.cid, switched: reason === null, reason, time: new Date().toISOString() };
    } catch (error) {
      if (!signal.aborted && !(error instanceof NsLlmError && error.transient)) {
        const e = error as { code?: string; message: string };
        lastRefused = { cid: adoption.cid, code: e.code ?? "apply_failed", message: e.message, time: new Date().toISOString() };
      }
      throw error;
    } finally {
      await refresh();
    }
  }

  return {
    apply,
    refresh,
    async failedUnderSupervisor(version, reason) {
      log(`version ${version} failed under the supervisor, which rolled back: ${reason}`);
      const why = `version ${version} did not become healthy; the supervisor rolled back to ${running}: ${reason}`;
      if (lastStaged?.version === version) lastStaged = { ...lastStaged, switched: false, reason: why };
      lastRefused = { cid: lastStaged?.cid ?? "", code: "health_check_failed", message: why, time: new Date().toISOString() };
      await refresh();
    },
    health() {
      // The operator may move the pointers meanwhile (ns-llm release rollback): the next answer shows it.
      void refresh();
      return {
        running,
        current: state?.current ?? running,
        previous: state?.previous ?? null,
        pinned: p.pin ?? state?.pinned ?? null,
        versions: state?.versions ?? [running],
        key,
        lastStaged,
        lastRefused,
        supervised: Boolean(p.notify),
      };
    },
    registerMetrics(registry) {
      const health = () => this.health();
      new Gauge({
        name: "ns_llm_release_info",
        help: "The packaged node's versions: the one running, the one the launcher starts next, the one kept for rollback, the pin",
        labelNames: ["running", "current", "previous", "pinned"] as const,
        registers: [registry],
        collect() {
          const h = health();
          this.reset();
          this.set({ running: h.running, current: h.current, previous: h.previous ?? "", pinned: h.pinned ?? "" }, 1);
        },
      });
    },
  };
}

/** The release's `.tar.gz` for `platform` (what an update stages). */
function packageFor(artifacts: readonly ReleaseArtifact[], platform: ReleasePlatform | undefined, version: string): ReleaseArtifact {
  const artifact = platform && artifacts.find((a) => a.platform === platform && a.format === "tar.gz");
  if (!artifact) {
    throw new ReleaseError("artifact_unknown", `release ${version} has no .tar.gz for ${platform ?? `${process.platform}-${process.arch}`}`, "this platform updates from another release, or by reinstalling");
  }
  if (artifact.sources.length === 0) {
    throw new ReleaseError("release_malformed", `release ${version} names no source for ${artifact.file}`, "publish the package (ns-llm ipfs add) and build the release with its sources");
  }
  return artifact;
}

async function writable(root: string): Promise<void> {
  try {
    await access(root, constants.W_OK);
  } catch {
    throw new ReleaseError("install_layout", `the install folder ${root} is not writable by this node`, "an install made by a system package manager (.deb, .msi) is updated by it; or run the node as the folder's owner");
  }
}

/**
 * Downloads `artifact` into `dir` under its own file name (what verifyArtifact matches), trying
 * its sources in order; never keeps more bytes than the release declares. A source that fails is
 * a transient failure (the follower retries with backoff); the bytes are checked by stagePackage.
 */
async function download(artifact: ReleaseArtifact, dir: string, fetchers: SourceFetchers, signal: AbortSignal): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, artifact.file);
  const part = `${file}.part`;
  const failures: string[] = [];
  for (const source of artifact.sources) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      failures.push(`${source}: not a URL`);
      continue;
    }
    const fetcher = fetchers[url.protocol];
    if (!fetcher) {
      failures.push(`${source}: this node has no ${url.protocol} fetcher`);
      continue;
    }
    try {
      const body = await fetcher(url, { offset: 0, signal });
      let received = 0;
      await pipeline(
        body,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            received += chunk.byteLength;
            if (received > artifact.size) throw new ReleaseError("artifact_size_mismatch", `${source} holds more than the ${artifact.size} bytes the release names`, "the source serves another file");
            yield chunk;
          }
        },
        createWriteStream(part) as Writable,
        { signal },
      );
      await rename(part, file);
      return file;
    } catch (error) {
      await rm(part, { force: true });
      if (signal.aborted || error instanceof ReleaseError) throw error;
      failures.push(`${source}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new NsLlmError("source_unreachable", `no source served ${artifact.file}: ${failures.join("; ")}`, { transient: true });
}
