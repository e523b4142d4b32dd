/** Records as a table (one column per top-level key) or as JSON. */
import { useState } from "react";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function RecordsTable({ records, total }: { records: Record<string, unknown>[]; total?: number }) {
  const [asJson, setAsJson] = useState(false);
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))].slice(0, 12);
  return (
    <div className="records">
      <div className="records-bar">
        <span>{total ?? records.length} record(s){total !== undefined && total > records.length ? `, first ${records.length} shown` : ""}</span>
        <button type="button" onClick={() => setAsJson(!asJson)}>{asJson ? "Table" : "JSON"}</button>
      </div>
      {asJson ? (
        <pre className="json" data-testid="records-json">{JSON.stringify(records, null, 2)}</pre>
      ) : (
        <div className="table-scroll">
          <table data-testid="records-table">
            <thead><tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
            <tbody>
              {records.map((record, i) => (
                <tr key={String(record.id ?? i)}>
                  {columns.map((c) => <td key={c} title={cell(record[c])}>{cell(record[c]).slice(0, 120)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
