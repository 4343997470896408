// Events per minute by type over the last hour, as stacked SVG bars; the legend gives each
// type's total and the image a text summary (bars carry their figures as titles).
import { Link } from "@tanstack/react-router";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import {
  CHART_MINUTES,
  type EventsPerMinute,
  useEventsPerMinute,
} from "../api/count-events-per-minute";
import { eventTypeLabel } from "./event-severity";

/** Distinct on white and for common color blindness (Okabe–Ito), then repeated. */
const COLORS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];
const OTHER = "#8a94a3";
const MAX_SERIES = 6;
const WIDTH = 600;
const HEIGHT = 160;
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

function topSeries(data: EventsPerMinute) {
  const top = data.series.slice(0, MAX_SERIES);
  const rest = data.series.slice(MAX_SERIES);
  if (rest.length === 0) return top.map((s, i) => ({ ...s, color: COLORS[i] ?? OTHER }));
  const counts = new Array<number>(CHART_MINUTES).fill(0);
  for (const s of rest) for (const [i, c] of s.counts.entries()) counts[i] = (counts[i] ?? 0) + c;
  return [
    ...top.map((s, i) => ({ ...s, color: COLORS[i] ?? OTHER })),
    { type: "other", counts, total: counts.reduce((a, b) => a + b, 0), color: OTHER },
  ];
}

export function EventsPerMinuteChart({ data }: { data: EventsPerMinute }) {
  const series = topSeries(data);
  const totals = data.minutes.map((_, i) => series.reduce((a, s) => a + (s.counts[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const barWidth = WIDTH / CHART_MINUTES;
  const total = totals.reduce((a, b) => a + b, 0);
  const busiest = totals.indexOf(Math.max(...totals));
  const first = data.minutes[0] ?? 0;
  const last = data.minutes[data.minutes.length - 1] ?? 0;
  const summary = `${total} events in the last hour; busiest minute ${TIME.format(
    data.minutes[busiest] ?? 0,
  )} with ${totals[busiest] ?? 0}.`;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Events per minute by type. ${summary}`}
        preserveAspectRatio="none"
        className="chart__plot"
      >
        <line x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} className="chart__axis" />
        {data.minutes.map((minute, i) => {
          let y = HEIGHT;
          return (
            <g key={minute}>
              {series.map((s) => {
                const c = s.counts[i] ?? 0;
                if (c === 0) return null;
                const h = (c / max) * (HEIGHT - 4);
                y -= h;
                return (
                  <rect
                    key={s.type}
                    x={i * barWidth + 1}
                    y={y}
                    width={barWidth - 2}
                    height={h}
                    fill={s.color}
                  >
                    <title>{`${TIME.format(minute)} ${eventTypeLabel(s.type)}: ${c}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
      </svg>
      <div className="chart__scale" aria-hidden="true">
        <span>{TIME.format(first)}</span>
        <span>peak {max}/min</span>
        <span>{TIME.format(last)}</span>
      </div>
      <figcaption>
        <ul className="chart__legend" aria-label="Event types">
          {series.map((s) => (
            <li key={s.type}>
              <span className="chart__swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.type === "other" ? (
                "other types"
              ) : (
                <Link to="/events" search={{ type: s.type }}>
                  {eventTypeLabel(s.type)}
                </Link>
              )}{" "}
              {s.total}
            </li>
          ))}
        </ul>
        <p className="visually-hidden">{summary}</p>
        {data.truncated && <p>More events than one page: the first 1,000 of the hour are drawn.</p>}
      </figcaption>
    </figure>
  );
}

/** The overview's card: the chart with its loading, empty and error states. */
export function EventsPerMinuteWidget() {
  const query = useEventsPerMinute();
  return (
    <section className="card card--wide" aria-labelledby="overview-events">
      <h2 id="overview-events">Security events per minute, last hour</h2>
      {query.isPending ? (
        <LoadingState label="Counting events…" />
      ) : query.isError || !query.data ? (
        <ErrorState
          title="Could not count the events"
          error={query.error}
          onRetry={() => query.refetch()}
        />
      ) : query.data.series.length === 0 ? (
        <EmptyState title="No security events in the last hour.">
          <Link to="/events">All security events</Link>
        </EmptyState>
      ) : (
        <>
          <EventsPerMinuteChart data={query.data} />
          <Link to="/events">All security events</Link>
        </>
      )}
    </section>
  );
}
