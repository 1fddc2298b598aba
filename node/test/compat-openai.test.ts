/**
 * OpenAI compatibility beyond text, through the official `openai` client against a real node on
 * the demo model: structured output (response_format json_schema and json_object), tool calls
 * (required, named, the round trip with the tool's result, streamed and not), logprobs, the
 * native /generate's `format`, and what the node refuses with a 400 that says why (and keeps
 * nothing of).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { chatDigest } from "@ns-llm/contracts";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";
import type { RequestEntry } from "../src/audit/index.ts";
import { json, startTestNode, type TestNode } from "./helpers/api-node.ts";

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] } }, required: ["city"], additionalProperties: false },
  },
};
const clock = { type: "function" as const, function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string", maxLength: 6 } } } } };

describe("OpenAI compatibility: structured output and tools", () => {
  let node: TestNode;
  let client: OpenAI;
  const auditEntry = (seq: number) => node.audit.log.entries(seq, 1)[0]!.entry as RequestEntry;
  const auditSize = () => node.audit.log.status().entries;

  before(async () => {
    // Four sequences: the 100 tries run four at a time, decoded together in one batch.
    node = await startTestNode({ sequences: 4 });
    client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => node?.stop());

  it("a json_schema answer parses and validates on every one of 100 tries", async () => {
    const schema = {
      type: "object",
      properties: {
        answer: { type: "string", maxLength: 8 },
        count: { type: "integer" },
        ok: { type: "boolean" },
        tags: { type: "array", items: { type: "string", enum: ["red", "green", "blue"] }, minItems: 1, maxItems: 2 },
      },
      required: ["answer", "count", "ok", "tags"],
      additionalProperties: false,
    };
    const validate = new Ajv2020().compile(schema);
    const tries = 100;
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < tries) {
        const i = next++;
        const r = await client.chat.completions.create({
          model: "ns-llm-demo-llama",
          messages: [{ role: "user", content: `Describe item ${i} as JSON.` }],
          max_tokens: 120,
          temperature: 1,
          seed: i,
          response_format: { type: "json_schema", json_schema: { name: "item", schema, strict: true } },
        });
        const choice = r.choices[0]!;
        let value: unknown;
        try {
          value = JSON.parse(choice.message.content ?? "");
        } catch {
          failures.push(`try ${i}: not JSON (${choice.finish_reason}): ${choice.message.content}`);
          continue;
        }
        if (!validate(value)) failures.push(`try ${i}: ${JSON.stringify(validate.errors)}: ${choice.message.content}`);
        if (choice.finish_reason !== "stop") failures.push(`try ${i}: finish_reason ${choice.finish_reason}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    assert.deepEqual(failures, []);
  });

  it("json_object answers a JSON object, and the audit entry records the format", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "x", messages: [{ role: "user", content: "JSON please" }], max_tokens: 12, seed: 1, response_format: { type: "json_object" } })
      .withResponse();
    const text = data.choices[0]!.message.content!;
    assert.match(text, /^\{/);
    const entry = auditEntry(Number(response.headers.get("x-ns-llm-audit-seq")));
    assert.equal(entry.route, "/v1/chat/completions");
    assert.equal((entry.parameters as { format?: string }).format, "json_object");
  });

  it("tool round trip: a required call, then the tool's result, answered in text", async () => {
    const user = { role: "user" as const, content: "What is the weather in Paris?" };
    const first = await client.chat.completions.create({ model: "x", messages: [user], tools: [weather, clock], tool_choice: "required", max_tokens: 120, seed: 3 });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls![0]!;
    assert.equal(call.type, "function");
    assert.match(call.id, /^call_/);
    assert.ok(call.type === "function" && ["get_weather", "get_time"].includes(call.function.name));
    const args = JSON.parse(call.type === "function" ? call.function.arguments : "");
    const validate = new Ajv2020().compile(call.function.name === "get_weather" ? weather.function.parameters : clock.function.parameters);
    assert.ok(validate(args), JSON.stringify(args));

    // The client sends the call back with its result; the node answers from both.
    const { data: second, response } = await client.chat.completions
      .create({
        model: "x",
        messages: [user, choice.message, { role: "tool", tool_call_id: call.id, content: "18 C and sunny" }],
        tools: [weather, clock],
        max_tokens: 8,
        seed: 4,
      })
      .withResponse();
    assert.notEqual(second.choices[0]!.finish_reason, "tool_calls", "the demo model answers in words");
    assert.ok(second.choices[0]!.message.content!.length > 0);
    // What the model saw: the call as the assistant's JSON answer, the result as a user turn.
    const entry = auditEntry(Number(response.headers.get("x-ns-llm-audit-seq")));
    assert.equal(
      entry.inputSha256,
      chatDigest([
        user,
        { role: "assistant", content: JSON.stringify({ name: call.function.name, arguments: args }) },
        { role: "user", content: `Result of tool ${call.function.name}: 18 C and sunny` },
      ]),
    );
  });

  it("a named tool_choice, streamed: one tool_calls delta, then finish_reason tool_calls", async () => {
    const stream = await client.chat.completions.create({
      model: "x",
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [weather, clock],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 120,
      seed: 5,
      stream: true,
    });
    let name = "";
    let args = "";
    let content = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (!c) continue;
      content += c.delta.content ?? "";
      for (const t of c.delta.tool_calls ?? []) {
        name += t.function?.name ?? "";
        args += t.function?.arguments ?? "";
      }
      finish = c.finish_reason ?? finish;
    }
    assert.equal(finish, "tool_calls");
    assert.equal(content, "");
    assert.equal(name, "get_weather");
    assert.ok(["Paris", "Oslo"].includes(JSON.parse(args).city));
  });

  it("the stream helper of the client assembles the call", async () => {
    const runner = client.chat.completions.stream({
      model: "x",
      messages: [{ role: "user", content: "Time in UTC?" }],
      tools: [clock],
      tool_choice: "required",
      max_tokens: 120,
      seed: 6,
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    assert.equal(call.type === "function" && call.function.name, "get_time");
    assert.equal(typeof JSON.parse(call.type === "function" ? call.function.arguments : "").zone, "string");
  });

  it("with tools offered and auto, a plain answer streams as text", async () => {
    const stream = await client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hello" }], tools: [weather], max_tokens: 6, seed: 7, stream: true });
    let content = "";
    let pieces = 0;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) (content += piece), pieces++;
      assert.equal(chunk.choices[0]?.delta.tool_calls, undefined);
    }
    assert.ok(content.length > 0 && pieces > 1, "streamed piece by piece");
  });

  it("logprobs: one entry per token of the answer, greedy picks the likeliest, same text as without", async () => {
    const ask = { model: "x", messages: [{ role: "user" as const, content: "Tell me a story" }], max_tokens: 6, temperature: 0 };
    const plain = await client.chat.completions.create(ask);
    const r = await client.chat.completions.create({ ...ask, logprobs: true, top_logprobs: 3 });
    const text = r.choices[0]!.message.content!;
    assert.equal(text, plain.choices[0]!.message.content, "the token loop samples as LlamaChat does");
    const content = r.choices[0]!.logprobs!.content!;
    assert.equal(content.length, r.usage!.completion_tokens);
    assert.equal(content.map((e) => e.token).join("").trimStart(), text);
    for (const e of content) {
      assert.ok(e.logprob <= 0);
      assert.deepEqual(e.bytes, [...Buffer.from(e.token)]);
      assert.equal(e.top_logprobs.length, 3);
      assert.equal(e.top_logprobs[0]!.token, e.token, "temperature 0 takes the likeliest token");
      assert.ok(e.top_logprobs[0]!.logprob >= e.top_logprobs[1]!.logprob && e.top_logprobs[1]!.logprob >= e.top_logprobs[2]!.logprob);
    }
    assert.equal(plain.choices[0]!.logprobs, null);

    // Streamed: the last chunk carries the answer's logprobs.
    let streamed: typeof content = [];
    for await (const chunk of await client.chat.completions.create({ ...ask, logprobs: true, top_logprobs: 3, stream: true })) {
      streamed = streamed.concat(chunk.choices[0]?.logprobs?.content ?? []);
    }
    assert.deepEqual(streamed, content);

    // With a grammar: the tokens make up the JSON answer, not the grammar's closing newlines.
    const json = await client.chat.completions.create({
      ...ask,
      max_tokens: 80,
      temperature: 1,
      seed: 11,
      logprobs: true,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { a: { type: "string", maxLength: 6 } } } } },
    });
    assert.equal(json.choices[0]!.logprobs!.content!.map((e) => e.token).join("").trim(), json.choices[0]!.message.content);
    JSON.parse(json.choices[0]!.message.content!);
  });

  it("logprobs on legacy completions: parallel lists", async () => {
    const r = await client.completions.create({ model: "x", prompt: "Once upon", max_tokens: 4, temperature: 0, logprobs: 2 });
    const lp = r.choices[0]!.logprobs!;
    assert.equal(lp.tokens!.join(""), r.choices[0]!.text);
    assert.equal(lp.token_logprobs!.length, 4);
    assert.ok(lp.top_logprobs!.every((t) => Object.keys(t).length === 2));
    assert.deepEqual(lp.text_offset!.slice(0, 2), [0, lp.tokens![0]!.length]);
  });

  it("the native /generate takes the same formats: a JSON schema, or \"json\"", async () => {
    const schema = { type: "object", properties: { yes: { type: "boolean" }, n: { type: "integer" } } };
    const res = await fetch(`${node.url}/generate`, json({ prompt: "Answer as JSON:", maxTokens: 60, seed: 2, format: schema }));
    const body = await res.json();
    assert.equal(body.finishReason, "stop");
    assert.ok(new Ajv2020().compile(schema)(JSON.parse(body.text)), body.text);
    const bad = await fetch(`${node.url}/generate`, json({ prompt: "x", format: { type: "string", maxLength: 5, pattern: "a" } }));
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "unsupported_schema");
    assert.equal((await fetch(`${node.url}/generate`, json({ prompt: "x", format: "yaml" }))).status, 400);
  });

  it("refuses what it cannot do with a 400 that says why, and keeps nothing", async () => {
    const before = auditSize();
    const base = { model: "x", messages: [{ role: "user", content: "hi" }], max_tokens: 4 };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { id: { type: "string", pattern: "^[0-9]+$" } } } } } }, "unsupported_schema", /"pattern".*\/properties\/id\/pattern/],
      [{ response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "number", minimum: 0 } } } }, "unsupported_schema", /"minimum"/],
      [{ response_format: { type: "xml" } }, "invalid_request", /response_format/],
      [{ tools: [weather], tool_choice: { type: "function", function: { name: "get_stock" } } }, "invalid_request", /get_stock.*not among the tools/],
      [{ tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { x: { type: "string", format: "uri" } } } } }] }, "unsupported_schema", /format "uri"/],
      [{ tools: [{ type: "retrieval" }] }, "invalid_request", /only function tools/],
      [{ tool_choice: "required" }, "invalid_request", /no tools are given/],
      [{ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{not json" } }] }], tools: [weather] }, "invalid_request", /arguments must be a JSON object/],
      [{ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "format_disk", arguments: "{}" } }] }], tools: [weather] }, "invalid_request", /format_disk/],
      [{ messages: [{ role: "user", content: "hi" }, { role: "tool", tool_call_id: "nope", content: "x" }], tools: [weather] }, "invalid_request", /no assistant message made/],
      [{ messages: [{ role: "user", content: "hi" }, { role: "tool", content: "x" }], tools: [weather] }, "invalid_request", /needs the tool_call_id/],
      [{ n: 2 }, "invalid_request", /only n = 1/],
      [{ functions: [{ name: "f", parameters: {} }] }, "invalid_request", /deprecated form of tools/],
      [{ top_logprobs: 2 }, "invalid_parameter", /top_logprobs needs logprobs: true/],
      [{ logprobs: true, top_logprobs: 21 }, "invalid_request", /top_logprobs/],
    ];
    for (const [extra, code, message] of cases) {
      const res = await fetch(`${node.url}/v1/chat/completions`, json({ ...base, ...extra }));
      const body = await res.json();
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(body.error.code, code, JSON.stringify(body));
      assert.match(body.error.message, message);
    }
    // And through the client: its error carries the status and the node's message.
    await assert.rejects(
      client.chat.completions.create({ ...base, messages: [{ role: "user", content: "hi" }], response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "string", pattern: "a" } } } }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 400 && /pattern/.test(e.message),
    );
    assert.equal(auditSize(), before, "nothing was recorded");
  });
});
