/** A small SVG line chart of one metric over a workflow's runs. */
import { plotPoints, type RunPoint } from "./runChart";

const BOX = { width: 520, height: 170, padding: 30 };

function formatValue(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString() : Number(value.toPrecision(2)).toString();
}

export function RunChart({ title, points, unit }: { title: string; points: RunPoint[]; unit: string }) {
  const { points: plotted, max } = plotPoints(points, BOX);
  const path = plotted.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
  return (
    <figure className="run-chart" data-testid={`chart-${title}`}>
      <figcaption>{title} <small className="muted">(max {max.toLocaleString()} {unit})</small></figcaption>
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} width="100%" role="img" aria-label={title}>
        <line x1={BOX.padding} y1={BOX.height - BOX.padding} x2={BOX.width - BOX.padding} y2={BOX.height - BOX.padding} className="axis" />
        <line x1={BOX.padding} y1={BOX.padding} x2={BOX.padding} y2={BOX.height - BOX.padding} className="axis" />
        <text x={BOX.padding - 4} y={BOX.padding + 4} textAnchor="end">{formatValue(max)}</text>
        <text x={BOX.padding - 4} y={BOX.height - BOX.padding} textAnchor="end">0</text>
        {plotted.length > 0 && (
          <>
            <text x={BOX.padding} y={BOX.height - 6}>{new Date(plotted[0].time).toLocaleString()}</text>
            <text x={BOX.width - BOX.padding} y={BOX.height - 6} textAnchor="end">{new Date(plotted[plotted.length - 1].time).toLocaleString()}</text>
          </>
        )}
        {path && <path d={path} className="series" />}
        {plotted.map((p, i) => (
          <circle key={i} cx={p.x} cy={p.y} r={3.5} className={`point point-${p.status}`}>
            <title>{p.label}: {p.value.toLocaleString()} {unit}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
