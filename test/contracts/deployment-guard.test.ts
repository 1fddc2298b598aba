/**
 * The deployment guard and the genesis allocation: settings under which nobody could ever propose
 * or pass a proposal are refused before anything is sent, with the variable to set; a genesis file
 * mints each holder's allocation and the treasury; the summary says who holds the votes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, parseEther, zeroAddress, type Address } from "viem";
import type { GovernanceSettings } from "@ns-llm/contracts";
import { deployContracts } from "../../deploy/deployContracts.ts";
import { DeploymentSettingsError } from "../../deploy/errors.ts";
import { genesisFromEnv, parseGenesis, readGenesisFile } from "../../deploy/genesis.ts";
import { checkGovernance, describeGenesis, MAX_DURATION, MIN_VOTING_PERIOD, nsg, type GovernancePlan } from "../../deploy/guard.ts";
import { DEV_SETTINGS, PUBLIC_SETTINGS } from "../../deploy/settings.ts";
import { addressOf, deployNsLlm } from "../helpers/contracts/fixture.ts";
import { adoptProposal, fakeManifest, propose } from "../helpers/contracts/governance.ts";

const ALICE = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const BOB = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

/** A plan that passes: two holders, one delegated, a treasury, the public settings. */
function plan(overrides: Partial<Omit<GovernancePlan, "settings">> & { settings?: Partial<GovernanceSettings> } = {}): GovernancePlan {
  return {
    holders: [
      { account: ALICE, amount: parseEther("600000"), delegated: true },
      { account: BOB, amount: parseEther("300000"), delegated: false },
    ],
    treasury: parseEther("100000"),
    ...overrides,
    settings: { ...PUBLIC_SETTINGS, ...overrides.settings },
  };
}

/** Asserts `checkGovernance` refuses `p` with a message matching `what` that names `variable`. */
function assertRefused(p: GovernancePlan, what: RegExp, variable: string): void {
  assert.throws(
    () => checkGovernance(p),
    (error: unknown) => {
      assert.ok(error instanceof DeploymentSettingsError, "a DeploymentSettingsError");
      assert.match(error.message, what);
      assert.match(error.hint, new RegExp(variable));
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    },
  );
}

describe("checkGovernance", () => {
  it("accepts the public preset with a genesis that can propose and pass, and the dev preset with its dev accounts", () => {
    checkGovernance(plan());
    checkGovernance({ settings: DEV_SETTINGS, holders: [{ account: ALICE, amount: parseEther("1000"), delegated: true }], treasury: 0n });
  });

  it("refuses a genesis with no tokens: only the timelock mints, so nobody could ever propose", () => {
    assertRefused(plan({ holders: [] }), /no NSG is allocated at genesis/, "NS_LLM_GENESIS");
    // A treasury alone cannot vote either.
    assertRefused(plan({ holders: [], treasury: parseEther("1000000") }), /no NSG is allocated/, "NS_LLM_INITIAL_SUPPLY");
  });

  it("refuses a voting period too short to vote in, and any duration over a year", () => {
    assertRefused(plan({ settings: { votingPeriod: 0 } }), /voting period of 0 s/, "NS_LLM_VOTING_PERIOD");
    assertRefused(plan({ settings: { votingPeriod: MIN_VOTING_PERIOD - 1 } }), /voting period of 299 s/, "NS_LLM_VOTING_PERIOD");
    checkGovernance(plan({ settings: { votingPeriod: MIN_VOTING_PERIOD } }));
    for (const [key, variable] of [
      ["votingDelay", "NS_LLM_VOTING_DELAY"],
      ["votingPeriod", "NS_LLM_VOTING_PERIOD"],
      ["lateQuorumExtension", "NS_LLM_LATE_QUORUM_EXTENSION"],
      ["timelockDelay", "NS_LLM_TIMELOCK_DELAY"],
    ] as const) {
      assertRefused(plan({ settings: { [key]: MAX_DURATION + 1 } }), new RegExp(`${key} is ${MAX_DURATION + 1} s, over a year`), variable);
      checkGovernance(plan({ settings: { [key]: MAX_DURATION } }));
    }
  });

  it("refuses a quorum of 0 % or over 100 %", () => {
    assertRefused(plan({ settings: { quorumNumerator: 0 } }), /quorum of 0 %/, "NS_LLM_QUORUM_PERCENT");
    assertRefused(plan({ settings: { quorumNumerator: 101 } }), /quorum of 101 % can never be reached/, "NS_LLM_QUORUM_PERCENT");
    checkGovernance(plan({ settings: { quorumNumerator: 90 } }));
  });

  it("refuses a quorum above every vote that could be cast, counting the treasury in the supply but not in the votes", () => {
    // 900,000 NSG can vote out of 1,000,000: a 91 % quorum (910,000) is out of reach, 90 % is exactly reachable.
    assertRefused(plan({ settings: { quorumNumerator: 91 } }), /quorum of 91 % \(910,000 NSG\) is above every vote that could ever be cast \(900,000 NSG/, "NS_LLM_QUORUM_PERCENT");
    assertRefused(
      plan({ holders: [{ account: ALICE, amount: parseEther("3"), delegated: true }], treasury: parseEther("97"), settings: { quorumNumerator: 4, proposalThreshold: "0" } }),
      /the treasury's 97 NSG cannot vote/,
      "treasury",
    );
  });

  it("refuses a proposal threshold above every vote that could be delegated, and accepts one exactly at it", () => {
    assertRefused(plan({ settings: { proposalThreshold: (parseEther("900000") + 1n).toString() } }), /proposal threshold of 900,000.000000000000000001 NSG is above/, "NS_LLM_PROPOSAL_THRESHOLD");
    checkGovernance(plan({ settings: { proposalThreshold: parseEther("900000").toString() } }));
  });
});

describe("describeGenesis", () => {
  it("says who holds the votes, who has delegated, the treasury, the thresholds and the guardian", () => {
    const guardian = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    const text = describeGenesis(plan({ guardian })).join("\n");
    assert.match(text, /genesis: 1,000,000 NSG in all/);
    assert.match(text, new RegExp(`${ALICE}\\s+600,000 NSG\\s+60.0 %  delegated to itself`));
    assert.match(text, new RegExp(`${BOB}\\s+300,000 NSG\\s+30.0 %  not delegated`));
    assert.match(text, /treasury \(the timelock\)\s+100,000 NSG\s+10.0 %/);
    assert.match(text, /proposal threshold 1,000 NSG; quorum 4 % = 40,000 NSG; votes delegated at genesis 600,000 NSG/);
    assert.match(text, /voting: 1 d delay, 7 d period \(\+2 d after a late quorum\), 2 d in the timelock/);
    assert.match(text, /1 account can propose at once/);
    assert.match(text, /the delegated votes reach quorum at once/);
    assert.match(text, new RegExp(`guardian ${guardian}: may cancel a queued proposal`));
  });

  it("warns when nobody can propose or pass until holders delegate, and merges an account's allocations", () => {
    const text = describeGenesis(
      plan({
        holders: [
          { account: ALICE, amount: parseEther("500"), delegated: false },
          { account: ALICE, amount: parseEther("250"), delegated: false },
          { account: BOB, amount: parseEther("250"), delegated: false },
        ],
        treasury: 0n,
      }),
    ).join("\n");
    assert.match(text, new RegExp(`${ALICE}\\s+750 NSG\\s+75.0 %  not delegated`));
    assert.match(text, /warning: nobody can propose until holders delegate at least 1,000 NSG to one account/);
    assert.match(text, /warning: no proposal can pass until at least 40 NSG is delegated/);
    assert.match(text, /guardian: none/);
  });

  it("formats NSG amounts with separators and decimals", () => {
    assert.equal(nsg(parseEther("1234567.25")), "1,234,567.25 NSG");
    assert.equal(nsg(1n), "0.000000000000000001 NSG");
    assert.equal(nsg(0n), "0 NSG");
  });
});

describe("genesis file", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ns-llm-genesis-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads allocations in NSG and a treasury, checksumming addresses", async () => {
    const file = path.join(dir, "genesis.json");
    await writeFile(file, JSON.stringify({ allocations: [{ account: ALICE.toLowerCase(), amount: "400000" }, { account: BOB, amount: "0.5" }], treasury: "100" }));
    assert.deepEqual(await readGenesisFile(file), {
      allocations: [
        { account: ALICE, amount: parseEther("400000") },
        { account: BOB, amount: parseEther("0.5") },
      ],
      treasury: parseEther("100"),
    });
    assert.deepEqual(parseGenesis({ allocations: [] }, "x"), { allocations: [], treasury: 0n });
  });

  it("refuses a malformed file with one line that names the field", async () => {
    const bad: [unknown, RegExp][] = [
      [[], /is not a JSON object/],
      [{}, /"allocations" must be a list/],
      [{ allocations: [], extra: 1 }, /unknown field "extra"/],
      [{ allocations: [{ account: "0x12", amount: "1" }] }, /allocations\[0\]\.account must be an address/],
      [{ allocations: [{ account: zeroAddress, amount: "1" }] }, /zero address/],
      [{ allocations: [{ account: ALICE, amount: 5 }] }, /allocations\[0\]\.amount must be an amount of NSG as a decimal string/],
      [{ allocations: [{ account: ALICE, amount: "1e6" }] }, /allocations\[0\]\.amount must be/],
      [{ allocations: [{ account: ALICE, amount: "0.0000000000000000001" }] }, /allocations\[0\]\.amount must be/],
      [{ allocations: [{ account: ALICE, amount: "0" }] }, /allocations\[0\]\.amount is 0/],
      [{ allocations: [{ account: ALICE, amount: "1", delegate: BOB }] }, /allocations\[0\] has unknown field "delegate"/],
      [{ allocations: [{ account: ALICE, amount: "1" }, { account: ALICE.toLowerCase(), amount: "2" }] }, /allocations\[1\]\.account .* is listed twice/],
      [{ allocations: [], treasury: "-1" }, /"treasury" must be an amount/],
    ];
    for (const [value, what] of bad) {
      assert.throws(
        () => parseGenesis(value, "genesis.json"),
        (error: unknown) => error instanceof DeploymentSettingsError && what.test(error.message) && error.message.startsWith("genesis.json: ") && !error.message.includes("\n"),
        `${JSON.stringify(value)} refused with ${what}`,
      );
    }
    await assert.rejects(readGenesisFile(path.join(dir, "missing.json")), /cannot read the genesis file .*missing\.json.*NS_LLM_GENESIS/);
    const notJson = path.join(dir, "broken.json");
    await writeFile(notJson, "{ allocations: ");
    await assert.rejects(readGenesisFile(notJson), /broken\.json is not valid JSON/);
  });

  it("comes from NS_LLM_GENESIS or NS_LLM_INITIAL_SUPPLY, never both", async () => {
    const deployer: Address = ALICE;
    assert.equal(await genesisFromEnv(deployer, {}), undefined);
    assert.deepEqual(await genesisFromEnv(deployer, { NS_LLM_INITIAL_SUPPLY: "7000" }), { allocations: [{ account: ALICE, amount: 7000n }], treasury: 0n });
    assert.deepEqual(await genesisFromEnv(deployer, { NS_LLM_INITIAL_SUPPLY: "0" }), { allocations: [], treasury: 0n });
    await assert.rejects(genesisFromEnv(deployer, { NS_LLM_INITIAL_SUPPLY: "1000 NSG" }), /NS_LLM_INITIAL_SUPPLY must be a whole number of wei/);
    const file = path.join(dir, "env.json");
    await writeFile(file, JSON.stringify({ allocations: [{ account: BOB, amount: "1" }] }));
    assert.deepEqual(await genesisFromEnv(deployer, { NS_LLM_GENESIS: file }), { allocations: [{ account: BOB, amount: parseEther("1") }], treasury: 0n });
    await assert.rejects(genesisFromEnv(deployer, { NS_LLM_GENESIS: file, NS_LLM_INITIAL_SUPPLY: "1" }), /both NS_LLM_GENESIS and NS_LLM_INITIAL_SUPPLY are set/);
  });
});

describe("deployContracts off the dev chain", () => {
  it("refuses a dead governance before sending a single transaction", async () => {
    const chain = await network.create({ override: { chainId: 4_242 } });
    try {
      const publicClient = await chain.viem.getPublicClient();
      const before = await publicClient.getBlockNumber();
      await assert.rejects(deployNsLlm(chain, { settings: PUBLIC_SETTINGS }), (error: unknown) => error instanceof DeploymentSettingsError && /no NSG is allocated/.test(error.message));
      await assert.rejects(
        deployNsLlm(chain, { settings: { ...PUBLIC_SETTINGS, votingPeriod: 0 }, initialSupply: parseEther("1000000") }),
        /voting period of 0 s can close before any vote lands \(set NS_LLM_VOTING_PERIOD to at least 300\)/,
      );
      await assert.rejects(
        deployNsLlm(chain, { settings: PUBLIC_SETTINGS, initialSupply: parseEther("999") }),
        /proposal threshold of 1,000 NSG is above every vote that could ever be delegated \(999 NSG\)/,
      );
      assert.equal(await publicClient.getBlockNumber(), before, "nothing was sent");
    } finally {
      await chain.close();
    }
  });

  it("mints the genesis file's allocations and treasury; only the deployer's own is delegated at genesis", async () => {
    const chain = await network.create({ override: { chainId: 4_242 } });
    try {
      const wallets = await chain.viem.getWalletClients();
      const [deployer, alice, bob] = wallets.map(addressOf) as [Address, Address, Address];
      const genesis = {
        allocations: [
          { account: deployer, amount: parseEther("2000") },
          { account: alice, amount: parseEther("5000") },
          { account: bob, amount: parseEther("1000") },
        ],
        treasury: parseEther("2000"),
      };
      const f = await deployNsLlm(chain, { settings: PUBLIC_SETTINGS, contributors: 0, genesis });
      assert.equal(await f.token.read.totalSupply(), parseEther("10000"));
      assert.equal(await f.token.read.balanceOf([f.timelock.address]), parseEther("2000"));
      assert.equal(await f.token.read.getVotes([deployer]), parseEther("2000"));
      assert.equal(await f.token.read.delegates([alice]), zeroAddress);
      assert.equal(await f.token.read.getVotes([alice]), 0n);
      assert.equal(await f.token.read.balanceOf([bob]), parseEther("1000"));
      assert.equal(await f.token.read.owner(), f.timelock.address);

      // The deployer can propose at once; alice once she delegates.
      const m = fakeManifest("genesis");
      const p = adoptProposal(f.registry.address, "generation", m.cid, m.digest);
      await propose(f, f.deployer, p);
      await f.mined(f.as(f.wallets[1]!).token.write.delegate([alice]));
      await chain.networkHelpers.mine();
      await propose(f, f.wallets[1]!, adoptProposal(f.registry.address, "generation", m.cid, m.digest, "alice's own proposal"));
    } finally {
      await chain.close();
    }
  });

  it("logs who holds the votes at genesis before deploying", async () => {
    const chain = await network.create({ override: { chainId: 4_242 } });
    try {
      const publicClient = await chain.viem.getPublicClient();
      const [deployer] = await chain.viem.getWalletClients();
      const lines: string[] = [];
      await deployContracts({ publicClient: publicClient as never, deployer: deployer as never, settings: PUBLIC_SETTINGS, initialSupply: parseEther("50000"), log: (line) => lines.push(line) });
      const genesisAt = lines.findIndex((line) => line.startsWith("genesis: 50,000 NSG"));
      const tokenAt = lines.findIndex((line) => line.startsWith("NSToken 0x"));
      assert.ok(genesisAt >= 0 && tokenAt > genesisAt, lines.join("\n"));
      assert.ok(lines.some((line) => line.includes(`${addressOf(deployer!)}`) && line.includes("delegated to itself")));
    } finally {
      await chain.close();
    }
  });
});
