import { readFile } from "node:fs/promises";
import { ROLES, type Role } from "@ns-llm/contracts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { chainContext, requireWallet } from "../chain-context.ts";
import { UsageError, UserError } from "../errors.ts";
import { proposeAdoption } from "../../governance/proposals.ts";
import { manifestDigest, parseManifest } from "../../manifest/index.ts";
import { fetchManifest, publishManifest } from "../../ipfs/index.ts";
import { parseGovernedRelease } from "../../release/index.ts";
import { nodeError, nodeRequest, withIpfs } from "../ipfs-context.ts";

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

    const source = values.manifest!;
    const file = await readFile(source).catch(() => undefined);
    // A file is checked before anything is published.
    const local = file ? checked(file, role, context.config.maxModelBytes) : undefined;
    const { cid, digest, name } = await withIpfs(
      context.config,
      async (ipfs) => {
        const bytes = file ?? (await fetchManifest(ipfs, source, { timeoutMs: 10_000 }));
        const manifest = local ?? checked(bytes, role, context.config.maxModelBytes);
        return { ...(file ? await publishManifest(ipfs, file) : { cid: source, digest: manifestDigest(bytes) }), name: manifest.name };
      },
      // A running node holds the embedded repo: publish or fetch through its API.
      async () => {
        // A signed release is published as it is (its bytes are what the chain's digest names).
        const response = file
          ? role === "release"
            ? await nodeRequest(context.config, "/api/ipfs", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: file })
            : await nodeRequest(context.config, "/api/manifests", { method: "POST", headers: { "content-type": "application/json" }, body: file })
          : await nodeRequest(context.config, `/api/manifests/${encodeURIComponent(source)}`);
        if (!response.ok) throw await nodeError(response, file ? "publishing the manifest failed" : `fetching ${source} failed`);
        if (local && role === "release") return { cid: ((await response.json()) as { cid: string }).cid, digest: manifestDigest(file!), name: local.name };
        if (local) return { ...((await response.json()) as { cid: string; digest: `0x${string}` }), name: local.name };
        const bytes = new Uint8Array(await response.arrayBuffer());
        return { cid: source, digest: manifestDigest(bytes), name: checked(bytes, role, context.config.maxModelBytes).name };
      },
    );

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

/** The manifest, valid and for `role`; throws a UserError saying what to do otherwise. */
function checked(bytes: Uint8Array, role: Role, maxTotalBytes: number): { name: string } {
  if (role === "release") {
    // Role `release` adopts a signed release file (release.json of `npm run package`).
    try {
      return parseGovernedRelease(bytes);
    } catch (error) {
      throw new UserError((error as Error).message, "propose the release.json that `npm run package` wrote (check it: ns-llm release verify <package> --manifest release.json)");
    }
  }
  let manifest;
  try {
    manifest = parseManifest(bytes, { maxTotalBytes });
  } catch (error) {
    throw new UserError((error as Error).message, "fix the manifest (ns-llm manifest validate <file>)");
  }
  if (manifest.role !== role) throw new UserError(`the manifest is for role ${manifest.role}, not ${role}`, `use --role ${manifest.role}`);
  return manifest;
}

function parse(args: string[]) {
  const parsed = parseCommandArgs(args, {
    role: { type: "string" },
    manifest: { type: "string" },
    description: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (!parsed.values.role || !parsed.values.manifest) throw new UsageError("propose needs --role and --manifest");
  return parsed;
}

export default command;
