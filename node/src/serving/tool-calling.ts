/**
 * Tool calls, as one protocol every model can follow: the tools are described in the system
 * prompt, a call is the whole answer as JSON `{"name": ..., "arguments": {...}}`, and a tool's
 * result goes back as a user turn. When the caller requires a call (`required`, or a named
 * tool), the call is enforced while decoding by a JSON-schema grammar, so it always parses and its
 * arguments match the tool's schema; with `auto` the model is free, and an answer is a call only
 * when it is exactly such a JSON object with valid arguments. One call per answer: a grammar
 * forces one object, so parallel calls are not offered.
 *
 * The OpenAI and Ollama routes translate their shapes to these and back; nothing here is HTTP.
 */
import { randomUUID } from "node:crypto";
import { Ajv2020 as Ajv } from "ajv/dist/2020.js";
import { checkJsonSchema, type ChatMessage, type OutputFormat } from "../inference/index.ts";
import { InvalidRequestError } from "./errors.ts";

export type ToolSpec = { name: string; description?: string | undefined; parameters: Record<string, unknown> };
/** `none`: tools are not offered; `auto`: the model decides; `required` / `{name}`: a call is enforced. */
export type ToolChoice = "none" | "auto" | "required" | { name: string };
export type ToolCall = { id: string; name: string; arguments: Record<string, unknown> };

/** A chat turn as the compatible APIs send it: assistant turns may hold calls, tool turns results. */
export type ToolChatMessage =
  | ChatMessage
  | { role: "assistant"; content: string; toolCalls: Array<{ id?: string | undefined; name: string; arguments: unknown }> }
  | { role: "tool"; content: string; toolCallId?: string | undefined; name?: string | undefined };

export type ToolPlan = {
  /** The chat the model sees: calls and results written as the protocol says. */
  messages: ChatMessage[];
  /** What the system prompt gains (the tools and how to call them); undefined without tools. */
  instructions: string | undefined;
  /** The grammar's schema when a call is enforced. */
  format: OutputFormat | undefined;
  /** Whether the answer may be a call (parse it at the end). */
  mayCall: boolean;
  /** Reads the answer: a call, or undefined for a plain answer. */
  parse(text: string): ToolCall | undefined;
};

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TOOLS = 64;
const EMPTY_PARAMETERS = { type: "object", properties: {} };

/** Checks tools, choice and history (clear 400s), and plans the generation. */
export function planTools(tools: readonly ToolSpec[] | undefined, choice: ToolChoice | undefined, history: readonly ToolChatMessage[]): ToolPlan {
  // A tool without parameters (absent, or `{}` as some clients send) takes none.
  const list = (tools ?? []).map((t) => ({ ...t, parameters: t.parameters && Object.keys(t.parameters).length > 0 ? t.parameters : EMPTY_PARAMETERS }));
  if (list.length > MAX_TOOLS) throw new InvalidRequestError("invalid_request", `at most ${MAX_TOOLS} tools per request, got ${list.length}`);
  const byName = new Map<string, ToolSpec>();
  for (const tool of list) {
    if (!NAME.test(tool.name)) throw new InvalidRequestError("invalid_request", `tool name ${JSON.stringify(tool.name)} must be 1-64 letters, digits, _ or -`);
    if (byName.has(tool.name)) throw new InvalidRequestError("invalid_request", `tool ${tool.name} is defined twice`);
    checkJsonSchema(tool.parameters); // unsupported_schema names the keyword
    byName.set(tool.name, tool);
  }
  const mode = choice ?? (list.length > 0 ? "auto" : "none");
  if (typeof mode === "object" && !byName.has(mode.name)) {
    throw new InvalidRequestError("invalid_request", `tool_choice names ${JSON.stringify(mode.name)}, which is not among the tools (${[...byName.keys()].join(", ") || "none given"})`);
  }
  if (mode === "required" && list.length === 0) throw new InvalidRequestError("invalid_request", "tool_choice is required but no tools are given");

  const messages = renderHistory(history, byName);
  if (mode === "none" || list.length === 0) {
    return { messages, instructions: undefined, format: undefined, mayCall: false, parse: () => undefined };
  }
  const offered = typeof mode === "object" ? [byName.get(mode.name)!] : list;
  const callSchema = (t: ToolSpec) => ({ type: "object", properties: { name: { const: t.name }, arguments: t.parameters } });
  const format: OutputFormat | undefined =
    mode === "auto" ? undefined : { type: "json_schema", schema: offered.length === 1 ? callSchema(offered[0]!) : { oneOf: offered.map(callSchema) } };
  const validators = new Map<string, (v: unknown) => boolean>();
  const valid = (tool: ToolSpec, args: unknown) => {
    if (!validators.has(tool.name)) validators.set(tool.name, new Ajv({ strict: false }).compile(tool.parameters));
    return validators.get(tool.name)!(args);
  };
  return {
    messages,
    instructions: instructionsFor(offered, mode !== "auto"),
    format,
    mayCall: true,
    parse(text) {
      let value: unknown;
      try {
        // Chat models often fence JSON in Markdown; the fence is not part of the call.
        value = JSON.parse(text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1"));
      } catch {
        return undefined;
      }
      if (!isObject(value) || typeof value.name !== "string" || !isObject(value.arguments)) return undefined;
      const tool = offered.find((t) => t.name === value.name);
      if (!tool || !valid(tool, value.arguments)) return undefined;
      return { id: `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`, name: tool.name, arguments: value.arguments };
    },
  };
}

const CALL_STARTS = ['{"name":', '{"arguments":'];

/**
 * Whether text streamed so far may still turn out a call: it starts as a call object does (white
 * space aside). Text that cannot is sent on at once, so a plain answer still streams.
 */
export function mayBeCall(textSoFar: string): boolean {
  const compact = textSoFar.replace(/\s+/g, "").replace(/^`{1,3}(j(s(o(n)?)?)?)?/, "");
  return CALL_STARTS.some((start) => start.startsWith(compact) || compact.startsWith(start));
}

/**
 * The stream side of the protocol: while the answer may still be a call (always, when a call is
 * enforced) its text is held back; once it cannot be, what was held and the rest go to `send`.
 * `end()` returns the call when the whole answer is one, else sends on what is still held.
 */
export function holdBackToolCall(
  plan: Pick<ToolPlan, "format" | "mayCall" | "parse"> | undefined,
  send: (text: string) => void,
): { push(text: string): void; end(): ToolCall | undefined } {
  let held = "";
  let holding = plan?.mayCall === true;
  return {
    push(text) {
      if (!holding) return send(text);
      held += text;
      if (plan?.format || mayBeCall(held)) return;
      holding = false;
      send(held);
    },
    end() {
      if (!holding || held === "") return undefined;
      const call = plan?.parse(held);
      if (!call) send(held);
      return call;
    },
  };
}

function instructionsFor(tools: readonly ToolSpec[], required: boolean): string {
  const lines = tools.map((t) => `- ${t.name}${t.description ? `: ${t.description}` : ""}. Arguments (JSON schema): ${JSON.stringify(t.parameters)}`);
  return [
    required ? "Call one of these tools." : "You can call one of these tools.",
    'To call a tool, answer with only a JSON object {"name": "<tool>", "arguments": {...}} and nothing else.',
    "Tools:",
    ...lines,
  ].join("\n");
}

/** Calls become the assistant's JSON answers; results become user turns naming their tool. */
function renderHistory(history: readonly ToolChatMessage[], tools: ReadonlyMap<string, ToolSpec>): ChatMessage[] {
  const callNames = new Map<string, string>();
  const out: ChatMessage[] = [];
  for (const m of history) {
    if (m.role === "assistant" && "toolCalls" in m && m.toolCalls.length > 0) {
      const calls = m.toolCalls.map((c) => {
        if (tools.size > 0 && !tools.has(c.name)) throw new InvalidRequestError("invalid_request", `an assistant message calls tool ${JSON.stringify(c.name)}, which is not among the tools`);
        if (c.id) callNames.set(c.id, c.name);
        return JSON.stringify({ name: c.name, arguments: c.arguments });
      });
      out.push({ role: "assistant", content: [m.content, ...calls].filter(Boolean).join("\n") });
    } else if (m.role === "tool") {
      const name = m.name ?? (m.toolCallId !== undefined ? callNames.get(m.toolCallId) : undefined);
      if (m.toolCallId !== undefined && !callNames.has(m.toolCallId) && m.name === undefined) {
        throw new InvalidRequestError("invalid_request", `a tool message answers tool_call_id ${JSON.stringify(m.toolCallId)}, which no assistant message made`);
      }
      const text = `Result of tool ${name ?? "call"}: ${m.content}`;
      const last = out.at(-1);
      // Results of one turn's calls go back as one user turn (templates expect turns to alternate).
      if (last?.role === "user" && last.content.startsWith("Result of tool ")) last.content += `\n${text}`;
      else out.push({ role: "user", content: text });
    } else {
      out.push({ role: m.role as ChatMessage["role"], content: m.content });
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
