import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import {
  type CleanupAllocationsRequest,
  type Ipv6Pool,
  Ipv6PoolService,
  type UpdatePoolRequest,
} from "@metald/proto";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWithTransport } from "../../../test/render-with-transport";
import { LeakedAllocationsSection } from "./leaked-allocations-section";
import { PoolEditForm } from "./pool-edit-form";

const pool = {
  id: "blue",
  prefix: "2001:db8:b::/48",
  description: "blue pool",
  tenantId: "",
  rateLimit: 0,
} as Ipv6Pool;

function pools(answer: (req: UpdatePoolRequest) => unknown = (req) => ({ pool: req.pool })) {
  const updates: UpdatePoolRequest[] = [];
  const cleanups: CleanupAllocationsRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(Ipv6PoolService, {
      updatePool: (req) => {
        updates.push(req);
        return answer(req) as never;
      },
      cleanupAllocations: (req) => {
        cleanups.push(req);
        const addresses = ["2001:db8:b::7", "2001:db8:c::9"];
        return { released: addresses.length, addresses };
      },
    });
  });
  return { transport, updates, cleanups };
}

describe("editing a pool", () => {
  it("sends the whole pool and says when it is saved", async () => {
    const { transport, updates } = pools();
    const onDone = vi.fn();
    renderWithTransport(
      <PoolEditForm pool={pool} onDone={onDone} onCancel={() => {}} />,
      transport,
    );
    const user = userEvent.setup();
    const rate = await screen.findByLabelText("Rate limit");
    await user.clear(rate);
    await user.type(rate, "120");
    await user.type(screen.getByLabelText("Tenant"), "acme");
    await user.click(screen.getByRole("button", { name: "Save pool" }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith("Pool blue saved."));
    expect(updates[0]?.pool).toMatchObject({
      id: "blue",
      prefix: "2001:db8:b::/48",
      tenantId: "acme",
      rateLimit: 120,
    });
  });

  it("shows the server's invalid_argument at the field it names, and moves the focus there", async () => {
    const { transport } = pools(() => {
      throw new ConnectError(
        "pool.prefix: 2001:db8:zz::/48 is not an IPv6 prefix",
        Code.InvalidArgument,
      );
    });
    renderWithTransport(
      <PoolEditForm pool={pool} onDone={() => {}} onCancel={() => {}} />,
      transport,
    );
    const user = userEvent.setup();
    const prefix = await screen.findByLabelText("Prefix");
    await user.clear(prefix);
    await user.type(prefix, "2001:db8:zz::/48");
    await user.click(screen.getByRole("button", { name: "Save pool" }));
    await waitFor(() => expect(prefix.getAttribute("aria-invalid")).toBe("true"));
    expect(document.activeElement).toBe(prefix);
    expect(screen.getByText("2001:db8:zz::/48 is not an IPv6 prefix")).toBeTruthy();
    expect(screen.getByLabelText("Description").getAttribute("aria-invalid")).toBeNull();
  });

  it("refuses a rate limit that is not a number before asking the server", async () => {
    const { transport, updates } = pools();
    renderWithTransport(
      <PoolEditForm pool={pool} onDone={() => {}} onCancel={() => {}} />,
      transport,
    );
    const user = userEvent.setup();
    const rate = await screen.findByLabelText("Rate limit");
    await user.type(rate, "x");
    await user.click(screen.getByRole("button", { name: "Save pool" }));
    expect(rate.getAttribute("aria-invalid")).toBe("true");
    expect(updates).toHaveLength(0);
  });
});

describe("a pool's leaked allocations", () => {
  const leaked = [{ address: "2001:db8:b::7", poolId: "blue", interfaceId: "eth0", leaked: true }];

  it("names every address the cleanup would release before releasing them", async () => {
    const { transport, cleanups } = pools();
    const onDone = vi.fn();
    renderWithTransport(
      <LeakedAllocationsSection leaked={leaked as never} canClean onDone={onDone} />,
      transport,
    );
    const table = await screen.findByRole("table", { name: "Leaked allocations" });
    expect(within(table).getByRole("row", { name: /2001:db8:b::7/ })).toBeTruthy();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Release leaked addresses" }));
    const dialog = await screen.findByRole("dialog", { name: "Release leaked addresses?" });
    // The dry run lists the host's leaked addresses, this pool's and another's.
    await waitFor(() => expect(dialog.textContent).toContain("2001:db8:c::9"));
    expect(cleanups).toEqual([expect.objectContaining({ dryRun: true })]);
    await user.click(within(dialog).getByRole("button", { name: "Release" }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith("2 leaked addresses released."));
    // One release, after the dry run (the dry run is asked again as the pools are re-read).
    expect(cleanups.filter((c) => !c.dryRun)).toHaveLength(1);
    expect(cleanups.findIndex((c) => !c.dryRun)).toBeGreaterThan(0);
  });

  it("offers no cleanup to a caller who may not run it", async () => {
    const { transport } = pools();
    renderWithTransport(
      <LeakedAllocationsSection leaked={leaked as never} canClean={false} onDone={() => {}} />,
      transport,
    );
    await screen.findByRole("table", { name: "Leaked allocations" });
    expect(screen.queryByRole("button", { name: "Release leaked addresses" })).toBeNull();
  });
});
