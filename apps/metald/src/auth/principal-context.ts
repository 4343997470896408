// The caller, carried from Fastify's request into Connect handlers.
import { createContextKey } from "@connectrpc/connect";
import type { Principal } from "./principal.js";

export const PRINCIPAL = createContextKey<Principal | undefined>(undefined, {
  description: "the authenticated caller",
});
