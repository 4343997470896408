import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTlsCredentials } from "./tls-credentials.js";

describe("loadTlsCredentials", () => {
  let dir: string;
  const selfSigned = (name: string) => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "1",
        "-keyout",
        join(dir, `${name}.key`),
        "-out",
        join(dir, `${name}.pem`),
      ],
      { stdio: "ignore" },
    );
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "metald-tls-unit-"));
    selfSigned("a");
    selfSigned("b");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a certificate and its key, TLS 1.2 as the minimum unless 1.3 is asked for", () => {
    const files = { certPath: join(dir, "a.pem"), keyPath: join(dir, "a.key") };
    expect(loadTlsCredentials({ ...files, minVersion: "1.2" }).minVersion).toBe("TLSv1.2");
    expect(loadTlsCredentials({ ...files, minVersion: "1.3" }).minVersion).toBe("TLSv1.3");
  });

  it("stops the start when the key does not belong to the certificate", () => {
    expect(() =>
      loadTlsCredentials({
        certPath: join(dir, "a.pem"),
        keyPath: join(dir, "b.key"),
        minVersion: "1.2",
      }),
    ).toThrow(/a\.pem and key .*b\.key are not usable/);
  });

  it("names a file it cannot read", () => {
    expect(() =>
      loadTlsCredentials({
        certPath: join(dir, "missing.pem"),
        keyPath: join(dir, "a.key"),
        minVersion: "1.2",
      }),
    ).toThrow(`cannot read the TLS certificate ${join(dir, "missing.pem")}: ENOENT`);
  });
});
