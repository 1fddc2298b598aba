import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ROLES, type Role } from "@ns-llm/contracts";
import { output, type Command } from "../command.ts";
import { chainContext, requireWallet } from "../chain-context.ts";
import { UsageError, UserError } from "../errors.ts";
import { proposeAdoption } from "../../governance/proposals.ts";
import { manifestDigest, parseManifest } from "../../manifest/index.ts";
import { manifestAccess } from "../manifest-access.ts";

const command: Command = {
  name: "propose",
  usage: "propose --role R --manifest <file|cid> [--description T]",
  summary: "submit a proposal to adopt a manifest (publishes the file to IPFS first)",
  async run(args) {
    const { values } = parse(args);
    const role = values.role as Role;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    const context = await chainContext();
    const wallet = await requireWallet(context);

    const access = await manifestAccess(context.config);
    let cid: string;
    let digest: `0x${string}`;
    let name: string | undefined;
    try {
      const source = values.manifest!;
      const file = await readFile(source).catch(() => undefined);
      const bytes = file ?? (await access.fetch(source).catch(() => undefined));
      if (!bytes) throw new UserError(`"${source}" is neither a readable file nor a CID the node can fetch`, "pass a manifest file, or publish it first with `ns-llm manifest publish`");
      const manifest = parseManifest(bytes, { maxTotalBytes: context.config.maxModelBytes });
      if (manifest.role !== role) throw new UserError(`the manifest is for role ${manifest.role}, not ${role}`, `use --role ${manifest.role}`);
      name = manifest.name;
      ({ cid, digest } = file ? await access.publish(file) : { cid: source, digest: manifestDigest(bytes) });
    } finally {
      await access.close();
    }

    const result = await proposeAdoption({
      publicClient: context.publicClient,
      wallet,
      deployment: context.deployment,
      role,
      cid,
      digest,
      name,
      description: values.description,
    });
    output(values.json!, { proposalId: result.proposalId.toString(), txHash: result.txHash, cid, digest, role }, () => {
      console.log(`proposal ${result.proposalId}`);
      console.log(`  adopt ${name} for ${role}: ipfs://${cid} (digest ${digest})`);
      console.log(`  tx ${result.txHash}`);
    });
  },
};

function parse(args: string[]) {
  try {
    const parsed = parseArgs({
      args,
      options: { role: { type: "string" }, manifest: { type: "string" }, description: { type: "string" }, json: { type: "boolean", default: false } },
      strict: true,
      allowPositionals: false,
    });
    if (!parsed.values.role || !parsed.values.manifest) throw new UsageError("propose needs --role and --manifest");
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

export default command;
