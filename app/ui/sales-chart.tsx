import { formatPrice } from "#app/core/money.ts";
import { formatDay } from "#app/ui/time-zone.ts";

export type ChartDay = { date: string; orders: number; units: number; revenueCents: number };

const WIDTH = 600;
const HEIGHT = 160;
const GAP = 4;

/**
 * Revenue by day as bars: SVG drawn on the server, no charting script. The
 * table under it holds the same figures and is what assistive technology
 * reads; the picture is one image with a summary for a name.
 */
export function SalesChart({ days, caption }: { days: ChartDay[]; caption: string }) {
  const max = Math.max(...days.map((d) => d.revenueCents), 0);
  const total = days.reduce((sum, d) => sum + d.revenueCents, 0);
  const best = days.reduce<ChartDay | undefined>((top, d) => (d.revenueCents > (top?.revenueCents ?? 0) ? d : top), undefined);
  const bar = WIDTH / Math.max(days.length, 1);
  const first = days[0];
  const last = days.at(-1);
  const summary =
    first && last
      ? `Revenue by day from ${formatDay(first.date)} to ${formatDay(last.date)}: ${formatPrice(total)} in all` +
        (best ? `, the most on ${formatDay(best.date)} (${formatPrice(best.revenueCents)}).` : ", no sales.")
      : "No days to show.";
  return (
    <figure>
      <div className="flex items-start gap-2">
        <span className="w-16 shrink-0 text-right text-xs text-stone-700">{formatPrice(max)}</span>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={summary}
          className="h-40 w-full min-w-0 border-b border-l border-stone-400"
        >
          {days.map((d, i) => {
            const h = max === 0 ? 0 : Math.max((d.revenueCents / max) * (HEIGHT - 4), d.revenueCents > 0 ? 2 : 0);
            return <rect key={d.date} x={i * bar + GAP / 2} y={HEIGHT - h} width={bar - GAP} height={h} className="fill-stone-700" />;
          })}
        </svg>
      </div>
      <div className="ml-18 flex justify-between text-xs text-stone-700">
        <span>{first && formatDay(first.date)}</span>
        <span>{last && formatDay(last.date)}</span>
      </div>
      <figcaption className="mt-2 text-sm text-stone-700">{summary}</figcaption>
      <details className="mt-3">
        <summary className="cursor-pointer text-sm font-medium underline">The figures, day by day</summary>
        <table className="mt-2 w-full text-sm">
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr className="border-b border-stone-300 text-left">
              <th scope="col" className="py-1 pr-3 font-medium">Day</th>
              <th scope="col" className="py-1 pr-3 text-right font-medium">Orders</th>
              <th scope="col" className="py-1 pr-3 text-right font-medium">Units</th>
              <th scope="col" className="py-1 text-right font-medium">Revenue</th>
            </tr>
          </thead>
          <tbody className="tabular-nums">
            {[...days].reverse().map((d) => (
              <tr key={d.date} className="border-b border-stone-100">
                <th scope="row" className="py-1 pr-3 text-left font-normal whitespace-nowrap">{formatDay(d.date)}</th>
                <td className="py-1 pr-3 text-right">{d.orders}</td>
                <td className="py-1 pr-3 text-right">{d.units}</td>
                <td className="py-1 text-right">{formatPrice(d.revenueCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
