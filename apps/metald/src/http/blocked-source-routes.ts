// Host-wide blocked sources (the guides' `blocked_sources` set), kept in the database and
// programmed into the ip6 metald_security table:
//   GET    /debug/security/blocked-sources           [{source, reason, actor, created_at, packets}]
//   POST   /debug/security/blocked-sources           {"source": "2001:db8:bad::1", "reason": "…"}
//   DELETE /debug/security/blocked-sources/{source}  (a prefix's "/" written as %2F)
// Each change holds the host change lock from its row to its element (or the rollback), as a
// VM change does: a reconcile, which reads the rows and makes the kernel match them, sees
// either both or neither.
import {
  checkPrefix,
  checkUnicastAddress,
  FieldError,
  type HostDriver,
  type PortCounters,
} from "@metald/core";
import type { BlockedSourceRepository } from "@metald/db";
import type { FastifyInstance } from "fastify";
import type { HostChangeLock } from "../vm/host-change-lock.js";
import { sendError } from "./http-errors.js";

/**
 * The lock key blocked-source changes share: one at a time among themselves (an add and a
 * remove of one source apply in the order they came), alongside VM changes. No VM id has a
 * space, so none shares it.
 */
export const BLOCKED_SOURCES_LOCK_KEY = "host blocked-sources";

export interface BlockedSourceRouteOptions {
  repository: BlockedSourceRepository;
  driver: HostDriver;
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
  const { repository, driver, hostLock } = options;

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
          if (!(await repository.add(source, reason, "operator", new Date()))) return false;
          try {
            await driver.updateBlockedSources([source], []);
          } catch (error) {
            await repository.remove(source);
            throw error;
          }
          return true;
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
          if (!(await repository.remove(source))) return false;
          await driver.updateBlockedSources([], [source]);
          return true;
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
