/**
 * The API benchmark's HTTP client, run as a child process of bench/api.ts (a job in, a result out
 * over IPC), so that its requests, JSON and SSE parsing use neither the server's event loop nor its
 * CPU time: the server's process.cpuUsage() then counts the server alone. It speaks through
 * undici.request, not fetch: on the 2-core machine the benchmark was written on, fetch cost the
 * client 0.7-1.1 ms of CPU per request against 0.25-0.4 ms, time the server then waited for.
 */
import { Agent, request } from "undici";

export type ClientJob =
  | { kind: "generate"; url: string; n: number; concurrent: boolean; maxTokens: number; stream: boolean }
  | { kind: "embed"; url: string; texts: string[]; batch: number; ms: number; concurrent: boolean; clients?: number }
  | { kind: "latency"; url: string; texts: string[]; perSecond: number; seconds: number };

export type StreamRun = { tokens: number; ttftMs: number; ms: number };
export type GenerateResult = { runs: StreamRun[]; wallMs: number };
export type EmbedResult = { perSecond: number; requests: number };
export type LatencyResult = { latencies: number[]; errors: number };

const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
const post = (url: string, body: unknown) =>
  request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), dispatcher });

/** One generation; with `stream`, the time to the first SSE chunk, else to the JSON answer. */
async function generate(url: string, maxTokens: number, stream: boolean): Promise<StreamRun> {
  const t0 = performance.now();
  const res = await post(`${url}/generate`, { prompt: "Once upon a time", maxTokens, temperature: 0.8, stream });
  if (!stream) {
    const body = (await res.body.json()) as { tokens: number };
    const ms = performance.now() - t0;
    return { tokens: body.tokens, ttftMs: ms, ms };
  }
  let first = 0;
  let tokens = 0;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body) {
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

async function run(job: ClientJob): Promise<GenerateResult | EmbedResult | LatencyResult> {
  if (job.kind === "generate") {
    await generate(job.url, job.maxTokens, job.stream); // warm up
    const t0 = performance.now();
    const runs: StreamRun[] = [];
    const one = () => generate(job.url, job.maxTokens, job.stream);
    if (job.concurrent) runs.push(...(await Promise.all(Array.from({ length: job.n }, one))));
    else for (let i = 0; i < job.n; i++) runs.push(await one());
    return { runs, wallMs: performance.now() - t0 };
  }
  if (job.kind === "latency") {
    // Open loop: a request every 1/perSecond s whatever the answers do.
    const latencies: number[] = [];
    let errors = 0;
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < job.seconds * 1000; i++) {
      const wait = t0 + (i * 1000) / job.perSecond - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const start = performance.now();
      pending.push(
        post(`${job.url}/embed`, { input: job.texts[i % job.texts.length] })
          .then(async (r) => {
            await r.body.arrayBuffer();
            if (r.statusCode === 200) latencies.push(performance.now() - start);
            else errors++;
          })
          .catch(() => void errors++),
      );
    }
    await Promise.all(pending);
    return { latencies, errors };
  }
  // Embeddings: texts per second for `ms`, requests of `batch` texts (or `batch` concurrent single-text ones).
  // With `clients`, that many clients each send the batch at once (several users of batch 32).
  const clients = job.clients ?? 1;
  const one = () =>
    job.concurrent
      ? Promise.all(job.texts.slice(0, job.batch).map(async (t) => (await post(`${job.url}/embed`, { input: t })).body.arrayBuffer()))
      : post(`${job.url}/embed`, { input: job.texts.slice(0, job.batch) }).then((r) => r.body.arrayBuffer());
  const once = () => Promise.all(Array.from({ length: clients }, one));
  for (let i = 0; i < 3; i++) await once();
  let n = 0;
  let requests = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < job.ms) {
    await once();
    n += job.batch * clients;
    requests += (job.concurrent ? job.batch : 1) * clients;
  }
  return { perSecond: n / ((performance.now() - t0) / 1000), requests };
}

if (process.send) {
  process.once("message", async (job: ClientJob) => {
    process.send!(await run(job), () => process.exit(0));
  });
}
