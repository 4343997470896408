import { describe, expect, it } from "vitest";
import { frameOctetCounted, readOctetCounted } from "./syslog-framing.js";

describe("octet-counting framing (RFC 6587 §3.4.1)", () => {
  it("prefixes the byte length of the UTF-8 message, not its character count", () => {
    expect(frameOctetCounted("<14>1 - - - - - - héllo").toString("utf8")).toBe(
      "24 <14>1 - - - - - - héllo",
    );
  });

  it("reads back messages holding newlines and spaces, and keeps an incomplete frame", () => {
    const stream = Buffer.concat([
      frameOctetCounted("one\ntwo"),
      frameOctetCounted("three four"),
      frameOctetCounted("partial").subarray(0, 5),
    ]);
    const { messages, rest } = readOctetCounted(stream);
    expect(messages).toEqual(["one\ntwo", "three four"]);
    expect(rest.toString()).toBe("7 par");
    const whole = readOctetCounted(Buffer.concat([rest, Buffer.from("tial")]));
    expect(whole).toEqual({ messages: ["partial"], rest: Buffer.alloc(0) });
  });

  it("refuses a stream that is not octet-counted", () => {
    expect(() => readOctetCounted(Buffer.from("<14>1 newline framed\n"))).toThrow(/no length/);
  });
});
