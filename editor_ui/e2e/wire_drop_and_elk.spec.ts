/**
 * Issue 19's last two canvas items in a real browser: a palette node dropped on a wire is
 * wired into it (A→new→B), and ELK layered is an auto-layout option next to dagre.
 */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

const CODE = "def node(record: dict) -> dict:\n    return record\n";

function chain(id: string, ids: string[], gap = 500) {
  return {
    id, name: "Wire drop", version: 1, description: "",
    nodes: ids.map((n, i) => ({ id: n, type: "python.map", label: "", position: { x: i * gap, y: (i % 2) * 160 }, config: { code: CODE }, retries: 0, timeout_s: null })),
    edges: ids.slice(1).map((target, i) => ({ id: `${ids[i]}->${target}`, source: ids[i], target })),
    schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

test("a palette node dropped on a wire goes in between: A→new→B, undone in one step", async ({ page, request }) => {
  const id = uniqueId("e2e-wire-drop");
  await createWorkflowViaApi(request, { ...chain(id, ["a", "b"]), nodes: chain(id, ["a", "b"]).nodes.map((n) => ({ ...n, position: { x: n.position.x, y: 0 } })) });
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "b")).toBeVisible();
  const wire = page.getByTestId("rf__edge-a->b").locator(".react-flow__edge-path");
  const box = (await wire.boundingBox())!;
  const pane = (await page.locator(".react-flow__pane").boundingBox())!;
  await page.getByTestId("palette-python.map").dragTo(page.locator(".react-flow__pane"), {
    targetPosition: { x: box.x + box.width / 2 - pane.x, y: box.y + box.height / 2 - pane.y },
  });
  await expect(node(page, "map_1")).toBeVisible();
  await expect(page.getByTestId("rf__edge-a->map_1")).toHaveCount(1);
  await expect(page.getByTestId("rf__edge-map_1->b")).toHaveCount(1);
  await expect(page.getByTestId("rf__edge-a->b")).toHaveCount(0);
  await page.evaluate(() => window.wirework!.actions.run("edit.undo"));
  await expect(node(page, "map_1")).toHaveCount(0);
  await expect(page.getByTestId("rf__edge-a->b")).toHaveCount(1);

  // Dropped on empty canvas, nothing is wired.
  await page.getByTestId("palette-python.map").dragTo(page.locator(".react-flow__pane"), { targetPosition: { x: pane.width / 2, y: 25 } });
  await expect(node(page, "map_1")).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
});

test("ELK layered auto-layout (right-click menu): every wire runs left to right, one undo step", async ({ page, request }) => {
  const id = uniqueId("e2e-elk");
  // A zig-zag drawn right to left: c and d start left of their inputs.
  const doc = chain(id, ["a", "b", "c", "d"]);
  doc.nodes = doc.nodes.map((n, i) => ({ ...n, position: { x: [600, 0, 300, -300][i], y: [0, 300, -200, 100][i] } }));
  await createWorkflowViaApi(request, doc);
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "d")).toBeVisible();
  await page.locator(".react-flow__pane").click({ button: "right", position: { x: 20, y: 20 } });
  await page.getByRole("menuitem", { name: /ELK layered/ }).click();
  await expect.poll(async () => {
    const nodes = await page.evaluate(() => window.wirework!.editor.getState().document().nodes);
    const x = Object.fromEntries(nodes.map((n: { id: string; position: { x: number } }) => [n.id, n.position.x]));
    return x.a < x.b && x.b < x.c && x.c < x.d;
  }).toBe(true);
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
  await page.evaluate(() => window.wirework!.actions.run("edit.undo"));
  await expect(page.getByTestId("save-state")).toHaveText("saved");
});
