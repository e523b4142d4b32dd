/** New and pasted nodes land in free space; a palette add continues from the selected node; a paste is inspected. */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";
import type { Locator } from "@playwright/test";

const code = "def map(record):\n    return record\n";

async function overlap(a: Locator, b: Locator): Promise<boolean> {
  const [r, s] = [(await a.boundingBox())!, (await b.boundingBox())!];
  return r.x < s.x + s.width && s.x < r.x + r.width && r.y < s.y + s.height && s.y < r.y + r.height;
}

test("a palette double-click with a node selected adds the next node beside it, wired", async ({ page, request }) => {
  const id = uniqueId("e2e-place");
  await createWorkflowViaApi(request, {
    id, name: "Placement",
    nodes: [{ id: "a", type: "python.map", label: "A", position: { x: 0, y: 0 }, config: { code } }],
  });
  await page.goto(`/#/workflows/${id}`);
  await node(page, "a").click();
  await page.getByTestId("palette-python.map").dblclick();
  await expect(node(page, "map_1")).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  expect(await overlap(node(page, "a"), node(page, "map_1"))).toBe(false);
  expect((await node(page, "map_1").boundingBox())!.x).toBeGreaterThan((await node(page, "a").boundingBox())!.x);
  await expect(page.getByTestId("node-label")).toHaveAttribute("placeholder", "map_1");

  // With nothing selected a double-click adds at the view's centre, off any other node, unwired.
  await page.locator(".react-flow__pane").click({ position: { x: 10, y: 10 } });
  await page.getByTestId("palette-python.map").dblclick();
  await expect(node(page, "map_2")).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  for (const other of ["a", "map_1"]) expect(await overlap(node(page, "map_2"), node(page, other)), other).toBe(false);
});

test("a paste lands off its original and the inspector shows the pasted node", async ({ page, request, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const id = uniqueId("e2e-paste");
  await createWorkflowViaApi(request, {
    id, name: "Paste",
    nodes: [
      { id: "a", type: "python.map", label: "A", position: { x: 0, y: 0 }, config: { code } },
      { id: "b", type: "python.map", label: "B", position: { x: 40, y: 70 }, config: { code } },
    ],
  });
  await page.goto(`/#/workflows/${id}`);
  await node(page, "a").click();
  await expect(page.getByTestId("node-label")).toHaveValue("A");
  await page.evaluate(() => window.wirework!.actions.run("edit.copy"));
  await page.evaluate(() => window.wirework!.actions.run("edit.paste"));
  await expect(node(page, "map_1")).toBeVisible();
  for (const other of ["a", "b"]) expect(await overlap(node(page, "map_1"), node(page, other)), other).toBe(false);
  await expect(page.getByTestId("node-label")).toHaveAttribute("placeholder", "map_1");
});
