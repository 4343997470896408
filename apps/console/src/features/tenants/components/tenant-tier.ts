// A tenant tier in words.
import { TenantTier } from "@metald/proto";

export function tierLabel(tier: TenantTier): string {
  return tier === TenantTier.UNSPECIFIED ? "standard" : TenantTier[tier].toLowerCase();
}
