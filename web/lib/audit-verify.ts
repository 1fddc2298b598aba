/**
 * Checks one audit entry end to end, in the browser, trusting neither the node nor this page's
 * server: the node gives the entry's bytes and its audit path; Web Crypto recomputes the leaf and
 * the root; the chain (AuditAnchor.batchOf of the node's operator) says which root was anchored for
 * which range. Each check is kept with what it found, and the verdict names the first that failed.
 */
import type { Address, Hex, PublicClient } from "viem";
import type { Deployment } from "@ns-llm/contracts";
import { checkAnswerEntry, type ShownAnswer } from "./answer-check.ts";
import { getAuditEntries, getAuditProof, type AuditProof } from "./audit-api.ts";
import { getChainBatch, type ChainBatch } from "./audit-chain.ts";
import { fromHex, leafHash, rootFromPath, sameBytes, toHex } from "./merkle-webcrypto.ts";
import { NodeRequestError } from "./node-http.ts";

export type CheckId = "proof" | "entry" | "answer" | "leaf" | "anchored" | "range" | "path" | "chain-root";
export type Check = { id: CheckId; label: string; status: "pass" | "fail" | "skip"; detail: string };

export type Verdict = "verified" | "failed" | "pending";

export type Verification = {
  seq: number;
  verdict: Verdict;
  /** One sentence: why the entry is or is not proven. */
  reason: string;
  checks: Check[];
  proof?: AuditProof;
  operator?: Address;
  computedLeaf?: Hex;
  computedRoot?: Hex;
  chainBatch?: ChainBatch;
};

export type VerifyEntryParameters = {
  nodeUrl: string;
  seq: number;
  client: PublicClient;
  deployment: Deployment;
  /** The node operator's address (whose batches AuditAnchor holds); else the one the proof names. */
  operator: Address | undefined;
  /** The answer on screen (under a chat answer): the entry must record its prompt and text. */
  answer?: ShownAnswer;
};

const LABELS: Record<CheckId, string> = {
  proof: "The node gives a proof",
  entry: "The entry is the one asked for",
  answer: "The entry's input and output hashes are the prompt and answer on screen",
  leaf: "Leaf = SHA-256(0x00 ‖ entry)",
  anchored: "The batch is anchored on chain",
  range: "The batch's range matches the chain",
  path: "The audit path leads to the batch root",
  "chain-root": "The root equals AuditAnchor.batchOf",
};

export async function verifyAuditEntry(parameters: VerifyEntryParameters): Promise<Verification> {
  const { nodeUrl, seq, client, deployment } = parameters;
  const checks: Check[] = [];
  const result: Verification = { seq, verdict: "failed", reason: "", checks };
  const check = (id: CheckId, status: Check["status"], detail: string) => checks.push({ id, label: LABELS[id], status, detail });
  const finish = (verdict: Verdict, reason: string): Verification => {
    const order = Object.keys(LABELS) as CheckId[];
    for (const id of order) if (!checks.some((c) => c.id === id)) check(id, "skip", id === "answer" && !parameters.answer ? "no answer to compare (open from under a chat answer)" : "not reached");
    checks.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    result.verdict = verdict;
    result.reason = reason;
    return result;
  };

  // 1. The proof, from the node.
  let proof: AuditProof;
  try {
    proof = await getAuditProof(nodeUrl, seq);
  } catch (error) {
    const e = error as Error;
    check("proof", "fail", e.message);
    if (e instanceof NodeRequestError && e.code === "not_batched") {
      // Not in a tree yet, but whether it records this answer can be told now.
      if (parameters.answer) {
        const listed = await getAuditEntries(nodeUrl, seq, 1).catch(() => undefined);
        const entry = listed?.entries.find((x) => x.seq === seq);
        if (entry) {
          const content = checkAnswerEntry(entry, seq, parameters.answer);
          if (!content.ok) {
            check("answer", "fail", content.reason);
            return finish("failed", content.reason);
          }
          check("answer", "pass", `input ${content.input}, output ${content.output}`);
        }
      }
      return finish("pending", `Entry ${seq} is not in a closed batch yet, so it has no proof and is not anchored yet; try again after the node closes its next batch.`);
    }
    if (e instanceof NodeRequestError && e.status === 404) return finish("failed", `The node has no audit entry ${seq}.`);
    return finish("failed", `Could not get the proof: ${e.message}`);
  }
  result.proof = proof;
  check("proof", "pass", `batch ${proof.batch.index} (entries ${proof.batch.fromSeq}–${proof.batch.toSeq}), ${proof.proof.length} path hashes`);

  // 2. The entry's bytes, and that they are entry `seq`.
  if (typeof proof.entry !== "string") {
    check("entry", "fail", "the proof carries no entry bytes");
    return finish("failed", "The node did not send the entry's bytes, so its leaf cannot be recomputed.");
  }
  const entryBytes = new TextEncoder().encode(proof.entry);
  let entrySeq: unknown;
  try {
    entrySeq = (JSON.parse(proof.entry) as { seq?: unknown }).seq;
  } catch {
    entrySeq = undefined;
  }
  if (entrySeq !== seq) {
    check("entry", "fail", `the entry sent has seq ${String(entrySeq)}`);
    return finish("failed", `The node sent another entry (seq ${String(entrySeq)}) instead of entry ${seq}.`);
  }
  check("entry", "pass", `${entryBytes.length} bytes of canonical JSON, seq ${seq}`);

  // 2b. Under a chat answer: the entry (the bytes the proof covers) records this prompt and answer.
  if (parameters.answer) {
    const content = checkAnswerEntry(JSON.parse(proof.entry) as Record<string, unknown>, seq, parameters.answer);
    if (!content.ok) {
      check("answer", "fail", content.reason);
      return finish("failed", content.reason);
    }
    check("answer", "pass", `input ${content.input}, output ${content.output}`);
  }

  // 3. Leaf hash, recomputed with Web Crypto.
  let path: Uint8Array[];
  let claimedLeaf: Uint8Array;
  let claimedRoot: Uint8Array;
  try {
    path = proof.proof.map(fromHex);
    claimedLeaf = fromHex(proof.leaf);
    claimedRoot = fromHex(proof.root);
  } catch (error) {
    check("leaf", "fail", (error as Error).message);
    return finish("failed", `The proof is malformed: ${(error as Error).message}.`);
  }
  const leaf = await leafHash(entryBytes);
  result.computedLeaf = toHex(leaf);
  if (!sameBytes(leaf, claimedLeaf)) {
    check("leaf", "fail", `the entry hashes to ${toHex(leaf)}, the proof says ${proof.leaf}`);
    return finish("failed", "Leaf mismatch: the entry's bytes do not hash to the leaf the node gives, so the entry was altered (or the leaf is false).");
  }
  check("leaf", "pass", toHex(leaf));

  // 4. The anchored batch, from the chain.
  const operator = parameters.operator ?? proof.batch.node ?? undefined;
  result.operator = operator;
  let chainBatch: ChainBatch | undefined;
  if (!operator) {
    check("anchored", "fail", "no operator address: the node does not say which key anchors its log");
  } else {
    try {
      chainBatch = await getChainBatch(client, deployment, operator, proof.batch.index);
    } catch (error) {
      check("anchored", "fail", `cannot read AuditAnchor: ${(error as Error).message}`);
      return finish("failed", `Could not read the chain: ${(error as Error).message}`);
    }
    if (chainBatch) {
      result.chainBatch = chainBatch;
      check("anchored", "pass", `batch ${proof.batch.index} of ${operator} anchored at ${new Date(Number(chainBatch.anchoredAt) * 1000).toLocaleString()}${proof.batch.txHash ? ` (tx ${proof.batch.txHash})` : ""}`);
    } else {
      check("anchored", "fail", `${operator} has not anchored batch ${proof.batch.index}`);
    }
  }

  // 5. The range the path is computed over: the chain's when anchored (the node cannot move it).
  const range = chainBatch ?? proof.batch;
  if (chainBatch && (chainBatch.fromSeq !== proof.batch.fromSeq || chainBatch.toSeq !== proof.batch.toSeq)) {
    check("range", "fail", `the node says entries ${proof.batch.fromSeq}–${proof.batch.toSeq}, the chain ${chainBatch.fromSeq}–${chainBatch.toSeq}`);
  } else if (seq < range.fromSeq || seq > range.toSeq) {
    check("range", "fail", `entry ${seq} is outside the batch's entries ${range.fromSeq}–${range.toSeq}`);
  } else {
    check("range", chainBatch ? "pass" : "skip", `entries ${range.fromSeq}–${range.toSeq}${chainBatch ? "" : " (the node's word: not on chain)"}`);
  }

  // 6. The audit path, from the recomputed leaf, by the entry's position in the batch.
  const index = seq - range.fromSeq;
  const size = range.toSeq - range.fromSeq + 1;
  const walked = await rootFromPath(leaf, index, size, path);
  if (!walked.ok) {
    check("path", "fail", walked.reason);
  } else {
    result.computedRoot = toHex(walked.root);
    if (sameBytes(walked.root, claimedRoot)) check("path", "pass", `position ${index} of ${size} → ${toHex(walked.root)}`);
    else check("path", "fail", `position ${index} of ${size} leads to ${toHex(walked.root)}, not to the batch root ${proof.root}`);
  }

  // 7. The root on chain.
  if (chainBatch && walked.ok) {
    if (sameBytes(walked.root, fromHex(chainBatch.root))) check("chain-root", "pass", chainBatch.root);
    else check("chain-root", "fail", `the chain holds ${chainBatch.root}, the path gives ${toHex(walked.root)}`);
  }

  const failed = (id: CheckId) => checks.some((c) => c.id === id && c.status === "fail");
  if (failed("range")) return finish("failed", "The batch the node describes is not the batch anchored on chain (its range differs), so the proof is for another tree.");
  if (failed("path")) return finish("failed", `The audit path does not reach the batch root: the proof was altered or is for another entry (${checks.find((c) => c.id === "path")!.detail}).`);
  if (!operator) return finish("pending", "The entry's leaf and path are consistent, but without the node operator's address the root cannot be checked on chain: enter the address.");
  if (!chainBatch) return finish("pending", `Batch ${proof.batch.index} is not anchored yet: the path is consistent with the node's root, but the chain does not hold it yet. Try again after the next anchoring.`);
  if (failed("chain-root")) return finish("failed", "The root differs from the chain: the root anchored by the operator for this batch is not the one the path leads to.");
  return finish("verified", `${parameters.answer ? "The entry records the prompt and answer on screen. " : ""}Entry ${seq} is leaf ${index} of batch ${proof.batch.index}; the batch root it leads to is the one the operator ${operator} anchored on chain.`);
}
