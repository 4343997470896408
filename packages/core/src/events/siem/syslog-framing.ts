// RFC 6587 §3.4.1 octet-counting framing for syslog over TCP and TLS (RFC 5425 uses the same
// form): "MSG-LEN SP SYSLOG-MSG", the length in bytes of the UTF-8 message. Unlike newline
// framing it carries any message, even one holding newlines.

export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}

/** Reads framed messages from a stream's bytes; `rest` holds an incomplete last frame. */
export function readOctetCounted(bytes: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    if (space === -1) break;
    const digits = bytes.subarray(at, space).toString("ascii");
    if (!/^[1-9][0-9]{0,8}$/.test(digits))
      throw new Error(
        `octet-counted frame at byte ${at} has no length (${JSON.stringify(digits)})`,
      );
    const end = space + 1 + Number(digits);
    if (end > bytes.length) break;
    messages.push(bytes.subarray(space + 1, end).toString("utf8"));
    at = end;
  }
  return { messages, rest: bytes.subarray(at) };
}
