// Syslog destinations as URLs: udp://HOST[:PORT] (RFC 5426, default 514), tcp://HOST[:PORT]
// (RFC 6587 octet counting, default 514) and tls://HOST[:PORT] (RFC 5425, default 6514).
// IPv6 literals in brackets. Nothing else may be in the URL: no path, query, user or password.

export type SyslogTransport = "udp" | "tcp" | "tls";

export interface SyslogEndpoint {
  transport: SyslogTransport;
  /** Host name or address, without brackets. */
  host: string;
  port: number;
}

export const SYSLOG_DEFAULT_PORTS: Readonly<Record<SyslogTransport, number>> = {
  udp: 514,
  tcp: 514,
  tls: 6514,
};

export const isSyslogUrl = (url: string): boolean => /^(udp|tcp|tls):\/\//i.test(url);

/** The endpoint a syslog URL names, or the problem with it (a sentence fragment). */
export function parseSyslogEndpoint(url: string): SyslogEndpoint | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: "is not a URL" };
  }
  const transport = parsed.protocol.slice(0, -1).toLowerCase();
  if (transport !== "udp" && transport !== "tcp" && transport !== "tls")
    return { problem: "must start with udp://, tcp:// or tls://" };
  if (parsed.hostname === "") return { problem: "has no host" };
  if (parsed.username !== "" || parsed.password !== "")
    return { problem: "must not hold a user or password" };
  if (
    (parsed.pathname !== "" && parsed.pathname !== "/") ||
    parsed.search !== "" ||
    parsed.hash !== ""
  )
    return { problem: "must be scheme://host:port, without a path, query or fragment" };
  return {
    transport,
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port === "" ? SYSLOG_DEFAULT_PORTS[transport] : Number(parsed.port),
  };
}
