// Host-wide blocked sources (the guides' `blocked_sources` set), kept in the database and
// programmed into the ip6 metald_security table:
//   GET    /debug/security/blocked-sources           [{source, reason, actor, created_at, packets}]
//   POST   /debug/security/blocked-sources           {"source": "2001:db8:bad::1", "reason": "…"}
//   DELETE /debug/security/blocked-sources/{source}  (a prefix's "/" written as %2F)
// Each change holds the host change lock from its row to its element (or the rollback), as a
// VM change does: a reconcile, which reads the rows and makes the kernel match them, sees
// either both or neither. The rows are the fleet's: a change brings this host's kernel to all
// of them (blocked-source-sync.ts), and the other hosts follow on their heartbeat.
import { checkPrefix, checkUnicastAddress, FieldError, type PortCounters } from "@metald/core";
import type { BlockedSourceRepository } from "@metald/db";
import type { FastifyInstance } from "fastify";
import { BLOCKED_SOURCES_LOCK_KEY, type BlockedSourceSync } from "../fleet/blocked-source-sync.js";
import type { HostChangeLock } from "../vm/host-change-lock.js";
import { sendError } from "./http-errors.js";

export interface BlockedSourceRouteOptions {
  repository: BlockedSourceRepository;
  /** Brings the kernel to the rows (under the lock key, which the routes hold). */
  sync: Pick<BlockedSourceSync, "applyHeld">;
  /** The lock VM changes and the reconcile take (server.ts makes one for all three). */
  hostLock: HostChangeLock;
  readCounters?: () => Promise<PortCounters>;
}

function canonicalSource(text: unknown, path: string): string {
  if (typeof text !== "string" || text === "")
    throw new FieldError(path, "is required: an IPv6 address or prefix");
  if (text.includes("/")) return checkPrefix(text, path);
  return checkUnicastAddress(text, path);
}

export function registerBlockedSourceRoutes(
  app: FastifyInstance,
  options: BlockedSourceRouteOptions,
): void {
  const { repository, sync, hostLock } = options;

  app.get("/debug/security/blocked-sources", async () => {
    const counters = options.readCounters ? await options.readCounters() : new Map();
    return (await repository.list()).map((b) => {
      const key = b.source.endsWith("/128") ? b.source.slice(0, -4) : b.source;
      return {
        source: b.source,
        reason: b.reason,
        actor: b.actor,
        created_at: b.createdAt.toISOString(),
        packets: counters.get(key)?.blocked_sources?.packets ?? 0,
      };
    });
  });

  app.post<{ Body: { source?: unknown; reason?: unknown } }>(
    "/debug/security/blocked-sources",
    async (req, reply) => {
      try {
        const source = canonicalSource(req.body?.source, "source");
        const reason = typeof req.body?.reason === "string" ? req.body.reason : "";
        if (reason.length > 256) throw new FieldError("reason", "is longer than 256 characters");
        const added = await hostLock.shared(BLOCKED_SOURCES_LOCK_KEY, async () => {
          const stored = await repository.add(source, reason, "operator", new Date());
          try {
            // Also when the row was there: another host may have added it since the last tick.
            await sync.applyHeld();
          } catch (error) {
            if (stored) await repository.remove(source);
            throw error;
          }
          return stored;
        });
        return reply.code(added ? 201 : 200).send({ source, reason, created: added });
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );

  app.delete<{ Params: { source: string } }>(
    "/debug/security/blocked-sources/:source",
    async (req, reply) => {
      try {
        const source = canonicalSource(req.params.source, "source");
        const removed = await hostLock.shared(BLOCKED_SOURCES_LOCK_KEY, async () => {
          const deleted = await repository.remove(source);
          await sync.applyHeld();
          return deleted;
        });
        if (!removed) {
          return reply.code(404).send({ code: "not_found", message: `${source} is not blocked` });
        }
        return { source, removed: true };
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );
}
