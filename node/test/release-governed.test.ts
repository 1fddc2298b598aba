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
import { manifestDigest } from "@ns-llm/contracts";
import { currentPlatform, pinVersion, signRelease, versionEntryPoints, type ReleaseManifest } from "../src/release/index.ts";
import { devPass } from "../src/governance/index.ts";
import { DEV_KEY_0, startTestChain, type TestChain } from "./helpers/chain.ts";
import { addToNodeIpfs, adopt, auditEntries, sha256Hex, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
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

describe("governed updates of a packaged node", () => {
  let chain: TestChain;
  let node: FollowNode;
  let dir: string;
  let root: string;
  let key: KeyObject;
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

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-release-governed-"));
    root = path.join(dir, "install");
    await versionTree(path.join(root, "versions", "0.1.0"), "0.1.0");
    await writeFile(path.join(root, "current"), "0.1.0\n");
    const pair = generateKeyPairSync("ed25519");
    key = pair.privateKey;
    await writeFile(path.join(root, "versions", "0.1.0", "release-key.pem"), pair.publicKey.export({ format: "pem", type: "spki" }));
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

  it("fetches, verifies, stages and switches to a good release proposed with `ns-llm propose`; the running version stays for rollback", async () => {
    // The maintainer's way: the CLI publishes release.json as it is (through the running node) and proposes it.
    const file = path.join(dir, "release.json");
    const bytes = signRelease({ manifest: manifestFor("0.2.0"), privateKey: key });
    await writeFile(file, bytes);
    const proposed = execFileSync(process.execPath, [path.join(import.meta.dirname, "..", "bin", "ns-llm.js"), "propose", "--role", "release", "--manifest", file, "--json"], {
      env: { ...process.env, NS_LLM_HOME: node.home, NS_LLM_PORT: new URL(node.url).port, NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_OPERATOR_KEY: DEV_KEY_0 },
      encoding: "utf8",
    });
    const { proposalId, cid, digest } = JSON.parse(proposed) as { proposalId: string; cid: string; digest: string };
    assert.equal(digest, manifestDigest(bytes), "the chain names the file's own bytes");
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
    await adoptRelease(signRelease({ manifest: manifestFor("0.4.0"), privateKey: key }));
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
