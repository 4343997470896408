// Every golden plan's nft statements load into a real kernel, on top of the base tables, in one
// transaction each: the compiler's output is not only stable but valid.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { renderBaseTable } from "@metald/core";
import { kernelTestsCanRun } from "@metald/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const canLoad = kernelTestsCanRun("golden plans in the kernel", ["root", "ip", "nft"]);
const GOLDEN = new URL("../fixtures/golden/", import.meta.url);
const files = readdirSync(GOLDEN).filter((f) => f.endsWith(".plan"));

describe.runIf(canLoad)("golden plans in the kernel", () => {
  const namespace = `mgold-${randomBytes(3).toString("hex")}`;
  beforeAll(() => {
    execFileSync("ip", ["netns", "add", namespace]);
  });
  afterAll(() => {
    spawnSync("ip", ["netns", "delete", namespace]);
  });

  it.each(files)("%s loads", (file) => {
    const statements = readFileSync(new URL(file, GOLDEN), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("add ") || line.startsWith("insert "))
      .join("\n");
    const reset = ["bridge", "inet", "ip6"]
      .map((f) => `add table ${f} metald_security\ndelete table ${f} metald_security\n`)
      .join("");
    const result = spawnSync("ip", ["netns", "exec", namespace, "nft", "-f", "-"], {
      input: `${reset}${renderBaseTable()}${statements}\n`,
    });
    expect(result.stderr.toString()).toBe("");
    expect(result.status).toBe(0);
  });
});
