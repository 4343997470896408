import { FieldError } from "@metald/core";
import { describe, expect, it } from "vitest";
import { parseTime } from "./query-params.js";

describe("parseTime", () => {
  it("reads ISO 8601 times", () => {
    expect(parseTime("2026-01-01T12:00:00Z", "t")?.toISOString()).toBe("2026-01-01T12:00:00.000Z");
    expect(parseTime("2026-01-01T12:00:00+02:00", "t")?.toISOString()).toBe(
      "2026-01-01T10:00:00.000Z",
    );
  });

  it("reads an offset whose + a query string turned into a space (curl sends it unencoded)", () => {
    expect(parseTime("2026-01-01T12:00:00 02:00", "t")?.toISOString()).toBe(
      "2026-01-01T10:00:00.000Z",
    );
  });

  it("reads seconds since the epoch as date +%s and date +%s.%N print them", () => {
    expect(parseTime("1767268800", "t")?.toISOString()).toBe("2026-01-01T12:00:00.000Z");
    expect(parseTime("1767268800.123456789", "t")?.toISOString()).toBe("2026-01-01T12:00:00.123Z");
  });

  it("leaves an absent time absent and names the parameter of a bad one", () => {
    expect(parseTime(undefined, "t")).toBeUndefined();
    expect(parseTime("", "t")).toBeUndefined();
    expect(() => parseTime("yesterday", "timestamp")).toThrow(FieldError);
    expect(() => parseTime("yesterday", "timestamp")).toThrow(
      /^timestamp: "yesterday" is neither an ISO 8601 time nor seconds since the epoch$/,
    );
  });
});
