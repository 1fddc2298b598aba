/**
 * The dApp's server process: runs a Next.js standalone build's `server.js` (argv[2]) in this
 * process, under the node's own Node runtime (in a package, the package's). The node starts it
 * with an IPC channel; when that channel closes (the node stopped, crashed or was killed) this
 * process exits, so the dApp's server never outlives its node.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

const serverJs = process.argv[2];
if (!serverJs) {
  console.error("usage: dapp-child <standalone server.js>");
  process.exit(2);
}
if (!process.connected) {
  console.error("dapp-child: started without the node's IPC channel; refusing to run unattended");
  process.exit(2);
}
process.on("disconnect", () => process.exit(0));
// Next's server.js resolves its files from its own folder.
process.chdir(path.dirname(serverJs));
// An ES module or CommonJS, as its package.json says (the dApp's is an ES module).
await import(pathToFileURL(serverJs).href);
