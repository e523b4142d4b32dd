/** Runs the canvas did not start itself (webhook) show up live; a running run can be cancelled. */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

function flow(id: string, mapCode: string) {
  return {
    id, name: "Live", version: 1, description: "",
    nodes: [
      { id: "make", type: "python.yield", label: "", position: { x: 0, y: 0 },
        config: { code: 'def node(record: dict):\n    for i in range(4):\n        yield {"id": str(i), "n": i}\n' }, retries: 0, timeout_s: null },
      { id: "work", type: "python.map", label: "", position: { x: 300, y: 0 }, config: { code: mapCode }, retries: 0, timeout_s: null },
    ],
    edges: [{ id: "e1", source: "make", target: "work" }],
    schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

test("a webhook-triggered run appears on the open canvas with live status", async ({ page, request }) => {
  const id = uniqueId("e2e-hook");
  await createWorkflowViaApi(request, flow(id, "def node(record: dict) -> dict:\n    return record\n"));
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("problem-count")).toHaveText("valid");
  const { url } = await (await request.get(`/api/workflows/${id}/webhook`)).json();
  const hook = await request.post(url, { data: { from: "e2e" } });
  expect(hook.status()).toBe(202);
  await expect(page.getByTestId("run-status")).toHaveText("completed", { timeout: 60_000 });
  await expect(page.getByTestId("node-status-work")).toContainText("4 → 4");
});

test("cancel stops a running run", async ({ page, request }) => {
  const id = uniqueId("e2e-cancel");
  await createWorkflowViaApi(request, flow(id, "def node(record: dict) -> dict:\n    import time\n    time.sleep(30)\n    return record\n"));
  await page.goto(`/#/workflows/${id}`);
  await page.locator('[data-action="workflow.run"]').click();
  await expect(node(page, "work")).toHaveAttribute("data-status", "running", { timeout: 60_000 });
  await page.locator('[data-action="workflow.cancelRun"]').click();
  await expect(page.getByTestId("run-status")).toHaveText("cancelled", { timeout: 30_000 });
  await expect(page.locator('[data-action="workflow.run"]')).toBeVisible();
});

test("run with a JSON payload: source nodes receive it in the trigger record", async ({ page, request }) => {
  const id = uniqueId("e2e-payload");
  const doc = flow(id, "def node(record: dict) -> dict:\n    return record\n");
  doc.nodes[0].config.code = 'def node(record: dict):\n    yield {"id": "p1", "city": record["payload"]["city"]}\n';
  await createWorkflowViaApi(request, doc);
  await page.goto(`/#/workflows/${id}`);
  await page.locator('[data-action="workflow.runWithPayload"]').click();
  await page.getByTestId("run-payload").fill('{"city": "Lisbon"}');
  await page.getByTestId("run-payload-dialog").getByRole("button", { name: "Run" }).click();
  await expect(page.getByTestId("run-status")).toHaveText("completed", { timeout: 60_000 });
  await node(page, "work").click();
  await page.getByTestId("tab-output").click();
  await expect(page.getByTestId("records-table")).toContainText("Lisbon");
});
