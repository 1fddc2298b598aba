#!/usr/bin/env node
// The sources are TypeScript, run by Node's built-in type stripping (Node >= 22.18).
await import("../src/cli/main.ts");
