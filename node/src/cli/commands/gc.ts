/**
 * `ns-llm gc [--dry-run] [--grace S] [--json]`: removes model blobs, partial downloads, model
 * folders and IPFS blocks that no applied or pending manifest references (what the node's
 * periodic sweep does). --grace sets how old an unreferenced file must be (default: an hour for
 * the store, NS_LLM_IPFS_GC_GRACE_S for IPFS blocks). Safe while the node runs: files younger than the grace period and part
 * files a writer holds stay; the node's embedded IPFS repo is then left to its own sweep.
 */
import path from "node:path";
import { createStorageUpkeep, FollowerState } from "../../governance/index.ts";
import { DEFAULT_GC_GRACE_MS, formatSize } from "../../inference/store/index.ts";
import { isIpfsError, openIpfs, type IpfsClient } from "../../ipfs/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { cliConfig } from "../ipfs-context.ts";
import { openConfiguredStore } from "../store-context.ts";

const command: Command = {
  name: "gc",
  usage: "gc [--dry-run] [--grace S] [--json]",
  summary: "remove model blobs and IPFS blocks no applied or pending manifest references",
  async run(args) {
    const { values } = parseCommandArgs(args, {
      "dry-run": { type: "boolean", default: false },
      grace: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const graceMs = values.grace === undefined ? DEFAULT_GC_GRACE_MS : Number(values.grace) * 1000;
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new UsageError("--grace takes a number of seconds");
    const config = cliConfig();
    const state = new FollowerState(path.join(config.home, "node.db"));
    let ipfs: IpfsClient | undefined;
    let ipfsNote: string | undefined;
    if (!config.ipfsApi) {
      try {
        ipfs = await openIpfs(config);
      } catch (error) {
        if (!isIpfsError(error, "repo_locked")) throw error;
        ipfsNote = "a running node holds the embedded IPFS repo: its own sweep (NS_LLM_GC_INTERVAL_S) collects blocks";
      }
    } else {
      ipfsNote = "Kubo collects its own blocks (ipfs repo gc)";
    }
    try {
      const upkeep = createStorageUpkeep({
        store: openConfiguredStore(config),
        ...(ipfs ? { ipfs } : {}),
        state,
        graceMs,
        ipfsGraceMs: values.grace === undefined ? config.ipfsGcGraceSeconds * 1000 : graceMs,
      });
      const result = await upkeep.collect({ dryRun: values["dry-run"]! });
      output(values.json!, { ...result, ipfsNote: ipfsNote ?? null }, () => {
        const verb = result.store.dryRun ? "would remove" : "removed";
        for (const blob of result.store.blobs) {
          const refs = blob.refs.map((r) => `${r.manifest}:${r.path}`).join(", ") || "unreferenced";
          console.log(`${verb} blob ${blob.sha256.slice(0, 12)}…  ${formatSize(blob.size)}  (${refs})`);
        }
        for (const part of result.store.parts) console.log(`${verb} partial download ${part.file}  ${formatSize(part.size)}`);
        for (const folder of result.store.folders) console.log(`${verb} model folder ${folder}`);
        console.log(
          `model store: ${verb} ${result.store.blobs.length} blob(s), ${result.store.parts.length} part(s), ${result.store.folders.length} folder(s): ${formatSize(result.store.bytes)}; kept ${result.store.kept} blob(s)`,
        );
        if (result.ipfs) console.log(`ipfs: ${verb} ${result.ipfs.blocks} block(s): ${formatSize(result.ipfs.bytes)}; kept ${result.ipfs.kept}`);
        if (ipfsNote) console.log(`ipfs: ${ipfsNote}`);
      });
    } finally {
      state.close();
      await ipfs?.stop();
    }
  },
};

export default command;
