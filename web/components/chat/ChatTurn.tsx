"use client";
import Link from "next/link";
import type { ChatMessage, Provenance } from "@/lib/chat-stream.ts";
import { Badge } from "../ui/Badge.tsx";
import { Hex } from "../ui/Hex.tsx";
import { AnswerVerify } from "./AnswerVerify.tsx";

export type Turn = {
  id: number;
  role: "user" | "assistant";
  content: string;
  status: "streaming" | "done" | "stopped" | "failed";
  provenance?: Provenance;
  /** For an answer: the messages sent for it (what its audit entry's input hash covers). */
  messages?: ChatMessage[];
  error?: string;
  /** ms from sending to the first token, and to the end. */
  firstTokenMs?: number;
  totalMs?: number;
  tokens?: number;
};

/** One message; an answer carries where it came from and its audit entry. */
export function ChatTurn({ turn }: { turn: Turn }) {
  if (turn.role === "user") {
    return (
      <div className="chat-turn user" data-testid="chat-user">
        <div className="chat-bubble">{turn.content}</div>
      </div>
    );
  }
  const p = turn.provenance;
  return (
    <div className="chat-turn assistant" data-testid="chat-answer" data-status={turn.status} data-audit-seq={p?.auditSeq ?? undefined}>
      <div className="chat-bubble">
        <span data-testid="chat-answer-text">{turn.content}</span>
        {turn.status === "streaming" && <span className="caret" aria-hidden />}
        {turn.status === "streaming" && turn.content === "" && <span className="muted"> waiting for the first token…</span>}
      </div>
      <div className="chat-meta">
        {turn.status === "stopped" && <Badge tone="warn" testId="chat-stopped">stopped</Badge>}
        {turn.status === "failed" && <Badge tone="bad">failed</Badge>}
        {p?.source === "search" ? (
          <Badge tone="warn" testId="chat-source">search fallback</Badge>
        ) : p?.source ? (
          <Badge tone="info" testId="chat-source">{p.source}</Badge>
        ) : null}
        {p?.model && (
          <span data-testid="chat-model">
            model <strong>{p.model}</strong>
          </span>
        )}
        {p?.manifest && (
          <span data-testid="chat-manifest">
            manifest <Hex value={p.manifest} />
          </span>
        )}
        {p?.auditSeq !== null && p?.auditSeq !== undefined ? (
          <span data-testid="chat-audit">
            audit #{p.auditSeq} · <Link href={`/audit?seq=${p.auditSeq}`} data-testid="chat-verify">audit page</Link>
          </span>
        ) : (
          turn.status === "done" && <span className="muted">not in an audit log</span>
        )}
        {turn.tokens !== undefined && turn.totalMs !== undefined && (
          <span className="muted">
            {turn.tokens} tokens in {(turn.totalMs / 1000).toFixed(1)} s{turn.firstTokenMs !== undefined ? `, first after ${Math.round(turn.firstTokenMs)} ms` : ""}
          </span>
        )}
      </div>
      {turn.status === "done" && turn.messages && p?.auditSeq !== null && p?.auditSeq !== undefined && (
        <div className="chat-meta">
          <AnswerVerify seq={p.auditSeq} answer={{ messages: turn.messages, text: turn.content }} />
        </div>
      )}
      {p?.reason && <div className="small muted">fallback because {p.reason}</div>}
      {turn.error && <div className="notice bad small" role="alert">{turn.error}</div>}
    </div>
  );
}
