import { describe, expect, it } from "vitest";
import { distinctColumn } from "./distinct-column.js";

describe("distinctColumn", () => {
  it("sends each distinct value once, in first-seen order, and names each row's place from 1", () => {
    const rows = ["b", "a", "b", "c", "a", "b"];
    const column = distinctColumn(
      rows,
      (r) => r,
      (r) => r.toUpperCase(),
    );
    expect(column.values).toEqual(["B", "A", "C"]);
    expect(column.index).toEqual([1, 2, 1, 3, 2, 1]);
    // Every row's value is found again at its place.
    rows.forEach((r, i) => {
      expect(column.values[(column.index[i] as number) - 1]).toBe(r.toUpperCase());
    });
  });

  it("tells objects apart by the key given: by identity, equal objects not shared stay apart", () => {
    const shared = { framework: "HIPAA" };
    const rows = [shared, { framework: "HIPAA" }, shared];
    let serialized = 0;
    const column = distinctColumn(
      rows,
      (r) => r,
      (r) => {
        serialized++;
        return JSON.stringify(r);
      },
    );
    expect(column.index).toEqual([1, 2, 1]);
    expect(column.values).toHaveLength(2);
    expect(serialized).toBe(2);
  });

  it("gives no values and no places for no rows", () => {
    expect(
      distinctColumn(
        [] as string[],
        (r) => r,
        (r) => r,
      ),
    ).toEqual({ values: [], index: [] });
  });
});
