"use client";
import type { ChatLimits } from "@/lib/chat-limits.ts";

export type Sampling = { temperature: number; maxTokens: number };

/** Temperature and max tokens, each within what the node allows. */
export function ChatSettings({ limits, value, onChange }: { limits: ChatLimits; value: Sampling; onChange: (value: Sampling) => void }) {
  const t = limits.temperature;
  const m = limits.maxTokens;
  return (
    <div className="stack" data-testid="chat-settings">
      <div className="field">
        <label htmlFor="chat-temperature">
          Temperature <span className="muted">{value.temperature.toFixed(2)}</span>
        </label>
        <input
          id="chat-temperature"
          type="range"
          min={t.min}
          max={t.max}
          step={0.05}
          value={value.temperature}
          onChange={(e) => onChange({ ...value, temperature: Number(e.target.value) })}
        />
        <span className="hint">{t.min} to {t.max}</span>
      </div>
      <div className="field">
        <label htmlFor="chat-max-tokens">Max tokens</label>
        <input
          id="chat-max-tokens"
          type="number"
          min={m.min}
          max={m.max}
          step={1}
          value={value.maxTokens}
          onChange={(e) => onChange({ ...value, maxTokens: Number(e.target.value) })}
        />
        <span className="hint">{m.min} to {m.max}</span>
      </div>
      <span className="hint" data-testid="limits-source">
        {limits.source === "node" ? "Limits from the node's governed parameters." : "The node does not publish its limits; using the API's defaults."}
      </span>
    </div>
  );
}
