// The stable per-event-type identifier SIEMs key their rules and event maps on.

/** Upper-cased and limited to [A-Z0-9_] so it is safe in any header field without escaping. */
export const signatureId = (eventType: string): string =>
  `METALD_IPV6_${eventType.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
