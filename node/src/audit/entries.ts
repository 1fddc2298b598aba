/**
 * What the audit log records. Every entry is a JSON object with a `type`; the log adds `seq` (its
 * position, from 0), `prev` (the leaf hash of the entry before it, zero for the first, so the
 * entries form a hash chain) and `time` (ISO 8601, when not given), and stores its canonical JSON.
 * Requests are logged by the sha256 of their input and output; the raw text only when the
 * operator opts in.
 */
import { sha256, toHex, type Hex } from "viem";
import { canonicalJson, type JsonValue } from "./canonical.ts";

/**
 * Extra fields any entry may carry: any JSON value. Typed loosely so callers can pass their own
 * records; `append` refuses what JSON cannot carry faithfully.
 */
type Fields = { [key: string]: unknown };

/** A request the node served. */
export type RequestEntry = Fields & {
  type: "request";
  route: string;
  model?: string;
  /** The CID of the manifest the model came from. */
  manifest?: string;
  parameters?: { [key: string]: JsonValue };
  inputSha256: Hex;
  outputSha256?: Hex;
  /** The raw text, only when the operator opted in. */
  input?: JsonValue;
  output?: JsonValue;
  status?: number;
  ms?: number;
};

/** A step of the governance follower: adopted, fetched, verified, loaded, swapped, failed... */
export type GovernanceEntry = Fields & {
  type: "governance";
  step: string;
  role?: string;
  version?: number;
  cid?: string;
  digest?: string;
  error?: string;
};

/** Output or input that a validation rule refused. */
export type ValidationEntry = Fields & {
  type: "validation";
  route?: string;
  rule: string;
  reason: string;
  inputSha256?: Hex;
  outputSha256?: Hex;
};

/** A batch of this log anchored on chain. Written by the anchorer. */
export type AnchorEntry = Fields & {
  type: "anchor";
  batch: number;
  fromSeq: number;
  toSeq: number;
  root: Hex;
  txHash: Hex;
  chainId: number;
  contract: Hex;
  node: Hex;
};

/** Any other kind of event; its type names it ("startup", "config"...). */
export type OtherEntry = Fields & { type: string };

/** What `AuditLog.append` takes. */
export type AuditEntryInput = RequestEntry | GovernanceEntry | ValidationEntry | AnchorEntry | OtherEntry;

/** An entry as stored: what was appended, plus the fields the log adds. */
export type AuditEntry = AuditEntryInput & { seq: number; prev: Hex; time: string };

/** `prev` of the first entry. */
export const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;

export const ENTRY_TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;

/** The hex sha256 of a request's input or output: text as UTF-8, anything else as canonical JSON. */
export function contentSha256(content: JsonValue): Hex {
  const text = typeof content === "string" ? content : canonicalJson(content);
  return sha256(new TextEncoder().encode(text));
}

export type RequestEntryParameters = {
  route: string;
  model?: string;
  manifest?: string;
  parameters?: { [key: string]: JsonValue };
  input: JsonValue;
  output?: JsonValue;
  status?: number;
  ms?: number;
  /** Keep the raw input and output too (the operator's choice; off by default). */
  recordText?: boolean;
};

/** The entry for a served request: hashes of its input and output, the text itself only if asked. */
export function requestEntry(parameters: RequestEntryParameters): RequestEntry {
  const { input, output, recordText = false, ...rest } = parameters;
  return {
    type: "request",
    ...rest,
    inputSha256: contentSha256(input),
    outputSha256: output === undefined ? undefined : contentSha256(output),
    input: recordText ? input : undefined,
    output: recordText ? output : undefined,
  };
}

/** Hex of bytes, for the JSON faces of the log. */
export function hex(bytes: Uint8Array): Hex {
  return toHex(bytes);
}
