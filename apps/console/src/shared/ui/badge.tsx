// A short status word with a tone; the word carries the meaning, the color only repeats it.
import type { ReactNode } from "react";

export type BadgeTone = "neutral" | "good" | "warning" | "danger" | "info";

export function Badge({ tone = "neutral", children }: { tone?: BadgeTone; children: ReactNode }) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}
