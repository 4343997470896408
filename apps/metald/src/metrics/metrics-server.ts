// The Prometheus endpoint (:9464/metrics by default), apart from the API port so that it can
// be exposed to a scraper without exposing the API.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "Content-Type": registry.contentType }).end(text),
      (error: unknown) =>
        res.writeHead(500, { "Content-Type": "text/plain" }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return server;
}
