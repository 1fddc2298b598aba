/**
 * The starter kit's files (`ns-llm plugin init <dir>`): a working plugin on the public API only
 * (package.json `nsLlm` declaration, one module of hooks, a test run with `node --test`), which
 * scores each answer by its length in words, refuses an answer that names a word you choose, and
 * counts answers on /metrics with a panel for the dApp's node page.
 */
export function starterFiles(name: string): Record<string, string> {
  const pkg = {
    name,
    version: "0.1.0",
    description: "An NS-LLM plugin (made with ns-llm plugin init)",
    type: "module",
    main: "index.js",
    license: "MIT",
    scripts: { test: "node --test" },
    nsLlm: {
      hooks: ["answer", "answered"],
      permissions: ["answer:refuse", "metrics"],
      metrics: [{ name: "starter_answers_total", type: "counter", help: "Answers seen by the starter plugin, by verdict", labels: ["verdict"] }],
      panels: [{ title: "Answers seen", chart: "bars", metrics: ["starter_answers_total"], by: "verdict" }],
      budget: { callMs: 200, memoryMb: 32 },
    },
  };
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "index.js": `/**
 * ${name}: an NS-LLM plugin. Each exported function is a hook the node calls in this plugin's own
 * worker thread (see node/docs/plugins.md for every hook's input and output).
 */

/** Answers that name this word are refused (layer "plugin" in the verdict). */
export const BANNED = "abracadabra";

/**
 * Called for each unit of an answer (a sentence) before it is sent, and once at the end (final).
 * @param {{ prompt: string, unit: string, text: string, final: boolean }} input
 */
export function answer({ text }) {
  const words = (text.match(/[\\p{L}\\p{N}]+/gu) ?? []).length;
  if (text.toLowerCase().includes(BANNED)) return { refuse: \`names "\${BANNED}"\`, score: words };
  return { score: words };
}

/**
 * Called after each answer is recorded (its audit entry written).
 * @param {{ route: string, source: string, model: string, ms: number, verdict: "pass" | "refused" | null }} input
 */
export function answered({ verdict }) {
  return { metrics: [{ name: "starter_answers_total", op: "inc", labels: { verdict: verdict ?? "none" } }] };
}
`,
    "test/plugin.test.js": `import assert from "node:assert/strict";
import { test } from "node:test";
import { answer, answered, BANNED } from "../index.js";

test("scores an answer by its words", () => {
  assert.deepEqual(answer({ prompt: "hi", unit: "Hello there, friend. ", text: "Hello there, friend. ", final: false }), { score: 3 });
});

test("refuses an answer that names the banned word", () => {
  const out = answer({ prompt: "hi", unit: \`Say \${BANNED}. \`, text: \`Say \${BANNED}. \`, final: false });
  assert.equal(out.refuse, \`names "\${BANNED}"\`);
});

test("counts answers by verdict", () => {
  assert.deepEqual(answered({ route: "/generate", source: "llm", model: "m", ms: 5, verdict: "pass" }).metrics, [
    { name: "starter_answers_total", op: "inc", labels: { verdict: "pass" } },
  ]);
});
`,
    "README.md": `# ${name}

An NS-LLM plugin made with \`ns-llm plugin init\`. Hooks: \`answer\` (scores each answer by its
words, refuses one that names "abracadabra"), \`answered\` (counts answers by verdict on /metrics as
\`ns_llm_plugin_starter_answers_total\`, with a panel on the dApp's node page).

    npm test                                  # the plugin's own tests
    npx ns-llm plugin check ./${name}         # load it as a node would: digest, a call of each hook
    NS_LLM_PLUGINS=./${name} npx ns-llm serve --demo --no-chain
`,
  };
}
