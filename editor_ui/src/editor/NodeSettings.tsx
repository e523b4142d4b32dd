/**
 * A node's settings: label, the node's own retries and timeout, and its config form with the
 * server's problems and the last run's error at the code line. The inspector and the node
 * detail view both show it.
 */
import { useEffect, useMemo, useState } from "react";
import { api } from "../api/client";
import { ConfigForm } from "../forms/ConfigForm";
import { FieldContext, type ConfigFieldContext, type LineMark } from "../forms/fieldContext";
import { configWithDefaults, errorTreeFor, specialWidgets } from "../forms/schemaForm";
import { useEditor } from "./editorStore";
import { isWorkflowNode } from "./flowDoc";
import { nodeErrorText } from "../ui/format";

function useNamesFromApi(): Pick<ConfigFieldContext, "secretNames" | "storeNames"> {
  const [names, setNames] = useState({ secretNames: [] as string[], storeNames: [] as string[] });
  useEffect(() => {
    let alive = true;
    Promise.allSettled([api.listSecrets(), api.listStores()]).then(([secrets, stores]) => {
      if (!alive) return;
      setNames({
        secretNames: secrets.status === "fulfilled" ? secrets.value.map((s) => s.name) : [],
        storeNames: stores.status === "fulfilled" ? stores.value.map((s) => s.name) : [],
      });
    });
    return () => {
      alive = false;
    };
  }, []);
  return names;
}

export function NodeSettings({ nodeId, showTitle = true }: { nodeId: string; showTitle?: boolean }) {
  const node = useEditor((s) => s.nodes.find((n) => n.id === nodeId));
  const nodeType = useEditor((s) => (node && isWorkflowNode(node) ? s.nodeTypes[node.data.spec.type] : undefined));
  const problems = useEditor((s) => s.problemsByNode[nodeId]);
  const nodeRun = useEditor((s) => s.run?.nodes[nodeId]);
  const updateNodeSpec = useEditor((s) => s.updateNodeSpec);
  const names = useNamesFromApi();

  const spec = node && isWorkflowNode(node) ? node.data.spec : undefined;
  const schema = nodeType?.config_schema;

  const fieldContext = useMemo<ConfigFieldContext>(() => {
    const lineMarks: Record<string, LineMark[]> = {};
    const widgets = schema ? specialWidgets(schema) : {};
    const codeFields = Object.keys(widgets).filter((field) => widgets[field] === "code");
    for (const problem of problems ?? []) {
      if (problem.line === null || problem.line === undefined) continue;
      const field = problem.field ?? codeFields[0];
      if (field) (lineMarks[field] ??= []).push({ line: problem.line, message: problem.message, severity: "error" });
    }
    const error = nodeRun?.error;
    if (error?.line && codeFields[0]) {
      (lineMarks[codeFields[0]] ??= []).push({ line: error.line, message: `last run: ${nodeErrorText(error)}`, severity: "error" });
    }
    return { lineMarks, ...names };
  }, [problems, nodeRun, schema, names]);

  const errorTree = useMemo(() => errorTreeFor(problems ?? []), [problems]);

  if (!spec) return null;
  const config = schema ? configWithDefaults(schema, spec.config) : spec.config;

  return (
    <>
          {showTitle && <h3>{spec.label || spec.id} <small className="muted">{spec.type}</small></h3>}
          {nodeType?.description && <p className="muted small">{nodeType.description}</p>}
          {problems?.length ? (
            <ul className="problems" data-testid="node-problems">
              {problems.map((p, i) => <li key={i}>{p.field ? <b>{p.field}: </b> : null}{p.message}{p.line ? ` (line ${p.line})` : ""}</li>)}
            </ul>
          ) : null}
          <label>Label
            <input value={spec.label} placeholder={spec.id} data-testid="node-label"
                   onChange={(e) => updateNodeSpec(nodeId, { label: e.target.value }, "label")} />
          </label>
          {/* The whole node's retries and timeout (wirework's), not a request's (some configs have those). */}
          <div className="node-settings" data-testid="node-settings">
            <label>Node retries
              <input type="number" min={0} max={10} value={spec.retries}
                     onChange={(e) => updateNodeSpec(nodeId, { retries: Math.max(0, Number(e.target.value) || 0) }, "retries")} />
            </label>
            <label>Node retry delay (s)
              <input type="number" min={0} value={spec.retry_delay_s ?? 0}
                     onChange={(e) => updateNodeSpec(nodeId, { retry_delay_s: Math.max(0, Number(e.target.value) || 0) }, "retryDelay")} />
            </label>
            <label>Node timeout (s)
              <input type="number" min={0} value={spec.timeout_s ?? ""} placeholder="none"
                     onChange={(e) => updateNodeSpec(nodeId, { timeout_s: e.target.value === "" ? null : Number(e.target.value) }, "timeout")} />
            </label>
          </div>
          {schema ? (
            <FieldContext.Provider value={fieldContext}>
              <ConfigForm
                key={nodeId}
                schema={schema}
                config={config}
                errors={errorTree}
                onChange={(next, field) => updateNodeSpec(nodeId, { config: next }, `config:${field ?? ""}`)}
              />
            </FieldContext.Provider>
          ) : (
            <p className="error">Unknown node type “{spec.type}”: the server does not offer it.</p>
          )}
    </>
  );
}
