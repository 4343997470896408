import { describe, expect, it } from "vitest";
import { createSortableIdFactory } from "./sortable-id.js";

describe("sortable ids", () => {
  it("are 26 Crockford base32 characters that sort by creation, even within one millisecond", () => {
    let clock = 1_700_000_000_000;
    const next = createSortableIdFactory(() => clock);
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i % 1000 === 0) clock += 1;
      ids.push(next());
    }
    for (const id of ids) expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("encodes the time in the first 10 characters", () => {
    const next = createSortableIdFactory(() => 0);
    expect(next().slice(0, 10)).toBe("0000000000");
  });
});
