/**
 * Issue 16's debugging loop in the editor, on a real server: run a flow of 1,000 records, open
 * a node's detail view and page to record 900 of its input and output, pin a past run's output
 * (undoable), run from the next node and then that node alone (the pinned upstream node is
 * reused, not run), diff the two versions, see Run refuse an invalid change without saving it
 * (saved anyway, the version is marked invalid), and open the runs from their detail pages
 * (timeline, partial run named, then the editor at a run under a banner naming its version).
 */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

function thousandRecords(id: string) {
  return {
    id, name: "Debug loop", version: 1, description: "",
    nodes: [
      { id: "make", type: "python.yield", label: "Make 1000", position: { x: 0, y: 0 },
        config: { code: 'def node(record: dict):\n    for i in range(1000):\n        yield {"id": str(i), "n": i, "text": f"item {i}"}\n' }, retries: 0, timeout_s: null },
      { id: "double", type: "python.map", label: "", position: { x: 320, y: 0 },
        config: { code: 'def node(record: dict) -> dict:\n    return {**record, "n2": record["n"] * 2}\n' }, retries: 0, timeout_s: null },
    ],
    edges: [{ id: "e1", source: "make", target: "double" }],
    schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

test("run, page a node's records to 900, pin an output, run from here / this node (upstream reused), diff the versions, open a past run", async ({ page, request }) => {
  const id = uniqueId("e2e-debug");
  await createWorkflowViaApi(request, thousandRecords(id));
  await page.goto(`/#/workflows/${id}`);

  // Run: the banner names the run and the version it ran.
  await page.locator('[data-action="workflow.run"]').click();
  await expect(node(page, "double")).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
  const banner = page.getByTestId("run-banner");
  await expect(banner.getByTestId("run-banner-version")).toHaveText("version 1");
  const firstRun = (await banner.getByTestId("run-banner-link").textContent())!;

  // The node detail view (double-click): input and output of every record, paged.
  await node(page, "double").locator(".wf-node-type").dblclick();
  const detail = page.getByTestId("node-detail");
  await expect(detail.getByTestId("records-input-range")).toHaveText("records 1–50 of 1000");
  await detail.getByTestId("records-input-goto").fill("900");
  await detail.getByTestId("records-input-goto").press("Enter");
  await expect(detail.getByTestId("record-input-900")).toContainText("item 899");
  const output = detail.getByTestId("records-output");
  await output.getByTestId("records-output-goto").fill("900");
  await output.getByTestId("records-output-goto").press("Enter");
  await expect(output.getByTestId("records-output-range")).toHaveText("records 851–900 of 1000");
  const record900 = output.getByTestId("record-output-900");
  await expect(record900).toContainText("item 899");
  await expect(record900).toContainText("1798"); // n2 of n = 899
  // Columns can be hidden; the search across every record finds one on another page.
  await output.getByTestId("column-picker").locator("summary").click();
  await output.getByTestId("column-text").uncheck();
  await expect(output.locator("thead")).not.toContainText("text");
  await output.getByTestId("records-output-search").fill("item 7");
  await output.getByTestId("records-output-search").press("Enter");
  await expect(output.getByTestId("records-output-search-result")).toHaveText("111 match(es) in all 1000 records");
  await page.getByTestId("dialog-close").click();

  // Pin make's output of that run: an edit of the document, undone and redone like any other.
  await node(page, "make").locator(".wf-node-type").dblclick();
  await detail.getByTestId("detail-pin").click();
  await expect(node(page, "make").getByTestId("node-pin-make")).toHaveText("1000 pinned");
  await page.getByTestId("dialog-close").click();
  await page.locator('[data-action="edit.undo"]').click();
  await expect(node(page, "make").getByTestId("node-pin-make")).toHaveCount(0);
  await page.locator('[data-action="edit.redo"]').click();
  await expect(node(page, "make").getByTestId("node-pin-make")).toBeVisible();
  await page.locator('[data-action="workflow.save"]').click();
  await expect(page.getByTestId("workflow-version")).toHaveText("v2");

  // Run from here on double: make is not run again, its output comes from the first run.
  await node(page, "double").click({ button: "right" });
  await page.getByTestId("context-menu").locator('[data-action="node.runFromHere"]').click();
  await expect(banner.getByTestId("run-banner-link")).not.toHaveText(firstRun);
  await expect(node(page, "double")).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
  await expect(node(page, "make")).toHaveAttribute("data-status", "reused");
  await expect(banner.getByTestId("run-banner-version")).toHaveText("version 2");
  const secondRun = (await banner.getByTestId("run-banner-link").textContent())!;

  // Run this node (from its detail view): only double runs again, on its input of the run shown.
  await node(page, "double").locator(".wf-node-type").dblclick();
  await detail.getByTestId("detail-run-only").click();
  await expect(banner.getByTestId("run-banner-link")).not.toHaveText(secondRun);
  await expect(detail.getByTestId("detail-node-status")).toContainText("completed");
  await expect(detail.getByTestId("detail-node-status")).toContainText("1000 in → 1000 out");
  await expect(node(page, "make")).toHaveAttribute("data-status", "reused");
  await page.getByTestId("dialog-close").click();

  // Diff v1 and v2 from the Versions tab: make changed (its pin), double did not.
  // Below the run banner, which floats over the top of the canvas.
  await page.locator(".react-flow__pane").click({ position: { x: 10, y: 60 } });
  await page.getByTestId("tab-versions").click();
  await page.getByTestId("version-diff-2").click();
  const diff = page.getByTestId("version-diff");
  await expect(diff.getByTestId("diff-summary")).toContainText("1 node(s) changed");
  await expect(diff.getByTestId("diff-node-make")).toHaveAttribute("data-kind", "changed");
  await expect(diff.getByTestId("diff-node-make").getByTestId("field-diff-pinned")).toContainText("item 0");
  await expect(diff.getByTestId("diff-node-double")).toHaveCount(0);
  await page.getByTestId("dialog-close").click();

  // Run refuses a workflow that does not validate, and saves no version of it.
  await page.evaluate(() => window.wirework!.editor.getState().updateNodeSpec("double", { config: { code: "def node(record:\n" } }));
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
  await page.locator('[data-action="workflow.run"]').click();
  await expect(page.getByTestId("toast")).toContainText("Not run, nothing saved");
  await expect(page.getByTestId("toast")).toContainText("node double");
  await expect(page.getByTestId("workflow-version")).toHaveText("v2");
  expect((await (await request.get(`/api/workflows/${id}/versions`)).json()).length).toBe(2);
  // Saved anyway, it is version 3, marked invalid in the versions list with the node's error.
  await page.locator('[data-action="workflow.save"]').click();
  await expect(page.getByTestId("workflow-version")).toHaveText("v3");
  await expect(page.getByTestId("version-invalid-3")).toBeVisible();
  await expect(page.getByTestId("version-3")).toContainText("double");
  await expect(page.getByTestId("version-invalid-2")).toHaveCount(0);

  // The partial run's detail page names what it reused; make has no bar of its own.
  await page.goto(`/#/run/${secondRun}`);
  await expect(page.getByTestId("run-partial")).toHaveText(`from node double, reusing run ${firstRun}`);
  await expect(page.getByTestId("gantt-make")).toContainText("reused");
  await expect(page.getByTestId("gantt-double").locator(".gantt-bar")).toBeVisible();

  // The first run's detail page: a timeline of both nodes; open the editor at that run.
  await page.goto(`/#/run/${firstRun}`);
  await expect(page.getByTestId("gantt-make").locator(".gantt-bar")).toBeVisible();
  await expect(page.getByTestId("gantt-double").locator(".gantt-bar")).toBeVisible();
  await page.getByTestId("open-in-editor").click();
  await expect(page).toHaveURL(new RegExp(`#/workflows/${id}/run/${firstRun}$`));
  await expect(banner.getByTestId("run-banner-link")).toHaveText(firstRun);
  await expect(banner.getByTestId("run-banner-version")).toHaveText("version 1");
  await expect(banner.getByTestId("run-banner-note")).toContainText("the canvas shows version 3");

  // Pins in scheduled and webhook runs are a workflow setting of the Run settings dialog.
  await page.locator('[data-action="workflow.runSettings"]').click();
  await page.getByTestId("run-setting-pins_in_triggered_runs").check();
  await page.getByTestId("run-settings-apply").click();
  await page.locator('[data-action="workflow.save"]').click();
  await expect(page.getByTestId("workflow-version")).toHaveText("v4");
  expect((await (await request.get(`/api/workflows/${id}`)).json()).pins_in_triggered_runs).toBe(true);
});
