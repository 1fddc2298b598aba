import { EventSourceParserStream } from "eventsource-parser/stream";

/** The `data:` payloads of an SSE body, parsed as JSON, until `[DONE]` or the end of the stream. */
export async function* sseJson<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const events = body.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).pipeThrough(new EventSourceParserStream());
  for await (const event of events as unknown as AsyncIterable<{ data: string }>) {
    if (event.data === "[DONE]") return;
    yield JSON.parse(event.data) as T;
  }
}
