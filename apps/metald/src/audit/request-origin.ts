// Who is asking and from where, for every audit record written while a request is served: one
// AsyncLocalStorage store per request, entered before authentication (so the hook's principal
// lands in it) and read by the audit writer. A request that changed something without an audit
// record of its own (pools, tenants, blocked sources, refused writes) gets a generic one when it
// ends, so every API write is in the trail.
import { AsyncLocalStorage } from "node:async_hooks";
import type { AuditOrigin, AuditRepository } from "@metald/db";
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from "fastify";

interface RequestAuditStore {
  req: FastifyRequest;
  /** A domain record (a VM change, a token) was written for this request. */
  audited: boolean;
}

const storage = new AsyncLocalStorage<RequestAuditStore>();
// onResponse runs from the response's end, outside the request's async context: it finds the
// store through the request.
const stores = new WeakMap<FastifyRequest, RequestAuditStore>();

/** The current request's origin; marks the request as audited (see registerRequestAudit). */
export function currentRequestOrigin(): AuditOrigin | undefined {
  const store = storage.getStore();
  if (!store) return undefined;
  store.audited = true;
  return originOf(store.req);
}

export function originOf(req: FastifyRequest): AuditOrigin {
  const p = req.principal;
  const agent = req.headers["user-agent"];
  return {
    tokenId: p?.tokenId ?? null,
    role: p?.kind ?? null,
    actorTenantId: p?.kind === "tenant" ? p.tenantId : null,
    clientAddress: req.ip,
    userAgent: typeof agent === "string" ? agent.slice(0, 512) : null,
  };
}

export function actorOf(req: FastifyRequest): string {
  const p = req.principal;
  if (!p) return "anonymous";
  return p.kind === "tenant" ? `tenant:${p.tenantId}:${p.name}` : `${p.kind}:${p.name}`;
}

// Connect methods that only read; every other method is a write.
const CONNECT_READ =
  /^\/vmprovisioner\.v1\.[A-Za-z]+\/(Get|List|Stream|Watch|Verify|Check)[A-Za-z]*$/;
const MAX_BODY_CHARS = 16_384;

export function isApiWrite(method: string, path: string): boolean {
  if (path.startsWith("/vmprovisioner.v1.")) return !CONNECT_READ.test(path);
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return false;
  // A report asked for with a POST body (the guides' curl) reads only.
  if (path === "/debug/security/report") return false;
  return path.startsWith("/api/") || path.startsWith("/debug/");
}

/** The request's body as the record's "after" (bounded; binary bodies are left out). */
function bodyOf(req: FastifyRequest): unknown {
  const body = req.body;
  if (body === undefined || body === null || Buffer.isBuffer(body)) return null;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  if (text.length > MAX_BODY_CHARS) return { truncated: true, chars: text.length };
  return typeof body === "string" ? { text } : body;
}

export function registerRequestAudit(
  app: FastifyInstance,
  o: { audit: AuditRepository; newId: () => string; logger: FastifyBaseLogger },
): void {
  app.addHook("onRequest", (req, _reply, done) => {
    const store = { req, audited: false };
    stores.set(req, store);
    storage.run(store, done);
  });
  app.addHook("onResponse", (req, reply, done) => {
    const store = stores.get(req);
    const path = req.url.split("?")[0] ?? "";
    // 401s are audited by the authentication hook as auth.failure.
    if (!store || store.audited || reply.statusCode === 401 || !isApiWrite(req.method, path))
      return done();
    const denied = reply.statusCode === 403;
    o.audit
      .append({
        id: o.newId(),
        occurredAt: new Date(),
        actor: actorOf(req),
        action: denied ? "api.denied" : "api.write",
        ...originOf(req),
        tenantId: req.principal?.kind === "tenant" ? req.principal.tenantId : null,
        details: { method: req.method, path, status: reply.statusCode },
        after: bodyOf(req),
      })
      .catch((error: unknown) => o.logger.error({ err: error }, "writing an audit record failed"));
    done();
  });
}
