import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenRepository } from "@metald/db";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAuth } from "../auth/auth-hook.js";
import { registerConsole } from "./console-files.js";
import { registerErrorShape } from "./error-shape.js";

const INDEX = "<!doctype html><title>metald</title><script src=/assets/index-abc123.js></script>";
const SCRIPT = `console.log(${JSON.stringify("x".repeat(4000))});`;

describe("the console's files", () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "metald-console-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), INDEX);
    await writeFile(join(dir, "assets", "index-abc123.js"), SCRIPT);
    await writeFile(join(dir, "favicon.svg"), "<svg/>");
    await mkdir(join(dir, ".vite"));
    await writeFile(join(dir, ".vite", "manifest.json"), "{}");
    app = Fastify();
    registerErrorShape(app);
    // Tokens required: the console must load without one, the API must not.
    const tokens = { get: async () => undefined } as unknown as TokenRepository;
    registerAuth(app, { mode: "required", tokens });
    app.get("/api/v1/vms", async () => ({ vms: [] }));
    app.post("/vmprovisioner.v1.VmService/CreateVm", async () => ({}));
    await registerConsole(app, dir);
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves index.html at / without credentials, revalidated on every load", async () => {
    const res = await app.inject({ url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
  });

  it("caches hashed assets for a year and gzips them for clients that accept it", async () => {
    const res = await app.inject({ url: "/assets/index-abc123.js" });
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.body).toBe(SCRIPT);
    const zipped = await app.inject({
      url: "/assets/index-abc123.js",
      headers: { "accept-encoding": "gzip, br" },
    });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
  });

  it("answers a matching If-None-Match with 304", async () => {
    const first = await app.inject({ url: "/favicon.svg" });
    const again = await app.inject({
      url: "/favicon.svg",
      headers: { "if-none-match": String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it("answers the console's own routes with index.html (a refresh on /vms/… loads the page)", async () => {
    for (const url of ["/vms", "/vms/vm-01abc?tab=security", "/tenants/acme", "/sign-in"]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
    }
  });

  it("never answers API paths with the page: they keep their 401s, 404s and 405s", async () => {
    expect((await app.inject({ url: "/api/v1/vms" })).statusCode).toBe(401);
    for (const url of [
      "/api/v1/nothing-here",
      "/health/x",
      "/debug/nothing",
      "/metrics",
      "/vmprovisioner.v1.VmService/Nope",
      "/grpc.health.v1.Health/Check",
    ]) {
      const res = await app.inject({ url, headers: { authorization: "Bearer x" } });
      expect(res.headers["content-type"], url).toContain("application/json");
      expect([401, 404], url).toContain(res.statusCode);
    }
    const wrongMethod = await app.inject({ url: "/vmprovisioner.v1.VmService/CreateVm" });
    expect(wrongMethod.statusCode).toBe(401);
  });

  it("keeps 404 and 405 for unknown paths and methods once authenticated", async () => {
    const open = Fastify();
    registerErrorShape(open);
    open.post("/vmprovisioner.v1.VmService/CreateVm", async () => ({}));
    await registerConsole(open, dir);
    const missing = await open.inject({ url: "/api/v1/nothing-here" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      code: "not_found",
      message: "no route GET /api/v1/nothing-here",
    });
    const wrong = await open.inject({ url: "/vmprovisioner.v1.VmService/CreateVm" });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    const post = await open.inject({ method: "POST", url: "/vms" });
    expect(post.statusCode).toBe(404);
    await open.close();
  });

  it("does not serve build metadata (dot directories)", async () => {
    const res = await app.inject({ url: "/.vite/manifest.json" });
    expect(res.body).toBe(INDEX);
  });

  it("answers a hashed file of another build with 404, not the page", async () => {
    const res = await app.inject({ url: "/assets/index-old999.js" });
    expect(res.statusCode).toBe(404);
  });
});
