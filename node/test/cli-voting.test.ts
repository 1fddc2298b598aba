/**
 * `ns-llm delegate`, `ns-llm vote` and `ns-llm proposal show|queue|execute` on a real Hardhat
 * chain, as separate processes with the contributors' own keys: a delegation moves votes, each
 * contributor's vote counts with its weight at the snapshot, a vote that cannot count is refused
 * with the reason and sends nothing, and the passed proposal goes through the timelock to the
 * registry. Only the clock is moved by the test (a real network waits for it).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { modelRegistryAbi, roleId } from "@ns-llm/contracts";
import { devChainClient, unlockedWallet } from "../src/chain/index.ts";
import { proposeAdoption } from "../src/governance/index.ts";
import { DEV_KEYS, startTestChain, type TestChain } from "./helpers/chain.ts";
import { assertRefused, runCli, type CliRun } from "./helpers/cli.ts";

const NSG = 10n ** 18n;
const CID = "bafkreiefffvpmlmphg6dg2ymqablvt3c4vl4wkevsbr63hxrvogvweh64e";
const DIGEST = `0x${"ab".repeat(32)}` as const;

let chain: TestChain;
let home: string;
let id: string;

/** `ns-llm <args>` signed by dev account `account`. */
async function cli(account: number, ...args: string[]): Promise<CliRun> {
  return runCli(args, { ...process.env, NS_LLM_HOME: home, NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_OPERATOR_KEY: DEV_KEYS[account] });
}

async function json(account: number, ...args: string[]): Promise<Record<string, any>> {
  const run = await cli(account, ...args, "--json");
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, any>;
}

/** Moves the chain's clock `seconds` on and mines a block. */
async function wait(seconds: number): Promise<void> {
  const dev = devChainClient(chain.rpcUrl);
  await dev.increaseTime({ seconds });
  await dev.mine({ blocks: 1 });
}

/** The one line a refused command prints, and that it sent no transaction. */
const refused = (run: CliRun, pattern: RegExp, blockBefore: bigint) => assertRefused(run, pattern, chain.publicClient, blockBefore);

before(async () => {
  chain = await startTestChain();
  home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-cli-voting-"));
});

after(async () => {
  await chain?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("voting from the command line", () => {
  it("delegate: account 1 gives its 1,000 NSG to account 0, which then holds 2,000 votes", async () => {
    const result = await json(1, "delegate", chain.accounts[0]!);
    assert.equal(result.delegator, chain.accounts[1]);
    assert.equal(result.delegatee, chain.accounts[0]);
    assert.equal(BigInt(result.votes), 2_000n * NSG);
    const human = await cli(2, "delegate");
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`${chain.accounts[2]} delegated its 1000 NSG to itself`));
  });

  it("vote: each contributor's choice counts with its weight at the snapshot; the reason goes on chain", async () => {
    const wallet = unlockedWallet(chain.rpcUrl, chain.accounts[0]!, 31337);
    const { proposalId } = await proposeAdoption({ publicClient: chain.publicClient, wallet, deployment: chain.deployment, role: "parameters", cid: CID, digest: DIGEST, name: "cli-voting" });
    id = proposalId.toString();
    await wait(2);
    const yes = await json(0, "vote", id, "for", "--reason", "the node keeps up with it");
    assert.equal(BigInt(yes.weight), 2_000n * NSG, "its own 1,000 and account 1's");
    const human = await cli(2, "vote", id, "Against");
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /voted Against with 1000 NSG/);
    await json(3, "vote", id, "abstain");
    const shown = await json(4, "proposal", "show", id);
    assert.equal(shown.state, "Active");
    assert.deepEqual(shown.votes, { for: (2_000n * NSG).toString(), against: (1_000n * NSG).toString(), abstain: (1_000n * NSG).toString() });
    assert.ok(BigInt(shown.quorum) > 0n);
    const logs = await chain.publicClient.getContractEvents({ address: chain.deployment.contracts.NSGovernor.address, abi: (await import("@ns-llm/contracts")).nsGovernorAbi, eventName: "VoteCast", fromBlock: 0n });
    assert.deepEqual(logs.map((l) => l.args.reason), ["the node keeps up with it", "", ""]);
  });

  it("refuses, with the reason and without a transaction, a vote that cannot count", async () => {
    const block = await chain.publicClient.getBlockNumber();
    await refused(await cli(0, "vote", id, "against"), /has already voted on proposal/, block);
    await refused(await cli(1, "vote", id, "for"), /had no votes when proposal .* was made \(.*delegate/, block);
    await refused(await cli(0, "proposal", "queue", id), /is Active; only a Succeeded proposal can be queued \(voting ends at /, block);
    await refused(await cli(0, "proposal", "show", "123"), /the governor has no proposal 123/, block);
    for (const args of [["vote", id, "maybe"], ["vote", "abc", "for"], ["delegate", "0x1234"], ["proposal", "show"]]) {
      const run = await cli(0, ...args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, /^error: .*\(usage: ns-llm|^error: a proposal id/, args.join(" "));
    }
  });

  it("proposal queue and execute take the passed proposal through the timelock to the registry", async () => {
    await wait(301);
    let block = await chain.publicClient.getBlockNumber();
    await refused(await cli(4, "vote", id, "for"), /is Succeeded, not open for votes/, block);
    const queued = await json(4, "proposal", "queue", id);
    assert.equal(queued.proposal.state, "Queued");
    block = await chain.publicClient.getBlockNumber();
    await refused(await cli(4, "proposal", "execute", id), /is in the timelock until /, block);
    await wait(61);
    const executed = await json(4, "proposal", "execute", id);
    assert.equal(executed.proposal.state, "Executed");
    const [version, cid, digest] = await chain.publicClient.readContract({ address: chain.deployment.contracts.ModelRegistry.address, abi: modelRegistryAbi, functionName: "current", args: [roleId("parameters")] });
    assert.deepEqual([version, cid, digest], [1n, CID, DIGEST], "the vote's manifest is what the registry names");
  });
});
