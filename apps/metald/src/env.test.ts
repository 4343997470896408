import { describe, expect, it } from "vitest";
import { isLoopbackHost, readEnv, resolveServeSettings, sandboxGuestScope } from "./env.js";

const settings = (vars: Record<string, string>, isRoot: boolean) =>
  resolveServeSettings(readEnv(vars), isRoot);

describe("resolveServeSettings", () => {
  it("refuses to start without root and without a named driver", () => {
    const result = settings({}, false);
    expect(result).toHaveProperty("refused");
    expect((result as { refused: string }).refused).toContain("METALD_DRIVER=dry-run");
  });

  it("runs dry-run without root only when it is named, and says that nothing is enforced", () => {
    expect(settings({ METALD_DRIVER: "dry-run" }, false)).toMatchObject({
      driver: "dry-run",
      warnings: [expect.stringContaining("nothing is enforced")],
    });
  });

  it("chooses sandbox as root when no driver is named", () => {
    expect(settings({}, true)).toMatchObject({ driver: "sandbox", host: "0.0.0.0", warnings: [] });
    expect(settings({ METALD_DRIVER: "" }, true)).toMatchObject({ driver: "sandbox" });
  });

  it("listens on loopback in development mode unless an address is named", () => {
    expect(settings({ METALD_AUTH: "development" }, true)).toMatchObject({ host: "127.0.0.1" });
    expect(settings({ METALD_AUTH: "development", METALD_HTTP_HOST: "" }, true)).toMatchObject({
      host: "127.0.0.1",
    });
    expect(settings({ METALD_AUTH: "development", METALD_HTTP_HOST: "::1" }, true)).toMatchObject({
      host: "::1",
      warnings: [],
    });
    expect(
      settings({ METALD_AUTH: "development", METALD_HTTP_HOST: "0.0.0.0" }, true),
    ).toMatchObject({
      host: "0.0.0.0",
      warnings: [expect.stringContaining("without a token is an operator")],
    });
  });

  it("refuses development mode with METALD_ENV=production, wherever it would listen", () => {
    for (const host of ["127.0.0.1", "0.0.0.0"])
      expect(
        settings(
          { METALD_AUTH: "development", METALD_ENV: "production", METALD_HTTP_HOST: host },
          true,
        ),
      ).toMatchObject({ refused: expect.stringContaining("refused with METALD_ENV=production") });
  });
});

describe("readEnv TLS settings", () => {
  it("needs the certificate and the key together", () => {
    expect(() => readEnv({ METALD_TLS_CERT: "/c.pem" })).toThrow(/METALD_TLS_KEY: TLS needs both/);
    expect(() => readEnv({ METALD_TLS_KEY: "/k.pem" })).toThrow(/METALD_TLS_CERT: TLS needs both/);
    expect(readEnv({}).METALD_TLS_MIN_VERSION).toBe("1.2");
  });

  it("accepts the guide's min_tls_version values only", () => {
    expect(readEnv({ METALD_TLS_MIN_VERSION: "1.3" }).METALD_TLS_MIN_VERSION).toBe("1.3");
    expect(() => readEnv({ METALD_TLS_MIN_VERSION: "1.1" })).toThrow(/METALD_TLS_MIN_VERSION/);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["localhost", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["127.example.com", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("sandboxGuestScope", () => {
  it("keeps the default sandbox's guest names and scopes those of a sandbox of its own name", () => {
    expect(sandboxGuestScope(undefined)).toBeUndefined();
    expect(sandboxGuestScope("")).toBeUndefined();
    expect(sandboxGuestScope("metald-sbx")).toBeUndefined();
    expect(sandboxGuestScope("msbx-a1")).toBe("msbx-a1");
  });
});
