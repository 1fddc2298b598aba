import type { ReactNode } from "react";

export type CardProps = { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; testId?: string };

export function Card({ title, actions, children, className, testId }: CardProps) {
  return (
    <section className={["card", className].filter(Boolean).join(" ")} data-testid={testId}>
      {(title || actions) && (
        <div className="card-title">
          {typeof title === "string" ? <h2>{title}</h2> : title}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
