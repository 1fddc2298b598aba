#!/usr/bin/env node
// The sources are TypeScript run by Node's own type stripping, on by default from Node 22.18.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`error: ns-llm needs Node.js 22.18 or newer, this is ${process.version} (see the README's prerequisites)`);
  process.exit(1);
}
// node:sqlite is stable in use but still flagged experimental in Node 22: keep its warning off
// the terminal, pass every other warning through.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "ExperimentalWarning") console.warn(`${warning.name}: ${warning.message}`);
});
await import("../src/cli/main.ts");
