import { describe, expect, it } from "vitest";
import { configWithDefaults, errorTreeFor, fieldFormat, specialWidgets, uiSchemaFor } from "../../src/forms/schemaForm";
import type { JsonSchema } from "../../src/api/types";

// Shaped like pydantic's model_json_schema() output.
const schema: JsonSchema = {
  title: "Config",
  type: "object",
  properties: {
    code: { type: "string", format: "python", default: "def node(record: dict) -> dict:\n    return record\n", title: "Code" },
    token: { anyOf: [{ type: "string", format: "secret" }, { type: "null" }], default: null, title: "Token" },
    store: { $ref: "#/$defs/StoreName" },
    limit: { type: "integer", default: 10, title: "Limit" },
  },
  $defs: { StoreName: { type: "string", format: "store" } },
  required: ["code"],
};

describe("schema → form", () => {
  it("finds formats directly, inside anyOf and behind $ref", () => {
    expect(fieldFormat(schema.properties!.code, schema)).toBe("python");
    expect(fieldFormat(schema.properties!.token, schema)).toBe("secret");
    expect(fieldFormat(schema.properties!.store, schema)).toBe("store");
    expect(fieldFormat(schema.properties!.limit, schema)).toBeUndefined();
  });

  it("maps python to the code editor and secret/store to pickers", () => {
    expect(specialWidgets(schema)).toEqual({ code: "code", token: "secret", store: "store" });
  });

  it("builds a uiSchema with widgets, no submit button and code fields last", () => {
    const ui = uiSchemaFor(schema);
    expect(ui.code).toEqual({ "ui:widget": "codeWidget" });
    expect(ui.token).toEqual({ "ui:widget": "secretWidget" });
    expect(ui.limit).toBeUndefined();
    expect(ui["ui:order"]).toEqual(["token", "store", "limit", "code", "*"]);
    expect(ui["ui:submitButtonOptions"]).toEqual({ norender: true });
  });

  it("fills defaults for unset fields only", () => {
    expect(configWithDefaults(schema, { limit: 3 })).toEqual({
      code: "def node(record: dict) -> dict:\n    return record\n", token: null, limit: 3,
    });
  });
});

describe("errorTreeFor", () => {
  it("puts each field problem under its (nested) field, leaving code-line problems out", () => {
    expect(errorTreeFor([
      { field: "store", message: "Field required" },
      { field: "fields.0.selector", message: "bad selector" },
      { field: "store", message: "second" },
      { field: "code", line: 2, message: "invalid syntax" },
      { message: "no field" },
    ])).toEqual({
      store: { __errors: ["Field required", "second"] },
      fields: { 0: { selector: { __errors: ["bad selector"] } } },
    });
  });
});
