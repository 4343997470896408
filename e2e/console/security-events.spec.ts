// The security events page against a sandbox host: a VM sends real rogue router advertisements
// (scapy in its namespace) and the ra_guard_block event arrives on the page live, without a
// reload, with the samples' ICMPv6 type in its details; axe and screenshots of the page.
import {
  canSendRealPackets,
  createGuest,
  type Guest,
  send,
  waitForAddresses,
} from "../enforcement/sandbox-guests.js";
import type { MetaldProcess } from "../harness/metald-process.js";
import { expect, test } from "./fixtures.js";
import { checkPage } from "./helpers/page-checks.js";
import { startSandboxHost } from "./helpers/sandbox-host.js";
import { liveEventRow, openEventDetails, visitSecurityEvents } from "./helpers/security-events.js";
import { signInAsDevelopmentOperator } from "./helpers/session.js";

test.describe("security events on a sandbox host", () => {
  test.skip(!canSendRealPackets, "needs root, ip, nft and scapy");
  let metald: MetaldProcess;
  let guest: Guest;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    metald = await startSandboxHost();
    guest = await createGuest(metald.url, "2001:db8:e7::a", {
      tenant_id: "console-events",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:e7::a/64", security: {} } }],
    });
    await waitForAddresses(guest);
  });

  test.afterAll(async () => {
    await metald?.destroy();
  });

  test("a rogue router advertisement from a VM arrives live", async ({ page }) => {
    await signInAsDevelopmentOperator(page, `${metald.url}/events`);
    await visitSecurityEvents(page, `${metald.url}/events`);
    await expect(page.getByText("No new events since this page opened.")).toBeVisible();

    // With its packet samples: the row names the sampled source.
    const row = liveEventRow(page, "ra guard block", guest.vmId).filter({
      hasText: guest.linkLocal,
    });
    // The stream is open once its request reached the server, and the kernel's samples are read
    // from the first ones on; an attack before either would be missed or come without samples,
    // so the attack repeats until the event shows with them.
    await expect(async () => {
      await send(guest, "ra-plain", { src: guest.linkLocal, count: 3 });
      await expect(row.first()).toBeVisible({ timeout: 6_000 });
    }).toPass({ timeout: 30_000 });
    await expect(row.first()).toContainText("console-events");

    await openEventDetails(row.first());
    const detail = page.getByRole("region", { name: /^Event / });
    await expect(detail).toContainText("134 (router advertisement)");
    await expect(detail.getByRole("table", { name: "Sampled sources" })).toContainText(
      guest.linkLocal,
    );
    await checkPage(page, "events");

    // The overview's chart counts it.
    await page.goto(`${metald.url}/`);
    await expect(page.getByRole("img", { name: /^Events per minute by type/ })).toBeVisible();
    await expect(page.getByRole("link", { name: "ra guard block" })).toBeVisible();
    await checkPage(page, "overview-events");
  });
});
