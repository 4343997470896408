// A column of many rows that repeat few values, sent as its distinct values once and, per row,
// the 1-based place of its value among them. The database then parses each distinct value once
// (a timestamp, a JSON document, a quoted text) instead of once per row, and the array literal
// the driver builds holds small integers instead of thousands of repeated strings.

export interface DistinctColumn<V> {
  /** The distinct values, in the order first seen. */
  values: V[];
  /** Per row, the 1-based place of its value in `values` (an ordinality to join on). */
  index: number[];
}

/**
 * Builds the distinct column of `rows` by `key` (values with the same key are one value);
 * `value` turns a row's first-seen value into what is sent (a timestamp's text, a document's
 * JSON), so it runs once per distinct value.
 */
export function distinctColumn<R, K, V>(
  rows: readonly R[],
  key: (row: R) => K,
  value: (row: R) => V,
): DistinctColumn<V> {
  const places = new Map<K, number>();
  const values: V[] = [];
  const index = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as R;
    const k = key(row);
    let place = places.get(k);
    if (place === undefined) {
      values.push(value(row));
      place = values.length;
      places.set(k, place);
    }
    index[i] = place;
  }
  return { values, index };
}
