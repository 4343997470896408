// Splits rule text into words and commas, remembering each token's column (1-based).

export type Token =
  | { kind: "word"; text: string; column: number }
  | { kind: "comma"; column: number }
  | { kind: "end"; column: number };

export function tokenizeRule(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ",") {
      tokens.push({ kind: "comma", column: i + 1 });
      i++;
    } else {
      const start = i;
      while (i < text.length && !/[\s,]/.test(text[i] as string)) i++;
      tokens.push({ kind: "word", text: text.slice(start, i), column: start + 1 });
    }
  }
  tokens.push({ kind: "end", column: text.length + 1 });
  return tokens;
}
