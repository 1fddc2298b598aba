/**
 * Is this audit entry the record of the answer on screen? The node records the sha256 of a chat's
 * messages as the client sent them and of the answer's text (the protocol's `chatDigest` /
 * `textDigest`, node/src/serving/generation-service.ts); the browser recomputes both from the
 * prompt and answer it shows, so a node that names an unrelated entry as an answer's provenance
 * (another seq, or an entry whose hashes are of another exchange) is caught.
 */
import type { Hex } from "viem";
import { chatDigest, textDigest, type ChatMessage } from "@ns-llm/contracts";

/** What the page holds of one answer: the messages it sent and the text it shows. */
export type ShownAnswer = { messages: readonly ChatMessage[]; text: string };

export type AnswerCheck =
  | { ok: true; input: Hex; output: Hex }
  | { ok: false; reason: string; input: Hex; output: Hex };

/** Compares an entry (parsed JSON) with the answer on screen; `seq` is the seq the node gave the answer. */
export function checkAnswerEntry(entry: Record<string, unknown>, seq: number, shown: ShownAnswer): AnswerCheck {
  const input = chatDigest(shown.messages);
  const output = textDigest(shown.text);
  const fail = (reason: string): AnswerCheck => ({ ok: false, reason, input, output });
  if (entry.seq !== seq) return fail(`The node sent entry ${String(entry.seq)} when asked for entry ${seq}.`);
  if (entry.type !== "request") return fail(`Audit entry ${seq} is a "${String(entry.type)}" entry, not the record of an answer: the node gave this answer an audit seq that is not its own.`);
  const inputOk = String(entry.inputSha256).toLowerCase() === input;
  const outputOk = String(entry.outputSha256).toLowerCase() === output;
  if (!inputOk && !outputOk) {
    return fail(`Audit entry ${seq} records another exchange: neither its input hash nor its output hash is that of the prompt and answer on screen. The node gave this answer an audit seq that is not its own.`);
  }
  if (!inputOk) return fail(`Audit entry ${seq} records another prompt: its input hash ${String(entry.inputSha256)} is not ${input}, the hash of the messages this page sent.`);
  if (!outputOk) return fail(`Audit entry ${seq} records another answer: its output hash ${String(entry.outputSha256)} is not ${output}, the hash of the answer on screen.`);
  return { ok: true, input, output };
}
