// How metald serves the built console: index.html revalidated on every load, hashed assets
// cached for a year, the console's own routes answered with the page, and API paths never.
import { expect, test } from "./fixtures.js";

test("serves the built console at / and never in place of an API path", async ({ request }) => {
  const index = await request.get("/");
  expect(index.status()).toBe(200);
  expect(index.headers()["cache-control"]).toBe("no-cache");
  expect(index.headers()["content-security-policy"]).toContain("default-src 'self'");
  const html = await index.text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  const asset = await request.get(script as string);
  expect(asset.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(asset.headers()["content-type"]).toContain("text/javascript");

  const route = await request.get("/vms/vm-anything?state=RUNNING");
  expect(route.headers()["content-type"]).toContain("text/html");
  expect(await route.text()).toBe(html);

  for (const path of [
    "/api/v1/nothing-here",
    "/debug/nothing-here",
    "/vmprovisioner.v1.VmService/Nope",
  ]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(404);
    expect(await res.json(), path).toMatchObject({ code: "not_found" });
  }
  const health = await request.get("/health");
  expect(await health.json()).toMatchObject({ status: "ok" });
});
