import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createGuestNamespaceMarks } from "./guest-namespace-marks.js";

describe("createGuestNamespaceMarks", () => {
  let root = "";
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("lists what was marked and not unmarked, and nothing before the first mark", async () => {
    root = await mkdtemp(join(tmpdir(), "marks-"));
    const marks = createGuestNamespaceMarks(join(root, "msbx-1"));
    expect(await marks.list()).toEqual(new Set());
    await marks.mark("mvm-aaaaaaaaaa");
    await marks.mark("mvm-bbbbbbbbbb");
    await marks.unmark("mvm-aaaaaaaaaa");
    await marks.unmark("mvm-never-made");
    expect(await marks.list()).toEqual(new Set(["mvm-bbbbbbbbbb"]));
  });

  it("keeps two sandboxes' marks apart", async () => {
    root = await mkdtemp(join(tmpdir(), "marks-"));
    const one = createGuestNamespaceMarks(join(root, "msbx-1"));
    const two = createGuestNamespaceMarks(join(root, "msbx-2"));
    await one.mark("mvm-1111111111");
    expect(await two.list()).toEqual(new Set());
  });
});
