"use client";
import { useEffect, useRef, useState } from "react";
import { useApp } from "@/lib/app-context.tsx";
import { chatLimits, clamp } from "@/lib/chat-limits.ts";
import { streamChat, type ChatMessage } from "@/lib/chat-stream.ts";
import { useNodeGovernance, useNodeHealth } from "@/lib/node-queries.ts";
import { NodeProblem } from "../node/NodeProblem.tsx";
import { Badge } from "../ui/Badge.tsx";
import { Button } from "../ui/Button.tsx";
import { Card } from "../ui/Card.tsx";
import { ChatSettings, type Sampling } from "./ChatSettings.tsx";
import { ChatTurn, type Turn } from "./ChatTurn.tsx";

/** /chat: a conversation with the node, streamed token by token, each answer with its provenance. */
export function ChatPage() {
  const { nodeUrl } = useApp();
  const health = useNodeHealth(5000);
  const governance = useNodeGovernance(15_000);
  const limits = chatLimits(health.data, governance.data);
  const [sampling, setSampling] = useState<Sampling | undefined>();
  const value: Sampling = sampling ?? { temperature: limits.temperature.default, maxTokens: limits.maxTokens.default };
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState("");
  const controller = useRef<AbortController | null>(null);
  const nextId = useRef(1);
  const bottom = useRef<HTMLDivElement>(null);
  const streaming = turns.some((t) => t.status === "streaming");

  // Braces: a function's return value is taken as its cleanup (and Chromium's scrollIntoView now returns a promise).
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "nearest" });
  }, [turns]);
  useEffect(() => () => controller.current?.abort(), []);

  const update = (id: number, change: (turn: Turn) => Partial<Turn>) => setTurns((all) => all.map((t) => (t.id === id ? { ...t, ...change(t) } : t)));

  async function send() {
    const text = draft.trim();
    if (!text || streaming) return;
    const history: ChatMessage[] = turns.filter((t) => t.status !== "failed" && t.content).map((t) => ({ role: t.role, content: t.content }));
    const user: Turn = { id: nextId.current++, role: "user", content: text, status: "done" };
    const messages: ChatMessage[] = [...history, { role: "user", content: text }];
    const answer: Turn = { id: nextId.current++, role: "assistant", content: "", status: "streaming", tokens: 0, messages };
    setTurns((all) => [...all, user, answer]);
    setDraft("");
    const abort = new AbortController();
    controller.current = abort;
    const began = performance.now();
    try {
      const result = await streamChat({
        nodeUrl,
        messages,
        temperature: clamp(value.temperature, limits.temperature.min, limits.temperature.max),
        maxTokens: Math.round(clamp(value.maxTokens, limits.maxTokens.min, limits.maxTokens.max)),
        signal: abort.signal,
        onOpen: (provenance) => update(answer.id, () => ({ provenance })),
        onToken: (token) =>
          update(answer.id, (t) => ({
            content: t.content + token,
            tokens: (t.tokens ?? 0) + 1,
            firstTokenMs: t.firstTokenMs ?? performance.now() - began,
          })),
      });
      update(answer.id, () => ({ status: "done", provenance: result.provenance, content: result.text, totalMs: performance.now() - began }));
    } catch (error) {
      if (abort.signal.aborted) update(answer.id, () => ({ status: "stopped", totalMs: performance.now() - began }));
      else update(answer.id, () => ({ status: "failed", error: (error as Error).message }));
    } finally {
      if (controller.current === abort) controller.current = null;
    }
  }

  function stop() {
    // Closing the connection is what cancels the generation on the node.
    controller.current?.abort();
  }

  const h = health.data;
  return (
    <>
      <h1>Chat</h1>
      <div className="chat-layout">
        <Card
          title="Conversation"
          actions={
            <div className="row">
              {h && (
                <Badge tone={h.generation.ready ? "good" : "warn"} testId="chat-model-status">
                  {h.generation.ready ? h.generation.model : "no model: answers come from search"}
                </Badge>
              )}
              <Button size="small" onClick={() => setTurns([])} disabled={streaming || turns.length === 0}>
                Clear
              </Button>
            </div>
          }
          testId="chat"
        >
          <NodeProblem query={health} />
          <div className="chat-log" aria-live="polite">
            {turns.length === 0 && <p className="empty">Ask the node something. Answers stream from {nodeUrl}.</p>}
            {turns.map((turn) => (
              <ChatTurn key={turn.id} turn={turn} />
            ))}
            <div ref={bottom} />
          </div>
          <form
            className="chat-input"
            onSubmit={(e) => {
              e.preventDefault();
              void send();
            }}
          >
            <textarea
              aria-label="Message"
              data-testid="chat-input"
              value={draft}
              placeholder="Message the node (Enter sends, Shift+Enter for a new line)"
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && !e.shiftKey) {
                  e.preventDefault();
                  void send();
                }
              }}
              rows={2}
            />
            {streaming ? (
              <Button variant="danger" onClick={stop} data-testid="chat-stop">
                Stop
              </Button>
            ) : (
              <Button type="submit" variant="primary" disabled={!draft.trim()} data-testid="chat-send">
                Send
              </Button>
            )}
          </form>
        </Card>
        <Card title="Settings">
          <ChatSettings limits={limits} value={value} onChange={setSampling} />
        </Card>
      </div>
    </>
  );
}
