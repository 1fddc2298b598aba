/**
 * The benchmark's HTTP client, run in a worker thread so that its own work (fetch, SSE parsing)
 * does not share the server's event loop, as with a real client in another process.
 */
import { parentPort, workerData } from "node:worker_threads";

export type ClientJob =
  | { kind: "generate"; url: string; n: number; concurrent: boolean; maxTokens: number }
  | { kind: "embed"; url: string; texts: string[]; batch: number; ms: number; concurrent: boolean };

export type StreamRun = { tokens: number; ttftMs: number; ms: number };

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function stream(url: string, maxTokens: number): Promise<StreamRun> {
  const t0 = performance.now();
  const res = await post(`${url}/generate`, { prompt: "Once upon a time", maxTokens, temperature: 0.8, stream: true });
  let first = 0;
  let tokens = 0;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body!) {
    first ||= performance.now();
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf("\n\n")) >= 0) {
      const event = JSON.parse(buffer.slice(6, at));
      buffer = buffer.slice(at + 2);
      if (event.done) tokens = event.tokens;
    }
  }
  return { tokens, ttftMs: first - t0, ms: performance.now() - t0 };
}

async function run(job: ClientJob): Promise<unknown> {
  if (job.kind === "generate") {
    await stream(job.url, job.maxTokens); // warm up
    const t0 = performance.now();
    const runs: StreamRun[] = [];
    if (job.concurrent) runs.push(...(await Promise.all(Array.from({ length: job.n }, () => stream(job.url, job.maxTokens)))));
    else for (let i = 0; i < job.n; i++) runs.push(await stream(job.url, job.maxTokens));
    return { runs, wallMs: performance.now() - t0 };
  }
  // Embeddings: texts per second for `ms`, requests of `batch` texts (or `batch` concurrent single-text ones).
  const once = () =>
    job.concurrent
      ? Promise.all(job.texts.slice(0, job.batch).map(async (t) => (await post(`${job.url}/embed`, { input: t })).arrayBuffer()))
      : post(`${job.url}/embed`, { input: job.texts.slice(0, job.batch) }).then((r) => r.arrayBuffer());
  for (let i = 0; i < 3; i++) await once();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < job.ms) {
    await once();
    n += job.batch;
  }
  return { perSecond: n / ((performance.now() - t0) / 1000) };
}

if (parentPort) parentPort.postMessage(await run(workerData as ClientJob));
