// Cuts text to a SIEM format's field limit by code point, so a surrogate pair is never split.
export function truncateText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return [...text].slice(0, limit).join("");
}
