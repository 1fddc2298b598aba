/**
 * The gossip message on the wire: UTF-8 JSON `{v: 1, record, signature}`. Decoding is bounded
 * (the byte length is checked before parsing) and strict (unknown fields, wrong types, over-long
 * strings are refused), so garbage costs one length check or one parse, never more.
 */
import type { FederationMessage } from "@ns-llm/contracts";
import { z } from "zod";

/** Default bound of one message (record + signature). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/) as z.ZodType<`0x${string}`>;
const key = z.string().max(4096).nullable();
const recordSchema = z
  .object({
    v: z.literal(1),
    key: z.string().min(1).max(4096),
    prompt: z.string().min(1).max(32_768),
    text: z.string().max(32_768),
    model: z.string().min(1).max(512),
    tokens: z.number().int().min(0).max(1_048_576),
    manifests: z.object({ generation: key, embedding: key, parameters: key }).strict(),
    operator: address,
    auditSeq: z.number().int().min(0).nullable(),
    time: z.iso.datetime(),
  })
  .strict();
const messageSchema = z
  .object({
    v: z.literal(1),
    record: recordSchema,
    // 65 bytes (r, s, v) as hex.
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/) as z.ZodType<`0x${string}`>,
  })
  .strict();

export type DecodeRefusal = "oversized" | "malformed" | "schema";
export type Decoded = { ok: true; message: FederationMessage } | { ok: false; reason: DecodeRefusal; detail: string };

export function encodeMessage(message: FederationMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

export function decodeMessage(bytes: Uint8Array, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): Decoded {
  if (bytes.byteLength > maxBytes) return { ok: false, reason: "oversized", detail: `${bytes.byteLength} bytes > ${maxBytes}` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, reason: "malformed", detail: (error as Error).message };
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: "schema", detail: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  return { ok: true, message: parsed.data as FederationMessage };
}
