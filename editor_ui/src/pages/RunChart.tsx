/** A small SVG line chart of one metric over a workflow's runs. */
import { plotPoints, type RunPoint } from "./runChart";

const BOX = { width: 520, height: 160, padding: 24 };

export function RunChart({ title, points, unit }: { title: string; points: RunPoint[]; unit: string }) {
  const { points: plotted, max } = plotPoints(points, BOX);
  const path = plotted.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
  return (
    <figure className="run-chart" data-testid={`chart-${title}`}>
      <figcaption>{title} <small className="muted">(max {max.toLocaleString()} {unit})</small></figcaption>
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} width="100%" role="img" aria-label={title}>
        <line x1={BOX.padding} y1={BOX.height - BOX.padding} x2={BOX.width - BOX.padding} y2={BOX.height - BOX.padding} className="axis" />
        <line x1={BOX.padding} y1={BOX.padding} x2={BOX.padding} y2={BOX.height - BOX.padding} className="axis" />
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
