import { expect, it } from "vitest";
import { linkLocalFromMac } from "./link-local.js";

it("derives the modified EUI-64 link-local address of a MAC", () => {
  expect(linkLocalFromMac("02:00:5e:10:00:01")).toBe("fe80::5eff:fe10:1");
  expect(linkLocalFromMac("52:54:00:12:34:56")).toBe("fe80::5054:ff:fe12:3456");
});
