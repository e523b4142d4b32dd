/**
 * Run concurrency and reliability in the editor (issue 15): the per-workflow Run settings
 * dialog edits max_concurrent_runs / memory_mb / retry_crashed as a saved document edit,
 * and the Runs page shows the server-wide limit and what uses it now (/api/health).
 */
import type { APIRequestContext } from "@playwright/test";
import { createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

function flow(id: string, extra: Record<string, unknown> = {}) {
  return {
    id, name: "Run settings", version: 1, description: "",
    nodes: [
      { id: "make", type: "python.yield", label: "", position: { x: 0, y: 0 },
        config: { code: 'def node(record: dict):\n    yield {"id": "1"}\n' }, retries: 0, timeout_s: null },
      // Long enough to be seen running and queued; the test cancels it.
      { id: "work", type: "python.map", label: "", position: { x: 300, y: 0 },
        config: { code: "def node(record: dict) -> dict:\n    import time\n    time.sleep(60)\n    return record\n" }, retries: 0, timeout_s: null },
    ],
    edges: [{ id: "e1", source: "make", target: "work" }],
    schedule: { cron: null, timezone: "UTC", enabled: false },
    ...extra,
  };
}

/** The run launcher's figures as the server reports them. */
async function launcher(request: APIRequestContext) {
  const health = await (await request.get("/api/health")).json();
  return health.components.run_launcher.detail as { running: number; queued: number; max_concurrent: number; memory_limit_mb: number };
}

test("run settings set in the dialog are saved and kept through a reload", async ({ page, request }) => {
  const id = uniqueId("e2e-run-settings");
  await createWorkflowViaApi(request, flow(id));
  const server = await launcher(request);
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("problem-count")).toHaveText("valid");

  await page.locator('[data-action="workflow.runSettings"]').click();
  const dialog = page.getByTestId("run-settings");
  const maxRuns = dialog.getByTestId("run-setting-max_concurrent_runs");
  const memory = dialog.getByTestId("run-setting-memory_mb");
  const retries = dialog.getByTestId("run-setting-retry_crashed");
  // Empty fields mean "the server decides": its figures are the placeholders.
  await expect(maxRuns).toHaveAttribute("placeholder", `only the server's limit (${server.max_concurrent}, WIREWORK_MAX_CONCURRENT_RUNS)`);
  await expect(memory).toHaveAttribute("placeholder", `server default (${server.memory_limit_mb} MB, WIREWORK_RUN_MEMORY_MB)`);

  // A value the model refuses: an inline error, and nothing can be applied.
  await maxRuns.fill("0");
  await expect(dialog.getByTestId("run-setting-max_concurrent_runs-error")).toBeVisible();
  await expect(dialog.getByTestId("run-settings-apply")).toBeDisabled();
  await maxRuns.fill("2");
  await expect(dialog.getByTestId("run-setting-max_concurrent_runs-error")).toHaveCount(0);
  await retries.fill("1");
  await dialog.getByTestId("run-settings-apply").click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");

  await page.locator('[data-action="workflow.save"]').click();
  await expect(page.getByTestId("save-state")).toHaveText("saved");
  const saved = await (await request.get(`/api/workflows/${id}`)).json();
  expect(saved).toMatchObject({ version: 2, max_concurrent_runs: 2, retry_crashed: 1, memory_mb: null });

  await page.reload();
  await expect(page.getByTestId("workflow-version")).toHaveText("v2");
  await page.locator('[data-action="workflow.runSettings"]').click();
  await expect(maxRuns).toHaveValue("2");
  await expect(retries).toHaveValue("1");
  await expect(memory).toHaveValue("");
});

test("the Runs page shows the server's limit and follows runs as they start and queue", async ({ page, request }) => {
  // One run of this workflow at a time: the second waits in the launcher's queue.
  const id = uniqueId("e2e-run-capacity");
  await createWorkflowViaApi(request, flow(id, { max_concurrent_runs: 1 }));
  const before = await launcher(request);
  const line = (running: number, queued: number) =>
    `Runs at once: ${running} running · ${queued} queued · limit ${before.max_concurrent} (WIREWORK_MAX_CONCURRENT_RUNS)`;
  await page.goto("/#/runs");
  await expect(page.getByTestId("run-capacity")).toHaveText(line(before.running, before.queued));

  const runIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const started = await request.post(`/api/workflows/${id}/runs`, { data: { payload: null } });
    expect(started.status()).toBe(202);
    runIds.push((await started.json()).run_id);
  }
  await expect(page.getByTestId("run-capacity")).toHaveText(line(before.running + 1, before.queued + 1), { timeout: 60_000 });

  for (const runId of runIds) expect((await request.post(`/api/runs/${runId}/cancel`)).ok()).toBe(true);
  await expect(page.getByTestId("run-capacity")).toHaveText(line(before.running, before.queued), { timeout: 30_000 });
});
