/**
 * Pure rules of side-by-side resizable panes (SplitPanes.tsx): widths are fractions of the
 * row that sum to 1; dragging the handle between two panes moves width from one to the other,
 * never below `min`. Stored per browser as JSON; a stored value that does not fit is dropped.
 */

export function equalSplit(count: number): number[] {
  return Array.from({ length: count }, () => 1 / count);
}

/** Move the handle after pane `index` by `delta` (a fraction of the row; positive = right). */
export function resizeSplit(fractions: readonly number[], index: number, delta: number, min = 0.1): number[] {
  if (index < 0 || index >= fractions.length - 1) return [...fractions];
  const pair = fractions[index] + fractions[index + 1];
  const left = Math.min(Math.max(fractions[index] + delta, min), pair - min);
  const next = [...fractions];
  next[index] = left;
  next[index + 1] = pair - left;
  return next;
}

export function parseSplit(stored: string | null, count: number, min = 0.1): number[] {
  try {
    const value: unknown = stored ? JSON.parse(stored) : null;
    if (Array.isArray(value) && value.length === count && value.every((v) => typeof v === "number" && v >= min)) {
      const sum = value.reduce((a: number, b: number) => a + b, 0);
      if (Math.abs(sum - 1) < 0.01) return value as number[];
    }
  } catch {
    /* a broken stored value: the default */
  }
  return equalSplit(count);
}
