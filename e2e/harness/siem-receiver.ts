// A SIEM stand-in on loopback: accepts metald's pushes (NDJSON of ECS documents, CEF or LEEF
// lines), parses them back with the formats' parsers, and can go down and come back on the
// same port to test delivery across outages. It listens on a port the kernel picks.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseCef, parseLeef } from "@metald/core";

export interface ReceivedBatch {
  destination: string;
  format: string;
  authorization: string | undefined;
  /** One parsed record per line: ECS document, or CEF/LEEF fields. */
  records: Record<string, unknown>[];
}

export interface SiemReceiver {
  readonly url: string;
  readonly batches: ReceivedBatch[];
  /** Event ids received in `format` (with repeats, in arrival order). */
  eventIds(format?: string): string[];
  /** Answers every request with this status from now on (200 = healthy). */
  answerWith(status: number): void;
  /** Holds every response until released (a delivery in flight). */
  hold(): { release(): void; arrived: Promise<void> };
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseLine(format: string, line: string): Record<string, unknown> {
  if (format === "cef") return parseCef(line) as unknown as Record<string, unknown>;
  if (format === "leef") return parseLeef(line) as unknown as Record<string, unknown>;
  return JSON.parse(line) as Record<string, unknown>;
}

export function idOf(format: string, record: Record<string, unknown>): string {
  if (format === "cef") return (record.extension as Record<string, string>).externalId ?? "";
  if (format === "leef") return (record.attributes as Record<string, string>).externalId ?? "";
  return String((record.event as { id?: string } | undefined)?.id ?? "");
}

export async function startSiemReceiver(): Promise<SiemReceiver> {
  const batches: ReceivedBatch[] = [];
  let status = 200;
  let held: Promise<void> | undefined;
  let onArrival: (() => void) | undefined;
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    const s = createServer(async (req, res) => {
      const text = await body(req);
      onArrival?.();
      if (held) await held;
      if (status !== 200) {
        res.writeHead(status).end();
        return;
      }
      const format = String(req.headers["x-metald-format"] ?? "json");
      batches.push({
        destination: String(req.headers["x-metald-destination"] ?? ""),
        format,
        authorization: req.headers.authorization,
        records: text
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => parseLine(format, l)),
      });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    // Port 0 the first time (the kernel picks a free one); the same port when it comes back up,
    // since metald is configured with its URL.
    await new Promise<void>((resolve, reject) => {
      s.once("error", (error) =>
        reject(new Error(`SIEM receiver cannot listen on 127.0.0.1:${port}: ${error.message}`)),
      );
      s.listen(port, "127.0.0.1", resolve);
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  await listen();

  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  };

  return {
    get url() {
      return `http://127.0.0.1:${port}/api/v1/events`;
    },
    batches,
    eventIds(format) {
      return batches
        .filter((b) => format === undefined || b.format === format)
        .flatMap((b) => b.records.map((r) => idOf(b.format, r)));
    },
    answerWith(s) {
      status = s;
    },
    hold() {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = () => {
          held = undefined;
          resolve();
        };
      });
      const arrived = new Promise<void>((resolve) => {
        onArrival = () => {
          onArrival = undefined;
          resolve();
        };
      });
      return { release, arrived };
    },
    down: close,
    up: listen,
    close,
  };
}
