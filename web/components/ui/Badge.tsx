import type { ReactNode } from "react";

export type Tone = "neutral" | "good" | "bad" | "warn" | "info" | "accent";

export function Badge({ tone = "neutral", children, testId }: { tone?: Tone; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge ${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}
