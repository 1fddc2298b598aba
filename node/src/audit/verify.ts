/**
 * Checks an audit log from its stored bytes up, trusting nothing the database says about itself:
 * re-derives every leaf hash from the entry's bytes, checks that sequence numbers run from 0 with
 * no gap and that each entry's `prev` is the leaf before it, rebuilds every batch's Merkle root and
 * compares it with the stored root and with `AuditAnchor.batchOf(node, index)` on chain.
 * Every problem names the sequence numbers (and batches) it concerns.
 */
import { auditAnchorAbi } from "@ns-llm/contracts";
import { hexToBytes, type Address, type Hex, type PublicClient } from "viem";
import { canonicalJson } from "./canonical.ts";
import { hex, ZERO_HASH } from "./entries.ts";
import type { AuditBatch, AuditLog } from "./log.ts";
import { AuditLogError } from "./log.ts";
import { equalBytes, leafHash, merkleRoot, verifyInclusion, type Hash } from "./merkle.ts";

export type AuditProblemKind =
  /** The entry's bytes no longer hash to its stored leaf. */
  | "edited"
  /** Sequence numbers are missing (deleted entries). */
  | "missing"
  /** The row holds an entry written at another sequence number (reordered, inserted, renumbered). */
  | "moved"
  /** An entry's `prev` is not the leaf of the entry before it (that one rewritten whole, or this one). */
  | "broken-chain"
  /** The bytes are not canonical JSON of an entry. */
  | "malformed"
  /** The batches do not follow each other from seq 0. */
  | "batch-range"
  /** The root rebuilt from the entries differs from the root stored for the batch. */
  | "batch-root"
  /** The root rebuilt from the entries differs from the root anchored on chain. */
  | "chain-root"
  /** The range anchored on chain differs from the batch's. */
  | "chain-range"
  /** The batch is not on chain. */
  | "not-anchored"
  /** The chain holds batches the log does not have (entries removed from the end). */
  | "chain-extra"
  /** The entry is not in a closed batch yet (only for a single entry's check). */
  | "not-batched";

export type AuditProblem = {
  kind: AuditProblemKind;
  /** The (first) sequence number concerned. */
  seq?: number;
  /** The last one, for a range. */
  toSeq?: number;
  batch?: number;
  message: string;
};

export type ChainCheck = {
  publicClient: PublicClient;
  /** The AuditAnchor contract. */
  anchorAddress: Address;
  /** The operator whose batches these are. Default: the address recorded with the log's anchors. */
  node?: Address;
};

export type VerifyLogParameters = { log: AuditLog } & ({ publicClient?: undefined } | ChainCheck);

export type VerifyLogReturnType = {
  ok: boolean;
  entries: number;
  batches: number;
  /** Entries after the last closed batch: not covered by a root yet. */
  unbatched: number;
  /** Whether roots were compared with the chain. */
  chainChecked: boolean;
  /** The operator address whose anchors were read. */
  node: Address | null;
  problems: AuditProblem[];
};

type ChainBatch = { root: Hex; fromSeq: number; toSeq: number };

/** Verifies the whole log (and, given a chain, its anchors). */
export async function verifyLog(parameters: VerifyLogParameters): Promise<VerifyLogReturnType> {
  const { log } = parameters;
  const problems: AuditProblem[] = [];
  const batches = log.batches();

  let expectFrom = 0;
  batches.forEach((b, i) => {
    if (b.index !== i || b.fromSeq !== expectFrom) {
      problems.push({
        kind: "batch-range",
        batch: b.index,
        seq: b.fromSeq,
        toSeq: b.toSeq,
        message: `batch ${b.index} covers seq ${b.fromSeq}..${b.toSeq}, but should be batch ${i} starting at seq ${expectFrom}`,
      });
    }
    expectFrom = b.toSeq + 1;
  });

  const chain = parameters.publicClient ? await readChain(parameters, batches) : undefined;


  // One pass over the rows; each batch is checked when the scan passes its end.
  const rebuilt = new Map<number, Hash>(); // seq -> leaf derived from the bytes, for the current batch
  let bi = 0;
  const finish = (batch: AuditBatch) => {
    checkBatch(batch, rebuilt, chain, problems);
    for (let s = batch.fromSeq; s <= batch.toSeq; s++) rebuilt.delete(s);
  };

  let expected = 0;
  let previous: { seq: number; leaf: Uint8Array; moved: boolean } | undefined;
  let rows = 0;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (const row of log.rows()) {
    rows += 1;
    while (bi < batches.length && batches[bi]!.toSeq < row.seq) finish(batches[bi++]!);
    if (row.seq > expected) {
      problems.push(
        row.seq - 1 === expected
          ? { kind: "missing", seq: expected, message: `seq ${expected} is missing (deleted)` }
          : { kind: "missing", seq: expected, toSeq: row.seq - 1, message: `seq ${expected}..${row.seq - 1} are missing (deleted)` },
      );
    }
    expected = row.seq + 1;

    const leaf = leafHash(row.entry);
    if (!equalBytes(leaf, row.leaf)) {
      problems.push({
        kind: "edited",
        seq: row.seq,
        message: `seq ${row.seq} was edited: its bytes hash to ${hex(leaf)}, its stored leaf is ${hex(row.leaf)}`,
      });
    }
    if (bi < batches.length && batches[bi]!.fromSeq <= row.seq) rebuilt.set(row.seq, leaf);

    let entry: { seq?: unknown; prev?: unknown } | undefined;
    try {
      const text = decoder.decode(row.entry);
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && canonicalJson(parsed) === text) entry = parsed;
    } catch {
      // reported below
    }
    if (!entry) {
      problems.push({ kind: "malformed", seq: row.seq, message: `seq ${row.seq} is not the canonical JSON of an entry` });
      previous = { seq: row.seq, leaf: row.leaf, moved: true };
      continue;
    }
    const moved = entry.seq !== row.seq;
    if (moved) {
      problems.push({
        kind: "moved",
        seq: row.seq,
        message: `seq ${row.seq} holds the entry written as seq ${JSON.stringify(entry.seq)} (reordered, inserted or renumbered)`,
      });
    } else if (row.seq === 0 && entry.prev !== ZERO_HASH) {
      problems.push({ kind: "broken-chain", seq: 0, message: `seq 0 has prev ${String(entry.prev)}, not zero: entries before it were removed or it was replaced` });
    } else if (previous && previous.seq === row.seq - 1 && !previous.moved && entry.prev !== hex(previous.leaf)) {
      problems.push({
        kind: "broken-chain",
        seq: row.seq - 1,
        toSeq: row.seq,
        message: `seq ${row.seq} does not follow seq ${row.seq - 1} (its prev is ${String(entry.prev)}, the leaf of seq ${row.seq - 1} is ${hex(previous.leaf)}): seq ${row.seq - 1} or seq ${row.seq} was rewritten`,
      });
    }
    previous = { seq: row.seq, leaf: row.leaf, moved };
  }
  const end = expected; // one past the last stored seq
  for (; bi < batches.length; bi++) {
    const b = batches[bi]!;
    if (b.toSeq >= end) {
      const from = Math.max(end, b.fromSeq);
      problems.push({
        kind: "missing",
        seq: from,
        toSeq: b.toSeq,
        batch: b.index,
        message: `seq ${from}..${b.toSeq} of batch ${b.index} are missing: the log ends at seq ${end - 1}`,
      });
    }
    finish(b);
  }

  if (chain) {
    for (let i = batches.length; i < chain.batches.length; i++) {
      const c = chain.batches[i]!;
      problems.push({
        kind: "chain-extra",
        batch: i,
        seq: c.fromSeq,
        toSeq: c.toSeq,
        message: `the chain holds batch ${i} (seq ${c.fromSeq}..${c.toSeq}), which the log does not: its entries were removed`,
      });
    }
  }

  const last = batches[batches.length - 1];
  problems.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
  return {
    ok: problems.length === 0,
    entries: rows,
    batches: batches.length,
    unbatched: Math.max(0, end - (last ? last.toSeq + 1 : 0)),
    chainChecked: chain !== undefined,
    node: chain?.node ?? null,
    problems,
  };
}

function checkBatch(batch: AuditBatch, rebuilt: Map<number, Hash>, chain: { batches: ChainBatch[] } | undefined, problems: AuditProblem[]): void {
  const where = `batch ${batch.index} (seq ${batch.fromSeq}..${batch.toSeq})`;
  const leaves: Hash[] = [];
  for (let s = batch.fromSeq; s <= batch.toSeq; s++) {
    const leaf = rebuilt.get(s);
    if (!leaf) break;
    leaves.push(leaf);
  }
  const complete = leaves.length === batch.size;
  const root = complete ? hex(merkleRoot(leaves)) : undefined;
  if (root !== undefined && root !== batch.root) {
    problems.push({
      kind: "batch-root",
      batch: batch.index,
      seq: batch.fromSeq,
      toSeq: batch.toSeq,
      message: `${where}: the root rebuilt from its entries (${root}) differs from the stored root (${batch.root})`,
    });
  }
  if (!chain) return;
  const onChain = chain.batches[batch.index];
  if (!onChain) {
    problems.push({ kind: "not-anchored", batch: batch.index, seq: batch.fromSeq, toSeq: batch.toSeq, message: `${where} is not anchored on chain` });
    return;
  }
  if (onChain.fromSeq !== batch.fromSeq || onChain.toSeq !== batch.toSeq) {
    problems.push({
      kind: "chain-range",
      batch: batch.index,
      seq: batch.fromSeq,
      toSeq: batch.toSeq,
      message: `${where}: the chain anchored batch ${batch.index} for seq ${onChain.fromSeq}..${onChain.toSeq}`,
    });
  }
  const compared = root ?? batch.root;
  if (onChain.root !== compared) {
    problems.push({
      kind: "chain-root",
      batch: batch.index,
      seq: batch.fromSeq,
      toSeq: batch.toSeq,
      message: `${where}: the root on chain (${onChain.root}) differs from the root ${root ? "rebuilt from its entries" : "stored"} (${compared}): entries in seq ${batch.fromSeq}..${batch.toSeq} are not the ones anchored`,
    });
  }
}

async function readChain(check: ChainCheck, batches: AuditBatch[]): Promise<{ node: Address | null; batches: ChainBatch[] }> {
  const node = check.node ?? batches.find((b) => b.anchor)?.anchor?.node ?? null;
  // No operator address known: nothing of this log was ever anchored.
  if (!node) return { node, batches: [] };
  return { node, batches: await readChainBatches(check.publicClient, check.anchorAddress, node) };
}

/** Every batch `node` anchored in the AuditAnchor at `address`. */
export async function readChainBatches(publicClient: PublicClient, address: Address, node: Address): Promise<ChainBatch[]> {
  const count = Number(await publicClient.readContract({ address, abi: auditAnchorAbi, functionName: "batchCount", args: [node] }));
  const out: ChainBatch[] = [];
  const CONCURRENCY = 16;
  for (let i = 0; i < count; i += CONCURRENCY) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, count - i) }, (_, k) =>
        publicClient.readContract({ address, abi: auditAnchorAbi, functionName: "batchOf", args: [node, BigInt(i + k)] }),
      ),
    );
    for (const [root, fromSeq, toSeq] of chunk) out.push({ root: root.toLowerCase() as Hex, fromSeq: Number(fromSeq), toSeq: Number(toSeq) });
  }
  return out;
}

export type VerifyEntryParameters = VerifyLogParameters & { seq: number };

export type VerifyEntryReturnType = {
  ok: boolean;
  seq: number;
  leaf: Hex | null;
  batch: number | null;
  root: Hex | null;
  /** The root read from the chain; null when not checked or not anchored. */
  chainRoot: Hex | null;
  chainChecked: boolean;
  problems: AuditProblem[];
};

/**
 * Verifies one entry as an outside party would: its leaf from its bytes, its inclusion proof in its
 * batch, and that batch's root on chain.
 */
export async function verifyEntry(parameters: VerifyEntryParameters): Promise<VerifyEntryReturnType> {
  const { log, seq } = parameters;
  const problems: AuditProblem[] = [];
  const result: VerifyEntryReturnType = { ok: false, seq, leaf: null, batch: null, root: null, chainRoot: null, chainChecked: false, problems };
  const row = log.rows(seq, 1).next().value;
  if (!row || row.seq !== seq) {
    problems.push({ kind: "missing", seq, message: `the log has no entry ${seq}` });
    return result;
  }
  const leaf = leafHash(row.entry);
  result.leaf = hex(leaf);
  if (!equalBytes(leaf, row.leaf)) {
    problems.push({ kind: "edited", seq, message: `seq ${seq} was edited: its bytes hash to ${hex(leaf)}, its stored leaf is ${hex(row.leaf)}` });
  }
  let proof;
  try {
    proof = log.proof(seq);
  } catch (error) {
    if (error instanceof AuditLogError && error.code === "not_batched") {
      problems.push({ kind: "not-batched", seq, message: error.message });
      return result;
    }
    throw error;
  }
  result.batch = proof.batch.index;
  result.root = proof.root;
  const path = proof.proof.map((p) => hexToBytes(p));
  if (!verifyInclusion(leaf, proof.index, proof.batch.size, path, hexToBytes(proof.root))) {
    problems.push({
      kind: "batch-root",
      seq,
      batch: proof.batch.index,
      message: `seq ${seq} does not prove into the stored root of batch ${proof.batch.index}: the entry or its batch was altered`,
    });
  }
  if (parameters.publicClient) {
    const { publicClient, anchorAddress: address } = parameters;
    const batch = log.batch(proof.batch.index)!;
    const node = parameters.node ?? batch.anchor?.node ?? log.batches().find((b) => b.anchor)?.anchor?.node;
    result.chainChecked = true;
    const count = node ? Number(await publicClient.readContract({ address, abi: auditAnchorAbi, functionName: "batchCount", args: [node] })) : 0;
    if (!node || batch.index >= count) {
      problems.push({ kind: "not-anchored", seq, batch: batch.index, message: `batch ${batch.index} (seq ${batch.fromSeq}..${batch.toSeq}) is not anchored on chain` });
    } else {
      const [root] = await publicClient.readContract({ address, abi: auditAnchorAbi, functionName: "batchOf", args: [node, BigInt(batch.index)] });
      result.chainRoot = root.toLowerCase() as Hex;
      if (!verifyInclusion(leaf, proof.index, proof.batch.size, path, hexToBytes(root))) {
        problems.push({
          kind: "chain-root",
          seq,
          batch: batch.index,
          message: `seq ${seq} does not prove into the root anchored on chain for batch ${batch.index} (${root})`,
        });
      }
    }
  }
  result.ok = problems.length === 0;
  return result;
}
