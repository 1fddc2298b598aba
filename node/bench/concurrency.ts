/**
 * Concurrent generation on a real-size model: the node's OpenAI API against llama.cpp's own
 * `llama-server` (built from the llama.cpp source node-llama-cpp bundles: same version), same
 * model, same threads, same number of slots (sequences), 1/4/8 streams at once, 64-token answers.
 * Both servers run in their own processes and are measured alike from this one over HTTP
 * (streamed /v1/completions), alternately in each round, so a neighbour's load hits both alike.
 * Figures are medians over rounds: aggregate tokens/s, time to first token, p50/p99 latency of
 * a request, and each server's peak RSS under load. Then prompt-prefix reuse: time to first
 * token of chat requests that share a long system prompt, cold (first) and warm (after it), one
 * at a time and 4 at once.
 *
 *   node bench/concurrency.ts [--llama-server path] [--model file.gguf] [--threads 2] [--slots 8]
 *       [--tokens 64] [--rounds 3] [--streams 1,4,8] [--no-prefix] [--baseline other-checkout]
 *       [--gpu-layers N [--expect-backend cuda|vulkan|metal]] [--dry-run] [--help]
 *
 * Without --model it writes a model of TinyLlama-1.1B's shape (bench/tinyllama-shape.ts, Q4_0,
 * 620 MB) to $TMPDIR/ns-llm-bench/ once. Without --llama-server only the node is measured.
 * `--gpu-layers N` offloads up to N layers on both: llama-server gets `-ngl N`, the node the
 * governed cap `limits.maxGpuLayers: N` (bench/serve-node.ts; the node fits as many as its GPU
 * holds, at most N); the node's backend and offloaded layers (its /health) are printed, and
 * `--expect-backend` stops the run when the node is not on that backend. `--dry-run` prints the
 * plan (model, both command lines) and starts nothing. Building llama-server: see
 * node/docs/benchmarks.md; on a GPU machine, bench/gpu.sh does it all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { HealthReport } from "@ns-llm/contracts";
import { writeTinyLlamaShape } from "./tinyllama-shape.ts";

const USAGE = `usage: node bench/concurrency.ts [--llama-server path] [--model file.gguf] [--threads 2] [--slots 8]
    [--tokens 64] [--rounds 3] [--streams 1,4,8] [--context 1024] [--no-prefix] [--system-copies 6]
    [--baseline other-checkout] [--decode-timing] [--gpu-layers N] [--expect-backend cuda|vulkan|metal]
    [--dry-run] [--help]`;

const { values } = parseArgs({
  options: {
    help: { type: "boolean", default: false },
    // Prints the model and both servers' command lines, and starts nothing.
    "dry-run": { type: "boolean", default: false },
    // Offload up to N layers: llama-server -ngl N; the node, the governed cap limits.maxGpuLayers N.
    "gpu-layers": { type: "string" },
    // Stop unless the node runs on this backend (its /health), e.g. when its GPU binary did not load.
    "expect-backend": { type: "string" },
    "llama-server": { type: "string" },
    model: { type: "string" },
    threads: { type: "string", default: "2" },
    slots: { type: "string", default: "8" },
    tokens: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    streams: { type: "string", default: "1,4,8" },
    context: { type: "string", default: "1024" },
    "no-prefix": { type: "boolean", default: false },
    // The shared system prompt of the prefix-reuse part: this many copies of the 60-word story.
    "system-copies": { type: "string", default: "6" },
    // Another checkout of the project (its node/bench/serve-node.ts): measured too, as "node-before".
    baseline: { type: "string" },
    // The node (not node-before) logs where its decode batches' time goes (bench/decode-timing.ts).
    "decode-timing": { type: "boolean", default: false },
  },
});
const threads = Number(values.threads);
const slots = Number(values.slots);
const maxTokens = Number(values.tokens);
const rounds = Number(values.rounds);
const streamCounts = values.streams.split(",").map(Number);
const contextPerSlot = Number(values.context);
const gpuLayers = values["gpu-layers"] === undefined ? undefined : Number(values["gpu-layers"]);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
for (const [option, value, min] of [["--threads", threads, 1], ["--slots", slots, 1], ["--tokens", maxTokens, 1], ["--rounds", rounds, 1], ["--context", contextPerSlot, 64], ["--gpu-layers", gpuLayers ?? 0, 0], ...streamCounts.map((n) => ["--streams", n, 1] as const)] as const) {
  if (!Number.isInteger(value) || value < min) {
    console.error(`concurrency.ts: ${option} must be an integer >= ${min}\n${USAGE}`);
    process.exit(2);
  }
}
if (values["expect-backend"] && !["cuda", "vulkan", "metal", "cpu"].includes(values["expect-backend"])) {
  console.error(`concurrency.ts: --expect-backend must be cuda, vulkan, metal or cpu\n${USAGE}`);
  process.exit(2);
}

const modelPath = values.model ?? path.join(os.tmpdir(), "ns-llm-bench", "tinyllama-shape-q4_0.gguf");

/** bench/serve-node.ts's arguments for the node measured as `name`. */
const nodeArgs = (name: string) => [
  "--model",
  modelPath,
  "--threads",
  String(threads),
  "--sequences",
  String(slots),
  "--context",
  String(contextPerSlot),
  ...(values["decode-timing"] && name === "node" ? ["--decode-timing"] : []),
  ...(gpuLayers !== undefined ? ["--gpu-layers", String(gpuLayers)] : []),
];

/** llama-server's arguments: same threads, slots and per-slot context as the node; flash attention "auto" as node-llama-cpp's default (on, on the CPU). */
const llamaServerArgs = (port: number) => [
  "-m",
  modelPath,
  "-t",
  String(threads),
  "-tb",
  String(threads),
  "-np",
  String(slots),
  "-c",
  String(contextPerSlot * slots),
  "--host",
  "127.0.0.1",
  "--port",
  String(port),
  "-fa",
  "auto",
  "--no-webui",
  ...(gpuLayers !== undefined ? ["-ngl", String(gpuLayers)] : []),
];

if (values["dry-run"]) {
  console.log(`model: ${modelPath}${values.model ? "" : existsSync(modelPath) ? " (written before)" : " (would be written: TinyLlama-1.1B's shape, Q4_0, 620 MB)"}`);
  console.log(`streams ${streamCounts.join(",")}, ${maxTokens}-token answers, ${rounds} rounds, threads ${threads}, ${slots} slots, context ${contextPerSlot} per slot, GPU layers ${gpuLayers ?? "default (node: as many as fit; llama-server: its own default)"}`);
  console.log(`node: ${process.execPath} ${path.join(import.meta.dirname, "serve-node.ts")} ${nodeArgs("node").join(" ")}`);
  if (values.baseline) console.log(`node-before: ${process.execPath} ${path.join(values.baseline, "node/bench/serve-node.ts")} ${nodeArgs("node-before").join(" ")}`);
  console.log(values["llama-server"] ? `llama-server: ${values["llama-server"]} ${llamaServerArgs(0).join(" ").replace("--port 0", "--port <free port>")}` : "llama-server: not measured (no --llama-server)");
  if (values["expect-backend"]) console.log(`the run stops unless the node's /health says backend ${values["expect-backend"]}`);
  process.exit(0);
}
if (!values.model) await writeTinyLlamaShape(modelPath, "q4_0");

type Server = { name: string; url: string; child: ChildProcess; peakRssKiB: number; sampler?: NodeJS.Timeout };

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const rssKiB = (pid: number): number => {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
};

async function startNodeServer(name = "node", root = path.join(import.meta.dirname, "../..")): Promise<Server> {
  const script = path.join(root, "node/bench/serve-node.ts");
  const child = spawn(process.execPath, [script, ...nodeArgs(name)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith("{")) return { name, url: (JSON.parse(line) as { url: string }).url, child, peakRssKiB: 0 };
  }
  throw new Error("the node exited before listening");
}

async function startLlamaServer(binary: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(binary, llamaServerArgs(port), { stdio: ["ignore", "ignore", "ignore"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return { name: "llama-server", url, child, peakRssKiB: 0 };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("llama-server did not become ready");
}

const stop = (server: Server) =>
  new Promise<void>((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGTERM");
  });

type Sample = { ttftMs: number; ms: number; tokens: number };

/** One streamed request; tokens from the usage the server reports (else one per text chunk). */
async function request(server: Server, body: Record<string, unknown>, route = "/v1/completions"): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(`${server.url}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body) throw new Error(`${server.name} ${route}: ${response.status} ${await response.text()}`);
  let ttftMs = 0;
  let chunks = 0;
  let usageTokens: number | undefined;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").find((l) => l.startsWith("data: "))?.slice(6);
      if (!data || data === "[DONE]") continue;
      const parsed = JSON.parse(data) as { choices?: Array<{ text?: string; delta?: { content?: string } }>; usage?: { completion_tokens: number } };
      const text = parsed.choices?.[0]?.text ?? parsed.choices?.[0]?.delta?.content ?? "";
      if (text !== "") {
        chunks++;
        if (ttftMs === 0) ttftMs = performance.now() - started;
      }
      if (parsed.usage) usageTokens = parsed.usage.completion_tokens;
    }
  }
  return { ttftMs, ms: performance.now() - started, tokens: usageTokens ?? chunks };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

/** About 60 words; request k starts with "k." so no server finds its prompt already evaluated. */
const story =
  "Once upon a time there was a little girl who lived in a small house near the river. Every morning she walked " +
  "along the water with her old dog, and they watched the boats go by. One day she found a box under a tree, and";
let requestNumber = 0;
const completionBody = () => ({ prompt: `${requestNumber++}. ${story}`, max_tokens: maxTokens, temperature: 0 });

type Wave = { tps: number; samples: Sample[] };
async function wave(server: Server, streams: number): Promise<Wave> {
  const started = performance.now();
  const samples = await Promise.all(Array.from({ length: streams }, () => request(server, completionBody())));
  const ms = performance.now() - started;
  return { tps: (samples.reduce((n, s) => n + s.tokens, 0) / ms) * 1000, samples };
}

const withRss = async <T>(server: Server, work: () => Promise<T>): Promise<T> => {
  const pid = server.child.pid!;
  const sampler = setInterval(() => (server.peakRssKiB = Math.max(server.peakRssKiB, rssKiB(pid))), 100);
  try {
    return await work();
  } finally {
    clearInterval(sampler);
  }
};

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(" ");
const servers: Server[] = [];
try {
  servers.push(await startNodeServer());
  if (values.baseline) servers.push(await startNodeServer("node-before", values.baseline));
  // Where the node runs its model (its /health): backend, layers offloaded, the cap in force.
  for (const server of servers.filter((s) => s.name.startsWith("node"))) {
    const device = ((await (await fetch(`${server.url}/health`)).json()) as HealthReport).generation.device;
    console.log(`${server.name}: backend ${device?.backend ?? "?"}, ${device?.gpuLayers ?? "?"} layers offloaded, GPU layer cap ${device?.gpuLayerCap ?? "none"}`);
    if (values["expect-backend"] && device?.backend !== values["expect-backend"]) {
      throw new Error(`${server.name} runs on ${device?.backend ?? "no backend"}, not ${values["expect-backend"]}: node-llama-cpp's ${values["expect-backend"]} binary did not load (see the node's log above)`);
    }
  }
  if (values["llama-server"]) servers.push(await startLlamaServer(values["llama-server"]));
  const idleRss = new Map(servers.map((s) => [s.name, rssKiB(s.child.pid!)]));
  console.log(`concurrency benchmark: ${path.basename(modelPath)}, threads ${threads}, ${slots} slots each, ${maxTokens}-token answers, ${rounds} rounds, ${os.cpus()[0]?.model ?? "cpu"} x${os.availableParallelism()}, Node ${process.version}`);
  console.log(`load average at start: ${load()}`);
  for (const server of servers) await wave(server, 1); // warm-up, not counted

  const results = new Map<string, Wave[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const streams of streamCounts) {
      for (const server of order) {
        const key = `${server.name}/${streams}`;
        const w = await withRss(server, () => wave(server, streams));
        results.set(key, [...(results.get(key) ?? []), w]);
        // Each wave as it ends, so that a run cut short still says something.
        console.error(`  round ${round + 1}, ${key}: ${w.tps.toFixed(1)} tok/s, load ${load()}`);
      }
    }
  }
  console.log(`load average after: ${load()}\n`);
  console.log("| server | streams | tok/s (median) | x its 1 stream | TTFT p50 ms | latency p50 ms | latency p99 ms |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  const table = new Map<string, { tps: number; p99: number }>();
  for (const streams of streamCounts) {
    for (const server of servers) {
      const waves = results.get(`${server.name}/${streams}`)!;
      const samples = waves.flatMap((w) => w.samples);
      const tps = median(waves.map((w) => w.tps));
      const single = median(results.get(`${server.name}/1`)?.map((w) => w.tps) ?? [NaN]);
      table.set(`${server.name}/${streams}`, { tps, p99: percentile(samples.map((s) => s.ms), 99) });
      console.log(
        `| ${server.name} | ${streams} | ${tps.toFixed(1)} | ${(tps / single).toFixed(2)} | ${median(samples.map((s) => s.ttftMs)).toFixed(0)} | ${median(samples.map((s) => s.ms)).toFixed(0)} | ${percentile(samples.map((s) => s.ms), 99).toFixed(0)} |`,
      );
    }
  }
  for (const other of servers.slice(1)) {
    console.log(`\nnode / ${other.name}:`);
    for (const streams of streamCounts) {
      const n = table.get(`node/${streams}`)!;
      const l = table.get(`${other.name}/${streams}`)!;
      console.log(`  ${streams} streams: tok/s ${(n.tps / l.tps).toFixed(2)}x, p99 latency ${(n.p99 / l.p99).toFixed(2)}x`);
    }
  }
  for (const server of servers) {
    console.log(`${server.name} RSS: ${(idleRss.get(server.name)! / 1024).toFixed(0)} MiB idle after load, peak ${(server.peakRssKiB / 1024).toFixed(0)} MiB under load`);
  }

  if (!values["no-prefix"]) {
    // Prompt-prefix reuse: a long system prompt shared by every request, a short question each.
    const system = Array.from({ length: Number(values["system-copies"]) }, () => story).join(" ");
    let question = 0;
    console.log(`\nprompt-prefix reuse: a system prompt of ${system.split(" ").length} words (about ${Math.round(system.length / 4)} tokens) + a short question, 8-token answers; TTFT ms, medians of ${rounds} rounds`);
    console.log("| server | cold (new system prompt) | warm, one at a time | warm, 4 at once |");
    console.log("| --- | --- | --- | --- |");
    const prefix = new Map<string, { cold: number[]; warm: number[]; together: number[] }>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const figures = prefix.get(server.name) ?? { cold: [], warm: [], together: [] };
        prefix.set(server.name, figures);
        // A new system prompt per round (its first word differs), so the first request is cold.
        const roundSystem = `${round}${server.name}. ${system}`;
        const body = () => ({
          messages: [
            { role: "system", content: roundSystem },
            { role: "user", content: `Question ${question++}: what did she find?` },
          ],
          max_tokens: 8,
          temperature: 0,
        });
        figures.cold.push((await request(server, body(), "/v1/chat/completions")).ttftMs);
        for (let i = 0; i < 2; i++) figures.warm.push((await request(server, body(), "/v1/chat/completions")).ttftMs);
        const four = await Promise.all([0, 1, 2, 3].map(() => request(server, body(), "/v1/chat/completions")));
        figures.together.push(median(four.map((s) => s.ttftMs)));
      }
    }
    for (const server of servers) {
      const f = prefix.get(server.name)!;
      console.log(`| ${server.name} | ${median(f.cold).toFixed(0)} | ${median(f.warm).toFixed(0)} | ${median(f.together).toFixed(0)} |`);
    }
  }
} finally {
  await Promise.all(servers.map(stop));
}
