/**
 * Pure rules of the paged records viewer (RunRecords.tsx): page bounds, the page that holds a
 * given record, the columns of a page of records, and record search.
 */

export const PAGE_SIZES = [20, 50, 100, 500] as const;
/** The API's largest page (`limit` ≤ 1000): a search across every record reads pages this big. */
export const MAX_PAGE = 1000;

export interface PageInfo {
  /** 1-based numbers of the first and last record shown (0 and 0 when there are none). */
  first: number;
  last: number;
  page: number;
  pageCount: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

export function pageInfo(offset: number, shown: number, limit: number, total: number): PageInfo {
  const pageCount = Math.max(1, Math.ceil(total / limit));
  return {
    first: shown ? offset + 1 : 0,
    last: offset + shown,
    page: Math.floor(offset / limit) + 1,
    pageCount,
    hasPrevious: offset > 0,
    hasNext: offset + limit < total,
  };
}

/** The offset of the page that shows record `number` (1-based), clamped to the records there are. */
export function offsetForRecord(number: number, limit: number, total: number): number {
  if (!Number.isFinite(number) || total <= 0) return 0;
  const index = Math.min(Math.max(Math.floor(number), 1), total) - 1;
  return Math.floor(index / limit) * limit;
}

/** The offset of the last page. */
export function lastPageOffset(limit: number, total: number): number {
  return total > 0 ? Math.floor((total - 1) / limit) * limit : 0;
}

/** Every top-level key of the records, in order of first appearance. */
export function columnsOf(records: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) seen.add(key);
  return [...seen];
}

/** A cell's text: objects as JSON, nothing for null. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** True when any value of the record (nested ones as JSON) contains the query, ignoring case. */
export function recordMatches(record: Record<string, unknown>, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (!needle) return true;
  return Object.values(record).some((value) => cellText(value).toLowerCase().includes(needle));
}

/** Matches of `query` in `records`, each with its 1-based record number (`firstNumber` is the first's). */
export function searchRecords(
  records: readonly Record<string, unknown>[], query: string, firstNumber = 1,
): { number: number; record: Record<string, unknown> }[] {
  const found: { number: number; record: Record<string, unknown> }[] = [];
  records.forEach((record, i) => {
    if (recordMatches(record, query)) found.push({ number: firstNumber + i, record });
  });
  return found;
}
