import { beforeEach, describe, expect, it } from "vitest";
import { parseRunSetting, parseRunSettings, runSettingsPatch, runSettingsText } from "../../src/editor/runSettings";
import { runCapacityLine, runCapacityOf } from "../../src/api/runCapacity";
import { selectDirty, useEditor } from "../../src/editor/editorStore";
import type { Workflow } from "../../src/api/types";

const doc: Workflow = {
  id: "w", name: "W", version: 2, description: "", nodes: [], edges: [], notes: [],
  schedule: { cron: null, timezone: "UTC", enabled: false },
  memory_mb: null, retry_crashed: 0, max_concurrent_runs: null,
};

describe("run settings form", () => {
  it("shows unset limits as empty and retry_crashed 0 as 0", () => {
    expect(runSettingsText(doc)).toEqual({ max_concurrent_runs: "", memory_mb: "", retry_crashed: "0" });
    expect(runSettingsText({ ...doc, max_concurrent_runs: 3, memory_mb: 512, retry_crashed: 2 }))
      .toEqual({ max_concurrent_runs: "3", memory_mb: "512", retry_crashed: "2" });
  });

  it("reads empty as the server's default (null), and as 0 for retry_crashed", () => {
    expect(parseRunSetting("max_concurrent_runs", " ")).toEqual({ value: null });
    expect(parseRunSetting("memory_mb", "")).toEqual({ value: null });
    expect(parseRunSetting("retry_crashed", "")).toEqual({ value: 0 });
  });

  it("takes whole numbers within the model's bounds, edges included", () => {
    expect(parseRunSetting("max_concurrent_runs", "1")).toEqual({ value: 1 });
    expect(parseRunSetting("max_concurrent_runs", "1000")).toEqual({ value: 1000 });
    expect(parseRunSetting("memory_mb", "64")).toEqual({ value: 64 });
    expect(parseRunSetting("memory_mb", String(2 ** 20))).toEqual({ value: 2 ** 20 });
    expect(parseRunSetting("retry_crashed", "10")).toEqual({ value: 10 });
    expect(parseRunSetting("retry_crashed", " 3 ")).toEqual({ value: 3 });
  });

  it("refuses values outside the bounds and anything but digits", () => {
    for (const [key, text] of [
      ["max_concurrent_runs", "0"], ["max_concurrent_runs", "1001"], ["memory_mb", "63"], ["memory_mb", String(2 ** 20 + 1)],
      ["retry_crashed", "11"], ["retry_crashed", "-1"], ["max_concurrent_runs", "2.5"], ["max_concurrent_runs", "1e3"],
      ["memory_mb", "0x100"], ["retry_crashed", "one"],
    ] as const) {
      expect(parseRunSetting(key, text), `${key}=${text}`).toHaveProperty("error");
    }
  });

  it("gives no settings while any field is wrong, and says which", () => {
    const result = parseRunSettings({ max_concurrent_runs: "2", memory_mb: "10", retry_crashed: "12" });
    expect(result.settings).toBeNull();
    expect(Object.keys(result.errors ?? {}).sort()).toEqual(["memory_mb", "retry_crashed"]);
    expect(parseRunSettings({ max_concurrent_runs: "2", memory_mb: "", retry_crashed: "1" }))
      .toEqual({ settings: { max_concurrent_runs: 2, memory_mb: null, retry_crashed: 1 }, errors: null });
  });

  it("patches only the fields that changed", () => {
    expect(runSettingsPatch(doc, { max_concurrent_runs: null, memory_mb: null, retry_crashed: 0 })).toEqual({});
    expect(runSettingsPatch({ ...doc, memory_mb: 512 }, { max_concurrent_runs: 2, memory_mb: 512, retry_crashed: 1 }))
      .toEqual({ max_concurrent_runs: 2, retry_crashed: 1 });
  });
});

describe("run settings as a document edit", () => {
  const editor = () => useEditor.getState();
  beforeEach(() => editor().load(doc));

  it("lands in the saved document, marks it unsaved, and is one undo step", () => {
    const parsed = parseRunSettings({ max_concurrent_runs: "2", memory_mb: "", retry_crashed: "1" });
    editor().updateMeta(runSettingsPatch(editor().meta!, parsed.settings!));
    expect(editor().document()).toMatchObject({ max_concurrent_runs: 2, memory_mb: null, retry_crashed: 1 });
    expect(selectDirty(editor())).toBe(true);
    editor().undo();
    expect(editor().document()).toEqual(doc);
    expect(selectDirty(editor())).toBe(false);
    editor().redo();
    expect(editor().document()).toMatchObject({ max_concurrent_runs: 2, retry_crashed: 1 });
  });
});

describe("run capacity from /api/health", () => {
  const health = (launcher: Record<string, unknown> | undefined) =>
    ({ status: "ok", components: launcher ? { run_launcher: launcher } : {} }) as never;

  it("reads the launcher's figures into the Runs page line", () => {
    const capacity = runCapacityOf(health({ status: "ok", pid: null, restarts: 0,
      detail: { running: 3, queued: 7, max_concurrent: 16, memory_limit_mb: 4096, spare_ready: true } }));
    expect(capacity).toEqual({ state: "ok", running: 3, queued: 7, maxConcurrent: 16, memoryLimitMb: 4096 });
    expect(runCapacityLine(capacity)).toBe("Runs at once: 3 running · 7 queued · limit 16 (WIREWORK_MAX_CONCURRENT_RUNS)");
  });

  it("says when the launcher is down, off, or not reported yet (never shows made-up zeros)", () => {
    const down = runCapacityOf(health({ status: "down", detail: { running: 0, queued: 2, max_concurrent: 4 } }));
    expect(runCapacityLine(down)).toMatch(/2 queued · limit 4 .*the run launcher is down$/);
    expect(runCapacityOf(health({ status: "off", detail: {} }))).toEqual({ state: "off" });
    expect(runCapacityOf(health(undefined))).toEqual({ state: "starting" });
    expect(runCapacityOf(health({ status: "ok", detail: { running: 1 } }))).toEqual({ state: "starting" });
  });
});
