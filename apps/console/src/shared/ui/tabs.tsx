// Tabs as in the ARIA tabs pattern: one tab stop, arrow keys (and Home, End) move between the
// tabs and select them, the panel is labelled by its tab.
import type { KeyboardEvent, ReactNode } from "react";

export interface TabsProps<T extends string> {
  /** What the tabs choose between, for assistive technology. */
  label: string;
  /** Prefix of the tabs' and panel's ids (unique on the page). */
  idPrefix: string;
  tabs: readonly { id: T; label: string }[];
  selected: T;
  onSelect: (id: T) => void;
  children: ReactNode;
}

export function Tabs<T extends string>({
  label,
  idPrefix,
  tabs,
  selected,
  onSelect,
  children,
}: TabsProps<T>) {
  const onKey = (e: KeyboardEvent) => {
    const at = tabs.findIndex((t) => t.id === selected);
    const to =
      e.key === "ArrowRight"
        ? (at + 1) % tabs.length
        : e.key === "ArrowLeft"
          ? (at - 1 + tabs.length) % tabs.length
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? tabs.length - 1
              : undefined;
    const next = to === undefined ? undefined : tabs[to];
    if (!next) return;
    e.preventDefault();
    onSelect(next.id);
    document.getElementById(`${idPrefix}-tab-${next.id}`)?.focus();
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label}>
        {tabs.map((t) => (
          <button
            key={t.id}
            id={`${idPrefix}-tab-${t.id}`}
            type="button"
            role="tab"
            aria-selected={selected === t.id}
            aria-controls={`${idPrefix}-panel`}
            tabIndex={selected === t.id ? 0 : -1}
            onClick={() => onSelect(t.id)}
            onKeyDown={onKey}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div
        id={`${idPrefix}-panel`}
        role="tabpanel"
        aria-labelledby={`${idPrefix}-tab-${selected}`}
        className="tab-panel"
      >
        {children}
      </div>
    </>
  );
}
