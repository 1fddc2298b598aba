import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config.ts";
import { ManifestError, formatProblem, isModelManifest, manifestDigest, parseManifest, type ModelManifest } from "../../manifest/index.ts";
import { openConfiguredStore } from "../store-context.ts";
import { PullError, shortDigest, type ModelStore, type PullEvent, type SourceFetchers } from "../../inference/store/index.ts";
import { ipfsSourceFetcher } from "../../ipfs/index.ts";
import { withIpfs } from "../ipfs-context.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { createProgressLine, formatBytes, type ProgressLine } from "../progress.ts";
import { readManifestFile } from "./manifest-validate.ts";

const command: Command = {
  name: "models pull",
  usage: "models pull <manifest> [--from DIR]",
  summary: "download, verify and store a manifest's artifacts (resumable, progress bar)",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false }, from: { type: "string" } }, { positionals: true });
    const json = parsed.values.json!;
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length > 0) throw new UsageError("models pull takes one manifest file");

    const config = loadConfig();
    const bytes = await readManifestFile(file);
    const digest = manifestDigest(bytes);
    let manifest;
    try {
      // Sources are checked when fetched; an artifact without one may come from --from.
      manifest = parseManifest(bytes, { maxTotalBytes: config.maxModelBytes, subject: path.basename(file), requireSources: false });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      throw new UserError(`${file} is not a valid manifest: ${error.problems.map(formatProblem).join("; ")}`, `check it with: ns-llm manifest validate ${file}`);
    }
    if (!isModelManifest(manifest)) {
      output(json, { manifest: manifest.name, digest, role: manifest.role, artifacts: [], downloadedBytes: 0 }, () =>
        console.log(`${manifest.name} is a parameters manifest: nothing to download`),
      );
      return 0;
    }

    const store = openConfiguredStore(config);
    const controller = new AbortController();
    const onSigint = () => controller.abort(new UserError("interrupted", "run the same command again to resume the download"));
    process.once("SIGINT", onSigint);
    try {
      const imported = parsed.values.from ? await importLocal(store, manifest, parsed.values.from, json) : 0;
      const pull = (fetchers: SourceFetchers) =>
        store.pull(manifest, { manifestDigest: digest, signal: controller.signal, onProgress: json ? undefined : progressPrinter(), fetchers });
      // ipfs:// sources come from the configured IPFS back end; a running node holds the embedded
      // repo, and then only the other sources are tried.
      const needsIpfs = manifest.model.artifacts.some((a) => a.sources.some((source) => source.startsWith("ipfs://")));
      const result = needsIpfs
        ? await withIpfs(
            config,
            (ipfs) => pull({ "ipfs:": ipfsSourceFetcher(ipfs) }),
            () => {
              process.stderr.write("note: a running ns-llm node holds the embedded IPFS repo; ipfs:// sources are skipped (the node fetches adopted models itself)\n");
              return pull({});
            },
          )
        : await pull({});
      output(
        json,
        {
          manifest: manifest.name,
          digest,
          role: manifest.role,
          store: store.layout.root,
          artifacts: result.artifacts.map(({ path: p, sha256, size, status, source }) => ({ path: p, sha256, size, status, source: source ?? null })),
          downloadedBytes: result.downloadedBytes,
          imported,
        },
        () => {
          const fetched = result.artifacts.filter((a) => a.status === "downloaded").length;
          console.log(
            `${manifest.name}: ${result.artifacts.length} artifact${result.artifacts.length === 1 ? "" : "s"} stored and verified` +
              (fetched > 0 ? ` (${fetched} downloaded, ${formatBytes(result.downloadedBytes)})` : "") +
              (imported > 0 ? ` (${imported} imported from ${parsed.values.from})` : ""),
          );
        },
      );
    } catch (error) {
      if (error instanceof PullError) {
        throw new UserError(
          error.message,
          error.attempts.length === 0
            ? "give the folder that holds the file with --from DIR"
            : "check the sources and the network; a partial download is kept and resumes next time",
        );
      }
      throw error;
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
  },
};

/** `--from DIR`: artifacts found at their path under DIR are checked and copied into the store. */
async function importLocal(store: ModelStore, manifest: ModelManifest, dir: string, quiet: boolean): Promise<number> {
  let imported = 0;
  for (const artifact of manifest.model.artifacts) {
    if (await store.has(artifact.sha256)) continue;
    const file = path.join(dir, ...artifact.path.split("/"));
    if (!existsSync(file)) continue;
    try {
      await store.importFile(file, { sha256: artifact.sha256, size: artifact.size });
    } catch (error) {
      throw new UserError(`${file} does not match the manifest: ${(error as Error).message}`, "use the files the manifest was made from");
    }
    imported++;
    if (!quiet) process.stderr.write(`${artifact.path}: imported from ${file}\n`);
  }
  return imported;
}

/** Turns store events into a progress bar per artifact (or plain lines when not on a terminal). */
function progressPrinter(): (event: PullEvent) => void {
  let line: ProgressLine | undefined;
  return (event) => {
    const label = event.artifact.path;
    switch (event.type) {
      case "present":
        process.stderr.write(`${label}: already stored (sha256 ${shortDigest(event.artifact.sha256)}…)\n`);
        break;
      case "start":
        line = createProgressLine({ label, total: event.artifact.size, offset: event.offset });
        if (!process.stderr.isTTY || event.offset > 0) {
          line.note(`${label}: ${event.offset > 0 ? `resuming at ${formatBytes(event.offset)} from` : "fetching"} ${event.source} (${formatBytes(event.artifact.size)})`);
        }
        break;
      case "progress":
        line?.update(event.received);
        break;
      case "source-failed":
        (line ?? { note: (m: string) => process.stderr.write(`${m}\n`) }).note(`${label}: ${event.attempt.source} failed: ${event.attempt.reason}`);
        break;
      case "done":
        line?.finish(`${label}: stored and verified (${formatBytes(event.artifact.size)}, sha256 ${shortDigest(event.artifact.sha256)}…)`);
        line = undefined;
        break;
    }
  };
}

export default command;
