/**
 * Maps a node type's config JSON Schema (pydantic output) to what the form shows:
 * which widget each field gets. `format: python` → code editor, `format: secret` →
 * secret picker, `format: store` → store picker, `format: labeling-project` / `labeling-tasks`
 * → pickers of labeling projects and of the chosen project's tasks. Pydantic writes optional fields as
 * `anyOf: [{...}, {type: "null"}]`, so the format is looked for inside those too.
 */
import type { JsonSchema } from "../api/types";

export type FieldWidget = "code" | "secret" | "store" | "labelingProject" | "labelingTasks";

export const WIDGET_FOR_FORMAT: Record<string, FieldWidget> = {
  python: "code",
  secret: "secret",
  store: "store",
  "labeling-project": "labelingProject",
  "labeling-tasks": "labelingTasks",
};

function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
    return root.$defs?.[ref.slice("#/$defs/".length)] ?? schema;
  }
  return schema;
}

/** The format of a field, looking through `anyOf` alternatives and `$ref`s. */
export function fieldFormat(field: JsonSchema, root: JsonSchema = field): string | undefined {
  const resolved = resolveRef(field, root);
  if (typeof resolved.format === "string") return resolved.format;
  for (const option of resolved.anyOf ?? []) {
    const format = fieldFormat(option, root);
    if (format) return format;
  }
  return undefined;
}

/** Field name → special widget, for every top-level property that needs one. */
export function specialWidgets(schema: JsonSchema): Record<string, FieldWidget> {
  const widgets: Record<string, FieldWidget> = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const format = fieldFormat(field, schema);
    if (format && WIDGET_FOR_FORMAT[format]) widgets[name] = WIDGET_FOR_FORMAT[format];
  }
  return widgets;
}

/** The rjsf uiSchema: special widgets, plus `ui:order` keeping code fields last (they are tall). */
export function uiSchemaFor(schema: JsonSchema): Record<string, unknown> {
  const widgets = specialWidgets(schema);
  const ui: Record<string, unknown> = { "ui:submitButtonOptions": { norender: true } };
  const names = Object.keys(schema.properties ?? {});
  for (const [name, widget] of Object.entries(widgets)) {
    ui[name] = { "ui:widget": `${widget}Widget` };
  }
  const codeLast = [...names.filter((n) => widgets[n] !== "code"), ...names.filter((n) => widgets[n] === "code")];
  if (codeLast.length) ui["ui:order"] = [...codeLast, "*"];
  return ui;
}

/** Config with the schema's defaults filled in for fields the node does not set. */
export function configWithDefaults(schema: JsonSchema, config: Record<string, unknown>): Record<string, unknown> {
  const filled: Record<string, unknown> = { ...config };
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (!(name in filled) && field.default !== undefined) filled[name] = structuredClone(field.default);
  }
  return filled;
}

export interface ErrorTree {
  __errors?: string[];
  [field: string]: ErrorTree | string[] | undefined;
}

/**
 * Server problems about config fields (`field` is a dotted path such as `fields.0.selector`)
 * as an rjsf error schema, so each message shows under its own field. Problems that name
 * a code line are left to the code editor.
 */
export function errorTreeFor(problems: readonly { field?: string | null; line?: number | null; message: string }[]): ErrorTree {
  const tree: ErrorTree = {};
  for (const problem of problems) {
    if (!problem.field || (problem.line !== null && problem.line !== undefined)) continue;
    let branch = tree;
    for (const part of problem.field.split(".")) {
      branch = (branch[part] ??= {}) as ErrorTree;
    }
    (branch.__errors ??= []).push(problem.message);
  }
  return tree;
}
