/** Chart rows for the weak-supervision view, computed from the API's report. */
import type { WeakSupervisionReport } from "./types";

export interface HistogramBin {
  bin: string;
  from: number;
  to: number;
  records: number;
}

/** Weak-label confidences in `bins` equal bins over [0, 1] (1.0 falls in the last bin); unlabelled records are left out. */
export function confidenceHistogram(results: WeakSupervisionReport["results"], bins = 10): HistogramBin[] {
  const rows: HistogramBin[] = Array.from({ length: bins }, (_, i) => ({
    bin: `${(i / bins).toFixed(1)}–${((i + 1) / bins).toFixed(1)}`, from: i / bins, to: (i + 1) / bins, records: 0,
  }));
  for (const result of Object.values(results)) {
    if (result.prediction === null || result.confidence === null) continue;
    const index = Math.min(bins - 1, Math.max(0, Math.floor(result.confidence * bins)));
    rows[index].records += 1;
  }
  return rows;
}

/** One row per label (in the task's order) plus the records no heuristic decided. */
export function distributionRows(report: Pick<WeakSupervisionReport, "distribution" | "results">, labels: string[]): { label: string; records: number }[] {
  const labelled = labels.map((label) => ({ label, records: report.distribution[label] ?? 0 }));
  const decided = labelled.reduce((sum, row) => sum + row.records, 0);
  return [...labelled, { label: "no label", records: Object.keys(report.results).length - decided }];
}

export function percent(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(digits)}%`;
}
