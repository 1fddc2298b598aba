import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";

type FieldFrameProps = { label: string; hint?: ReactNode; children: (id: string) => ReactNode };

function FieldFrame({ label, hint, children }: FieldFrameProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <span className="hint">{hint}</span>}
    </div>
  );
}

export function TextField({ label, hint, ...input }: { label: string; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  return <FieldFrame label={label} hint={hint}>{(id) => <input id={id} {...input} />}</FieldFrame>;
}

export function TextAreaField({ label, hint, ...textarea }: { label: string; hint?: ReactNode } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <FieldFrame label={label} hint={hint}>{(id) => <textarea id={id} {...textarea} />}</FieldFrame>;
}

export function SelectField({ label, hint, children, ...select }: { label: string; hint?: ReactNode; children: ReactNode } & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <FieldFrame label={label} hint={hint}>
      {(id) => (
        <select id={id} {...select}>
          {children}
        </select>
      )}
    </FieldFrame>
  );
}
