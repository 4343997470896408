import { expect, it } from "vitest";
import {
  decodeFeedCursor,
  decodeListCursor,
  encodeFeedCursor,
  encodeListCursor,
} from "./event-cursors.js";

it("round-trips a position, bounded or not, and refuses cursors it did not issue", () => {
  expect(decodeFeedCursor(encodeFeedCursor({ afterSeq: 42 }))).toEqual({ afterSeq: 42 });
  expect(decodeFeedCursor(encodeFeedCursor({ afterSeq: 0, throughSeq: 9 }))).toEqual({
    afterSeq: 0,
    throughSeq: 9,
  });
  for (const bad of ["", "42", Buffer.from("f2.1").toString("base64url"), "a".repeat(100), "+/="])
    expect(decodeFeedCursor(bad)).toBeUndefined();
});

it("round-trips a place in time order, and does not take a feed cursor for one", () => {
  const at = { timestamp: new Date("2026-11-23T10:00:00.123Z"), seq: 7 };
  expect(decodeListCursor(encodeListCursor(at))).toEqual(at);
  expect(decodeListCursor(encodeFeedCursor({ afterSeq: 7 }))).toBeUndefined();
});
