// Every schema change, in order. One list serves PGlite and PostgreSQL.
import { initialSchema } from "./0001-initial-schema.js";
import { blockedSources } from "./0002-blocked-sources.js";
import { tenantMarks } from "./0003-tenant-marks.js";
import { eventFeed } from "./0004-event-feed.js";
import { poolOffsets } from "./0005-pool-offsets.js";
import { apiTokens } from "./0006-api-tokens.js";
import { hostBridges } from "./0007-host-bridges.js";
import { complianceStatus } from "./0008-compliance-status.js";
import { auditChain } from "./0009-audit-chain.js";
import { hostRegistry } from "./0011-host-registry.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial-schema", sql: initialSchema },
  { version: 2, name: "blocked-sources", sql: blockedSources },
  { version: 3, name: "tenant-marks", sql: tenantMarks },
  { version: 4, name: "event-feed", sql: eventFeed },
  { version: 5, name: "pool-offsets", sql: poolOffsets },
  { version: 6, name: "api-tokens", sql: apiTokens },
  { version: 7, name: "host-bridges", sql: hostBridges },
  { version: 8, name: "compliance-status", sql: complianceStatus },
  { version: 9, name: "audit-chain", sql: auditChain },
  { version: 11, name: "host-registry", sql: hostRegistry },
];
