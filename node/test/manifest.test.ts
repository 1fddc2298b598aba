import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import {
  ManifestError,
  canonicalManifestJson,
  encodeManifest,
  manifestDigest,
  parseAdoptedManifest,
  parseManifest,
  type Manifest,
} from "../src/manifest/index.ts";

const HEX = "0123456789abcdef".repeat(4);
const manifestsDir = path.join(import.meta.dirname, "..", "..", "manifests");

function embedding(overrides: Record<string, unknown> = {}, artifacts?: unknown[]): Record<string, unknown> {
  return {
    schema: "ns-llm.manifest/v1",
    role: "embedding",
    name: "mini",
    model: {
      format: "onnx",
      dimensions: 384,
      artifacts: artifacts ?? [
        { path: "model.onnx", sha256: HEX, size: 100, sources: ["https://example.org/model.onnx", "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"] },
        { path: "vocab.txt", sha256: HEX.replace("0", "1"), size: 10, sources: ["https://example.org/vocab.txt"] },
      ],
    },
    ...overrides,
  };
}

function artifact(p: string, extra: Record<string, unknown> = {}) {
  return { path: p, sha256: HEX, size: 1, sources: ["https://example.org/a"], ...extra };
}

/** The problems of a refused manifest. */
function refuse(input: unknown, options: { maxTotalBytes?: number } = {}): ManifestError {
  try {
    parseManifest(input as object, options);
  } catch (error) {
    assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${String(error)}`);
    return error;
  }
  assert.fail("the manifest was accepted");
}

function hasProblem(error: ManifestError, pointer: string, text: string | RegExp): void {
  const match = error.problems.find((p) => p.pointer === pointer && (typeof text === "string" ? p.message.includes(text) : text.test(p.message)));
  assert.ok(match, `no problem at ${pointer} matching ${text}; got ${JSON.stringify(error.problems)}`);
  assert.ok(error.message.includes(pointer), "the message names every problem's place");
}

describe("parseManifest", () => {
  it("accepts a valid manifest given as object, text or bytes", () => {
    const value = embedding();
    const text = JSON.stringify(value);
    for (const input of [value, text, new TextEncoder().encode(text)]) {
      const manifest = parseManifest(input);
      assert.equal(manifest.role, "embedding");
      assert.equal(manifest.name, "mini");
    }
  });

  it("accepts a parameters manifest; an empty sources list only for local files (requireSources: false)", () => {
    const m = parseManifest({ schema: "ns-llm.manifest/v1", role: "parameters", name: "p", parameters: { temperature: 0.7, maxTokens: 64 } });
    assert.equal(m.role, "parameters");
    parseManifest(embedding({}, [artifact("model.onnx", { sources: [] })]), { requireSources: false });
    hasProblem(refuse(embedding({}, [artifact("model.onnx", { sources: [] })])), "/model/artifacts/0/sources", "is empty: name at least one");
  });

  it("does not keep a reference to the caller's object", () => {
    const value = embedding();
    const m = parseManifest(value) as Extract<Manifest, { role: "embedding" }>;
    (value.model as { dimensions: number }).dimensions = 1;
    assert.equal(m.model.dimensions, 384);
  });

  it("refuses an unknown schema", () => {
    hasProblem(refuse(embedding({ schema: "ns-llm.manifest/v2" })), "/schema", "unknown schema");
  });

  it("refuses missing fields, naming each", () => {
    const e = refuse({ schema: "ns-llm.manifest/v1", role: "generation" });
    hasProblem(e, "/name", "is required");
    hasProblem(e, "/model", "is required");
    const p = refuse({ schema: "ns-llm.manifest/v1", role: "parameters", name: "p" });
    hasProblem(p, "/parameters", "is required");
    const a = refuse(embedding({}, [{ path: "model.onnx" }]));
    hasProblem(a, "/model/artifacts/0/sha256", "is required");
    hasProblem(a, "/model/artifacts/0/size", "is required");
    hasProblem(a, "/model/artifacts/0/sources", "is required");
  });

  it("refuses unknown fields and wrong types and ranges", () => {
    const e = refuse({ ...embedding(), extra: 1, parameters: { temperature: 3, topP: -1, maxTokens: 0 } });
    hasProblem(e, "/extra", "not a known field");
    hasProblem(e, "/parameters/temperature", "<= 2");
    hasProblem(e, "/parameters/topP", ">= 0");
    hasProblem(e, "/parameters/maxTokens", ">= 1");
  });

  it("refuses non-hex, upper-case and short digests", () => {
    const e = refuse(embedding({}, [artifact("a", { sha256: "xyz" }), artifact("b", { sha256: HEX.toUpperCase() }), artifact("c", { sha256: HEX.slice(1) })]));
    for (const i of [0, 1, 2]) hasProblem(e, `/model/artifacts/${i}/sha256`, "64 lower-case hex digits");
  });

  it("refuses negative and fractional sizes", () => {
    const e = refuse(embedding({}, [artifact("a", { size: -1 }), artifact("b", { size: 1.5 })]));
    hasProblem(e, "/model/artifacts/0/size", ">= 0");
    hasProblem(e, "/model/artifacts/1/size", "integer");
  });

  it("refuses paths that leave their folder: '..', absolute, backslash, drive letter, empty segments", () => {
    const e = refuse(
      embedding({}, [
        artifact("../model.onnx"),
        artifact("a/../../b"),
        artifact("/etc/passwd"),
        artifact("a\\b.txt"),
        artifact("C:/model.onnx"),
        artifact("a//b"),
        artifact("a/b/"),
        artifact("./a"),
      ]),
    );
    hasProblem(e, "/model/artifacts/0/path", "'..'");
    hasProblem(e, "/model/artifacts/1/path", "'..'");
    hasProblem(e, "/model/artifacts/2/path", "absolute");
    hasProblem(e, "/model/artifacts/3/path", "backslash");
    hasProblem(e, "/model/artifacts/4/path", "drive letter");
    hasProblem(e, "/model/artifacts/5/path", "empty segment");
    hasProblem(e, "/model/artifacts/6/path", "empty segment");
    hasProblem(e, "/model/artifacts/7/path", "'.' segment");
    // one clear reason per place: no generic schema "pattern" message beside the specific one
    assert.ok(!e.problems.some((p) => p.message.includes("relative '/'-separated path")));
  });

  it("refuses duplicate paths, case-only twins and file/folder clashes", () => {
    const e = refuse(embedding({}, [artifact("model.onnx"), artifact("model.onnx"), artifact("Model.onnx"), artifact("model.onnx/x")]));
    hasProblem(e, "/model/artifacts/1/path", "duplicates /model/artifacts/0/path");
    hasProblem(e, "/model/artifacts/2/path", "differs only in case");
    hasProblem(e, "/model/artifacts/3/path", "a file cannot also be a folder");
  });

  it("refuses a total size above the node's limit", () => {
    parseManifest(embedding(), { maxTotalBytes: 110 });
    hasProblem(refuse(embedding(), { maxTotalBytes: 109 }), "/model/artifacts", "above this node's limit of 109 bytes");
  });

  it("refuses unsupported source schemes and non-URLs", () => {
    const e = refuse(embedding({}, [artifact("a", { sources: ["ftp://example.org/a", "file:///etc/passwd", "not a url", "https://user:pw@example.org/a"] })]));
    hasProblem(e, "/model/artifacts/0/sources/0", 'unsupported scheme "ftp:"');
    hasProblem(e, "/model/artifacts/0/sources/1", 'unsupported scheme "file:"');
    hasProblem(e, "/model/artifacts/0/sources/2", "not a URL");
    hasProblem(e, "/model/artifacts/0/sources/3", "credentials");
  });

  it("refuses a model format that does not fit the role, and a model on a parameters manifest", () => {
    hasProblem(refuse({ ...embedding(), role: "generation" }), "/model/format", '"gguf"');
    hasProblem(refuse({ ...embedding(), role: "parameters", parameters: {} }), "/model", "cannot name a model");
  });

  it("lists every problem at once, in document order", () => {
    const e = refuse({ ...embedding({ schema: "x", name: "Bad Name" }, [artifact("../a", { sha256: "0" }), artifact("/b")]) }, { maxTotalBytes: 1 });
    const pointers = e.problems.map((p) => p.pointer);
    assert.deepEqual(pointers, [
      "/model/artifacts",
      "/model/artifacts/0/path",
      "/model/artifacts/0/sha256",
      "/model/artifacts/1/path",
      "/name",
      "/schema",
    ]);
    assert.equal(e.code, "manifest_invalid");
  });

  it("refuses bytes that are not JSON, not UTF-8, or too large", () => {
    assert.equal(refuse("{nope").code, "manifest_not_json");
    assert.equal(refuse(new Uint8Array([0x7b, 0xff, 0x7d])).code, "manifest_not_json");
    let tooLarge: unknown;
    try {
      parseManifest(JSON.stringify(embedding({ description: "x".repeat(2000) })), { maxManifestBytes: 1000 });
    } catch (error) {
      tooLarge = error;
    }
    assert.equal((tooLarge as ManifestError).code, "manifest_too_large");
  });
});

describe("digest and canonical form", () => {
  it("manifestDigest is 0x + sha256 of the exact bytes", () => {
    const bytes = new TextEncoder().encode('{"a":1}\n');
    assert.equal(manifestDigest(bytes), `0x${createHash("sha256").update(bytes).digest("hex")}`);
    assert.equal(manifestDigest('{"a":1}\n'), manifestDigest(bytes));
  });

  it("the canonical form sorts keys, indents by two and ends with a newline, whatever the key order", () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } };
    const b = { a: { c: "x", d: [3, { y: 2, z: 1 }] }, b: 1 };
    assert.equal(canonicalManifestJson(a), canonicalManifestJson(b));
    assert.equal(canonicalManifestJson(a), '{\n  "a": {\n    "c": "x",\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
    assert.equal(manifestDigest(encodeManifest(a)), manifestDigest(encodeManifest(b)));
  });

  it("parseAdoptedManifest checks the adopted digest first", () => {
    const bytes = encodeManifest(embedding());
    assert.equal(parseAdoptedManifest(bytes, manifestDigest(bytes)).name, "mini");
    assert.throws(() => parseAdoptedManifest(bytes, `0x${"0".repeat(64)}`), (e: unknown) => (e as ManifestError).code === "digest_mismatch");
  });
});

describe("the manifests of the repository", () => {
  const files = [
    ...readdirSync(manifestsDir).filter((f) => f.endsWith(".json") && f !== "schema.json"),
    ...readdirSync(path.join(manifestsDir, "examples")).map((f) => path.join("examples", f)),
  ];
  for (const file of files) {
    it(`${file} is valid and canonical`, () => {
      const bytes = readFileSync(path.join(manifestsDir, file));
      const manifest = parseManifest(bytes, { maxTotalBytes: 8 * 1024 ** 3 });
      assert.equal(bytes.toString("utf8"), canonicalManifestJson(manifest), "written with the canonical serializer");
    });
  }
});
