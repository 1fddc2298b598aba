/**
 * `ns-llm ipfs add <file> [--json]`: adds one file (streamed, any size, no wrapping directory)
 * and prints its CID, the `ipfs://` source to write into a manifest. Through a Kubo daemon the
 * file is read a second time to check that the daemon's CID is the one every node computes. While
 * a running node holds the embedded repo, the file is streamed to that node (POST /api/ipfs).
 */
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import { Readable } from "node:stream";
import { computeCid, IpfsError } from "../../ipfs/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { cliConfig, nodeError, nodeRequest, withIpfs } from "../ipfs-context.ts";
import { formatBytes } from "../progress.ts";

const USAGE = "usage: ns-llm ipfs add <file> [--json]";

const command: Command = {
  name: "ipfs add",
  usage: "ipfs add <file> [--json]",
  summary: "add a file to IPFS (e.g. a model artifact); prints its CID",
  async run(args) {
    const { json, file } = parse(args);
    let size: number;
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) throw new UserError(`${file} is not a file`, "add one file at a time");
      size = stat.size;
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "check the path");
    }
    const config = cliConfig();
    const { cid, mode } = await withIpfs(
      config,
      async (ipfs) => {
        const cid = await ipfs.addByteStream(createReadStream(file));
        if (ipfs.mode === "kubo") {
          const expected = await computeCid(createReadStream(file));
          if (expected !== cid) {
            throw new IpfsError("cid_mismatch", `the Kubo daemon added ${file} as ${cid}, not ${expected}`, "reset the daemon's Import.* settings to Kubo's defaults");
          }
        }
        return { cid, mode: ipfs.mode as string };
      },
      async () => {
        // The running node holds the repo: stream the file to it (POST /api/ipfs).
        const response = await nodeRequest(config, "/api/ipfs", {
          method: "POST",
          headers: { "content-type": "application/octet-stream", "content-length": String(size) },
          body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
          duplex: "half",
          timeoutMs: 3_600_000,
        } as RequestInit & { duplex: "half"; timeoutMs: number });
        if (response.status === 404 || response.status === 405) {
          throw new UserError(
            "the embedded IPFS repo is in use by a running ns-llm node that takes no files over its API",
            "stop it first, or set NS_LLM_IPFS_API to a Kubo daemon both can use",
          );
        }
        if (!response.ok) throw await nodeError(response, `adding ${file} through the running node`);
        const { cid } = (await response.json()) as { cid: string };
        const expected = await computeCid(createReadStream(file));
        if (cid !== expected) throw new UserError(`the node added ${file} as ${cid}, not ${expected}`);
        return { cid, mode: "node" };
      },
    );
    output(json, { cid, url: `ipfs://${cid}`, file, size, via: mode }, () => {
      console.log(cid);
      console.error(`added ${file} (${formatBytes(size)}) to IPFS (${mode}): ipfs://${cid}`);
    });
  },
};

function parse(args: string[]): { json: boolean; file: string } {
  const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true, usage: USAGE });
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) throw new UsageError("ipfs add takes one file", USAGE);
  return { json: parsed.values.json!, file };
}

export default command;
