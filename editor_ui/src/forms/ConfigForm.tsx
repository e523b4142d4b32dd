/** A node's config form, generated from its node type's JSON Schema by rjsf. */
import { useMemo } from "react";
import Form from "@rjsf/core";
import { customizeValidator } from "@rjsf/validator-ajv8";
import type { ErrorSchema, RegistryWidgetsType, RJSFSchema } from "@rjsf/utils";
import type { JsonSchema } from "../api/types";
import { uiSchemaFor, WIDGET_FOR_FORMAT, type ErrorTree } from "./schemaForm";
import { CodeWidget } from "./CodeWidget";
import { SecretWidget, StoreWidget } from "./PickerWidgets";
import { LabelingProjectWidget, LabelingTasksWidget } from "../labeling/LabelingPickers";

// Our own formats are editor hints, not constraints: every string passes.
const validator = customizeValidator({
  customFormats: Object.fromEntries(Object.keys(WIDGET_FOR_FORMAT).map((f) => [f, () => true])),
});

const WIDGETS: RegistryWidgetsType = {
  codeWidget: CodeWidget, secretWidget: SecretWidget, storeWidget: StoreWidget,
  labelingProjectWidget: LabelingProjectWidget, labelingTasksWidget: LabelingTasksWidget,
};

export function ConfigForm({ schema, config, errors, onChange }: {
  schema: JsonSchema;
  config: Record<string, unknown>;
  /** Server problems per field, shown under each field. */
  errors: ErrorTree;
  onChange: (config: Record<string, unknown>, field: string | undefined) => void;
}) {
  const uiSchema = useMemo(() => uiSchemaFor(schema), [schema]);
  return (
    <Form
      schema={schema as RJSFSchema}
      uiSchema={uiSchema}
      formData={config}
      validator={validator}
      widgets={WIDGETS}
      formContext={{ config }}
      extraErrors={errors as ErrorSchema}
      liveValidate={false}
      showErrorList={false}
      noHtml5Validate
      onChange={(event, id) => onChange((event.formData ?? {}) as Record<string, unknown>, id?.replace(/^root_/, ""))}
    />
  );
}
