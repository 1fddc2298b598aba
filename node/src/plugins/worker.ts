/**
 * The inside of a plugin's worker thread: imports the plugin's module and answers calls
 * `{id, hook, input}` with `{id, ok, output | error}`. The worker runs with an empty environment
 * (no NS_LLM_* secrets), within the heap the host gave it, and without `fetch` unless the plugin
 * declared `network`. The host stops it (terminate) when a call runs past its time budget.
 */
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";

type Data = { entry: string; network: boolean };
type Call = { id: number; hook: string; input: unknown };

const { entry, network } = workerData as Data;
if (!network) {
  for (const name of ["fetch", "WebSocket", "EventSource"]) delete (globalThis as Record<string, unknown>)[name];
}

const port = parentPort!;
try {
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown> & { default?: Record<string, unknown> };
  const hooks: Record<string, unknown> = { ...(mod.default && typeof mod.default === "object" ? mod.default : {}), ...mod };
  port.on("message", async ({ id, hook, input }: Call) => {
    const fn = hooks[hook];
    try {
      if (typeof fn !== "function") throw new Error(`the plugin exports no function "${hook}"`);
      const output = await (fn as (input: unknown) => unknown)(input);
      port.postMessage({ id, ok: true, output: output ?? null });
    } catch (error) {
      port.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, error: `cannot import ${entry}: ${(error as Error).message}` });
}
