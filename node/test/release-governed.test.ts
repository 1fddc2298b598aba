/**
 * Governed updates of a packaged node (role `release`) on a real Hardhat chain, with a real node
 * process told it runs from an install folder (NS_LLM_INSTALL_ROOT, as the launcher tells it).
 * The install folder and the package are small stand-ins (a version is runnable when its runtime
 * and entry point exist); packaging/test/package.test.ts does the same with real packages.
 *
 * - A release whose signature does not cover its content, or signed by a key the node does not
 *   ship, is refused with its code (/health, the audit log, the refusal counter) and nothing moves.
 * - A correctly signed release whose package bytes are not the ones it names is refused: nothing
 *   is staged.
 * - `ns-llm propose --role release` refuses, before anything is published or sent, a key that is
 *   not the signer's (given with --release-key, or the one the install ships) and a file changed
 *   after signing; the proposal it sends carries the signer's `release-key:` line, which the dApp's
 *   reader (the shared releaseKeyFromDescription) reads back from the chain.
 * - A good release is fetched from IPFS, verified, staged beside the running version and switched
 *   to (previous kept); with the operator's pin, the next one is staged and not switched.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEventLogs, type Hash } from "viem";
import { manifestDigest, nsGovernorAbi, releaseDescription, releaseKeyFromDescription } from "@ns-llm/contracts";
import { currentPlatform, pinVersion, releaseKeyId, signRelease, versionEntryPoints, type ReleaseManifest } from "../src/release/index.ts";
import { devPass } from "../src/governance/index.ts";
import { DEV_KEY_0, startTestChain, type TestChain } from "./helpers/chain.ts";
import { addToNodeIpfs, adopt, auditEntries, sha256Hex, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
import { assertRefused, runCli, type CliRun } from "./helpers/cli.ts";
import { waitUntil } from "./helpers/processes.ts";

type ReleaseHealth = {
  running: string;
  current: string;
  previous: string | null;
  pinned: string | null;
  versions: string[];
  lastStaged: { version: string; switched: boolean; reason: string | null } | null;
  lastRefused: { code: string } | null;
};
type Health = { release?: ReleaseHealth; governance: { errors?: Record<string, { code: string; cid: string; message: string }> } };

const platform = currentPlatform()!;
const pem = (key: KeyObject) => key.export({ format: "pem", type: "spki" });

describe("governed updates of a packaged node", () => {
  let chain: TestChain;
  let node: FollowNode;
  let dir: string;
  let root: string;
  let key: KeyObject;
  let publicKey: KeyObject;
  const packages = new Map<string, { bytes: Buffer; cid: string; file: string }>();

  /** A version folder with what makes it runnable, as a package holds it. */
  async function versionTree(at: string, version: string): Promise<void> {
    const entry = versionEntryPoints();
    for (const file of [entry.runtime, entry.app]) {
      await mkdir(path.dirname(path.join(at, file)), { recursive: true });
      await writeFile(path.join(at, file), `stand-in ${version}\n`);
    }
  }

  /** `ns-llm-<version>-<platform>.tar.gz` laid out like `npm run package` makes it, published to the node's IPFS. */
  async function makePackage(version: string): Promise<{ bytes: Buffer; cid: string; file: string }> {
    const top = `ns-llm-${version}-${platform}`;
    const stage = path.join(dir, "stage", version);
    await versionTree(path.join(stage, top, "versions", version), version);
    await writeFile(path.join(stage, top, "current"), `${version}\n`);
    const file = path.join(dir, `${top}.tar.gz`);
    execFileSync("tar", ["-czf", file, "-C", stage, top]);
    const bytes = await readFile(file);
    const made = { bytes, cid: await addToNodeIpfs(node, bytes), file: path.basename(file) };
    packages.set(version, made);
    return made;
  }

  function manifestFor(version: string, overrides: Partial<ReleaseManifest["artifacts"][number]> = {}): ReleaseManifest {
    const pkg = packages.get(version)!;
    return {
      schema: "ns-llm.release/v1",
      name: "ns-llm",
      version,
      artifacts: [{ platform, format: "tar.gz", file: pkg.file, sha256: sha256Hex(pkg.bytes), size: pkg.bytes.byteLength, node: "22.20.0", sources: [`ipfs://${pkg.cid}`], ...overrides }],
    };
  }

  /** Publishes the release file's bytes and passes a proposal adopting them for role `release`. */
  async function adoptRelease(bytes: Uint8Array): Promise<string> {
    const cid = await addToNodeIpfs(node, bytes);
    await adopt(chain, { role: "release", cid, digest: manifestDigest(bytes), name: "release" });
    return cid;
  }

  const health = () => node.get<Health>("/health");
  const refusedWith = async (cid: string, code: string) =>
    waitUntil(`the release ${cid} to be refused with ${code}`, async () => {
      const h = await health();
      const error = h.governance.errors?.release;
      return error?.cid === cid && error.code === code ? h : undefined;
    }, 60_000, () => node.output);

  /** `ns-llm <args>` against the test node and chain, signed by dev account 0; `env` adds to its environment. */
  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const base: NodeJS.ProcessEnv = { ...process.env, NS_LLM_HOME: node.home, NS_LLM_PORT: new URL(node.url).port, NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_OPERATOR_KEY: DEV_KEY_0 };
    delete base.NS_LLM_INSTALL_ROOT;
    delete base.NS_LLM_VERSION;
    return runCli(args, { ...base, ...env });
  }

  /** `ns-llm propose --role release --manifest <file> ...`, which must succeed: its JSON output. */
  async function proposeRelease(file: string, args: string[], env?: NodeJS.ProcessEnv) {
    const run = await cli(["propose", "--role", "release", "--manifest", file, ...args, "--json"], env);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as { proposalId: string; txHash: Hash; cid: string; digest: `0x${string}`; releaseKeyId: string };
  }

  /** The description of the proposal `txHash` created, as the chain's ProposalCreated event has it (what the dApp reads). */
  async function descriptionOnChain(txHash: Hash): Promise<string> {
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: txHash });
    const [created] = parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalCreated" });
    return created!.args.description;
  }

  /** A refused command: one `error:` line on stderr matching `pattern`, and no transaction sent. */
  const refused = (run: CliRun, pattern: RegExp, blockBefore: bigint) => assertRefused(run, pattern, chain.publicClient, blockBefore);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-release-governed-"));
    root = path.join(dir, "install");
    await versionTree(path.join(root, "versions", "0.1.0"), "0.1.0");
    await writeFile(path.join(root, "current"), "0.1.0\n");
    const pair = generateKeyPairSync("ed25519");
    key = pair.privateKey;
    publicKey = pair.publicKey;
    await writeFile(path.join(root, "versions", "0.1.0", "release-key.pem"), pem(pair.publicKey));
    await writeFile(path.join(dir, "release-key.pem"), pem(pair.publicKey));
    chain = await startTestChain();
    node = await spawnFollowNode({ chain, env: { NS_LLM_INSTALL_ROOT: root, NS_LLM_VERSION: "0.1.0" } });
    await makePackage("0.2.0");
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports the install's versions in /health", async () => {
    const h = await health();
    assert.deepEqual(
      { running: h.release?.running, current: h.release?.current, previous: h.release?.previous, versions: h.release?.versions },
      { running: "0.1.0", current: "0.1.0", previous: null, versions: ["0.1.0"] },
    );
  });

  it("refuses a release altered after signing, and one signed by a key it does not ship; nothing moves", async () => {
    const signed = JSON.parse(new TextDecoder().decode(signRelease({ manifest: manifestFor("0.2.0"), privateKey: key })));
    signed.manifest.artifacts[0].node = "22.99.0"; // any change the signature does not cover
    const altered = await adoptRelease(new TextEncoder().encode(JSON.stringify(signed, null, 2)));
    const h = await refusedWith(altered, "release_bad_signature");
    assert.equal(h.release?.current, "0.1.0");
    assert.equal(h.release?.lastRefused?.code, "release_bad_signature");

    const stranger = await adoptRelease(signRelease({ manifest: manifestFor("0.2.0"), privateKey: generateKeyPairSync("ed25519").privateKey }));
    await refusedWith(stranger, "release_untrusted_key");

    assert.deepEqual((await readdir(path.join(root, "versions"))).sort(), ["0.1.0"]);
    // The audit entry is appended after /health shows the refusal: wait for both.
    const refusals = await waitUntil("both refusals in the audit log", async () => {
      const found = (await auditEntries(node)).filter((e) => e.type === "governance" && e.step === "refused" && e.role === "release").map((e) => [e.cid, e.code]);
      return found.length >= 2 ? found : undefined;
    }, 30_000, () => node.output);
    assert.deepEqual(refusals, [
      [altered, "release_bad_signature"],
      [stranger, "release_untrusted_key"],
    ]);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /ns_llm_governance_refusals_total\{role="release",code="release_bad_signature"\} 1/);
  });

  it("refuses a signed release whose package is not the bytes it names, and stages nothing", async () => {
    const real = manifestFor("0.2.0");
    const wrongDigest = "0".repeat(64);
    const cid = await adoptRelease(signRelease({ manifest: manifestFor("0.2.0", { sha256: wrongDigest }), privateKey: key }));
    const h = await refusedWith(cid, "artifact_digest_mismatch");
    assert.match(h.governance.errors!.release!.message, new RegExp(`has sha256 ${real.artifacts[0]!.sha256}, the release says ${wrongDigest}`));
    assert.equal(h.release?.current, "0.1.0");
    assert.deepEqual((await readdir(path.join(root, "versions"))).sort(), ["0.1.0"], "no version folder, no extraction left");
    assert.deepEqual(await readdir(path.join(root, "downloads")), [], "the download is not kept");
  });

  it("ns-llm propose refuses a key that is not the signer's and a file changed after signing, before anything is sent", async () => {
    const stranger = generateKeyPairSync("ed25519").publicKey;
    const strangerFile = path.join(dir, "stranger-key.pem");
    await writeFile(strangerFile, pem(stranger));
    const file = path.join(dir, "refused-release.json");
    await writeFile(file, signRelease({ manifest: manifestFor("0.2.0"), privateKey: key }));
    const blockBefore = await chain.publicClient.getBlockNumber();

    const signerId = releaseKeyId(key);
    const wrongKey = await cli(["propose", "--role", "release", "--manifest", file, "--release-key", strangerFile]);
    await refused(wrongKey, new RegExp(`signed by key ${signerId}, not by --release-key ${strangerFile} \\(${releaseKeyId(stranger)}\\)`), blockBefore);

    // The key the install ships, when it is not the signer's.
    const strangerSigned = path.join(dir, "stranger-release.json");
    await writeFile(strangerSigned, signRelease({ manifest: manifestFor("0.2.0"), privateKey: generateKeyPairSync("ed25519").privateKey }));
    const installEnv = { NS_LLM_INSTALL_ROOT: root, NS_LLM_VERSION: "0.1.0" };
    await refused(await cli(["propose", "--role", "release", "--manifest", strangerSigned], installEnv), new RegExp(`not by the key this install ships \\(versions/0\\.1\\.0/release-key\\.pem\\) \\(${signerId}\\)`), blockBefore);

    // No key given, outside a package: nothing to name the signer with.
    await refused(await cli(["propose", "--role", "release", "--manifest", file]), /ships none.*--release-key/, blockBefore);

    // The right key, but the file was changed after signing.
    const envelope = JSON.parse(await readFile(file, "utf8"));
    envelope.manifest.artifacts[0].size += 1;
    await writeFile(file, JSON.stringify(envelope, null, 2));
    await refused(await cli(["propose", "--role", "release", "--manifest", file, "--release-key", path.join(dir, "release-key.pem")]), /signature does not match its content/, blockBefore);
  });

  it("fetches, verifies, stages and switches to a good release proposed with `ns-llm propose`; the running version stays for rollback", async () => {
    // The maintainer's way: the CLI publishes release.json as it is (through the running node) and proposes it,
    // naming the signer's public key on the description's release-key: line.
    const file = path.join(dir, "release.json");
    const bytes = signRelease({ manifest: manifestFor("0.2.0"), privateKey: key });
    await writeFile(file, bytes);
    const { proposalId, txHash, cid, digest, releaseKeyId: signer } = await proposeRelease(file, ["--release-key", path.join(dir, "release-key.pem"), "--description", "NS-LLM 0.2.0"]);
    assert.equal(digest, manifestDigest(bytes), "the chain names the file's own bytes");
    assert.equal(signer, releaseKeyId(key));
    const description = await descriptionOnChain(txHash);
    const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
    assert.equal(description, releaseDescription("0.2.0", cid, digest, { id: signer, spki }, "NS-LLM 0.2.0"), "the one description shape the dApp writes too");
    assert.match(description, /^release-key: [A-Za-z0-9+/]+=*$/m);
    // What a voter's browser reads back from the chain: the signer's key, whose id is the signature's.
    assert.deepEqual(releaseKeyFromDescription(description), { id: releaseKeyId(key), spki });
    await devPass({ publicClient: chain.publicClient, rpcUrl: chain.rpcUrl, deployment: chain.deployment, proposalId: BigInt(proposalId), log: () => {} });
    const h = await waitUntil("0.2.0 to be staged and switched to", async () => {
      const h = await health();
      return h.release?.lastStaged?.version === "0.2.0" ? h : undefined;
    }, 60_000, () => node.output);
    assert.deepEqual(
      { running: h.release!.running, current: h.release!.current, previous: h.release!.previous, versions: h.release!.versions, switched: h.release!.lastStaged!.switched },
      { running: "0.1.0", current: "0.2.0", previous: "0.1.0", versions: ["0.1.0", "0.2.0"], switched: true },
    );
    assert.equal(h.governance.errors?.release, undefined, "the earlier refusals are no longer the adopted release's");
    assert.equal(await readFile(path.join(root, "current"), "utf8"), "0.2.0\n");
    assert.equal(await readFile(path.join(root, "versions", "0.2.0", versionEntryPoints().runtime), "utf8"), "stand-in 0.2.0\n");
    assert.match(node.output, /release: switched to 0\.2\.0 \(previous 0\.1\.0, kept for rollback\); it runs from the next start/);
    const applied = await waitUntil("the applied release in the audit log", async () => (await auditEntries(node)).find((e) => e.type === "governance" && e.step === "applied" && e.role === "release"), 30_000, () => node.output);
    assert.equal(applied?.cid, cid);
    assert.equal(applied?.name, "ns-llm-0.2.0");
  });

  it("with the operator's pin, stages the next release and does not switch", async () => {
    await pinVersion({ root, version: "0.2.0" });
    await makePackage("0.3.0");
    await adoptRelease(signRelease({ manifest: manifestFor("0.3.0"), privateKey: key }));
    const h = await waitUntil("0.3.0 to be staged", async () => {
      const h = await health();
      return h.release?.lastStaged?.version === "0.3.0" ? h : undefined;
    }, 60_000, () => node.output);
    assert.equal(h.release!.lastStaged!.switched, false);
    assert.match(h.release!.lastStaged!.reason!, /the operator pinned 0\.2\.0/);
    assert.deepEqual({ current: h.release!.current, pinned: h.release!.pinned, versions: h.release!.versions }, { current: "0.2.0", pinned: "0.2.0", versions: ["0.1.0", "0.2.0", "0.3.0"] });
    assert.ok(existsSync(path.join(root, "versions", "0.3.0")));
    // The README's example of /health `release`, when asked for.
    if (process.env.NS_LLM_RELEASE_HEALTH_EXAMPLE) await writeFile(process.env.NS_LLM_RELEASE_HEALTH_EXAMPLE, JSON.stringify({ release: h.release, governance: { errors: h.governance.errors } }, null, 2));
  });

  it("after a switch, removes versions no longer current, previous, pinned or running; keeps the running one", async () => {
    await pinVersion({ root, version: undefined });
    await makePackage("0.4.0");
    // Proposed from the install itself: the CLI names the key this version ships (it is the signer).
    const file = path.join(dir, "release-0.4.0.json");
    await writeFile(file, signRelease({ manifest: manifestFor("0.4.0"), privateKey: key }));
    const proposed = await proposeRelease(file, [], { NS_LLM_INSTALL_ROOT: root, NS_LLM_VERSION: "0.1.0" });
    assert.equal(releaseKeyFromDescription(await descriptionOnChain(proposed.txHash))?.id, releaseKeyId(key));
    await devPass({ publicClient: chain.publicClient, rpcUrl: chain.rpcUrl, deployment: chain.deployment, proposalId: BigInt(proposed.proposalId), log: () => {} });
    const h = await waitUntil("0.4.0 to be switched to", async () => {
      const h = await health();
      return h.release?.lastStaged?.version === "0.4.0" ? h : undefined;
    }, 60_000, () => node.output);
    // 0.3.0 was staged under the pin and never ran: it goes. 0.1.0 is neither current nor previous,
    // but this node runs from it (it switches at its next start): it stays.
    assert.deepEqual(
      { running: h.release!.running, current: h.release!.current, previous: h.release!.previous, pinned: h.release!.pinned, versions: h.release!.versions },
      { running: "0.1.0", current: "0.4.0", previous: "0.2.0", pinned: null, versions: ["0.1.0", "0.2.0", "0.4.0"] },
    );
    assert.deepEqual((await readdir(path.join(root, "versions"))).sort(), ["0.1.0", "0.2.0", "0.4.0"]);
    assert.match(node.output, /release: removed older versions 0\.3\.0/);
  });
});
