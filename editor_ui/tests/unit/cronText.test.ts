import { describe, expect, it } from "vitest";
import { describeCron } from "../../src/schedule/cronText";

describe("describeCron", () => {
  it("reads a daily schedule in 24-hour time", () => {
    expect(describeCron("30 9 * * *")).toEqual({ ok: true, text: "At 09:30" });
  });
  it("reads weekday ranges", () => {
    const result = describeCron("0 8 * * 1-5");
    expect(result.ok && result.text).toMatch(/Monday through Friday/);
  });
  it("explains an expression with the wrong number of fields", () => {
    const result = describeCron("* * *");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/5 fields/);
  });
  it("reports an unreadable field", () => {
    expect(describeCron("99 * * * *").ok).toBe(false);
  });
  it("says when there is no schedule", () => {
    expect(describeCron("")).toEqual({ ok: false, error: "no schedule" });
  });
});
