/**
 * `npm run deploy -- --network localhost` against a real Hardhat node with a chain id other than
 * the dev chain's, as a public network would be: it refuses a governance nobody could use with one
 * line on stderr and nothing sent, and deploys a genesis file's allocation with a guardian, saying
 * who holds the votes.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createPublicClient, getAddress, http, parseEther, type Address } from "viem";
import { CONTRACT_NAMES, nsTimelockAbi, nsTokenAbi, type Deployment } from "@ns-llm/contracts";
import { cleanEnv, hardhatRun, startHardhatNode, type HardhatNode } from "../helpers/contracts/processes.ts";

const CHAIN_ID = 4_242;
// Hardhat's first four dev accounts: the node's unlocked deployer, two holders and a guardian.
const DEPLOYER = getAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const HOLDER = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const GUARDIAN = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");

describe("npm run deploy on a network that is not the dev chain", () => {
  let chain: HardhatNode;
  let dir = "";
  before(async () => {
    chain = await startHardhatNode(CHAIN_ID);
    dir = await mkdtemp(path.join(tmpdir(), "ns-llm-deploy-"));
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const deploy = (extra: Record<string, string>) =>
    hardhatRun("deploy/index.ts", "localhost", cleanEnv({ NS_LLM_RPC_URL: chain.url, NS_LLM_DEPLOYMENT: path.join(dir, `${CHAIN_ID}.json`), ...extra }));
  const blockNumber = async () => createPublicClient({ transport: http(chain.url) }).getBlockNumber();

  it("refuses, in one line on stderr and sending nothing, a genesis nobody could ever propose from", async () => {
    const before = await blockNumber();
    const run = await deploy({});
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim(),
      "error: no NSG is allocated at genesis and only the timelock can mint, so nobody could ever propose (list the holders in a genesis file and set NS_LLM_GENESIS=<file>, or set NS_LLM_INITIAL_SUPPLY=<wei> for the deployer)",
    );
    const badGuardian = await deploy({ NS_LLM_INITIAL_SUPPLY: parseEther("10000").toString(), NS_LLM_GUARDIAN: "the security council" });
    assert.equal(badGuardian.code, 1);
    assert.match(badGuardian.stderr.trim(), /^error: NS_LLM_GUARDIAN is not an address: "the security council" \(set it to 0x and 40 hex digits, or leave it unset for no guardian\)$/);
    assert.equal(await blockNumber(), before, "nothing was sent");
  });

  it("deploys a genesis file's holders and treasury with a guardian, and prints who holds the votes", async () => {
    const genesisFile = path.join(dir, "genesis.json");
    await writeFile(
      genesisFile,
      JSON.stringify({
        allocations: [
          { account: DEPLOYER, amount: "400000" },
          { account: HOLDER, amount: "350000" },
        ],
        treasury: "250000",
      }),
    );
    const run = await deploy({ NS_LLM_GENESIS: genesisFile, NS_LLM_GUARDIAN: GUARDIAN.toLowerCase() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /genesis: 1,000,000 NSG in all/);
    assert.match(run.stdout, new RegExp(`${DEPLOYER}\\s+400,000 NSG\\s+40.0 %  delegated to itself`));
    assert.match(run.stdout, new RegExp(`${HOLDER}\\s+350,000 NSG\\s+35.0 %  not delegated`));
    assert.match(run.stdout, /treasury \(the timelock\)\s+250,000 NSG/);
    assert.match(run.stdout, new RegExp(`guardian ${GUARDIAN}`));
    assert.match(run.stdout, new RegExp(`deployed on chain ${CHAIN_ID} \\(localhost\\)`));

    const deployment = JSON.parse(await readFile(path.join(dir, `${CHAIN_ID}.json`), "utf8")) as Deployment & { guardian?: Address };
    assert.equal(deployment.chainId, CHAIN_ID);
    assert.deepEqual(Object.keys(deployment.contracts), [...CONTRACT_NAMES]);
    assert.equal(deployment.guardian, GUARDIAN);

    const client = createPublicClient({ transport: http(chain.url) });
    const token = deployment.contracts.NSToken.address;
    const timelock = deployment.contracts.NSTimelock.address;
    assert.equal(await client.readContract({ address: token, abi: nsTokenAbi, functionName: "getVotes", args: [DEPLOYER] }), parseEther("400000"));
    assert.equal(await client.readContract({ address: token, abi: nsTokenAbi, functionName: "getVotes", args: [HOLDER] }), 0n);
    assert.equal(await client.readContract({ address: token, abi: nsTokenAbi, functionName: "balanceOf", args: [timelock] }), parseEther("250000"));
    const canceller = await client.readContract({ address: timelock, abi: nsTimelockAbi, functionName: "CANCELLER_ROLE" });
    assert.equal(await client.readContract({ address: timelock, abi: nsTimelockAbi, functionName: "hasRole", args: [canceller, GUARDIAN] }), true);
  });
});
