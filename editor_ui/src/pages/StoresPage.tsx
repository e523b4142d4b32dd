/** Shared stores: list, create, delete; browse records; upload CSV/Parquet/JSONL; download. */
import { useCallback, useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { RecordPage, StoreInfo } from "../api/types";
import { hrefFor } from "../router";
import { RecordsTable } from "../ui/RecordsTable";
import { askConfirm } from "../ui/confirmDialog";
import { Skeleton } from "../ui/Skeleton";

const PAGE = 50;

export function StoresPage({ storeName }: { storeName?: string }) {
  const [stores, setStores] = useState<StoreInfo[] | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => api.listStores().then(setStores, (e) => { setError(describeError(e)); setStores((s) => s ?? []); }), []);
  useEffect(() => void refresh(), [refresh]);

  const create = async () => {
    try {
      await api.createStore(name.trim());
      setName("");
      await refresh();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <div className="page stores-page" data-testid="stores-page">
      <h1>Stores</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="new store name (a-z, 0-9, _ -)" pattern="[a-z][a-z0-9_\-]{0,62}" required />
        <button type="submit" className="primary">Create store</button>
      </form>
      {error && <p className="error">{error}</p>}
      <div className="split">
        {stores === null ? <div className="store-list"><Skeleton rows={5} label="Loading stores" /></div> : <ul className="store-list">
          {stores.map((s) => (
            <li key={s.name} className={s.name === storeName ? "current" : ""}>
              <a href={hrefFor({ page: "stores", storeName: s.name })}>{s.name}</a>
              <small className="muted"> {s.count} records</small>
            </li>
          ))}
        </ul>}
        {storeName && <StoreDetail key={storeName} name={storeName} onChanged={refresh} />}
      </div>
    </div>
  );
}

function StoreDetail({ name, onChanged }: { name: string; onChanged: () => void }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<RecordPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => api.storeRecords(name, offset, PAGE).then(setPage, (e) => setError(describeError(e))), [name, offset]);
  useEffect(() => void load(), [load]);

  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    try {
      await api.uploadToStore(name, file);
      setError(null);
      await load();
      onChanged();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="store-detail">
      <h2>{name}</h2>
      <div className="row">
        <label className="button">{busy ? "Uploading…" : "Upload CSV / Parquet / JSONL"}
          <input type="file" hidden accept=".csv,.parquet,.jsonl,.ndjson" onChange={(e) => { void upload(e.target.files?.[0]); e.target.value = ""; }} />
        </label>
        {(["csv", "parquet", "jsonl"] as const).map((f) => <a key={f} className="button" href={api.storeDownloadUrl(name, f)} download>Download {f}</a>)}
        <button type="button" className="danger" onClick={async () => {
          if (await askConfirm({ title: `Delete store “${name}”?`, message: "All its records are deleted.", confirmLabel: "Delete", danger: true })) {
            api.deleteStore(name).then(() => { onChanged(); window.location.hash = "#/stores"; }, (e) => setError(describeError(e)));
          }
        }}>Delete store</button>
      </div>
      {error && <p className="error">{error}</p>}
      {!page && !error && <Skeleton rows={6} label="Loading records" />}
      {page && (
        <>
          <RecordsTable records={page.records} total={page.total} />
          <div className="row">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
            <span>{page.total ? `${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total}` : "empty"}</span>
            <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>Next</button>
          </div>
        </>
      )}
    </section>
  );
}
