/**
 * Benchmark of the IPFS back ends (not a test: it prints figures).
 *
 *   node node/bench/ipfs.ts [--mib 64] [--runs 3] [--kubo URL]
 *
 * - embedded node: time to open (import Helia, open the repo, start) cold and warm, and to stop;
 * - add (addBytes and addByteStream) and cat throughput in MB/s on --mib MiB of random bytes,
 *   best of --runs, beside computeCid (the same import with no storage) and plain sha256 as
 *   ceilings, with the ratios;
 * - with --kubo URL, the same add/cat figures through that Kubo RPC API.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { mib: { type: "string", default: "64" }, runs: { type: "string", default: "3" }, kubo: { type: "string" } } });
const mib = Number(values.mib);
const runs = Number(values.runs);
const MB = 1e6;

const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-ipfs-"));
try {
  let t = performance.now();
  const ipfsModule = await import("../src/ipfs/index.ts");
  const importMs = performance.now() - t;
  const { openEmbeddedIpfs, openKuboIpfs, computeCid } = ipfsModule;

  t = performance.now();
  let ipfs = await openEmbeddedIpfs({ repo: path.join(home, "ipfs") });
  const coldOpenMs = performance.now() - t;
  t = performance.now();
  await ipfs.stop();
  const stopMs = performance.now() - t;
  t = performance.now();
  ipfs = await openEmbeddedIpfs({ repo: path.join(home, "ipfs") });
  const warmOpenMs = performance.now() - t;
  console.log(`embedded open: module import ${importMs.toFixed(0)} ms, first open (loads Helia, creates repo) ${coldOpenMs.toFixed(0)} ms, reopen ${warmOpenMs.toFixed(0)} ms, stop ${stopMs.toFixed(0)} ms`);

  const bytes = randomBytes(mib * 1024 * 1024);
  const size = bytes.length;
  const best = async (fn: () => Promise<unknown>) => {
    let min = Infinity;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await fn();
      min = Math.min(min, performance.now() - start);
    }
    return (size / MB) / (min / 1000);
  };
  const drain = async (source: AsyncIterable<Uint8Array>) => {
    let n = 0;
    for await (const chunk of source) n += chunk.byteLength;
    if (n !== size) throw new Error(`read ${n} of ${size} bytes`);
  };
  const pieces = () => (async function* () {
    for (let at = 0; at < size; at += 65_536) yield bytes.subarray(at, at + 65_536);
  })();

  const sha = await best(async () => createHash("sha256").update(bytes).digest());
  const cidOnly = await best(() => computeCid(bytes));
  const report = async (label: string, client: typeof ipfs) => {
    // First add writes the blocks; later runs find them present (what a re-publish costs).
    t = performance.now();
    const cid = await client.addBytes(bytes);
    const firstAdd = (size / MB) / ((performance.now() - t) / 1000);
    const addAgain = await best(() => client.addBytes(bytes));
    const stream = await best(() => client.addByteStream(pieces()));
    const cat = await best(() => drain(client.cat(cid)));
    console.log(
      `${label} (${mib} MiB, best of ${runs}): add ${firstAdd.toFixed(1)} MB/s (blocks new), re-add ${addAgain.toFixed(1)} MB/s, ` +
        `add stream ${stream.toFixed(1)} MB/s, cat ${cat.toFixed(1)} MB/s; ` +
        `add/computeCid ${(firstAdd / cidOnly).toFixed(2)}, cat/sha256 ${(cat / sha).toFixed(2)}`,
    );
  };
  console.log(`ceilings: sha256 ${sha.toFixed(0)} MB/s, computeCid (import, no storage) ${cidOnly.toFixed(0)} MB/s`);
  await report("embedded", ipfs);
  await ipfs.stop();
  if (values.kubo) {
    const kubo = await openKuboIpfs({ url: values.kubo });
    await report(`kubo ${values.kubo}`, kubo);
    await kubo.stop();
  }
} finally {
  await rm(home, { recursive: true, force: true });
}
