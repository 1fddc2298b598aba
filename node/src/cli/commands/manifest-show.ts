/**
 * `ns-llm manifest show <cid> [--timeout S] [--json]`: fetches a manifest from IPFS and prints its
 * exact bytes (so `> file` reproduces the published file and its digest); problems the schema
 * finds are warned about on stderr. `--json` prints `{"cid", "digest", "valid", "problems",
 * "manifest"}`. While a running node holds the embedded repo, it reads through that node's API.
 */
import { ManifestError, formatProblem, manifestDigest, parseManifest, MAX_MANIFEST_BYTES, type ManifestProblem } from "../../manifest/index.ts";
import { fetchManifest, parseCid } from "../../ipfs/index.ts";
import { sourcePolicyOf } from "../store-context.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { asUserError, cliConfig, nodeError, nodeRequest, withIpfs } from "../ipfs-context.ts";

const USAGE = "usage: ns-llm manifest show <cid> [--timeout SECONDS] [--json]";

const command: Command = {
  name: "manifest show",
  usage: "manifest show <cid> [--timeout S] [--json]",
  summary: "fetch a manifest from IPFS and print it",
  async run(args) {
    const { json, cid, timeoutMs } = parse(args);
    try {
      parseCid(cid);
    } catch (error) {
      throw asUserError(error);
    }
    const config = cliConfig();
    const bytes = await withIpfs(
      config,
      (ipfs) => fetchManifest(ipfs, cid, { timeoutMs }),
      async () => {
        const response = await nodeRequest(config, `/api/manifests/${encodeURIComponent(cid)}`, { timeoutMs: timeoutMs + 5_000 });
        if (!response.ok) throw await nodeError(response, `fetching ${cid} through the running node`);
        const body = new Uint8Array(await response.arrayBuffer());
        if (body.byteLength > MAX_MANIFEST_BYTES) throw new UserError(`${cid} is larger than a manifest may be`);
        return body;
      },
    );

    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      throw new UserError(`${cid} is not a JSON document, so not a manifest`, "check the CID");
    }
    let problems: ManifestProblem[] = [];
    try {
      parseManifest(bytes, { maxTotalBytes: config.maxModelBytes, subject: cid, sourcePolicy: sourcePolicyOf(config) });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      problems = error.problems;
    }
    const digest = manifestDigest(bytes);
    output(json, { cid, digest, valid: problems.length === 0, problems, manifest: value }, () => {
      process.stdout.write(bytes);
      if (bytes.byteLength > 0 && bytes[bytes.byteLength - 1] !== 0x0a) process.stdout.write("\n");
      console.error(`# ${cid}  digest ${digest}`);
      if (problems.length > 0) {
        console.error(`warning: this manifest would be refused (${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
        for (const problem of problems) console.error(`  ${formatProblem(problem)}`);
      }
    });
  },
};

function parse(args: string[]): { json: boolean; cid: string; timeoutMs: number } {
  const parsed = parseCommandArgs(
    args,
    { json: { type: "boolean", default: false }, timeout: { type: "string", default: "30" } },
    { positionals: true, usage: USAGE },
  );
  const [cid, ...extra] = parsed.positionals;
  if (!cid || extra.length > 0) throw new UsageError("manifest show takes one CID", USAGE);
  const seconds = Number(parsed.values.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError("--timeout must be a positive number of seconds", USAGE);
  return { json: parsed.values.json!, cid: cid.replace(/^ipfs:\/\//, ""), timeoutMs: Math.round(seconds * 1000) };
}

export default command;
