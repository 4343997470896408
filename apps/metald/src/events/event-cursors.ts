// Opaque cursors. The pull feed's is a position in the event log's total order (seq), and the
// end of the range when the first request gave `until`: never a timestamp, since timestamps
// tie and arrive out of order. A query's is a place in time order (timestamp, seq), for
// keyset paging through results listed by time.

export interface FeedPosition {
  afterSeq: number;
  /** The last seq this reader wants (from `until`), if bounded. */
  throughSeq?: number;
}

const PREFIX = "f1.";

export function encodeFeedCursor(p: FeedPosition): string {
  const text = p.throughSeq === undefined ? `${p.afterSeq}` : `${p.afterSeq}.${p.throughSeq}`;
  return Buffer.from(PREFIX + text).toString("base64url");
}

/** The position a cursor stands for, or undefined when this server did not issue it. */
export function decodeFeedCursor(cursor: string): FeedPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const m = /^f1\.([0-9]{1,15})(?:\.([0-9]{1,15}))?$/.exec(
    Buffer.from(cursor, "base64url").toString(),
  );
  if (!m) return undefined;
  return {
    afterSeq: Number(m[1]),
    ...(m[2] !== undefined && { throughSeq: Number(m[2]) }),
  };
}

export interface ListPosition {
  timestamp: Date;
  seq: number;
}

export function encodeListCursor(p: ListPosition): string {
  return Buffer.from(`q1.${p.timestamp.getTime()}.${p.seq}`).toString("base64url");
}

export function decodeListCursor(cursor: string): ListPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const m = /^q1\.([0-9]{1,15})\.([0-9]{1,15})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!m) return undefined;
  return { timestamp: new Date(Number(m[1])), seq: Number(m[2]) };
}
