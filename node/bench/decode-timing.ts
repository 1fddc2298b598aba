/**
 * Times node-llama-cpp's native decodes on a context (wrapping its binding's decodeBatch and
 * sampleToken; internal API, for benchmarks only): time per decode, and the gap between one
 * decode's end and the next one's start (sampling, JS, event loop).
 */
import { performance } from "node:perf_hooks";
import type { LlamaContext } from "node-llama-cpp";

type Native = { decodeBatch(): Promise<void>; sampleToken(...args: unknown[]): Promise<unknown>; initBatch(size: number): void };

export function instrumentDecodes(context: LlamaContext) {
  const holder = context as unknown as { _ctx: Native };
  const native = holder._ctx;
  // The binding's methods are read-only: the context gets a proxy that times them.
  const wrapped: Partial<Native> = {};
  holder._ctx = new Proxy(native, {
    get: (target, key) => {
      if (key in wrapped) return wrapped[key as keyof Native];
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const ctx = wrapped as Native;
  let decodes: number[] = [];
  let gaps: number[] = [];
  let sizes: number[] = [];
  let samples = 0;
  let sampleMs = 0;
  let lastEnd = 0;
  let size = 0;
  let decoding = false;
  const threads = new Set<number>();
  let elu = performance.eventLoopUtilization();
  let since = performance.now();
  const initBatch = native.initBatch.bind(native);
  ctx.initBatch = (n: number) => ((size = n), initBatch(n));
  const decodeBatch = native.decodeBatch.bind(native);
  ctx.decodeBatch = async () => {
    const start = performance.now();
    if (lastEnd > 0) gaps.push(start - lastEnd);
    else {
      // The first decode since the reset: the burst starts here.
      elu = performance.eventLoopUtilization();
      since = start;
    }
    decoding = true;
    try {
      return await decodeBatch();
    } finally {
      threads.add((native as unknown as { getThreads(): number }).getThreads());
      decoding = false;
      lastEnd = performance.now();
      decodes.push(lastEnd - start);
      sizes.push(size);
    }
  };
  const sampleToken = native.sampleToken.bind(native);
  ctx.sampleToken = async (...args: unknown[]) => {
    const start = performance.now();
    try {
      return await sampleToken(...args);
    } finally {
      samples++;
      sampleMs += performance.now() - start;
    }
  };
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)]! : NaN;
  };
  const bySize = () => {
    const groups = new Map<number, number[]>();
    decodes.forEach((ms, i) => sizes[i]! <= 16 && groups.set(sizes[i]!, [...(groups.get(sizes[i]!) ?? []), ms]));
    return [...groups].sort((a, b) => a[0] - b[0]).map(([n, ms]) => `${n}: ${median(ms).toFixed(1)} ms x${ms.length}`).join(", ");
  };
  return {
    /** When the last decode ended (0: none since the reset). */
    get lastEnd() {
      return lastEnd;
    },
    get decodes() {
      return decodes.length;
    },
    get decoding() {
      return decoding;
    },
    reset() {
      decodes = [];
      gaps = [];
      sizes = [];
      samples = 0;
      sampleMs = 0;
      lastEnd = 0;
      elu = performance.eventLoopUtilization();
      since = performance.now();
    },
    /** Steady state: decodes of a single-token-per-sequence batch (size <= sequences), and the gaps. */
    summary(): string {
      const steps = decodes.filter((_, i) => sizes[i]! <= 16);
      const total = decodes.reduce((a, b) => a + b, 0);
      const wall = (lastEnd || performance.now()) - since;
      const busy = performance.eventLoopUtilization(elu).utilization * (performance.now() - since);
      return (
        `${decodes.length} decodes (${total.toFixed(0)} ms), next-token decodes median ${median(steps).toFixed(1)} ms` +
        ` (batch ${median(sizes.filter((s) => s <= 16))}; by batch size: ${bySize()}), gap between decodes median ${median(gaps).toFixed(2)} ms,` +
        ` threads ${[...threads].join("/")}, ${samples} samples, ${(sampleMs / Math.max(1, samples)).toFixed(2)} ms each (wall);` +
        ` wall ${wall.toFixed(0)} ms = ${(wall / Math.max(1, decodes.length)).toFixed(1)} ms per decode, main thread busy ${(busy / Math.max(1, decodes.length)).toFixed(1)} ms per decode`
      );
    },
  };
}
