// How full something is, as the browser's own <meter> (green, then amber from 75 %, red from
// 90 %) and in words: the numbers, not only the length.
export function UtilizationBar({
  label,
  fraction,
  detail,
}: {
  label: string;
  /** 0–1 */
  fraction: number;
  detail: string;
}) {
  const percent = Math.min(100, Math.max(0, fraction * 100));
  const shown = percent > 0 && percent < 0.01 ? "<0.01" : percent.toFixed(percent < 10 ? 2 : 0);
  return (
    <div className="utilization">
      <meter
        className="utilization__meter"
        aria-label={label}
        aria-valuetext={`${shown}% (${detail})`}
        min={0}
        max={100}
        low={75}
        high={90}
        optimum={0}
        value={percent}
      />
      <span className="utilization__text">
        {shown}% · {detail}
      </span>
    </div>
  );
}
