// ICMPv6 type names accepted in rules (RFC 4443, 4861, 2710, 3810), with nft's names.

export const ICMPV6_TYPES: Record<string, number> = {
  "destination-unreachable": 1,
  "packet-too-big": 2,
  "time-exceeded": 3,
  "parameter-problem": 4,
  "echo-request": 128,
  "echo-reply": 129,
  "mld-listener-query": 130,
  "mld-listener-report": 131,
  "mld-listener-done": 132,
  "router-solicitation": 133,
  "router-advertisement": 134,
  "neighbor-solicitation": 135,
  "neighbor-advertisement": 136,
  redirect: 137,
  "mld2-listener-report": 143,
};

// nft 1.0.6 spellings, by type number.
export const NFT_ICMPV6_NAMES: Record<number, string> = {
  1: "destination-unreachable",
  2: "packet-too-big",
  3: "time-exceeded",
  4: "parameter-problem",
  128: "echo-request",
  129: "echo-reply",
  130: "mld-listener-query",
  131: "mld-listener-report",
  132: "mld-listener-done",
  133: "nd-router-solicit",
  134: "nd-router-advert",
  135: "nd-neighbor-solicit",
  136: "nd-neighbor-advert",
  137: "nd-redirect",
  143: "mld2-listener-report",
};
