/**
 * Issue 19's small fixes that need a real run or the real node types: a Runs page row
 * opens the run's detail (status, version, per-node status, timings, records, errors,
 * logs); the chart counts the final nodes' records; errors read "KeyError: 'missing'"
 * once; slack.post's inspector has one Retries and one Timeout of each kind.
 */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

function flow(id: string, last: string) {
  return {
    id, name: "Detail", version: 1, description: "",
    nodes: [
      { id: "make", type: "python.yield", label: "Make three", position: { x: 0, y: 0 },
        config: { code: 'def node(record: dict):\n    for i in range(3):\n        print("making", i)\n        yield {"id": str(i), "n": i}\n' }, retries: 0, timeout_s: null },
      { id: "double", type: "python.map", label: "", position: { x: 300, y: 0 },
        config: { code: 'def node(record: dict) -> dict:\n    return {**record, "n": record["n"] * 2}\n' }, retries: 0, timeout_s: null },
      { id: "last", type: "python.map", label: "", position: { x: 600, y: 0 }, config: { code: last }, retries: 0, timeout_s: null },
    ],
    edges: [{ id: "e1", source: "make", target: "double" }, { id: "e2", source: "double", target: "last" }],
    schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

async function runToEnd(request: import("@playwright/test").APIRequestContext, id: string): Promise<string> {
  const started = await request.post(`/api/workflows/${id}/runs`, { data: { payload: null } });
  expect(started.status()).toBe(202);
  const { run_id } = await started.json();
  await expect.poll(async () => (await (await request.get(`/api/runs/${run_id}`)).json()).status, { timeout: 60_000 })
    .toMatch(/completed|failed/);
  return run_id;
}

test("a Runs page row opens the run: status, version, per-node results, logs; the chart counts final nodes", async ({ page, request }) => {
  const id = uniqueId("e2e-detail");
  await createWorkflowViaApi(request, flow(id, "def node(record: dict) -> dict:\n    return record\n"));
  const runId = await runToEnd(request, id);
  await page.goto(`/#/runs/${id}`);
  // 3 records pass 3 nodes: the sum over nodes would say 9; the final node says 3.
  await expect(page.getByText("Records out of the final node (last)")).toBeVisible();
  await expect(page.locator(".charts")).toContainText("3 records");
  await page.getByTestId(`run-row-${runId}`).locator("td").nth(2).click();
  await expect(page).toHaveURL(new RegExp(`#/run/${runId}$`));
  const detail = page.getByTestId("run-detail");
  await expect(page.getByTestId("run-status")).toHaveText("completed");
  await expect(detail).toContainText("version 1");
  await expect(page.getByTestId("run-duration")).not.toHaveText("—");
  const make = page.getByTestId("run-node-make");
  await expect(make).toContainText("Make three");
  await expect(make).toContainText("python.yield");
  await expect(make.locator("td").nth(7)).toHaveText("3"); // records out
  await expect(page.getByTestId("run-node-last").locator("td").nth(6)).toHaveText("3"); // records in
  await make.click();
  await expect(page.getByTestId("run-node-logs")).toContainText("making 2");
  await expect(page.getByTestId("run-node-detail").getByTestId("records-output-table").locator("tbody tr")).toHaveCount(3);
});

test("a failed run's detail reads KeyError: 'missing' once, at the user's line", async ({ page, request }) => {
  const id = uniqueId("e2e-keyerror");
  await createWorkflowViaApi(request, flow(id, 'def node(record: dict) -> dict:\n    return record["missing"]\n'));
  const runId = await runToEnd(request, id);
  await page.goto(`/#/run/${runId}`);
  await expect(page.getByTestId("run-status")).toHaveText("failed");
  const last = page.getByTestId("run-node-last");
  await expect(last).toContainText("KeyError: 'missing' (line 2)");
  await expect(last).not.toContainText("KeyError: KeyError");
});

test("slack.post's inspector: the node's retries and timeout, and the request's, each once", async ({ page, request }) => {
  const id = uniqueId("e2e-slack-fields");
  await createWorkflowViaApi(request, {
    id, name: "Slack", version: 1, description: "", edges: [], schedule: { cron: null, timezone: "UTC", enabled: false },
    nodes: [{ id: "slack", type: "slack.post", label: "", position: { x: 0, y: 0 }, config: {}, retries: 0, timeout_s: null }],
  });
  await page.goto(`/#/workflows/${id}`);
  await node(page, "slack").click();
  const panel = page.getByTestId("node-panel");
  for (const name of ["Node retries", "Node timeout (s)", "Request retries", "Request timeout (s)"]) {
    await expect(panel.getByText(name, { exact: true })).toHaveCount(1);
  }
  await expect(panel.getByText("Retries", { exact: true })).toHaveCount(0);
  await expect(panel.getByText("Timeout (s)", { exact: true })).toHaveCount(0);
});

test("the editor's Runs tab links each run to its detail page", async ({ page, request }) => {
  const id = uniqueId("e2e-detail-tab");
  await createWorkflowViaApi(request, flow(id, "def node(record: dict) -> dict:\n    return record\n"));
  const runId = await runToEnd(request, id);
  await page.goto(`/#/workflows/${id}`);
  await page.getByTestId("tab-runs").click();
  await page.getByTestId(`run-details-${runId}`).click();
  await expect(page).toHaveURL(new RegExp(`#/run/${runId}$`));
  await expect(page.getByTestId("run-status")).toHaveText("completed");
});
