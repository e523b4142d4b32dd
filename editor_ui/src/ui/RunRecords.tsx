/**
 * Every record a node took in or put out in one run, paged from the server (offset/limit):
 * a table with record numbers and a column picker, or JSON; go to any record; search the
 * page shown as you type, or every record (read page by page); download as JSONL, CSV or
 * Parquet. Used by the node detail view and the run detail page.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { api, ApiError, describeError } from "../api/client";
import type { NodeRecordsPage, RecordSide } from "../api/types";
import {
  cellText, columnsOf, lastPageOffset, MAX_PAGE, offsetForRecord, PAGE_SIZES, pageInfo, searchRecords,
} from "./recordPaging";
import { Skeleton } from "./Skeleton";
import "./runRecords.css";

interface Props {
  runId: string;
  nodeId: string;
  side: RecordSide;
  /** For messages: "the output of node X in run Y". */
  nodeName?: string;
}

type Found = { number: number; record: Record<string, unknown> };

/** Above this many matches a search across every record stops listing (the count stays exact). */
const MAX_LISTED_MATCHES = 1000;

export function RunRecords({ runId, nodeId, side, nodeName }: Props) {
  const [limit, setLimit] = useState<number>(50);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<NodeRecordsPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [asJson, setAsJson] = useState(false);
  const [query, setQuery] = useState("");
  const [goTo, setGoTo] = useState("");
  const [allResults, setAllResults] = useState<{ query: string; found: Found[]; matches: number; scanned: number } | null>(null);
  const [searching, setSearching] = useState(false);
  const what = `the ${side} of node ${nodeName ?? nodeId} in run ${runId}`;
  // For messages only: renaming the node while the view is open must not read the page again.
  const whatRef = useRef(what);
  whatRef.current = what;

  useEffect(() => {
    let alive = true;
    setError(null);
    api.nodeRecords(runId, nodeId, side, offset, limit).then(
      (p) => alive && setPage(p),
      (e) => {
        if (!alive) return;
        setPage(null);
        setError(e instanceof ApiError && e.status === 404
          ? `Nothing kept of ${whatRef.current} (${e.detail || "not found"}).`
          : `Could not read ${whatRef.current}: ${describeError(e)}`);
      },
    );
    return () => {
      alive = false;
    };
  }, [runId, nodeId, side, offset, limit]);

  const total = page?.total ?? 0;
  const records = useMemo(() => page?.records ?? [], [page]);
  // The page's first record's number is the offset the server answered (it may clamp).
  const pageOffset = page?.offset ?? offset;
  const columns = useMemo(() => columnsOf(records), [records]);
  const shownColumns = columns.filter((c) => !hidden.has(c));
  const onPage = useMemo(() => searchRecords(records, query, pageOffset + 1), [records, query, pageOffset]);
  const rows: Found[] = allResults && allResults.query === query ? allResults.found : onPage;
  const info = pageInfo(pageOffset, records.length, limit, total);

  const searchEverything = async () => {
    if (!query.trim()) return;
    setSearching(true);
    setError(null);
    const found: Found[] = [];
    let matches = 0;
    let scanned = 0;
    try {
      // Page by page at the API's largest page, so a 100,000-record output is 100 requests, not one huge answer.
      for (let start = 0; start < total; start += MAX_PAGE) {
        const chunk = await api.nodeRecords(runId, nodeId, side, start, MAX_PAGE);
        for (const hit of searchRecords(chunk.records, query, start + 1)) {
          matches++;
          if (found.length < MAX_LISTED_MATCHES) found.push(hit);
        }
        scanned += chunk.records.length;
        if (!chunk.records.length) break;
      }
      setAllResults({ query, found, matches, scanned });
    } catch (e) {
      setError(`Search stopped at record ${scanned + 1} of ${what}: ${describeError(e)}`);
    } finally {
      setSearching(false);
    }
  };

  const jump = () => {
    const number = Number(goTo);
    if (!Number.isFinite(number) || number < 1) return;
    setAllResults(null);
    setQuery("");
    setOffset(offsetForRecord(number, limit, total));
  };

  if (error && !page) return <p className="muted" data-testid={`records-${side}-empty`}>{error}</p>;
  if (!page) return <Skeleton rows={6} label={`Loading ${what}`} />;

  return (
    <div className="run-records" data-testid={`records-${side}`}>
      <div className="run-records-bar">
        <span data-testid={`records-${side}-range`}>
          {total === 0 ? "no records" : `records ${info.first}–${info.last} of ${total}`}
        </span>
        <button type="button" className="small" disabled={!info.hasPrevious} onClick={() => setOffset(0)} title="First page">«</button>
        <button type="button" className="small" disabled={!info.hasPrevious} onClick={() => setOffset(Math.max(0, pageOffset - limit))}
                data-testid={`records-${side}-previous`}>‹ Previous</button>
        <button type="button" className="small" disabled={!info.hasNext} onClick={() => setOffset(pageOffset + limit)}
                data-testid={`records-${side}-next`}>Next ›</button>
        <button type="button" className="small" disabled={!info.hasNext} onClick={() => setOffset(lastPageOffset(limit, total))} title="Last page">»</button>
        <select value={limit} aria-label="Records per page" onChange={(e) => { setLimit(Number(e.target.value)); setOffset(0); }}>
          {PAGE_SIZES.map((n) => <option key={n} value={n}>{n} per page</option>)}
        </select>
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); jump(); }}>
          <input type="number" min={1} max={total || 1} value={goTo} placeholder="record #" aria-label="Go to record"
                 onChange={(e) => setGoTo(e.target.value)} data-testid={`records-${side}-goto`} />
          <button type="submit" className="small" disabled={!total}>Go</button>
        </form>
      </div>
      <div className="run-records-bar">
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); void searchEverything(); }}>
          <input type="search" value={query} placeholder="Search this page…" aria-label="Search records"
                 onChange={(e) => { setQuery(e.target.value); setAllResults(null); }} data-testid={`records-${side}-search`} />
          <button type="submit" className="small" disabled={!query.trim() || searching || !total}
                  title="Read every record of this node, page by page, and list the matches">
            {searching ? "Searching…" : `Search all ${total}`}
          </button>
        </form>
        <ColumnPicker columns={columns} hidden={hidden} onChange={setHidden} />
        <button type="button" className="small" onClick={() => setAsJson(!asJson)} data-testid={`records-${side}-view`}>{asJson ? "Table" : "JSON"}</button>
        <span className="downloads small">
          Download{" "}
          {(["jsonl", "csv", "parquet"] as const).map((format) => (
            <a key={format} href={api.nodeRecordsDownloadUrl(runId, nodeId, side, format)} download
               data-testid={`records-${side}-download-${format}`}>{format.toUpperCase()}</a>
          ))}
        </span>
      </div>
      {query.trim() && (
        <p className="small muted" data-testid={`records-${side}-search-result`}>
          {allResults && allResults.query === query
            ? `${allResults.matches} match(es) in all ${allResults.scanned} records${allResults.matches > allResults.found.length ? `, first ${allResults.found.length} listed` : ""}`
            : `${onPage.length} match(es) on this page (records ${info.first}–${info.last}); “Search all” reads every record`}
        </p>
      )}
      {error && <p className="error">{error}</p>}
      {asJson ? (
        <pre className="json run-records-json" data-testid={`records-${side}-json`}>
          {JSON.stringify(rows.map((r) => r.record), null, 2)}
        </pre>
      ) : (
        <div className="run-records-scroll">
          <table data-testid={`records-${side}-table`}>
            <thead><tr><th className="num">#</th>{shownColumns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
            <tbody>
              {rows.map(({ number, record }) => (
                <tr key={number} data-testid={`record-${side}-${number}`}>
                  <td className="num">{number}</td>
                  {shownColumns.map((c) => {
                    const text = cellText(record[c]);
                    return <td key={c} title={text.length > 80 ? text.slice(0, 2000) : undefined}>{text.slice(0, 300)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** Which columns the table shows: every key of the page's records, each with a checkbox. */
function ColumnPicker({ columns, hidden, onChange }: { columns: string[]; hidden: Set<string>; onChange: (h: Set<string>) => void }) {
  const shown = columns.filter((c) => !hidden.has(c)).length;
  const toggle = (column: string) => {
    const next = new Set(hidden);
    if (next.has(column)) next.delete(column);
    else next.add(column);
    onChange(next);
  };
  return (
    <details className="column-picker" data-testid="column-picker">
      <summary>Columns ({shown}/{columns.length})</summary>
      <div className="column-picker-list">
        <button type="button" className="small" onClick={() => onChange(new Set())}>all</button>
        <button type="button" className="small" onClick={() => onChange(new Set(columns))}>none</button>
        {columns.map((c) => (
          <label key={c} className="inline small">
            <input type="checkbox" checked={!hidden.has(c)} onChange={() => toggle(c)} data-testid={`column-${c}`} /> {c}
          </label>
        ))}
      </div>
    </details>
  );
}
