/** What the config form's special widgets need beyond their value: problems, secrets and stores. */
import { createContext, useContext } from "react";

export interface LineMark {
  line: number;
  message: string;
  severity: "error" | "warning";
}

export interface ConfigFieldContext {
  /** field name → marks at lines of that field's code (compile problems, the last run's error). */
  lineMarks: Record<string, LineMark[]>;
  secretNames: string[];
  storeNames: string[];
}

export const FieldContext = createContext<ConfigFieldContext>({ lineMarks: {}, secretNames: [], storeNames: [] });

export const useFieldContext = () => useContext(FieldContext);
