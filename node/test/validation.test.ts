/**
 * The validation layers without a chain: Unicode-correct deny matching, RE2 rules and their
 * manifest checks, coherence's parts, and the streaming gate (units released only once checked,
 * nothing of a refused unit sent).
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseManifest, ManifestError } from "../src/manifest/index.ts";
import { DenyFilter } from "../src/serving/index.ts";
import { json, startTestNode, type TestNode } from "./helpers/api-node.ts";
import { AnswerGate, coherenceOf, lexiconScore, policyOf, repetition, splitUnits, toxicityOf, type ToxicityClassifier } from "../src/validation/index.ts";

describe("DenyFilter on the original text", () => {
  it("cuts at the exact original offset when lower-casing changes lengths", () => {
    // "İ" lower-cases to two UTF-16 units: an index in the lower-cased text would cut one unit late.
    const filter = new DenyFilter(["secret"]);
    const out = ["İİİ the SEC", "RET is"].map((t) => filter.push(t)).join("") + filter.flush();
    assert.equal(out, "İİİ the ");
    assert.equal(filter.emitted, "İİİ the ");
  });

  it("never splits a surrogate pair while holding back", () => {
    const filter = new DenyFilter(["ab"]);
    const pieces = ["x😀", "y😀", "a"].map((t) => filter.push(t));
    for (const piece of pieces) assert.ok(!/[\uD800-\uDBFF]$/.test(piece), `no lone high surrogate at the end of ${JSON.stringify(piece)}`);
    assert.equal(pieces.join("") + filter.flush(), "x😀y😀a");
  });

  it("folds case fully: a pattern whose folding differs in length matches either spelling", () => {
    const filter = new DenyFilter(["straße"]);
    assert.equal(filter.push("Die STRASSE hier") + filter.flush(), "Die ");
    const other = new DenyFilter(["STRASSE"]);
    assert.equal(other.push("Die Straße hier") + other.flush(), "Die ");
  });
});

describe("contributor rules at manifest validation", () => {
  const manifest = (rules: unknown[], extra: Record<string, unknown> = {}) => ({
    schema: "ns-llm.manifest/v1",
    role: "parameters",
    name: "rules",
    parameters: { validation: { rules, ...extra } },
  });
  const problems = (value: unknown) => {
    try {
      parseManifest(value as object);
      return [];
    } catch (error) {
      return (error as ManifestError).problems;
    }
  };

  it("accepts RE2 rules, phrases and topic scopes", () => {
    assert.deepEqual(
      problems(manifest([
        { id: "keys", kind: "regex", pattern: "0x[0-9a-f]{64}", flags: "i" },
        { id: "no-medical", kind: "forbid", phrase: "diagnosis", when: "\\bhealth\\b" },
        { id: "cite", kind: "require", phrase: "source:" },
      ], { minChars: 1, maxChars: 4000 })),
      [],
    );
  });

  it("refuses back-references, look-around, huge programs, unknown flags, duplicate ids and bounds the wrong way round, with reasons", () => {
    const found = problems(manifest([
      { id: "a", kind: "regex", pattern: "(a)\\1" },
      { id: "b", kind: "regex", pattern: "x", when: "(?<=y)z" },
      { id: "c", kind: "regex", pattern: "(abcdefghijklmnopqrstuvwxyz){1000}" },
      { id: "a", kind: "forbid", phrase: "p" },
      { id: "e", kind: "regex", pattern: "x", flags: "g" },
      { id: "f", kind: "forbid", pattern: "x" },
    ], { minChars: 10, maxChars: 5 }));
    const at = (pointer: string) => found.find((p) => p.pointer === pointer)?.message ?? "";
    assert.match(at("/parameters/validation/rules/0/pattern"), /does not compile/);
    assert.match(at("/parameters/validation/rules/1/when"), /does not compile/);
    assert.match(at("/parameters/validation/rules/2/pattern"), /more than 20000/);
    assert.match(at("/parameters/validation/rules/3/id"), /duplicates \/parameters\/validation\/rules\/0\/id/);
    assert.ok(at("/parameters/validation/rules/4/flags") !== "", "unknown flag refused");
    assert.match(at("/parameters/validation/rules/5"), /forbid or require rule takes phrase/);
    assert.match(at("/parameters/validation/minChars"), /more than maxChars/);
  });

  it("refuses a moderation manifest that is not ONNX", () => {
    const found = problems({ schema: "ns-llm.manifest/v1", role: "moderation", name: "m", model: { format: "gguf", artifacts: [{ path: "m.gguf", sha256: "0".repeat(64), size: 1, sources: [] }] } });
    assert.ok(found.some((p) => p.pointer === "/model/format"));
  });
});

describe("scores", () => {
  it("repetition is 0 for varied text and near 1 for a loop", () => {
    assert.equal(repetition("the quick brown fox jumps over the lazy dog"), 0);
    assert.ok(repetition("go on and on. ".repeat(20)) > 0.7);
    assert.equal(coherenceOf(0, null).coherence, 1);
    assert.equal(coherenceOf(0.5, 0).coherence, 0.25);
  });

  it("the lexicon floor catches obfuscated terms; logits map to a probability of toxic", () => {
    assert.equal(lexiconScore("what a fuuuuck mess"), 1);
    assert.equal(lexiconScore("you are a b1tch"), 1);
    assert.equal(lexiconScore("the water is good"), 0);
    assert.equal(toxicityOf([0]), 0.5);
    assert.ok(Math.abs(toxicityOf([0, Math.log(3)]) - 0.75) < 1e-9); // softmax of two
    assert.ok(toxicityOf([-5, 3, -5]) > 0.95); // multi-label: the highest sigmoid
  });

  it("cuts text into sentences, lines and windows at spaces", () => {
    assert.deepEqual(splitUnits("One. Two!\nThree"), ["One. ", "Two!\n", "Three"]);
    const long = "word ".repeat(100);
    for (const unit of splitUnits(long)) assert.ok(unit.length <= 200 && unit.endsWith(" "));
  });
});

/** A classifier that calls any unit containing "war" toxic. */
const fake: ToxicityClassifier = {
  info: { name: "fake", path: "", labels: 1 },
  score: async (texts) => texts.map((t) => (/\bwar\b/i.test(t) ? 0.9 : 0.1)),
  dispose: async () => {},
};

function gate(validation: Record<string, unknown>, prompt = "tell me") {
  const sent: string[] = [];
  let stopped = 0;
  const g = new AnswerGate({
    prompt,
    policy: policyOf({ validation }),
    classifier: { engine: fake, manifest: "bafy" },
    embed: undefined,
    send: (t) => sent.push(t),
    stop: () => stopped++,
  });
  return { g, sent, stopped: () => stopped };
}

describe("AnswerGate", () => {
  it("streams ungated and scores at the end when nothing could refuse", async () => {
    const { g, sent } = gate({});
    g.push("peace. ");
    assert.deepEqual(sent, ["peace. "]);
    g.push("war.");
    const verdict = await g.finish();
    assert.equal(verdict.verdict, "pass");
    assert.equal(verdict.toxicity, 0.9);
  });

  it("releases a unit only once checked and sends nothing of the toxic one", async () => {
    const { g, sent, stopped } = gate({ maxToxicity: 0.5 });
    for (const piece of ["Peace is", " good. And", " then war", " came. More."]) g.push(piece);
    assert.deepEqual(sent, [], "nothing before the first check");
    const verdict = await g.finish();
    assert.deepEqual(sent, ["Peace is good. "]);
    assert.equal(g.text, "Peace is good. ");
    assert.equal(stopped(), 1);
    assert.equal(verdict.verdict, "refused");
    assert.equal(verdict.layer, "toxicity");
    assert.equal(verdict.toxicity, 0.9);
  });

  it("applies rules by topic, length bounds and required phrases", async () => {
    const rules = [
      { id: "no-key", kind: "regex", pattern: "0x[0-9a-f]{8}", flags: "i" },
      { id: "cite", kind: "require", phrase: "SOURCE:", when: "cite" },
    ];
    const a = gate({ rules }, "please cite");
    a.g.push("Fine. The key is 0xDEADBEEF. ");
    assert.deepEqual({ ...(await a.g.finish()), scorer: undefined }.layer, "rule");
    assert.equal(a.g.text, "Fine. ");

    const b = gate({ rules }, "please cite");
    b.g.push("No reference here.");
    const vb = await b.g.finish();
    assert.equal(vb.layer, "rule");
    assert.match(vb.detail!, /cite/);

    const c = gate({ rules }, "no topic");
    c.g.push("No reference here.");
    assert.equal((await c.g.finish()).verdict, "pass");

    const d = gate({ maxChars: 10 });
    d.g.push("Short. This is longer.");
    const vd = await d.g.finish();
    assert.equal(vd.layer, "length");
    assert.equal(d.g.text, "Short. ");
  });

  it("refuses a degenerate loop on coherence once it has enough words", async () => {
    const { g, sent } = gate({ minCoherence: 0.5 });
    g.push("A fine start here. ");
    for (let i = 0; i < 10; i++) g.push("and on and on. ");
    const verdict = await g.finish();
    assert.equal(verdict.layer, "coherence");
    assert.ok(verdict.repetition! > 0.5);
    assert.ok(sent.join("").startsWith("A fine start here. "));
    assert.ok(sent.length < 11, "stopped before the end");
  });
});

describe("the search fallback passes the same layers", () => {
  let node: TestNode;
  before(async () => {
    const probe = await startTestNode({ demo: false });
    const corpus = path.join(probe.home, "docs");
    await probe.close();
    await mkdir(corpus, { recursive: true });
    await writeFile(
      path.join(corpus, "guide.md"),
      "# Keys\n\nA node keeps its keys safe. Never share the recovery words of a wallet. The operator key signs anchors.\n",
    );
    node = await startTestNode({ demo: false, corpus: [corpus] });
    const stop = node.stop;
    node.stop = async () => {
      await stop();
      await probe.stop();
    };
  });
  after(() => node?.stop());

  it("stops a search answer at the unit that breaks a rule, and says which", async () => {
    const free = (await (await fetch(`${node.url}/generate`, json({ prompt: "recovery words of a wallet" }))).json()) as { text: string; source: string };
    assert.equal(free.source, "search");
    assert.match(free.text, /recovery words/);
    node.governed.apply({ validation: { rules: [{ id: "no-recovery", kind: "forbid", phrase: "RECOVERY WORDS" }] } });
    const body = (await (await fetch(`${node.url}/generate`, json({ prompt: "recovery words of a wallet" }))).json()) as {
      text: string;
      source: string;
      finishReason: string;
      validation: { verdict: string; layer: string; detail: string };
    };
    assert.equal(body.source, "search");
    assert.equal(body.finishReason, "content_filter");
    assert.deepEqual([body.validation.verdict, body.validation.layer, body.validation.detail], ["refused", "rule", "no-recovery"]);
    assert.ok(!/recovery/i.test(body.text), "nothing of the refused unit");
    assert.ok(free.text.startsWith(body.text), "the units before it are sent");
  });
});
