// What the driver's probe says the host can show about enforcement.
import type { HostCapabilities, HostDriver, HostEvidence } from "@metald/core";

export function hostEvidenceOf(
  driver: HostDriver["name"],
  probe: HostCapabilities | Error,
): HostEvidence {
  if (driver === "dry-run")
    return {
      packetFiltering: false,
      unverifiedReason: "the dry-run driver applies nothing to the host",
      bridgeVlans: false,
    };
  if (probe instanceof Error)
    return {
      packetFiltering: false,
      unverifiedReason: `the host probe failed: ${probe.message}`,
      bridgeVlans: false,
    };
  if (!probe.nftables)
    return {
      packetFiltering: false,
      unverifiedReason: `the host probe found no working nftables (${probe.notes.join("; ")})`,
      bridgeVlans: false,
    };
  return {
    packetFiltering: true,
    unverifiedReason: "",
    bridgeVlans: probe.bridgeVlanFiltering,
    portGuard: probe.portGuard === true,
  };
}

export async function probeHostEvidence(driver: HostDriver): Promise<HostEvidence> {
  const probe = await driver
    .compat()
    .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  return hostEvidenceOf(driver.name, probe);
}
