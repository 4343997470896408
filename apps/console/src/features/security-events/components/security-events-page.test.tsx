import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createRouterTransport } from "@connectrpc/connect";
import {
  EventSeverity,
  HostService,
  PrincipalKind,
  type SecurityEvent,
  SecurityEventSchema,
  SecurityEventService,
  TenantService,
} from "@metald/proto";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Suspense } from "react";
import { describe, expect, it } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { bucketEventsPerMinute } from "../api/count-events-per-minute";
import { SecurityEventsPage } from "./security-events-page";

const event = (id: string, extra: Partial<SecurityEvent> = {}) =>
  create(SecurityEventSchema, {
    eventId: id,
    timestamp: timestampFromDate(new Date()),
    vmId: "vm-1",
    customerId: "acme",
    eventType: "ra_guard_block",
    severity: EventSeverity.WARNING,
    sourceIp: "fe80::bad",
    description: "rogue router advertisements dropped",
    count: 3n,
    details: {
      samples: 3,
      sampled_sources: [{ ip: "fe80::bad", samples: 3 }],
      other_sources: 0,
      icmpv6_types: [134],
      extension_headers: ["hop-by-hop"],
    },
    ...extra,
  });

function page(stream: () => AsyncIterable<{ event: SecurityEvent }>, history: SecurityEvent[]) {
  const transport = createRouterTransport(({ service }) => {
    service(HostService, {
      getHostInfo: () => ({ caller: { kind: PrincipalKind.OPERATOR, name: "operator" } }),
    });
    service(TenantService, { listTenants: () => ({ tenants: [{ id: "acme" }] }) });
    service(SecurityEventService, {
      listSecurityEvents: () => ({ events: history, nextPageToken: "" }),
      getSecurityReport: () => ({
        totalEvents: BigInt(history.length),
        byEventType: [{ key: "ra_guard_block", count: BigInt(history.length) }],
      }),
      streamSecurityEvents: stream,
    });
  });
  return renderWithTransport(
    <Suspense fallback={<p>Loading…</p>}>
      <SecurityEventsPage />
    </Suspense>,
    transport,
  );
}

describe("SecurityEventsPage", () => {
  it("shows streamed events as they arrive, newest first, and one in full", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    page(async function* () {
      yield { event: event("ev-live-1") };
      yield { event: event("ev-live-2", { eventType: "source_spoofing", severity: 4 }) };
      await held;
    }, []);
    const live = await screen.findByRole("table", { name: "Live events, newest first" });
    const rows = await within(live).findAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(rows[1]?.textContent).toContain("source spoofing");
    expect(rows[1]?.textContent).toContain("Critical");
    expect(rows[2]?.textContent).toContain("ra guard block");
    expect(await screen.findAllByText("No events in this time range.")).toHaveLength(2);

    await userEvent.click(
      within(live).getByRole("button", { name: "Details of ra guard block event ev-live-1" }),
    );
    const detail = screen.getByRole("region", { name: "Event ev-live-1" });
    expect(detail.textContent).toContain("134 (router advertisement)");
    expect(detail.textContent).toContain("hop-by-hop");
    expect(within(detail).getByRole("table", { name: "Sampled sources" }).textContent).toContain(
      "fe80::bad3",
    );
    release();
  });

  it("says so when the live stream fails and offers to reconnect", async () => {
    page(
      async function* () {
        yield* [];
        throw new Error("stream cut");
      },
      [event("ev-old")],
    );
    expect(await screen.findByText("The live stream failed.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Reconnect" })).toBeTruthy();
    const stored = await screen.findByRole("table", { name: /Stored events/ });
    expect(within(stored).getByRole("button", { name: /event ev-old$/ })).toBeTruthy();
  });
});

describe("bucketEventsPerMinute", () => {
  it("counts events per minute and type over the last hour", () => {
    const now = Date.UTC(2026, 0, 1, 12, 30, 20);
    const at = (ms: number) => event(String(ms), { timestamp: timestampFromDate(new Date(ms)) });
    const data = bucketEventsPerMinute(
      [at(now - 5_000), at(now - 10_000), at(now - 2 * 3_600_000)],
      now,
    );
    expect(data.minutes).toHaveLength(60);
    expect(data.series).toEqual([expect.objectContaining({ type: "ra_guard_block", total: 2 })]);
    expect(data.series[0]?.counts[59]).toBe(2);
  });
});
