import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { releaseDescription, ROLES, type ReleaseKey, type Role } from "@ns-llm/contracts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { chainContext, requireWallet } from "../chain-context.ts";
import { UsageError, UserError } from "../errors.ts";
import { proposeAdoption } from "../../governance/proposals.ts";
import { manifestDigest, parseManifest } from "../../manifest/index.ts";
import { fetchManifest, publishManifest } from "../../ipfs/index.ts";
import { packagedInstall, parseGovernedRelease, RELEASE_KEY_FILE, ReleaseError, releaseSigner, trustedReleaseKey } from "../../release/index.ts";
import { nodeError, nodeRequest, withIpfs } from "../ipfs-context.ts";

const usage = "propose --role R --manifest <file|cid> [--description T] [--release-key <public key .pem>]";

const command: Command = {
  name: "propose",
  usage,
  summary: "submit a proposal to adopt a manifest (publishes the file to IPFS first)",
  async run(args) {
    const { values } = parse(args);
    const role = values.role as Role;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    if (values["release-key"] && role !== "release") throw new UsageError("--release-key goes with --role release");
    // A release proposal names its signer's public key; which key that is is settled before anything else.
    const signer = role === "release" ? await signingKey(values["release-key"]) : undefined;
    const context = await chainContext();
    const wallet = await requireWallet(context);
    const check = (bytes: Uint8Array) => checked(bytes, role, context.config.maxModelBytes, signer);

    const source = values.manifest!;
    const file = await readFile(source).catch(() => undefined);
    // A file is checked before anything is published.
    const local = file ? check(file) : undefined;
    const { cid, digest, subject } = await withIpfs(
      context.config,
      async (ipfs) => {
        const bytes = file ?? (await fetchManifest(ipfs, source, { timeoutMs: 10_000 }));
        const subject = local ?? check(bytes);
        return { ...(file ? await publishManifest(ipfs, file) : { cid: source, digest: manifestDigest(bytes) }), subject };
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
        if (local && role === "release") return { cid: ((await response.json()) as { cid: string }).cid, digest: manifestDigest(file!), subject: local };
        if (local) return { ...((await response.json()) as { cid: string; digest: `0x${string}` }), subject: local };
        const bytes = new Uint8Array(await response.arrayBuffer());
        return { cid: source, digest: manifestDigest(bytes), subject: check(bytes) };
      },
    );

    const { name, release } = subject;
    const result = await proposeAdoption({
      publicClient: context.publicClient,
      wallet,
      deployment: context.deployment,
      role,
      cid,
      digest,
      name,
      // A release's description is the one shape the dApp writes too, with its signer's key line; --description is its paragraph.
      description: release ? releaseDescription(release.version, cid, digest, release.key, values.description) : values.description,
    });
    output(values.json!, { proposalId: result.proposalId.toString(), txHash: result.txHash, cid, digest, role, ...(release ? { releaseKeyId: release.key.id } : {}), description: result.description }, () => {
      console.log(`proposal ${result.proposalId}`);
      console.log(`  adopt ${name} for ${role}: ipfs://${cid} (digest ${digest})`);
      if (release) console.log(`  signed by ${release.key.id} (its public key is on the description's release-key: line)`);
      console.log(`  tx ${result.txHash}`);
    });
  },
};

type Signer = { key: KeyObject; from: string };

/**
 * The public key said to have signed the release: --release-key's, else the one this packaged
 * install ships. It is checked against the release file before anything is published.
 */
async function signingKey(file: string | undefined): Promise<Signer> {
  const install = packagedInstall();
  if (!file && !install) {
    throw new UserError(
      "a release proposal carries the public key that signed the release, and this node was not installed from a package, so it ships none",
      "pass --release-key <public key .pem>: the release-key.pem a package ships, or `openssl pkey -in key.pem -pubout`",
    );
  }
  try {
    const key = await trustedReleaseKey(file);
    return { key, from: file ? `--release-key ${file}` : `the key this install ships (${path.join("versions", install!.version, RELEASE_KEY_FILE)})` };
  } catch (error) {
    if (error instanceof ReleaseError) throw new UserError(error.message, file ? "give --release-key the signer's Ed25519 public key as a PEM file, like the release-key.pem a package ships" : error.hint);
    throw error;
  }
}

/** What is proposed: its name and, for a release, its version and checked signer. */
type Subject = { name: string; release?: { version: string; key: ReleaseKey } };

/**
 * The manifest, valid and for `role` (a release: well formed and signed by `signer`, its signature
 * verified); throws a UserError saying what to do otherwise.
 */
function checked(bytes: Uint8Array, role: Role, maxTotalBytes: number, signer: Signer | undefined): Subject {
  if (role === "release") {
    // Role `release` adopts a signed release file (release.json of `npm run package`).
    let release;
    try {
      release = parseGovernedRelease(bytes);
    } catch (error) {
      throw new UserError((error as Error).message, "propose the release.json that `npm run package` wrote (check it: ns-llm release verify <package> --manifest release.json)");
    }
    try {
      return { name: release.name, release: { version: release.manifest.version, key: releaseSigner({ bytes, ...signer! }) } };
    } catch (error) {
      if (error instanceof ReleaseError) throw new UserError(error.message, error.hint);
      throw error;
    }
  }
  let manifest;
  try {
    manifest = parseManifest(bytes, { maxTotalBytes });
  } catch (error) {
    throw new UserError((error as Error).message, "fix the manifest (ns-llm manifest validate <file>)");
  }
  if (manifest.role !== role) throw new UserError(`the manifest is for role ${manifest.role}, not ${role}`, `use --role ${manifest.role}`);
  return { name: manifest.name };
}

function parse(args: string[]) {
  const parsed = parseCommandArgs(args, {
    role: { type: "string" },
    manifest: { type: "string" },
    description: { type: "string" },
    "release-key": { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (!parsed.values.role || !parsed.values.manifest) throw new UsageError("propose needs --role and --manifest");
  return parsed;
}

export default command;
