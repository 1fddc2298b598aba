/**
 * Test helpers for the HTTP API: a real node (the composition root's `startNode`, with its embedded
 * IPFS and audit log) on a free port, serving the generated demo models (threads 1) with no
 * governed parameters unless a test gives some, and following no chain; small readers for SSE.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startNode, type RunningNode, type StartNodeOptions } from "../../src/app/index.ts";
import { loadConfig, type Config } from "../../src/config.ts";

export type TestNode = RunningNode & { home: string; config: Config; stop(): Promise<void> };

/** Starts a node serving the demo models in a fresh NS_LLM_HOME; `stop()` closes it and removes the folder. */
export async function startTestNode(options: StartNodeOptions = {}, env: Record<string, string> = {}): Promise<TestNode> {
  const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-api-"));
  const config = loadConfig({ NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_THREADS: "1", ...env });
  try {
    const node = await startNode(config, { demo: true, chain: false, parameters: {}, sequences: 2, shutdownGraceMs: 1000, log: () => {}, ...options });
    return {
      ...node,
      home,
      config,
      async stop() {
        await node.close();
        await rm(home, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw error;
  }
}

/** Reads a streaming response's `data:` events one at a time ("[DONE]" as a string). */
export function sseReader(response: Response): { next(): Promise<unknown | undefined> } {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const ready: unknown[] = [];
  return {
    async next() {
      while (ready.length === 0) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += value;
        let at: number;
        while ((at = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          for (const line of block.split("\n")) {
            if (!line.startsWith("data: ")) continue;
            const raw = line.slice(6);
            ready.push(raw === "[DONE]" ? raw : JSON.parse(raw));
          }
        }
      }
      return ready.shift();
    },
  };
}

/** Every event of a streaming response, to its end. */
export async function readSse(response: Response): Promise<unknown[]> {
  const events: unknown[] = [];
  const reader = sseReader(response);
  for (let e = await reader.next(); e !== undefined; e = await reader.next()) events.push(e);
  return events;
}

export const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** A metric's value from Prometheus text (`name{labels}` exactly as printed), 0 when absent. */
export function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
