/** Secrets: set (write-only), list masked, delete. Values never come back from the server. */
import { useCallback, useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { SecretInfo } from "../api/types";
import { formatTime } from "../ui/format";
import { askConfirm } from "../ui/confirmDialog";
import { Skeleton } from "../ui/Skeleton";

export function SecretsPage() {
  const [secrets, setSecrets] = useState<SecretInfo[] | null>(null);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => api.listSecrets().then(setSecrets, (e) => { setError(describeError(e)); setSecrets((s) => s ?? []); }), []);
  useEffect(() => void refresh(), [refresh]);

  const save = async () => {
    try {
      await api.setSecret(name.trim(), value);
      setName("");
      setValue("");
      setError(null);
      await refresh();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <div className="page" data-testid="secrets-page">
      <h1>Secrets</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void save(); }}>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name, e.g. slack_webhook" required />
        <input type="password" value={value} onChange={(e) => setValue(e.target.value)} placeholder="value" autoComplete="off" required />
        <button type="submit" className="primary">Set secret</button>
      </form>
      {error && <p className="error">{error}</p>}
      {secrets === null ? <Skeleton rows={4} label="Loading secrets" /> : (
      <table className="list">
        <thead><tr><th>Name</th><th>Value</th><th>Updated</th><th /></tr></thead>
        <tbody>
          {secrets.map((s) => (
            <tr key={s.name}>
              <td>{s.name}</td>
              <td><code>{s.value}</code></td>
              <td>{formatTime(s.updated_at)}</td>
              <td className="actions">
                <button type="button" onClick={() => { setName(s.name); setValue(""); }}>Replace…</button>
                <button type="button" className="danger" onClick={async () => {
                  if (await askConfirm({ title: `Delete secret “${s.name}”?`, message: "Workflows that name it fail until it is set again.", confirmLabel: "Delete", danger: true })) {
                    api.deleteSecret(s.name).then(refresh, (e) => setError(describeError(e)));
                  }
                }}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      )}
    </div>
  );
}
