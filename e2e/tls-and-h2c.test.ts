// The API over TLS (HTTP/2 and HTTP/1.1 chosen by ALPN, TLS 1.2 or newer, 1.3 when asked for)
// and in cleartext (HTTP/2 with prior knowledge and HTTP/1.1 on one port), called by a gRPC
// client and by the guides' curl-style requests.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { VmService, VmState } from "@metald/proto";
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";

const CREATE = "/vmprovisioner.v1.VmService/CreateVm";
const LIST = "/vmprovisioner.v1.VmService/ListVms";

let certDir: string;
let certPath: string;
let keyPath: string;
let ca: Buffer;
let previousDispatcher: Dispatcher;

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), "metald-tls-"));
  certPath = join(certDir, "cert.pem");
  keyPath = join(certDir, "key.pem");
  // The subject alternative names let clients verify the certificate at https://127.0.0.1.
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-days",
      "1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  ca = await readFile(certPath);
  // fetch (the harness's readiness check included) trusts the test certificate.
  previousDispatcher = getGlobalDispatcher();
  setGlobalDispatcher(new Agent({ connect: { ca } }));
});

afterAll(async () => {
  setGlobalDispatcher(previousDispatcher);
  await rm(certDir, { recursive: true, force: true });
});

interface Answer {
  httpVersion: string;
  status: number;
  body: unknown;
}

/** A curl-style POST (`curl URL -d '…'`, form content type) over HTTP/1.1. */
function postOverHttp1(url: string, body: string): Promise<Answer> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: "POST",
        ca,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      (res: IncomingMessage) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        res.on("end", () =>
          resolve({
            httpVersion: res.httpVersion,
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

type Handshake = { protocol: string | null; alpn: string | false | null } | { error: string };

function handshake(url: string, options: ConnectionOptions): Promise<Handshake> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca, ...options }, () => {
      resolve({ protocol: socket.getProtocol(), alpn: socket.alpnProtocol ?? null });
      socket.destroy();
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
  });
}

// The server's "protocol_version" alert (RFC 8446 §6.2): the refusal came from metald, not from
// a client unable to offer the version.
const REFUSED_VERSION = { error: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" };
// OpenSSL 3 clients offer TLS 1.1 only at security level 0.
const TLS_1_1_CLIENT: ConnectionOptions = {
  minVersion: "TLSv1",
  maxVersion: "TLSv1.1",
  ciphers: "DEFAULT:@SECLEVEL=0",
};

describe("metald over TLS (--tls-cert, --tls-key)", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("pglite", { args: ["--tls-cert", certPath, "--tls-key", keyPath] });
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  it("reports an https URL and offers h2 and http/1.1 by ALPN", async () => {
    expect(metald.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await handshake(metald.url, { ALPNProtocols: ["h2", "http/1.1"] })).toEqual({
      protocol: "TLSv1.3",
      alpn: "h2",
    });
    expect(await handshake(metald.url, { ALPNProtocols: ["http/1.1"] })).toMatchObject({
      alpn: "http/1.1",
    });
  });

  it("serves CreateVm and ListVms to a gRPC client over HTTP/2", async () => {
    const client = createClient(
      VmService,
      createGrpcTransport({ baseUrl: metald.url, nodeOptions: { ca } }),
    );
    const { vmId, state } = await client.createVm({
      config: {
        ipv6Config: { enabled: true, addresses: ["2001:db8:7100::1/64"] },
        tenantId: "tls",
      },
    });
    expect(state).toBe(VmState.CREATED);
    const list = await client.listVms({ tenantId: "tls" });
    expect(list.vms.map((v) => v.vmId)).toEqual([vmId]);
  });

  it("serves the guides' curl-style JSON over HTTP/1.1", async () => {
    const created = await postOverHttp1(
      metald.url + CREATE,
      JSON.stringify({
        config: { tenant_id: "tls-curl", ipv6_config: { addresses: ["2001:db8:7101::1/64"] } },
      }),
    );
    expect(created).toMatchObject({ httpVersion: "1.1", status: 200 });
    const { vmId } = created.body as { vmId: string };
    const listed = await postOverHttp1(
      metald.url + LIST,
      JSON.stringify({ tenant_id: "tls-curl" }),
    );
    expect(listed.httpVersion).toBe("1.1");
    expect((listed.body as { vms: { vmId: string }[] }).vms.map((v) => v.vmId)).toEqual([vmId]);
  });

  it("refuses TLS 1.1 and accepts TLS 1.2 by default", async () => {
    expect(await handshake(metald.url, TLS_1_1_CLIENT)).toEqual(REFUSED_VERSION);
    expect(await handshake(metald.url, { maxVersion: "TLSv1.2" })).toMatchObject({
      protocol: "TLSv1.2",
    });
  });

  it("keeps the metrics port on plain HTTP", async () => {
    expect(metald.metricsUrl).toMatch(/^http:\/\//);
    const res = await fetch(metald.metricsUrl);
    expect(res.status).toBe(200);
  });
});

describe("metald over TLS with METALD_TLS_MIN_VERSION=1.3", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("pglite", {
      env: { METALD_TLS_CERT: certPath, METALD_TLS_KEY: keyPath, METALD_TLS_MIN_VERSION: "1.3" },
    });
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  it("refuses TLS 1.2 and accepts TLS 1.3", async () => {
    expect(await handshake(metald.url, { maxVersion: "TLSv1.2" })).toEqual(REFUSED_VERSION);
    expect(await handshake(metald.url, { minVersion: "TLSv1.3" })).toMatchObject({
      protocol: "TLSv1.3",
    });
  });
});

describe("metald in cleartext", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("pglite");
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  it("serves a gRPC client over HTTP/2 (h2c) and curl over HTTP/1.1 on the same port", async () => {
    expect(metald.url).toMatch(/^http:\/\//);
    // gRPC is HTTP/2 only: on an http:// URL the transport speaks it with prior knowledge.
    const client = createClient(VmService, createGrpcTransport({ baseUrl: metald.url }));
    const { vmId } = await client.createVm({
      config: { ipv6Config: { addresses: ["2001:db8:7102::1/64"] }, tenantId: "h2c" },
    });
    expect((await client.listVms({ tenantId: "h2c" })).vms.map((v) => v.vmId)).toEqual([vmId]);
    const listed = await postOverHttp1(metald.url + LIST, JSON.stringify({ tenant_id: "h2c" }));
    expect(listed).toMatchObject({ httpVersion: "1.1", status: 200 });
    expect((listed.body as { vms: { vmId: string }[] }).vms.map((v) => v.vmId)).toEqual([vmId]);
  });
});
