import type { ReactNode } from "react";

export function Notice({ tone = "info", children, testId }: { tone?: "info" | "good" | "bad" | "warn"; children: ReactNode; testId?: string }) {
  return (
    <div className={`notice ${tone}`} role={tone === "bad" ? "alert" : "status"} data-testid={testId}>
      {children}
    </div>
  );
}
