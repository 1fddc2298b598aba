import type { ButtonHTMLAttributes } from "react";

export type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "plain" | "danger";
  size?: "normal" | "small";
  selected?: boolean;
};

export function Button({ variant = "plain", size = "normal", selected = false, className, type = "button", ...rest }: ButtonProps) {
  const classes = ["button", variant !== "plain" && variant, size === "small" && "small", selected && "selected", className].filter(Boolean).join(" ");
  return <button type={type} className={classes} aria-pressed={selected || undefined} {...rest} />;
}
