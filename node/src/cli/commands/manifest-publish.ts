/**
 * `ns-llm manifest publish <file> [--json]`: checks the manifest (schema and this node's rules),
 * adds its exact bytes to IPFS and prints the CID and the digest a proposal adopts it with. While
 * a running node holds the embedded repo, it publishes through that node's API.
 */
import path from "node:path";
import { ManifestError, formatProblem, manifestDigest, parseManifest } from "../../manifest/index.ts";
import { publishManifest } from "../../ipfs/index.ts";
import { sourcePolicyOf } from "../store-context.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { cliConfig, nodeError, nodeRequest, withIpfs } from "../ipfs-context.ts";
import { readManifestFile } from "./manifest-validate.ts";

const USAGE = "usage: ns-llm manifest publish <file> [--json]";

const command: Command = {
  name: "manifest publish",
  usage: "manifest publish <file> [--json]",
  summary: "check a manifest and add it to IPFS; prints its CID and digest",
  async run(args) {
    const { json, file } = parse(args);
    const config = cliConfig();
    const bytes = await readManifestFile(file);
    let manifest;
    try {
      manifest = parseManifest(bytes, { maxTotalBytes: config.maxModelBytes, subject: path.basename(file), sourcePolicy: sourcePolicyOf(config) });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      if (!json) for (const problem of error.problems) console.error(`  ${formatProblem(problem)}`);
      const count = error.problems.length;
      throw new UserError(
        `${file} is not a valid manifest (${count} problem${count === 1 ? "" : "s"}${json ? `: ${error.problems.map(formatProblem).join("; ")}` : ""})`,
        "fix it and check with `ns-llm manifest validate`",
      );
    }

    const { cid, digest, via } = await withIpfs(
      config,
      async (ipfs) => ({ ...(await publishManifest(ipfs, bytes)), via: ipfs.mode as string }),
      async () => {
        const response = await nodeRequest(config, "/api/manifests", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: Buffer.from(bytes),
        });
        if (!response.ok) throw await nodeError(response, `publishing ${file} through the running node`);
        const published = (await response.json()) as { cid: string; digest: `0x${string}` };
        if (published.digest !== manifestDigest(bytes)) throw new UserError(`the node published other bytes than ${file} (digest ${published.digest})`);
        return { ...published, via: "node" };
      },
    );

    output(json, { cid, digest, url: `ipfs://${cid}`, name: manifest.name, role: manifest.role, bytes: bytes.byteLength, via }, () => {
      console.log(`published ${manifest.name} (${manifest.role}) to IPFS (${via})`);
      console.log(`  cid     ${cid}`);
      console.log(`  digest  ${digest}`);
    });
  },
};

function parse(args: string[]): { json: boolean; file: string } {
  const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true, usage: USAGE });
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) throw new UsageError("manifest publish takes one manifest file", USAGE);
  return { json: parsed.values.json!, file };
}

export default command;
