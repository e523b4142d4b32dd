/**
 * A line diff for side-by-side display (code and config values of two workflow versions).
 * Pure: a longest-common-subsequence table over the lines, then runs of removed and added
 * lines paired into "changed" rows, so an edited line sits beside what it replaced.
 */

export type DiffRowKind = "same" | "removed" | "added" | "changed";

export interface DiffLine {
  /** 1-based line number on its side. */
  number: number;
  text: string;
}

export interface DiffRow {
  kind: DiffRowKind;
  left: DiffLine | null;
  right: DiffLine | null;
}

/** Above this many cells the LCS table would cost too much memory: the texts are shown as replaced wholesale. */
const MAX_TABLE_CELLS = 4_000_000;

type Op = { kind: "same" | "removed" | "added"; left?: number; right?: number };

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_TABLE_CELLS) {
    return [...a.map((_, i) => ({ kind: "removed" as const, left: i })), ...b.map((_, j) => ({ kind: "added" as const, right: j }))];
  }
  // lengths[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = a[i] === b[j]
        ? lengths[(i + 1) * width + j + 1] + 1
        : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) ops.push({ kind: "same", left: i++, right: j++ });
    else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) ops.push({ kind: "removed", left: i++ });
    else ops.push({ kind: "added", right: j++ });
  }
  while (i < n) ops.push({ kind: "removed", left: i++ });
  while (j < m) ops.push({ kind: "added", right: j++ });
  return ops;
}

function splitLines(text: string): string[] {
  return text === "" ? [] : text.split("\n");
}

/** The rows of a side-by-side diff of `before` and `after`. */
export function diffLines(before: string, after: string): DiffRow[] {
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = lcsOps(a, b);
  const rows: DiffRow[] = [];
  let k = 0;
  while (k < ops.length) {
    const op = ops[k];
    if (op.kind === "same") {
      rows.push({ kind: "same", left: { number: op.left! + 1, text: a[op.left!] }, right: { number: op.right! + 1, text: b[op.right!] } });
      k++;
      continue;
    }
    // A run of removals and additions: pair them line by line, the rest stay one-sided.
    const removed: number[] = [];
    const added: number[] = [];
    while (k < ops.length && ops[k].kind !== "same") {
      if (ops[k].kind === "removed") removed.push(ops[k].left!);
      else added.push(ops[k].right!);
      k++;
    }
    const paired = Math.max(removed.length, added.length);
    for (let p = 0; p < paired; p++) {
      const left = p < removed.length ? { number: removed[p] + 1, text: a[removed[p]] } : null;
      const right = p < added.length ? { number: added[p] + 1, text: b[added[p]] } : null;
      rows.push({ kind: left && right ? "changed" : left ? "removed" : "added", left, right });
    }
  }
  return rows;
}

/** How many lines were removed and added (a changed row counts once each way). */
export function diffStats(rows: readonly DiffRow[]): { removed: number; added: number } {
  let removed = 0;
  let added = 0;
  for (const row of rows) {
    if (row.kind === "removed" || row.kind === "changed") removed++;
    if (row.kind === "added" || row.kind === "changed") added++;
  }
  return { removed, added };
}
