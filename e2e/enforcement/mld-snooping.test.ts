// Real packets against enable_mld_snooping (the tenant bridge's mcast_snooping). Two tenant
// bridges, one with snooping and one without, each with three VMs: a sender that also plays
// the link's MLD querier (as the tenant's router would), a member that joins a group with an
// MLDv2 report, and a non-member. On the snooping bridge, once a querier is present, a packet
// to the group reaches the member and not the non-member; without snooping both get it.
// The Linux bridge floods multicast while it knows no querier on the link (RFC 4541 2.1.1:
// without one, memberships cannot be kept up to date), so the first test shows the flood
// before any query, and the rest send a general query first. No per-VM counter moves here:
// a bridge that does not forward a frame to a port does not drop it in any nftables rule.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  capture,
  createGuest,
  type Guest,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const GROUP = "ff05::db8:1234";

interface Link {
  bridge: string;
  sender: Guest;
  member: Guest;
  nonMember: Guest;
}

describe.runIf(canSendRealPackets)("MLD snooping with real packets (sandbox)", () => {
  let metald: MetaldProcess;
  const links: Link[] = [];
  let snooping: Link;
  let flooding: Link;

  const guest = (tenant: string, address: string, snoop: boolean) =>
    createGuest(metald.url, address, {
      tenant_id: tenant,
      ipv6_config: {
        addresses: [`${address}/64`],
        security: { profile: "SECURITY_PROFILE_LOW", isolation: { enable_mld_snooping: snoop } },
      },
    });

  const link = async (tenant: string, prefix: string, snoop: boolean): Promise<Link> => {
    const l = {
      bridge: `br-${tenant}`,
      sender: await guest(tenant, `${prefix}::1`, snoop),
      member: await guest(tenant, `${prefix}::2`, snoop),
      nonMember: await guest(tenant, `${prefix}::3`, snoop),
    };
    links.push(l);
    for (const g of [l.sender, l.member, l.nonMember]) await waitForAddresses(g);
    return l;
  };

  const inSandbox = (args: string[]) =>
    execFileSync("ip", ["netns", "exec", metald.env.METALD_SANDBOX_NAMESPACE as string, ...args])
      .toString()
      .trim();

  /** The ports the bridge's multicast database lists for GROUP. */
  const groupPorts = (l: Link): string[] => {
    const out = inSandbox(["bridge", "-j", "mdb", "show", "dev", l.bridge]);
    const mdb = JSON.parse(out || "[]") as { mdb?: { port: string; grp: string }[] }[];
    return mdb.flatMap((b) => b.mdb ?? []).flatMap((e) => (e.grp === GROUP ? [e.port] : []));
  };

  /** Sends three echo requests to GROUP from the sender; resolves what each VM captured. */
  const sendToGroup = async (l: Link) => {
    const member = await capture(l.member, "echo", 30, l.sender.address);
    const nonMember = await capture(l.nonMember, "echo", 30, l.sender.address);
    const sent = await send(l.sender, "echo", { src: l.sender.address, dst: GROUP, count: 3 });
    return { sent, member: await member.stop(), nonMember: await nonMember.stop() };
  };

  const join = (l: Link) => send(l.member, "mld-join", { src: l.member.linkLocal, target: GROUP });
  const query = (l: Link) => send(l.sender, "mld-query", { src: l.sender.linkLocal });

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    snooping = await link("mldon", "2001:db8:5a", true);
    flooding = await link("mldoff", "2001:db8:5b", false);
  }, 60_000);

  afterAll(async () => {
    for (const g of links.flatMap((l) => [l.sender, l.member, l.nonMember])) {
      await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
  });

  it("creates each tenant bridge with mcast_snooping as enable_mld_snooping says", () => {
    const snoopingOf = (l: Link) => {
      const out = inSandbox(["ip", "-d", "-j", "link", "show", "dev", l.bridge]);
      return (JSON.parse(out) as { linkinfo: { info_data: { mcast_snooping: number } } }[])[0]
        ?.linkinfo.info_data.mcast_snooping;
    };
    expect(snoopingOf(snooping)).toBe(1);
    expect(snoopingOf(flooding)).toBe(0);
  });

  it("snooping bridge without a querier: learns the membership but still floods the group", async () => {
    await join(snooping);
    await expect
      .poll(() => groupPorts(snooping), { timeout: 5_000 })
      .toEqual([snooping.member.tap]);
    const got = await sendToGroup(snooping);
    expect(got).toEqual({ sent: 3, member: 3, nonMember: 3 });
  });

  it("snooping bridge with a querier: the group's packets reach the member only", async () => {
    await query(snooping);
    await join(snooping);
    await expect
      .poll(() => groupPorts(snooping), { timeout: 5_000 })
      .toEqual([snooping.member.tap]);
    const got = await sendToGroup(snooping);
    expect(got).toEqual({ sent: 3, member: 3, nonMember: 0 });
  });

  it("bridge without snooping, same querier and report: both VMs get the group's packets", async () => {
    await query(flooding);
    await join(flooding);
    // Nothing to wait for: a bridge without snooping keeps no multicast database.
    expect(groupPorts(flooding)).toEqual([]);
    const got = await sendToGroup(flooding);
    expect(got).toEqual({ sent: 3, member: 3, nonMember: 3 });
  });
});
