/**
 * A streamed chat completion from the node (POST /v1/chat/completions, stream: true): OpenAI's SSE
 * chunks parsed with eventsource-parser, each token handed on as it arrives. Provenance comes from
 * the response headers (x-ns-llm-model, -manifest, -source) when the stream opens, and from the
 * last chunk's `ns_llm` field (the audit seq is only known once the answer is logged, after the
 * last token; a header carries it for answers that are not streamed). Aborting `signal` closes the
 * connection, which cancels the generation on the node.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { PROVENANCE_HEADERS, type ChatMessage } from "@ns-llm/contracts";
import { httpError, nodeFetch, NodeRequestError } from "./node-http.ts";

export type { ChatMessage, ChatRole } from "@ns-llm/contracts";

export type Provenance = {
  model: string | null;
  /** The manifest CID of the model that answered. */
  manifest: string | null;
  /** "llm", or "search" when the node answered from its search fallback. */
  source: string | null;
  auditSeq: number | null;
  /** Why the node fell back to search, when it did. */
  reason: string | null;
};

export type StreamChatParameters = {
  nodeUrl: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  signal: AbortSignal;
  /** Once, when the stream opens: the provenance headers. */
  onOpen?: (provenance: Provenance) => void;
  onToken?: (text: string) => void;
};

export type StreamChatReturnType = {
  text: string;
  finishReason: string | null;
  provenance: Provenance;
};

type Chunk = {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  ns_llm?: { source?: string; manifest?: string | null; auditSeq?: number | null; reason?: string };
  error?: { code?: string; message?: string };
};

function headerProvenance(headers: Headers): Provenance {
  const seq = headers.get(PROVENANCE_HEADERS.auditSeq);
  return {
    model: headers.get(PROVENANCE_HEADERS.model),
    manifest: headers.get(PROVENANCE_HEADERS.manifest) || null,
    source: headers.get(PROVENANCE_HEADERS.source),
    auditSeq: seq !== null && /^\d+$/.test(seq) ? Number(seq) : null,
    reason: null,
  };
}

/** Streams one answer; resolves when the node sends `[DONE]`, rejects on an error or an abort. */
export async function streamChat(parameters: StreamChatParameters): Promise<StreamChatReturnType> {
  const { nodeUrl, messages, temperature, maxTokens, signal } = parameters;
  const response = await nodeFetch(nodeUrl, "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ messages, stream: true, temperature, max_tokens: maxTokens }),
    signal,
  });
  if (!response.body) throw await httpError(response);
  const provenance = headerProvenance(response.headers);
  parameters.onOpen?.({ ...provenance });

  let text = "";
  let finishReason: string | null = null;
  let done = false;
  let failure: Error | undefined;
  const parser = createParser({
    onEvent(event: EventSourceMessage) {
      if (done || failure) return;
      if (event.data === "[DONE]") {
        done = true;
        return;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(event.data) as Chunk;
      } catch {
        failure = new Error(`the node sent an event that is not JSON: ${event.data.slice(0, 80)}`);
        return;
      }
      if (chunk.error) {
        failure = new NodeRequestError("http", `the node stopped the answer: ${chunk.error.code ? `${chunk.error.code}: ` : ""}${chunk.error.message ?? "unknown error"}`, undefined, chunk.error.code);
        return;
      }
      if (chunk.model && !provenance.model) provenance.model = chunk.model;
      const choice = chunk.choices?.[0];
      const token = choice?.delta?.content;
      if (token) {
        text += token;
        parameters.onToken?.(token);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.ns_llm) {
        const n = chunk.ns_llm;
        if (n.source) provenance.source = n.source;
        if (n.manifest !== undefined) provenance.manifest = n.manifest ?? provenance.manifest;
        if (typeof n.auditSeq === "number") provenance.auditSeq = n.auditSeq;
        if (n.reason) provenance.reason = n.reason;
      }
    },
  });

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (!done && !failure) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      parser.feed(value);
    }
  } finally {
    // After [DONE] (or an error event) nothing more is wanted; release the connection.
    reader.cancel().catch(() => {});
  }
  if (failure) throw failure;
  if (!done) throw new NodeRequestError("unreachable", "the node closed the stream before the answer was complete");
  return { text, finishReason, provenance };
}
