// Serves the built operator console (apps/console/dist) at /: hashed files under /assets/ cached
// for a year, index.html revalidated on every load, and any other GET that is not an API path
// answered with index.html so that the console's own routes (/vms/…) load on a refresh. The
// files are read once at start: a request can only name one of them, so no path reaches
// outside the directory. API paths (/api/, /health, /debug, /metrics, Connect's
// /<package>.<Service>/…) are never answered here: they keep their own 404s and 405s.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** apps/console/dist, from apps/metald/{src,dist}/http. */
export const CONSOLE_DIR = fileURLToPath(new URL("../../../console/dist/", import.meta.url));

const API_SEGMENTS = new Set(["api", "health", "debug", "metrics"]);
/** A protobuf service path's first segment: vmprovisioner.v1.VmService, grpc.health.v1.Health. */
const SERVICE_SEGMENT = /^[a-z0-9_]+(\.[a-z0-9_]+)*\.[A-Z][A-Za-z0-9_]*$/;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";
// The console loads its own scripts and styles and talks to this origin only.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

interface ConsoleFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

/** Whether a path belongs to the console rather than to the API. */
export function isConsolePath(path: string): boolean {
  const first = path.split("/")[1] ?? "";
  return !API_SEGMENTS.has(first) && !SERVICE_SEGMENT.test(first);
}

/** Whether a request may load without credentials: the console's files and its routes. */
export function isConsoleRequest(req: FastifyRequest): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (req.routeOptions.config?.consoleFiles !== true) return false;
  return isConsolePath(req.url.split("?")[0] ?? "");
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set on the console's routes: they load before the user signs in. */
    consoleFiles?: boolean;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function loadFiles(dir: string): Promise<Map<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>();
  for (const path of await listFiles(dir)) {
    const parts = relative(dir, path).split(sep);
    // Build metadata (Vite's .vite/manifest.json) is not part of the console.
    if (parts.some((part) => part.startsWith("."))) continue;
    const url = `/${parts.join("/")}`;
    const body = await readFile(path);
    const type = TYPES[extname(path)] ?? "application/octet-stream";
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
    files.set(url, {
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
      type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      // Vite names everything under assets/ by its content hash.
      cacheControl: url.startsWith("/assets/") ? IMMUTABLE : REVALIDATE,
    });
  }
  return files;
}

function send(req: FastifyRequest, reply: FastifyReply, file: ConsoleFile) {
  reply
    .headers(SECURITY_HEADERS)
    .header("content-type", file.type)
    .header("cache-control", file.cacheControl)
    .header("etag", file.etag)
    .header("vary", "accept-encoding");
  if (req.headers["if-none-match"] === file.etag) return reply.code(304).send();
  if (file.gzip && /\bgzip\b/.test(req.headers["accept-encoding"] ?? ""))
    return reply.header("content-encoding", "gzip").send(file.gzip);
  return reply.send(file.body);
}

/** Registers the console's routes; without a built console, only logs how to build it. */
export async function registerConsole(app: FastifyInstance, dir = CONSOLE_DIR): Promise<void> {
  if (!existsSync(join(dir, "index.html"))) {
    app.log.info({ dir }, "no built console to serve (pnpm build builds it)");
    return;
  }
  const files = await loadFiles(dir);
  const index = files.get("/index.html") as ConsoleFile;
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split("?")[0] ?? "/";
    if (!isConsolePath(path)) return reply.callNotFound();
    const file = files.get(path);
    if (file) return send(req, reply, file);
    // A missing hashed file is a stale page asking for an old build: a 404, not the page.
    if (path.startsWith("/assets/")) return reply.callNotFound();
    return send(req, reply, index);
  };
  app.get("/", { config: { consoleFiles: true } }, handler);
  app.get("/*", { config: { consoleFiles: true } }, handler);
}
