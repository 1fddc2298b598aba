/** The dApp's plain functions: manifests from the forms against the real schema, diffs, decoding, wording. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { ContractFunctionRevertedError, encodeErrorResult, encodeFunctionData, getAddress, parseEther, zeroAddress, type Hex } from "viem";
import { modelRegistryAbi, nsGovernorAbi, roleId, type Deployment } from "@ns-llm/contracts";
import { allErrorsAbi, withAllErrors } from "../lib/abi.ts";
import { describeError } from "../lib/errors.ts";
import { formatBytes, formatDuration, formatTokens } from "../lib/format.ts";
import { adoptionDescription, adoptionOf, decodeActions, descriptionTitle } from "../lib/governance.ts";
import { diffManifests } from "../lib/manifest.ts";
import { EMPTY_MODEL_DRAFT, EMPTY_PARAMETERS_DRAFT, modelManifest, parametersDraftValues, parametersManifest } from "../lib/manifest-forms.ts";
import { parameterFields, rangeHint } from "../lib/parameters-schema.ts";
import { validateManifest } from "../lib/validate-manifest.ts";
import { REPO_ROOT } from "./harness/paths.ts";

const readManifest = async (file: string) => JSON.parse(await readFile(path.join(REPO_ROOT, "manifests", file), "utf8")) as unknown;

test("the manifests in the repository pass the browser's schema check", async () => {
  for (const file of ["examples/parameters-change.json", "tinyllama-1.1b-chat-v1.0-q4_k_m.json", "all-minilm-l6-v2.json"]) {
    const manifest = await readManifest(file);
    assert.deepEqual(validateManifest(manifest), { ok: true, manifest }, file);
  }
});

test("the parameters form offers exactly the schema's fields, with the schema's titles, units and ranges", async () => {
  const schema = JSON.parse(await readFile(path.join(REPO_ROOT, "manifests/schema.json"), "utf8")) as { $defs: { parameters: { properties: Record<string, { type?: string; properties?: Record<string, unknown> }> } } };
  const leaves = Object.entries(schema.$defs.parameters.properties).flatMap(([key, node]) => (node.type === "object" ? Object.keys(node.properties ?? {}).map((k) => `${key}.${k}`) : [key]));
  assert.deepEqual(parameterFields().map((f) => f.path).sort(), leaves.sort());
  const deny = parameterFields().find((f) => f.path === "validation.denyPatterns");
  if (deny) {
    assert.equal(deny.kind, "lines");
    assert.match(deny.description ?? "", /substring/);
    assert.doesNotMatch(deny.description ?? "", /is a regular expression/);
  }
  const timeout = parameterFields().find((f) => f.path === "limits.requestTimeoutMs");
  if (timeout) assert.equal(rangeHint(timeout), `whole number, ${100} – ${3_600_000}`);
});

test("the parameters form makes a valid manifest from every field, starts from the current one, and leaves out empty fields", () => {
  const current = { temperature: 0.7, topK: 40, limits: { maxQueue: 32 }, validation: { denyPatterns: ["x"] } };
  const values = parametersDraftValues(current);
  assert.deepEqual(values, { temperature: "0.7", topK: "40", "limits.maxQueue": "32", "validation.denyPatterns": "x" });
  const manifest = parametersManifest({ name: "parameters-cool", description: "", values: { ...values, temperature: "0.4", "validation.denyPatterns": "a\n\n b ", "limits.requestTimeoutMs": "5000", topP: "" } });
  assert.deepEqual(validateManifest(manifest), { ok: true, manifest: manifest });
  assert.deepEqual(manifest.parameters, { temperature: 0.4, topK: 40, limits: { maxQueue: 32, requestTimeoutMs: 5000 }, validation: { denyPatterns: ["a", "b"] } });
});

test("the parameters form writes the governed plugins as name@version digest lines", () => {
  const digest = "a".repeat(64);
  const current = { plugins: { required: [{ name: "@acme/ns-llm-plugin-x", version: "1.2.0", digest }], forbidden: [{ name: "bad-plugin" }] } };
  const values = parametersDraftValues(current);
  assert.deepEqual(values, { "plugins.required": `@acme/ns-llm-plugin-x@1.2.0 ${digest}`, "plugins.forbidden": "bad-plugin" });
  const manifest = parametersManifest({ name: "parameters-plugins", description: "", values });
  assert.deepEqual(validateManifest(manifest), { ok: true, manifest });
  assert.deepEqual(manifest.parameters, current);
  const bad = validateManifest(parametersManifest({ name: "parameters-plugins", description: "", values: { "plugins.required": "x zzz" } }));
  assert.equal(bad.ok, false);
});

test("a bad form is refused before anything is sent, naming each field", () => {
  const manifest = parametersManifest({ ...EMPTY_PARAMETERS_DRAFT, name: "Not Lower", values: { temperature: "3", maxTokens: "many" } });
  const result = validateManifest(manifest);
  assert.equal(result.ok, false);
  const errors = result.ok ? [] : result.errors;
  assert.ok(errors.some((e) => e.startsWith("name ")), errors.join("; "));
  assert.ok(errors.some((e) => e === "parameters.temperature must be <= 2"), errors.join("; "));
  assert.ok(errors.some((e) => e === "parameters.maxTokens must be integer"), errors.join("; "));
});

test("the model form needs each artifact's sha256, size and path", () => {
  const empty = validateManifest(modelManifest({ ...EMPTY_MODEL_DRAFT, name: "tiny" }));
  assert.equal(empty.ok, false);
  const filled = modelManifest({
    ...EMPTY_MODEL_DRAFT,
    name: "tiny",
    artifacts: [{ path: "model.gguf", sha256: "AB".repeat(32), size: "1024", sources: "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy\nhttps://example.org/model.gguf" }],
  });
  const checked = validateManifest(filled);
  assert.deepEqual(checked, { ok: true, manifest: filled });
  assert.ok(checked.ok && checked.manifest.model);
  const artifacts = checked.manifest.model.artifacts;
  assert.equal(artifacts[0]?.sha256, "ab".repeat(32), "digests are lower-cased");
  const embedding = validateManifest(modelManifest({ ...EMPTY_MODEL_DRAFT, role: "embedding", format: "onnx", name: "mini", artifacts: artifacts.map((a) => ({ ...a, size: String(a.size), sources: "" })) }));
  assert.ok(embedding.ok, JSON.stringify(embedding));
  assert.equal(embedding.manifest.model?.dimensions, 384);
  // A moderation classifier (the toxicity layer's model): ONNX, and no dimensions of an embedding.
  const moderation = validateManifest(modelManifest({ ...EMPTY_MODEL_DRAFT, role: "moderation", format: "onnx", name: "toxic-bert", artifacts: artifacts.map((a) => ({ ...a, path: "model.onnx", size: String(a.size), sources: "" })) }));
  assert.ok(moderation.ok, JSON.stringify(moderation));
  assert.equal(moderation.manifest.role, "moderation");
  assert.equal(moderation.manifest.model?.dimensions, undefined);
  assert.equal(moderation.manifest.model?.contextLength, undefined);
  // An image encoder (the vision role): ONNX, its dimensions, its image size and the text model it pairs with.
  const visionDraft = { ...EMPTY_MODEL_DRAFT, role: "vision" as const, format: "onnx" as const, name: "clip-vision", dimensions: "512", pairedEmbedding: "clip-text", artifacts: artifacts.map((a) => ({ ...a, path: "vision_model.onnx", size: String(a.size), sources: "" })) };
  const vision = validateManifest(modelManifest(visionDraft));
  assert.ok(vision.ok, JSON.stringify(vision));
  assert.deepEqual([vision.manifest.model?.dimensions, vision.manifest.model?.image, vision.manifest.model?.pairedEmbedding], [512, { size: 224 }, "clip-text"]);
  const noSize = validateManifest(modelManifest({ ...visionDraft, imageSize: "" }));
  assert.equal(noSize.ok, false, "a vision model says how large its images are");
});

test("diffManifests lists each changed field with both values", () => {
  const changes = diffManifests(
    { name: "a", parameters: { temperature: 0.7, validation: { denyPatterns: ["x"] } } },
    { name: "b", parameters: { temperature: 0.7, topP: 0.9, validation: { denyPatterns: ["x", "y"] } } },
  );
  assert.deepEqual(changes, [
    { path: "name", before: "a", after: "b" },
    { path: "parameters.topP", before: undefined, after: 0.9 },
    { path: "parameters.validation.denyPatterns", before: ["x"], after: ["x", "y"] },
  ]);
});

test("a proposal's calldata decodes to the adoption it makes", () => {
  const address = (n: number) => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
  const deployment: Deployment = {
    chainId: 31337,
    startBlock: 0,
    contracts: { NSToken: { address: address(1) }, NSTimelock: { address: address(2) }, NSGovernor: { address: address(3) }, ModelRegistry: { address: address(4) }, AuditAnchor: { address: address(5) } },
  };
  const digest: Hex = `0x${"11".repeat(32)}`;
  const calldata = encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId("parameters"), "bafkreicid", digest] });
  const actions = decodeActions(deployment, [address(4), address(9)], [0n, 0n], [calldata, "0x1234"]);
  assert.deepEqual(actions[0], { kind: "adopt", target: address(4), value: 0n, role: "parameters", roleId: roleId("parameters"), cid: "bafkreicid", digest });
  assert.equal(actions[1]?.kind, "raw");
  assert.equal(adoptionOf(actions)?.cid, "bafkreicid");
});

test("a revert is told by its custom error's name, arguments and meaning", () => {
  const abi = withAllErrors(nsGovernorAbi);
  const data = encodeErrorResult({ abi, errorName: "GovernorInsufficientProposerVotes", args: [zeroAddress, 0n, parseEther("1")] });
  const error = new ContractFunctionRevertedError({ abi, data, functionName: "propose" });
  assert.equal(
    describeError(error),
    `Reverted: GovernorInsufficientProposerVotes(proposer: ${zeroAddress}, votes: 0, threshold: 1000000000000000000) — your voting power is below the proposal threshold; get tokens and delegate them first`,
  );
  // The registry's errors decode through the governor's ABI too (a call reverts with the callee's error).
  const registryError = encodeErrorResult({ abi: modelRegistryAbi, errorName: "ModelRegistryEmptyManifest" });
  assert.match(describeError(new ContractFunctionRevertedError({ abi, data: registryError, functionName: "execute" })), /^Reverted: ModelRegistryEmptyManifest\(\)/);
  const names = allErrorsAbi.map((e) => e.name);
  assert.equal(new Set(names).size, names.length, "each error once");
});

test("descriptions and figures read well", () => {
  const description = adoptionDescription("tiny", "generation", "bafkcid", `0x${"00".repeat(32)}`, "A small model.");
  assert.equal(description, `# Adopt tiny for generation\n\nA small model.\n\nmanifest: ipfs://bafkcid\ndigest: 0x${"00".repeat(32)}`);
  assert.equal(descriptionTitle(description), "Adopt tiny for generation");
  assert.equal(formatTokens(parseEther("1234.5678")), "1,234.56 NSG");
  assert.equal(formatTokens(0n), "0 NSG");
  assert.equal(formatDuration(3725), "1 h 2 min");
  assert.equal(formatDuration(0), "0 s");
  assert.equal(formatBytes(668_788_096), "637.8 MiB");
});

test("the browser's manifest digest and CID are the node's: canonical bytes, sha256 by Web Crypto, CIDv1 raw", async () => {
  const { manifestIdentity, encodeAndIdentify, checkManifestBytes, manifestMismatch } = await import("../lib/manifest-hash.ts");
  const { computeCid } = await import("../../node/src/ipfs/import-options.ts");
  const { encodeManifest, manifestDigest } = await import("@ns-llm/contracts");
  const manifest = await readManifest("examples/parameters-change.json");
  const { bytes, digest, cid } = await encodeAndIdentify(manifest);
  assert.deepEqual(bytes, encodeManifest(manifest));
  assert.equal(digest, manifestDigest(bytes));
  assert.equal(cid, await computeCid(bytes));
  assert.match(cid, /^bafkrei/);

  // The bytes the chain names pass; one byte changed fails on both; right bytes under another CID fail on the CID.
  assert.equal(manifestMismatch(await checkManifestBytes(bytes, { cid, digest })), undefined);
  const altered = new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/"temperature": [\d.]+/, '"temperature": 1.9'));
  assert.notDeepEqual(altered, bytes);
  const lie = await checkManifestBytes(altered, { cid, digest });
  assert.deepEqual([lie.digestOk, lie.cidOk], [false, false]);
  assert.match(manifestMismatch(lie)!, /not the ones the chain committed to: they hash to 0x[0-9a-f]{64}, but the chain names digest/);
  const other = await manifestIdentity(altered);
  const swapped = await checkManifestBytes(bytes, { cid: other.cid!, digest });
  assert.deepEqual([swapped.digestOk, swapped.cidOk], [true, false]);
  assert.deepEqual((await checkManifestBytes(bytes, { cid: "not-a-cid", digest })).cidOk, false);

  // Above one IPFS block the CID is a UnixFS DAG: the browser checks the digest only.
  const big = new Uint8Array(300_000).fill(0x20);
  assert.equal((await manifestIdentity(big)).cid, undefined);
  const dag = await computeCid(big);
  const checked = await checkManifestBytes(big, { cid: dag, digest: manifestDigest(big) });
  assert.deepEqual([checked.digestOk, checked.cidOk], [true, undefined]);
});

test("an audit entry is the record of the answer on screen only when its input and output hashes are the prompt's and the answer's", async () => {
  const { checkAnswerEntry } = await import("../lib/answer-check.ts");
  const { chatDigest, textDigest } = await import("@ns-llm/contracts");
  const messages = [{ role: "user" as const, content: "Hello node, who are you?" }];
  const shown = { messages, text: "I am a demo model." };
  const entry = { seq: 7, type: "request", inputSha256: chatDigest(messages), outputSha256: textDigest("I am a demo model.") };
  assert.equal(checkAnswerEntry(entry, 7, shown).ok, true);
  const unrelated = { ...entry, inputSha256: textDigest("another prompt"), outputSha256: textDigest("another answer") };
  const result = checkAnswerEntry(unrelated, 7, shown);
  assert.equal(result.ok, false);
  assert.match((result as { reason: string }).reason, /records another exchange.*not its own/);
  assert.match((checkAnswerEntry({ ...entry, outputSha256: textDigest("edited") }, 7, shown) as { reason: string }).reason, /records another answer/);
  assert.match((checkAnswerEntry({ ...entry, inputSha256: textDigest("x") }, 7, shown) as { reason: string }).reason, /records another prompt/);
  assert.match((checkAnswerEntry({ ...entry, type: "adoption" }, 7, shown) as { reason: string }).reason, /not the record of an answer/);
  assert.equal(checkAnswerEntry(entry, 8, shown).ok, false);
});
