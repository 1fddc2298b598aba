/**
 * The deployment code itself (deploy/): settings reach the contracts, dev tokens are minted and
 * delegated on the dev chain only, the record has the documented shape, `ensureDeployed` reuses
 * what is on the chain and redeploys what is not, and the generated package matches the build.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, parseEther, zeroAddress, type PublicClient } from "viem";
import * as generated from "@ns-llm/contracts";
import { CONTRACT_NAMES, nodeReportsAbi, type GovernanceSettings } from "@ns-llm/contracts";
import { DEV_TOKENS, isDeployed, type DeployWallet } from "../../deploy/deployContracts.ts";
import { deploymentPath, ensureDeployed, readDeployment, writeDeployment } from "../../deploy/deployments.ts";
import { DEV_CHAIN_ID, DEV_SETTINGS, PUBLIC_SETTINGS, settingsFor } from "../../deploy/settings.ts";
import { addressOf, deployNsLlm, type Connection } from "../helpers/contracts/fixture.ts";

const connection = await network.create();
const { networkHelpers } = connection;

async function devDeployment() {
  return deployNsLlm(connection);
}

const CUSTOM: GovernanceSettings = {
  votingDelay: 7,
  votingPeriod: 1_234,
  proposalThreshold: parseEther("5").toString(),
  quorumNumerator: 10,
  lateQuorumExtension: 99,
  timelockDelay: 321,
};

async function customDeployment() {
  return deployNsLlm(connection, { settings: CUSTOM, contributors: 2, devTokens: parseEther("42"), initialSupply: parseEther("7") });
}

describe("deployContracts", () => {
  for (const [name, settings, fixture] of [
    ["the dev preset", DEV_SETTINGS, devDeployment],
    ["custom settings", CUSTOM, customDeployment],
  ] as const) {
    it(`applies ${name} to the governor and the timelock`, async () => {
      const f = await networkHelpers.loadFixture(fixture);
      assert.equal(await f.governor.read.votingDelay(), BigInt(settings.votingDelay));
      assert.equal(await f.governor.read.votingPeriod(), BigInt(settings.votingPeriod));
      assert.equal(await f.governor.read.proposalThreshold(), BigInt(settings.proposalThreshold));
      assert.equal(await f.governor.read.quorumNumerator(), BigInt(settings.quorumNumerator));
      assert.equal(await f.governor.read.quorumDenominator(), 100n);
      assert.equal(await f.governor.read.lateQuorumVoteExtension(), settings.lateQuorumExtension);
      assert.equal(await f.timelock.read.getMinDelay(), BigInt(settings.timelockDelay));
      assert.deepEqual(f.deployment.settings, settings);
    });
  }

  it("wires the contracts to each other, on a timestamp clock", async () => {
    const f = await networkHelpers.loadFixture(devDeployment);
    assert.equal(await f.governor.read.token(), f.token.address);
    assert.equal(await f.governor.read.timelock(), f.timelock.address);
    assert.equal(await f.governor.read.name(), "NSGovernor");
    assert.equal(await f.token.read.symbol(), "NSG");
    assert.equal(await f.token.read.CLOCK_MODE(), "mode=timestamp");
    assert.equal(await f.governor.read.CLOCK_MODE(), "mode=timestamp");
    assert.equal(BigInt(await f.governor.read.clock()), BigInt(await networkHelpers.time.latest()));
    assert.equal(await f.token.read.owner(), f.timelock.address);
    assert.equal(await f.registry.read.owner(), f.timelock.address);
  });

  it("records the deployment in the documented shape", async () => {
    const f = await networkHelpers.loadFixture(devDeployment);
    const { deployment } = f;
    assert.equal(deployment.chainId, DEV_CHAIN_ID);
    assert.deepEqual(Object.keys(deployment.contracts), [...CONTRACT_NAMES]);
    const addresses = CONTRACT_NAMES.map((name) => deployment.contracts[name].address);
    for (const address of addresses) assert.equal(address, getAddress(address), "checksummed");
    assert.equal(new Set(addresses).size, addresses.length);
    assert.ok(!Number.isNaN(Date.parse(deployment.deployedAt ?? "")));
    // startBlock is the first contract's block: a follower reading events from it misses nothing.
    const start = BigInt(deployment.startBlock);
    assert.equal(await f.publicClient.getCode({ address: deployment.contracts.NSToken.address, blockNumber: start - 1n }), undefined);
    assert.ok(await f.publicClient.getCode({ address: deployment.contracts.NSToken.address, blockNumber: start }));
    assert.equal(await isDeployed(f.publicClient as unknown as PublicClient, deployment), true);
    assert.equal(await isDeployed(f.publicClient as unknown as PublicClient, { ...deployment, chainId: 1 }), false);
  });

  it("mints dev tokens to the contributors, each delegated to itself", async () => {
    const f = await networkHelpers.loadFixture(devDeployment);
    for (const wallet of f.wallets.slice(0, 5)) {
      const who = addressOf(wallet);
      assert.equal(await f.token.read.balanceOf([who]), DEV_TOKENS);
      assert.equal(await f.token.read.delegates([who]), who);
      assert.equal(await f.token.read.getVotes([who]), DEV_TOKENS);
    }
    const outsider = addressOf(f.wallets[5]!);
    assert.equal(await f.token.read.balanceOf([outsider]), 0n);
    assert.equal(await f.token.read.delegates([outsider]), zeroAddress);
    assert.equal(await f.token.read.totalSupply(), 5n * DEV_TOKENS);
    assert.equal(DEV_TOKENS, parseEther("1000"));
  });

  it("mints the chosen dev amount and the initial supply, all of it delegated", async () => {
    const f = await networkHelpers.loadFixture(customDeployment);
    const [deployer, second, third] = f.wallets.map(addressOf);
    // The deployer is a contributor and also receives the initial supply.
    assert.equal(await f.token.read.getVotes([deployer!]), parseEther("49"));
    assert.equal(await f.token.read.getVotes([second!]), parseEther("42"));
    assert.equal(await f.token.read.balanceOf([third!]), 0n);
    assert.equal(await f.token.read.totalSupply(), parseEther("91"));
  });

  it("mints no dev tokens on any chain but the dev chain", async () => {
    const other = await network.create({ override: { chainId: 1_337 } });
    try {
      const f = await deployNsLlm(other, { settings: PUBLIC_SETTINGS, initialSupply: parseEther("10000") });
      assert.equal(f.deployment.chainId, 1_337);
      assert.equal(await f.token.read.balanceOf([addressOf(f.wallets[1]!)]), 0n);
      assert.equal(await f.token.read.totalSupply(), parseEther("10000"));
      assert.equal(await f.token.read.getVotes([addressOf(f.deployer)]), parseEther("10000"));
      assert.equal(await f.token.read.owner(), f.timelock.address);
      assert.equal(await f.timelock.read.hasRole([await f.timelock.read.DEFAULT_ADMIN_ROLE(), addressOf(f.deployer)]), false);
    } finally {
      await other.close();
    }
  });
});

describe("ensureDeployed", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ns-llm-deployments-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const parametersFor = async (c: Connection) => {
    const publicClient = (await c.viem.getPublicClient()) as unknown as PublicClient;
    const wallets = (await c.viem.getWalletClients()) as unknown as DeployWallet[];
    return { publicClient, deployer: wallets[0]!, contributors: wallets.slice(0, 2), settings: DEV_SETTINGS, dir };
  };

  it("deploys and records, reuses the record while its code is on the chain, and redeploys on a new chain", async () => {
    const chain = await network.create();
    const next = await network.create(); // a restarted dev chain: same chain id, none of the code
    try {
      const parameters = await parametersFor(chain);
      const first = await ensureDeployed(parameters);
      assert.equal(first.reused, false);
      assert.equal(first.file, deploymentPath(DEV_CHAIN_ID, dir));
      assert.deepEqual(JSON.parse(await readFile(first.file, "utf8")), first.deployment);
      assert.deepEqual(await readDeployment(DEV_CHAIN_ID, dir), first.deployment);

      const blockBefore = await parameters.publicClient.getBlockNumber();
      const again = await ensureDeployed(parameters);
      assert.equal(again.reused, true);
      assert.deepEqual(again.deployment, first.deployment);
      assert.equal(await parameters.publicClient.getBlockNumber(), blockBefore, "nothing was sent");

      const fresh = await ensureDeployed({ ...parameters, fresh: true });
      assert.equal(fresh.reused, false);
      assert.notEqual(fresh.deployment.contracts.ModelRegistry.address, first.deployment.contracts.ModelRegistry.address);
      assert.deepEqual(await readDeployment(DEV_CHAIN_ID, dir), fresh.deployment);

      const onNext = await parametersFor(next);
      assert.equal(await isDeployed(onNext.publicClient, fresh.deployment), false);
      const redeployed = await ensureDeployed(onNext);
      assert.equal(redeployed.reused, false);
      assert.equal(await isDeployed(onNext.publicClient, redeployed.deployment), true);
      assert.deepEqual(await readDeployment(DEV_CHAIN_ID, dir), redeployed.deployment);
    } finally {
      await chain.close();
      await next.close();
    }
  });

  it("adds NodeReports beside a record written before it existed, keeping the governance it records", async () => {
    const chain = await network.create();
    try {
      const parameters = await parametersFor(chain);
      const { deployment } = await ensureDeployed({ ...parameters, fresh: true });
      const { NodeReports: _, ...older } = deployment.contracts;
      await writeDeployment({ ...deployment, contracts: older as typeof deployment.contracts }, dir);
      assert.equal(await isDeployed(parameters.publicClient, (await readDeployment(DEV_CHAIN_ID, dir))!), false);

      const upgraded = await ensureDeployed(parameters);
      assert.equal(upgraded.reused, true);
      assert.deepEqual(upgraded.added, ["NodeReports"]);
      const { NodeReports, ...kept } = upgraded.deployment.contracts;
      assert.deepEqual(kept, older, "every recorded contract kept");
      assert.notEqual(NodeReports.address, deployment.contracts.NodeReports.address);
      assert.deepEqual(await readDeployment(DEV_CHAIN_ID, dir), upgraded.deployment);
      const read = (functionName: "governor" | "registry") => parameters.publicClient.readContract({ address: NodeReports.address, abi: nodeReportsAbi, functionName });
      assert.equal(await read("governor"), deployment.contracts.NSGovernor.address);
      assert.equal(await read("registry"), deployment.contracts.ModelRegistry.address);
      assert.equal((await ensureDeployed(parameters)).added.length, 0, "then reused as it is");
    } finally {
      await chain.close();
    }
  });

  it("reads no record where there is none", async () => {
    assert.equal(await readDeployment(4_242, dir), undefined);
  });
});

describe("settingsFor", () => {
  it("picks the dev preset on the dev chain and the public one elsewhere", () => {
    assert.deepEqual(settingsFor(DEV_CHAIN_ID, {}), DEV_SETTINGS);
    assert.deepEqual(settingsFor(1, {}), PUBLIC_SETTINGS);
  });

  it("applies NS_LLM_* overrides and refuses what is not a whole number", () => {
    const settings = settingsFor(DEV_CHAIN_ID, { NS_LLM_VOTING_PERIOD: "600", NS_LLM_PROPOSAL_THRESHOLD: "123456789012345678901234", NS_LLM_QUORUM_PERCENT: "" });
    assert.equal(settings.votingPeriod, 600);
    assert.equal(settings.proposalThreshold, "123456789012345678901234");
    assert.equal(settings.quorumNumerator, DEV_SETTINGS.quorumNumerator);
    assert.throws(() => settingsFor(DEV_CHAIN_ID, { NS_LLM_TIMELOCK_DELAY: "1h" }), /NS_LLM_TIMELOCK_DELAY must be a whole number/);
    assert.throws(() => settingsFor(DEV_CHAIN_ID, { NS_LLM_VOTING_DELAY: "-1" }), /NS_LLM_VOTING_DELAY/);
  });
});

describe("generated package", () => {
  it("carries the ABIs and bytecode of the current build (run `npm run compile` when this fails)", async () => {
    const sources = {
      NSToken: "contracts/governance/NSToken.sol",
      NSTimelock: "contracts/governance/NSTimelock.sol",
      NSGovernor: "contracts/governance/NSGovernor.sol",
      ModelRegistry: "contracts/ModelRegistry.sol",
      AuditAnchor: "contracts/AuditAnchor.sol",
      NodeReports: "contracts/NodeReports.sol",
    } as const;
    const exports = generated as unknown as Record<string, unknown>;
    for (const name of CONTRACT_NAMES) {
      const artifactFile = path.resolve(import.meta.dirname, "../../artifacts", sources[name], `${name}.json`);
      const artifact = JSON.parse(await readFile(artifactFile, "utf8")) as { abi: unknown; bytecode: string };
      const key = name.replace(/^[A-Z]+(?=[A-Z][a-z])|^[A-Z]/, (head) => head.toLowerCase());
      assert.deepEqual(exports[`${key}Abi`], artifact.abi, `${name} ABI`);
      assert.equal(exports[`${key}Bytecode`], artifact.bytecode, `${name} bytecode`);
    }
  });
});
