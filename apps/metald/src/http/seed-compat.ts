// Compatibility rules for requests as the guides send them, applied before routing:
//  - `curl -X PUT` on a Connect path is treated as POST;
//  - `curl -d '{…}'` without a Content-Type (curl then says application/x-www-form-urlencoded)
//    on a Connect path is treated as JSON.
// Only paths of the vmprovisioner.v1 services are touched. docs/api-compatibility.md lists these.
import type { IncomingMessage } from "node:http";

const CONNECT_PATH = /^\/vmprovisioner\.v1\.[A-Za-z0-9]+\/[A-Za-z0-9]+(\?|$)/;

export function applySeedCompatibility(req: IncomingMessage): void {
  if (!req.url || !CONNECT_PATH.test(req.url)) return;
  if (req.method === "PUT") req.method = "POST";
  if (req.method !== "POST") return;
  const type = req.headers["content-type"];
  if (type === undefined || type.startsWith("application/x-www-form-urlencoded")) {
    req.headers["content-type"] = "application/json";
  }
}
