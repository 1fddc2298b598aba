#!/usr/bin/env node
// node:sqlite is stable in use but still flagged experimental in Node 22: keep its warning off
// the terminal, pass every other warning through.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "ExperimentalWarning") console.warn(`${warning.name}: ${warning.message}`);
});
// The sources are TypeScript, run by Node's built-in type stripping (Node >= 22.18).
await import("../src/cli/main.ts");
