/**
 * Bundles the node's TypeScript into plain JavaScript for the packages, once for every platform:
 * esbuild, ESM, code splitting (each command still loads lazily), whitespace and syntax minified
 * but names kept (stack traces stay readable). node-llama-cpp and onnxruntime-node stay outside:
 * they find their native binaries relative to their own files.
 *
 * Why bundle rather than ship the .ts sources with node_modules: the node's pure-JavaScript
 * dependencies are ~200 MB in ~15,000 files on disk; the bundle is ~9 MB in ~80, and holds only
 * code the node can reach (no optional peers, no type declarations, no other platforms' code).
 */
import { build, type Plugin } from "esbuild";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "../..");

/**
 * `import("helia")` loads its full libp2p defaults, WebRTC included, whose `node-datachannel`
 * loads a native addon when its module is evaluated. The node only uses createHeliaLight (no
 * libp2p, no transports), so the packages leave that addon out: its modules are replaced by
 * classes that refuse to be constructed, with a message, should a later feature reach for WebRTC.
 */
const withoutWebRtc: Plugin = {
  name: "ns-llm-without-webrtc",
  setup(b) {
    b.onResolve({ filter: /^node-datachannel(\/polyfill)?$/ }, (args) => ({ path: args.path, namespace: "ns-llm-without-webrtc" }));
    b.onLoad({ filter: /.*/, namespace: "ns-llm-without-webrtc" }, () => ({
      loader: "js",
      contents: ["PeerConnection", "IceUdpMuxListener", "RTCPeerConnection", "RTCSessionDescription", "RTCIceCandidate"]
        .map((name) => `export class ${name} { constructor() { throw new Error("WebRTC (node-datachannel) is not part of the packaged NS-LLM node"); } }`)
        .join("\n"),
    }));
  },
};

/** Writes the bundle into `outdir` (the package's app/node/build/cli); the entry is launch.js. */
export async function bundleNode(outdir: string): Promise<void> {
  await build({
    absWorkingDir: REPO,
    // Started by file, so each is an entry of its own: the dry-run sandbox and the dApp's server
    // (processes: node/src/dry-run/sandbox.ts and node/src/dapp/dapp-host.ts start them), a plugin's
    // worker (node/src/plugins/host.ts) and an ONNX session's worker (node/src/inference/onnx/session.ts);
    // each looks for its .js name beside it.
    entryPoints: {
      launch: "packaging/launcher/launch.ts",
      "sandbox-child": "node/src/dry-run/sandbox-child.ts",
      "dapp-child": "node/src/dapp/dapp-child.ts",
      "plugin-worker": "node/src/plugins/worker.ts",
      "onnx-session-worker": "node/src/inference/onnx/session-worker.ts",
    },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "linked",
    external: ["node-llama-cpp", "onnxruntime-node"],
    // CommonJS dependencies call require(); in an ES module it must be made.
    banner: { js: "import { createRequire as __nsLlmCreateRequire } from 'node:module'; const require = __nsLlmCreateRequire(import.meta.url);" },
    plugins: [withoutWebRtc],
    logLevel: "warning",
  });
}
