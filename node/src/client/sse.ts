import { createParser } from "eventsource-parser";

/** The `data:` payloads of an SSE body, parsed as JSON, until `[DONE]` or the end of the stream. */
export async function* sseJson<T>(body: AsyncIterable<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  const ready: string[] = [];
  const parser = createParser({ onEvent: (event) => ready.push(event.data) });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    for (let data = ready.shift(); data !== undefined; data = ready.shift()) {
      if (data === "[DONE]") return;
      yield JSON.parse(data) as T;
    }
  }
}
