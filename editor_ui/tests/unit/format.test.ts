import { describe, expect, it } from "vitest";
import { formatTimeInZone, nodeErrorText } from "../../src/ui/format";

describe("formatTimeInZone", () => {
  it("shows the wall clock of the schedule's zone and names the zone", () => {
    // 08:30 UTC in winter is 09:30 in Berlin (GMT+1).
    const text = formatTimeInZone("2026-12-07T08:30:00+00:00", "Europe/Berlin", "en-GB");
    expect(text).toContain("09:30");
    expect(text).toContain("Europe/Berlin (GMT+1)");
  });
  it("UTC is named too", () => {
    expect(formatTimeInZone("2026-12-07T08:30:00Z", "UTC", "en-GB")).toMatch(/08:30 UTC$/);
  });
  it("an unknown zone falls back to local time and says so", () => {
    expect(formatTimeInZone("2026-12-07T08:30:00Z", "Mars/Olympus", "en-GB")).toMatch(/\(local time\)$/);
  });
});

describe("nodeErrorText", () => {
  it("does not repeat a type the message already starts with", () => {
    expect(nodeErrorText({ type: "KeyError", message: "KeyError: 'missing'" })).toBe("KeyError: 'missing'");
  });
  it("adds the type to a message without it", () => {
    expect(nodeErrorText({ type: "SlackError", message: "Slack answered 500" })).toBe("SlackError: Slack answered 500");
  });
  it("a message that merely mentions the type still gets it", () => {
    expect(nodeErrorText({ type: "KeyError", message: "no KeyError here" })).toBe("KeyError: no KeyError here");
  });
});
