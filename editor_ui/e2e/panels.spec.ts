/** Side panels: the inspector and the palette resize and collapse, and keep their sizes after a reload. */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

const LONG_LINE = `    return {"text": record["text"], "a_rather_long_field_name_to_see_whether_it_fits": "${"x".repeat(60)}"}`;

test("the inspector resizes by its edge, collapses, and both are remembered", async ({ page, request }) => {
  const id = uniqueId("panels");
  await createWorkflowViaApi(request, {
    id, name: "Panels",
    nodes: [{ id: "m", type: "python.map", position: { x: 0, y: 0 }, config: { code: `def map(record):\n${LONG_LINE}\n` } }],
  });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(`/#/workflows/${id}`);
  await node(page, "m").click();
  const inspector = page.getByTestId("panel-inspector");
  const code = page.getByTestId("code-code");
  await expect(code).toBeVisible();
  const before = (await inspector.boundingBox())!;
  const codeBefore = (await code.boundingBox())!;
  expect(Math.round(before.width)).toBe(440);

  // Drag the inspector's left edge 200 px towards the canvas.
  const handle = (await page.getByTestId("panel-inspector-resizer").boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + 200);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2 - 200, handle.y + 200, { steps: 8 });
  await page.mouse.up();
  const after = (await inspector.boundingBox())!;
  expect(Math.round(after.width)).toBe(640);
  // The code editor gets the room: its long line is no longer cut at 440 px.
  expect((await code.boundingBox())!.width).toBeGreaterThan(codeBefore.width + 150);

  await page.reload();
  await node(page, "m").click();
  expect(Math.round((await page.getByTestId("panel-inspector").boundingBox())!.width)).toBe(640);

  // Collapse it: the canvas takes the room; still collapsed after a reload; expand again.
  const canvasBefore = (await page.getByTestId("canvas").boundingBox())!.width;
  await page.getByTestId("panel-inspector-toggle").click();
  await expect(page.getByTestId("panel-inspector")).toHaveAttribute("data-collapsed", "true");
  expect((await page.getByTestId("canvas").boundingBox())!.width).toBeGreaterThan(canvasBefore + 500);
  await page.reload();
  await expect(page.getByTestId("panel-inspector")).toHaveAttribute("data-collapsed", "true");
  await page.getByTestId("panel-inspector-toggle").click();
  expect(Math.round((await page.getByTestId("panel-inspector").boundingBox())!.width)).toBe(640);

  // The palette collapses too, and the keyboard resizes the inspector (arrow keys on its edge).
  await page.getByTestId("panel-palette-toggle").click();
  await expect(page.getByTestId("panel-palette")).toHaveAttribute("data-collapsed", "true");
  await page.getByTestId("panel-inspector-resizer").focus();
  await page.keyboard.press("ArrowRight");
  expect(Math.round((await page.getByTestId("panel-inspector").boundingBox())!.width)).toBe(616);
  await page.evaluate(() => { localStorage.removeItem("wirework.panel.inspector"); localStorage.removeItem("wirework.panel.palette"); });
});
