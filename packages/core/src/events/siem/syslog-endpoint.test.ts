import { expect, it } from "vitest";
import { isSyslogUrl, parseSyslogEndpoint } from "./syslog-endpoint.js";

it("reads udp, tcp and tls URLs with their default ports and IPv6 literals", () => {
  expect(parseSyslogEndpoint("udp://siem.example")).toEqual({
    transport: "udp",
    host: "siem.example",
    port: 514,
  });
  expect(parseSyslogEndpoint("tcp://10.0.0.5:1514")).toEqual({
    transport: "tcp",
    host: "10.0.0.5",
    port: 1514,
  });
  expect(parseSyslogEndpoint("tls://[2001:db8::5]")).toEqual({
    transport: "tls",
    host: "2001:db8::5",
    port: 6514,
  });
  expect(isSyslogUrl("TLS://x")).toBe(true);
  expect(isSyslogUrl("https://x")).toBe(false);
});

it("says what is wrong with a URL it cannot use", () => {
  expect(parseSyslogEndpoint("syslog://x")).toEqual({
    problem: "must start with udp://, tcp:// or tls://",
  });
  expect(parseSyslogEndpoint("tcp://x:514/path")).toMatchObject({
    problem: expect.stringMatching(/without a path/),
  });
  expect(parseSyslogEndpoint("tcp://u:p@x:514")).toMatchObject({
    problem: expect.stringMatching(/user/),
  });
  expect(parseSyslogEndpoint("tcp://x:99999")).toEqual({ problem: "is not a URL" });
});
