/**
 * AuditAnchor: each node's batches cover its log from entry 0 onwards, in order, without gaps or
 * overlaps; every anchor is an event a verifier can find; nodes never interfere with each other.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { keccak256, parseEventLogs, toHex, zeroHash, type Hex } from "viem";
import { auditAnchorAbi } from "@ns-llm/contracts";
import { addressOf, deployNsLlm, type Wallet } from "../helpers/contracts/fixture.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deployed() {
  return deployNsLlm(connection, { contributors: 0 });
}

/** A stand-in Merkle root, distinct per label. */
const root = (label: string): Hex => keccak256(toHex(`root:${label}`));

describe("AuditAnchor", () => {
  it("requires a node's first batch to start at entry 0", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const node = f.wallets[3]!;
    assert.equal(await f.anchor.read.nextSeq([addressOf(node)]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(f.as(node).anchor.write.anchor([root("a"), 1n, 5n]), f.anchor, "AuditAnchorOutOfOrder", [0n, 1n]);
    await viem.assertions.emitWithArgs(f.as(node).anchor.write.anchor([root("a"), 0n, 5n]), f.anchor, "Anchored", [addressOf(node), 0n, root("a"), 0n, 5n]);
    assert.equal(await f.anchor.read.nextSeq([addressOf(node)]), 6n);
  });

  it("accepts consecutive batches and refuses gaps and overlaps", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const node = f.wallets[3]!;
    const anchor = f.as(node).anchor;
    const ranges: [bigint, bigint][] = [
      [0n, 9n],
      [10n, 10n], // a one-entry batch
      [11n, 1_000n],
    ];
    const times: bigint[] = [];
    for (const [i, [from, to]] of ranges.entries()) {
      const hash = await anchor.write.anchor([root(`${i}`), from, to]);
      await viem.assertions.emitWithArgs(hash, f.anchor, "Anchored", [addressOf(node), BigInt(i), root(`${i}`), from, to]);
      const receipt = await f.mined(hash);
      times.push((await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp);
    }
    assert.equal(await f.anchor.read.batchCount([addressOf(node)]), 3n);
    assert.equal(await f.anchor.read.nextSeq([addressOf(node)]), 1_001n);
    for (const [i, [from, to]] of ranges.entries()) {
      assert.deepEqual(await f.anchor.read.batchOf([addressOf(node), BigInt(i)]), [root(`${i}`), from, to, times[i]]);
    }

    const refuse = (from: bigint, to: bigint) =>
      viem.assertions.revertWithCustomErrorWithArgs(anchor.write.anchor([root("bad"), from, to]), f.anchor, "AuditAnchorOutOfOrder", [1_001n, from]);
    await refuse(1_002n, 2_000n); // a gap of one entry
    await refuse(1_000n, 2_000n); // overlaps the last entry
    await refuse(0n, 2_000n); // starts over
    await refuse(500n, 700n); // inside an anchored batch
    assert.equal(await f.anchor.read.batchCount([addressOf(node)]), 3n);
  });

  it("refuses an inverted range and a zero root", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const anchor = f.as(f.wallets[3]!).anchor;
    await viem.assertions.revertWithCustomErrorWithArgs(anchor.write.anchor([root("r"), 5n, 4n]), f.anchor, "AuditAnchorInvalidRange", [5n, 4n]);
    await viem.assertions.revertWithCustomErrorWithArgs(anchor.write.anchor([root("r"), 1n, 0n]), f.anchor, "AuditAnchorInvalidRange", [1n, 0n]);
    await viem.assertions.revertWithCustomError(anchor.write.anchor([zeroHash, 0n, 9n]), f.anchor, "AuditAnchorEmptyRoot");
    // A batch ending at the last uint64 would leave no start for the next one (toSeq + 1 overflows).
    const max = 2n ** 64n - 1n;
    await viem.assertions.revertWithCustomErrorWithArgs(anchor.write.anchor([root("r"), 0n, max]), f.anchor, "AuditAnchorInvalidRange", [0n, max]);
    assert.equal(await f.anchor.read.batchCount([addressOf(f.wallets[3]!)]), 0n);
    await f.mined(anchor.write.anchor([root("r"), 0n, max - 1n]));
    assert.equal(await f.anchor.read.nextSeq([addressOf(f.wallets[3]!)]), max);
  });

  it("keeps each node's batches apart", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const [alpha, beta] = [f.wallets[3]!, f.wallets[4]!] as [Wallet, Wallet];
    await f.mined(f.as(alpha).anchor.write.anchor([root("alpha-0"), 0n, 99n]));
    await f.mined(f.as(alpha).anchor.write.anchor([root("alpha-1"), 100n, 199n]));
    // beta starts at 0 regardless of alpha, and the same root may appear for both.
    const receipt = await f.mined(f.as(beta).anchor.write.anchor([root("alpha-0"), 0n, 9n]));
    const [event] = parseEventLogs({ abi: auditAnchorAbi, logs: receipt.logs, eventName: "Anchored" });
    assert.deepEqual(event!.args, { node: addressOf(beta), index: 0n, root: root("alpha-0"), fromSeq: 0n, toSeq: 9n });
    await viem.assertions.revertWithCustomErrorWithArgs(f.as(beta).anchor.write.anchor([root("x"), 200n, 299n]), f.anchor, "AuditAnchorOutOfOrder", [10n, 200n]);

    assert.equal(await f.anchor.read.batchCount([addressOf(alpha)]), 2n);
    assert.equal(await f.anchor.read.batchCount([addressOf(beta)]), 1n);
    assert.equal(await f.anchor.read.nextSeq([addressOf(alpha)]), 200n);
    assert.equal(await f.anchor.read.nextSeq([addressOf(beta)]), 10n);

    // A verifier finds a node's batches by the indexed node topic.
    const alphaEvents = await f.anchor.getEvents.Anchored({ node: addressOf(alpha) }, { fromBlock: 0n });
    assert.deepEqual(
      alphaEvents.map((e) => [e.args.index, e.args.root, e.args.fromSeq, e.args.toSeq]),
      [
        [0n, root("alpha-0"), 0n, 99n],
        [1n, root("alpha-1"), 100n, 199n],
      ],
    );
  });

  it("refuses to read a batch that does not exist", async () => {
    const f = await networkHelpers.loadFixture(deployed);
    const node = addressOf(f.wallets[3]!);
    await viem.assertions.revertWithCustomErrorWithArgs(f.anchor.read.batchOf([node, 0n]), f.anchor, "AuditAnchorNoSuchBatch", [node, 0n]);
    await f.mined(f.as(f.wallets[3]!).anchor.write.anchor([root("only"), 0n, 0n]));
    await viem.assertions.revertWithCustomErrorWithArgs(f.anchor.read.batchOf([node, 1n]), f.anchor, "AuditAnchorNoSuchBatch", [node, 1n]);
    const huge = 2n ** 256n - 1n;
    await viem.assertions.revertWithCustomErrorWithArgs(f.anchor.read.batchOf([node, huge]), f.anchor, "AuditAnchorNoSuchBatch", [node, huge]);
    assert.equal((await f.anchor.read.batchOf([node, 0n]))[0], root("only"));
  });
});
