/** Inline rename on the canvas: F2 on the selected node, or a double-click on its title. */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

test("F2 and a double-click on the title rename a node in place", async ({ page, request }) => {
  const id = uniqueId("e2e-rename");
  await createWorkflowViaApi(request, {
    id, name: "Rename",
    nodes: [{ id: "m", type: "python.map", position: { x: 0, y: 0 }, config: { code: "def map(record):\n    return record\n" } }],
  });
  await page.goto(`/#/workflows/${id}`);
  await node(page, "m").click();
  await page.keyboard.press("F2");
  const input = page.getByTestId("node-rename");
  await expect(input).toBeFocused();
  await page.keyboard.type("Clean headlines");
  await page.keyboard.press("Enter");
  await expect(input).toHaveCount(0);
  await expect(node(page, "m").locator(".wf-node-title")).toHaveText("Clean headlines");
  await expect(page.getByTestId("node-label")).toHaveValue("Clean headlines");
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");

  // Double-click the title; Escape keeps the old name; Backspace while typing deletes no node.
  await node(page, "m").locator(".wf-node-title").dblclick();
  await expect(input).toBeFocused();
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Escape");
  await expect(node(page, "m").locator(".wf-node-title")).toHaveText("Clean headlines");

  await page.evaluate(() => window.wirework!.actions.run("workflow.save"));
  await expect(page.getByTestId("save-state")).toHaveText("saved");
  const saved = await (await request.get(`/api/workflows/${id}`)).json();
  expect(saved.nodes[0].label).toBe("Clean headlines");
});
