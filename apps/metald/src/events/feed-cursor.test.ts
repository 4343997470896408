import { expect, it } from "vitest";
import { decodeFeedCursor, encodeFeedCursor } from "./feed-cursor.js";

it("round-trips a position, bounded or not, and refuses cursors it did not issue", () => {
  expect(decodeFeedCursor(encodeFeedCursor({ afterSeq: 42 }))).toEqual({ afterSeq: 42 });
  expect(decodeFeedCursor(encodeFeedCursor({ afterSeq: 0, throughSeq: 9 }))).toEqual({
    afterSeq: 0,
    throughSeq: 9,
  });
  for (const bad of ["", "42", Buffer.from("f2.1").toString("base64url"), "a".repeat(100), "+/="])
    expect(decodeFeedCursor(bad)).toBeUndefined();
});
