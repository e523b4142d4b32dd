/** `format: python` fields: a CodeMirror 6 Python editor with line numbers and problems at their lines. */
import { useEffect, useMemo, useRef } from "react";
import CodeMirror, { type ReactCodeMirrorRef } from "@uiw/react-codemirror";
import { python } from "@codemirror/lang-python";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import type { EditorState as CMState } from "@codemirror/state";
import type { WidgetProps } from "@rjsf/utils";
import { useFieldContext, type LineMark } from "./fieldContext";
import { useTheme } from "../ui/theme";

function diagnosticsFor(state: CMState, marks: LineMark[]): Diagnostic[] {
  return marks
    .filter((m) => m.line >= 1 && m.line <= state.doc.lines)
    .map((m) => {
      const line = state.doc.line(m.line);
      return { from: line.from, to: Math.max(line.to, line.from), severity: m.severity, message: m.message };
    });
}

export function CodeWidget({ id, name, value, onChange, readonly, disabled }: WidgetProps) {
  const ref = useRef<ReactCodeMirrorRef>(null);
  const marks = useFieldContext().lineMarks[name] ?? [];
  const extensions = useMemo(() => [python(), lintGutter()], []);
  const marksKey = JSON.stringify(marks);
  const { theme } = useTheme();

  useEffect(() => {
    const view = ref.current?.view;
    if (view) view.dispatch(setDiagnostics(view.state, diagnosticsFor(view.state, marks)));
    // marksKey stands for marks' content; the code's own edits keep the last diagnostics until revalidated.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [marksKey, value]);

  return (
    <div className="code-field" data-testid={`code-${name}`} id={id}>
      <CodeMirror
        ref={ref}
        theme={theme}
        value={typeof value === "string" ? value : ""}
        extensions={extensions}
        editable={!readonly && !disabled}
        basicSetup={{ lineNumbers: true, foldGutter: false, autocompletion: true }}
        minHeight="160px"
        maxHeight="420px"
        onChange={(text) => onChange(text)}
      />
      {marks.length > 0 && (
        <ul className="line-marks" data-testid={`code-problems-${name}`}>
          {marks.map((m, i) => (
            <li key={i} className={m.severity}>line {m.line}: {m.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
