// Buttons in three tones; a busy button says so to assistive technology and ignores clicks.
import type { ButtonHTMLAttributes } from "react";

export type ButtonTone = "primary" | "secondary" | "danger";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  tone?: ButtonTone;
  busy?: boolean;
}

export function Button({ tone = "secondary", busy = false, className, ...props }: ButtonProps) {
  return (
    <button
      type="button"
      {...props}
      aria-busy={busy || undefined}
      disabled={props.disabled || busy}
      className={["button", `button--${tone}`, className].filter(Boolean).join(" ")}
    />
  );
}
