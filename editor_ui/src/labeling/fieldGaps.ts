/**
 * The sync status's text-field counts in words: which of a task's text fields the
 * project's records lack (missing or blank), so a task reading a field that is not there
 * shows before it is labelled or enriched (the server's warnings: stores/labeling/field_checks.py).
 */
import type { components } from "../api/schema";

type TextFieldCounts = components["schemas"]["TextFieldCounts"];

/** "headline: 3 missing, 1 blank; body: 2 blank", or "" when every record has every field. */
export function fieldGapsText(fields: TextFieldCounts[]): string {
  return fields
    .filter((f) => f.missing > 0 || f.empty > 0)
    .map((f) => `${f.field}: ${[f.missing > 0 ? `${f.missing} missing` : "", f.empty > 0 ? `${f.empty} blank` : ""].filter(Boolean).join(", ")}`)
    .join("; ");
}
