/**
 * The pieces behind structured output and tool calls, without a model: which JSON schemas the node
 * enforces (and how it names what it refuses), and the tool-call protocol (history rendering,
 * enforced call schema, reading an answer as a call).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkJsonSchema } from "../src/inference/index.ts";
import { mayBeCall, planTools, type ToolSpec } from "../src/serving/index.ts";

const refusal = (schema: unknown) => {
  try {
    checkJsonSchema(schema);
  } catch (error) {
    return error as Error & { code: string };
  }
  assert.fail(`accepted ${JSON.stringify(schema)}`);
};

describe("JSON schemas the grammar enforces", () => {
  it("accepts the subset node-llama-cpp enforces, and type + enum as the enum", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "answer",
      type: "object",
      properties: {
        name: { type: "string", maxLength: 8, description: "a name" },
        tags: { type: "array", items: { type: "string", enum: ["a", "b", 3] }, maxItems: 2 },
        when: { type: "string", format: "date" },
        kind: { anyOf: [{ const: 1 }, { type: "null" }] },
        maybe: { type: ["string", "null"] },
        ref: { $ref: "#/$defs/point" },
      },
      required: ["name"],
      additionalProperties: false,
      $defs: { point: { type: "object", properties: { x: { type: "number" } } } },
    };
    const out = checkJsonSchema(schema) as Record<string, any>;
    assert.deepEqual(out.properties.tags.items, { enum: ["a", "b"] }, "enum values of another type are dropped");
    assert.deepEqual(out.properties.kind, { oneOf: [{ const: 1 }, { type: "null" }] });
    assert.equal(out.title, undefined);
  });

  it("turns a type list with object into a union of its kinds", () => {
    const out = checkJsonSchema({ type: ["object", "null"], properties: { a: { type: "boolean" } } }) as Record<string, any>;
    assert.deepEqual(out, { oneOf: [{ type: "object", properties: { a: { type: "boolean" } } }, { type: "null" }] });
  });

  it("refuses what it cannot enforce, naming the keyword and where it is", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: "object", properties: { code: { type: "string", pattern: "^[A-Z]+$" } } }, /"pattern".*\/properties\/code\/pattern/],
      [{ type: "integer", minimum: 0 }, /"minimum".* at \/minimum/],
      [{ allOf: [{ type: "string" }] }, /"allOf"/],
      [{ type: "string", format: "email" }, /format "email"/],
      [{ type: "object", properties: { a: { type: "string" } }, required: ["b"] }, /requires a property it does not define/],
      [{ $ref: "#/definitions/x" }, /\$ref "#\/definitions\/x"/],
      [{ description: "anything" }, /none of type, enum, const/],
      [{ type: "strang" }, /unknown type/],
      [{ type: "object", properties: { a: true } }, /not an object/],
    ];
    for (const [schema, message] of cases) {
      const error = refusal(schema);
      assert.equal(error.code, "unsupported_schema", JSON.stringify(schema));
      assert.match(error.message, message);
    }
  });

  it("refuses schemas too deep to build a grammar for", () => {
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 20; i++) deep = { type: "array", items: deep };
    assert.match(refusal(deep).message, /deeper than 16/);
  });
});

describe("tool-call protocol", () => {
  const weather: ToolSpec = {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] } }, required: ["city"] },
  };
  const clock: ToolSpec = { name: "clock", parameters: { type: "object", properties: {} } };

  it("enforces one call of the offered tools when one is required, none otherwise", () => {
    const required = planTools([weather, clock], "required", [{ role: "user", content: "hi" }]);
    assert.equal(required.format?.type, "json_schema");
    assert.equal(((required.format as unknown as { schema: { oneOf: unknown[] } }).schema.oneOf).length, 2);
    assert.match(required.instructions!, /get_weather: Weather in a city/);
    const named = planTools([weather, clock], { name: "clock" }, [{ role: "user", content: "hi" }]);
    assert.deepEqual((named.format as { schema: unknown }).schema, { type: "object", properties: { name: { const: "clock" }, arguments: clock.parameters } });
    const auto = planTools([weather], undefined, [{ role: "user", content: "hi" }]);
    assert.equal(auto.format, undefined);
    assert.equal(auto.mayCall, true);
    const bare = planTools([{ name: "ping", parameters: {} }], "required", [{ role: "user", content: "hi" }]);
    assert.deepEqual((bare.format as { schema: unknown }).schema, { type: "object", properties: { name: { const: "ping" }, arguments: { type: "object", properties: {} } } }, "{} parameters: none");
    const none = planTools([weather], "none", [{ role: "user", content: "hi" }]);
    assert.equal(none.mayCall, false);
    assert.equal(none.instructions, undefined);
  });

  it("reads an answer as a call only when it is one, with valid arguments", () => {
    const plan = planTools([weather], "auto", [{ role: "user", content: "hi" }]);
    const call = plan.parse('{"name": "get_weather", "arguments": {"city": "Oslo"}}');
    assert.equal(call?.name, "get_weather");
    assert.deepEqual(call?.arguments, { city: "Oslo" });
    assert.match(call!.id, /^call_[0-9a-f]{24}$/);
    assert.equal(plan.parse('{"name": "get_weather", "arguments": {"city": "Rome"}}'), undefined, "arguments against the schema");
    assert.equal(plan.parse('{"name": "other", "arguments": {}}'), undefined, "an unknown tool");
    assert.equal(plan.parse("It is sunny in Oslo."), undefined);
    assert.equal(plan.parse('```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```')?.name, "get_weather", "a Markdown fence is not part of the call");
  });

  it("holds a streamed answer back only while it may still be a call", () => {
    for (const text of ["", " ", "{", '{ "na', '{\n  "name": "get_weather", "argu', '{"arguments": {}', "```json\n{"]) assert.equal(mayBeCall(text), true, JSON.stringify(text));
    for (const text of ["Sunny", "{ \"city\"", "{}", "[1]"]) assert.equal(mayBeCall(text), false, JSON.stringify(text));
  });

  it("writes calls and results into the chat the model sees", () => {
    const plan = planTools([weather], "auto", [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }] },
      { role: "tool", content: "18 C", toolCallId: "call_1" },
    ]);
    assert.deepEqual(plan.messages, [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: '{"name":"get_weather","arguments":{"city":"Paris"}}' },
      { role: "user", content: "Result of tool get_weather: 18 C" },
    ]);
  });

  it("refuses unknown tools, bad names and results of calls never made", () => {
    const user = { role: "user" as const, content: "hi" };
    const refused = (f: () => unknown, message: RegExp) => assert.throws(f, (e: Error & { code: string }) => e.code === "invalid_request" && message.test(e.message));
    refused(() => planTools([weather], { name: "get_time" }, [user]), /tool_choice names "get_time", which is not among the tools \(get_weather\)/);
    refused(() => planTools([], "required", [user]), /no tools are given/);
    refused(() => planTools([{ ...weather, name: "has space" }], "auto", [user]), /tool name "has space"/);
    refused(() => planTools([weather, weather], "auto", [user]), /defined twice/);
    refused(() => planTools([weather], "auto", [user, { role: "assistant", content: "", toolCalls: [{ name: "rm_rf", arguments: {} }] }]), /calls tool "rm_rf"/);
    refused(() => planTools([weather], "auto", [user, { role: "tool", content: "x", toolCallId: "call_9" }]), /tool_call_id "call_9", which no assistant message made/);
    assert.throws(() => planTools([{ ...weather, parameters: { type: "object", properties: { city: { type: "string", pattern: "x" } } } }], "auto", [user]), { code: "unsupported_schema" });
  });
});
