import { describe, expect, it } from "vitest";
import {
  createCounterObserver,
  elementKey,
  parseElementCounters,
  SLOW_SET_READINGS,
} from "./counter-observer.js";

/** A fake nft: named counters and set listings as nft 1.0.6 prints them, and the calls made. */
function fakeNft() {
  const sets: Record<string, { family: string; elems: [string, number][] }> = {
    source_guard: { family: "bridge", elems: [["tapa0", 0]] },
    egress_default_drop: { family: "inet", elems: [["2001:db8::1", 0]] },
    quarantine: { family: "bridge", elems: [] },
    ra_guard: { family: "bridge", elems: [] },
    nd_guard: { family: "bridge", elems: [] },
    eh_hbh: { family: "bridge", elems: [] },
    rl_pps_burst: { family: "bridge", elems: [["tapc0", 0]] },
  };
  const counters: Record<string, number> = Object.fromEntries(
    Object.keys(sets).map((set) => [`${set}_seen`, 0]),
  );
  const calls: string[] = [];
  const setJson = (name: string) => ({
    set: {
      family: sets[name]?.family,
      name,
      table: "metald_security",
      elem: (sets[name]?.elems ?? []).map(([val, packets]) => ({
        elem: { val, counter: { packets, bytes: packets * 100 } },
      })),
    },
  });
  const nft = async (args: string[], input?: string) => {
    calls.push(args.join(" "));
    if (args.join(" ") === "-f -") {
      // `get element` of one set and key, answered in nft's text output.
      const [, set, key] =
        /get element \w+ metald_security (\w+) \{ "(\w+)" \}/.exec(input ?? "") ?? [];
      const packets = sets[set ?? ""]?.elems.find(([k]) => k === key)?.[1] ?? 0;
      return `table bridge metald_security {\n\tset ${set} {\n\t\ttype ifname\n\t\telements = { "${key}" counter packets ${packets} bytes ${packets * 100} }\n\t}\n}\n`;
    }
    if (args.join(" ") === "-t -j list ruleset")
      return JSON.stringify({
        nftables: Object.entries(counters).map(([name, packets]) => ({
          counter: { family: "bridge", name, table: "metald_security", packets, bytes: 0 },
        })),
      });
    if (args[2] === "ruleset") return JSON.stringify({ nftables: Object.keys(sets).map(setJson) });
    if (args[2] === "set") return JSON.stringify({ nftables: [setJson(args[5] ?? "")] });
    throw new Error(`unexpected nft ${args.join(" ")}`);
  };
  const hit = (set: string, key: string, packets: number) => {
    const elem = sets[set]?.elems.find(([k]) => k === key);
    if (elem) elem[1] += packets;
    counters[`${set}_seen`] = (counters[`${set}_seen`] ?? 0) + packets;
  };
  return { nft, calls, counters, sets, hit };
}

describe("counter observer", () => {
  it("lists the whole ruleset once, then only the sets whose named counter moved", async () => {
    const fake = fakeNft();
    const observer = createCounterObserver({ nft: fake.nft });
    await observer.read();
    expect(fake.calls).toEqual(["-t -j list ruleset", "-j list ruleset"]);
    fake.calls.length = 0;
    expect((await observer.read()).get("tapa0")?.source_guard?.packets).toBe(0);
    expect(fake.calls).toEqual(["-t -j list ruleset"]);
    fake.calls.length = 0;
    fake.hit("source_guard", "tapa0", 3);
    const reading = await observer.read();
    expect(fake.calls).toEqual([
      "-t -j list ruleset",
      "-j list set bridge metald_security source_guard",
    ]);
    expect(reading.get("tapa0")?.source_guard).toEqual({ packets: 3, bytes: 300 });
    expect(reading.get("2001:db8::1")?.egress_default_drop?.packets).toBe(0);
    expect(observer.last()).toBe(reading);
  });

  it("follows element changes without listing: new keys at zero, a removed VM's keys gone", async () => {
    const fake = fakeNft();
    const observer = createCounterObserver({ nft: fake.nft });
    await observer.read();
    fake.calls.length = 0;
    observer.changed({}, { source_guard: ['"tapb0"'], egress_default_drop: ["2001:db8::2"] });
    expect(observer.last().get("tapb0")?.source_guard).toEqual({ packets: 0, bytes: 0 });
    observer.changed({ source_guard: ['"tapa0"'], egress_default_drop: ["2001:db8::1"] }, {});
    expect(observer.last().has("tapa0")).toBe(false);
    expect(observer.last().has("2001:db8::1")).toBe(false);
    await observer.read();
    expect(fake.calls).toEqual(["-t -j list ruleset"]);
  });

  it("keeps apart the keys that counted anything, each with all of its sets, zeros included", async () => {
    const fake = fakeNft();
    fake.sets.rl_pps_burst?.elems.push(["tapa0", 0]);
    const observer = createCounterObserver({ nft: fake.nft });
    await observer.read();
    expect(observer.lastActive().size).toBe(0);
    fake.hit("source_guard", "tapa0", 3);
    await observer.read();
    const active = observer.lastActive();
    expect([...active.keys()]).toEqual(["tapa0"]);
    expect(active.get("tapa0")).toEqual({
      source_guard: { packets: 3, bytes: 300 },
      rl_pps_burst: { packets: 0, bytes: 0 },
    });
    // The same reading as last(), not a copy: a key's counts agree in both.
    expect(active.get("tapa0")).toBe(observer.last().get("tapa0"));
    observer.changed({ source_guard: ['"tapa0"'], rl_pps_burst: ['"tapa0"'] }, {});
    expect(observer.lastActive().has("tapa0")).toBe(false);
    fake.hit("egress_default_drop", "2001:db8::1", 2);
    await observer.read();
    expect([...observer.lastActive().keys()]).toEqual(["2001:db8::1"]);
    observer.clear();
    expect(observer.lastActive().size).toBe(0);
  });

  it("a set listed again replaces only that set's counts: keys it lost go, other sets' counts of a key stay", async () => {
    const fake = fakeNft();
    fake.sets.rl_pps_burst?.elems.push(["tapa0", 0]);
    fake.hit("rl_pps_burst", "tapa0", 2);
    const observer = createCounterObserver({ nft: fake.nft });
    await observer.read();
    fake.sets.source_guard = { family: "bridge", elems: [["tapd0", 0]] };
    fake.hit("source_guard", "tapd0", 5);
    await observer.read();
    expect(observer.last().get("tapa0")).toEqual({ rl_pps_burst: { packets: 2, bytes: 200 } });
    expect(observer.last().get("tapd0")).toEqual({ source_guard: { packets: 5, bytes: 500 } });
    expect([...observer.lastActive().keys()].sort()).toEqual(["tapa0", "tapd0"]);
    // A VM whose only counted element goes leaves no key behind, active or not.
    observer.changed({ source_guard: ['"tapd0"'] }, {});
    expect(observer.last().has("tapd0")).toBe(false);
    expect([...observer.lastActive().keys()]).toEqual(["tapa0"]);
  });

  it("lists a set again when a key loses one of its elements, and after clear everything", async () => {
    const fake = fakeNft();
    const observer = createCounterObserver({ nft: fake.nft });
    await observer.read();
    fake.calls.length = 0;
    observer.changed(
      { egress_default_drop: ["2001:db8::1 . 6", "2001:db8::1 . 17"] },
      { egress_default_drop: ["2001:db8::1 . 6"] },
    );
    await observer.read();
    expect(fake.calls).toContain("-j list set inet metald_security egress_default_drop");
    fake.calls.length = 0;
    observer.clear();
    expect(observer.last().size).toBe(0);
    await observer.read();
    expect(fake.calls).toContain("-j list ruleset");
  });

  it("lists a set that moves with ordinary traffic at most once per SLOW_SET_READINGS readings, and reads a VM's elements of it fresh", async () => {
    const fake = fakeNft();
    const observer = createCounterObserver({ nft: fake.nft });
    await observer.read();
    fake.hit("rl_pps_burst", "tapc0", 4);
    fake.calls.length = 0;
    // Listed in the first reading: not due again for SLOW_SET_READINGS readings.
    for (let i = 1; i < SLOW_SET_READINGS; i++) {
      const reading = await observer.read();
      expect(reading.get("tapc0")?.rl_pps_burst?.packets).toBe(0);
      if (i === 3) fake.hit("rl_pps_burst", "tapc0", 2);
    }
    expect(fake.calls.filter((c) => c.includes("list set"))).toEqual([]);
    const fresh = await observer.readElements({ rl_pps_burst: ['"tapc0"'] });
    expect(fresh.get("tapc0")?.rl_pps_burst).toEqual({ packets: 6, bytes: 600 });
    // Due now: it moved while deferred, so it is listed although it has not moved since.
    const reading = await observer.read();
    expect(fake.calls).toContain("-j list set bridge metald_security rl_pps_burst");
    expect(reading.get("tapc0")?.rl_pps_burst).toEqual({ packets: 6, bytes: 600 });
    // A set that is not slow is listed at the first reading after it moved.
    fake.calls.length = 0;
    fake.hit("source_guard", "tapa0", 1);
    await observer.read();
    expect(fake.calls).toContain("-j list set bridge metald_security source_guard");
  });

  it("reads one VM's accept-side elements fresh, from nft's text output", () => {
    const text = `table bridge metald_security {
	set vm_sources {
		type ifname . ipv6_addr
		elements = { "tapa0" . 2001:db8::1 counter packets 4 bytes 400,
			     "tapa0" . fe80::1 counter packets 1 bytes 72 }
	}
}
table bridge metald_security {
	set vm_ports {
		type ifname
		elements = { "tapa0" counter packets 9 bytes 900 }
	}
}
`;
    const counters = parseElementCounters(text);
    expect(counters.get("tapa0")).toEqual({
      vm_sources: { packets: 5, bytes: 472 },
      vm_ports: { packets: 9, bytes: 900 },
    });
    expect(elementKey('"tapa0" . 2001:db8::1')).toBe("tapa0");
    expect(elementKey("2001:db8::1 . tcp . 22")).toBe("2001:db8::1");
  });
});
