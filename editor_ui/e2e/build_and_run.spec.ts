/**
 * The main path a user takes: create a workflow, build it from the palette, wire it
 * (invalid wires are refused), write code (a compile error shows at its line), save,
 * run it and watch per-node status and output arrive live.
 */
import { dropFromPalette, edgeCount, expect, node, setCode, test, wire } from "./fixtures";

const YIELD_CODE = `def node(record: dict):
    from uuid import uuid4
    for word in ["alpha", "beta", "gamma"]:
        yield {"id": str(uuid4()), "word": word}
`;
const BROKEN_MAP_CODE = `def node(record: dict) -> dict:
    record["upper"] = record["word"].upper(
    return record
`;
const MAP_CODE = `def node(record: dict) -> dict:
    record["upper"] = record["word"].upper()
    return record
`;

test("build a flow from the palette, save it, run it and see live status and output", async ({ page }) => {
  await page.goto("/#/");
  const name = `E2E build ${Date.now()}`;
  await page.getByTestId("new-workflow-name").fill(name);
  await page.getByTestId("create-workflow").click();
  await expect(page.getByTestId("workflow-name")).toHaveText(name);
  await expect(page.getByTestId("workflow-version")).toHaveText("v1");

  // Palette: grouped, searchable, drag onto the canvas.
  await expect(page.getByTestId("palette").getByRole("heading", { name: "Transforms" })).toBeVisible();
  await dropFromPalette(page, "python.yield", { x: 140, y: 120 });
  await dropFromPalette(page, "python.map", { x: 370, y: 240 });
  await dropFromPalette(page, "python.aggregate", { x: 600, y: 120 });
  await expect(node(page, "yield_1")).toBeVisible();
  await expect(node(page, "map_1")).toBeVisible();
  await expect(node(page, "aggregate_1")).toBeVisible();

  // Wiring by dragging between handles; a wire that closes a cycle is refused.
  await wire(page, "yield_1", "map_1");
  await wire(page, "map_1", "aggregate_1");
  await expect.poll(() => edgeCount(page)).toBe(2);
  // While dragging over the refusing handle the reason shows; letting go adds nothing.
  const from = await node(page, "aggregate_1").locator(".react-flow__handle-right").boundingBox();
  const to = await node(page, "yield_1").locator(".react-flow__handle-left").boundingBox();
  await page.mouse.move(from!.x + from!.width / 2, from!.y + from!.height / 2);
  await page.mouse.down();
  await page.mouse.move(to!.x + 20, to!.y + 40, { steps: 5 });
  await page.mouse.move(to!.x + to!.width / 2, to!.y + to!.height / 2, { steps: 5 });
  await expect(page.getByTestId("wire-hint")).toContainText("cycle");
  await page.mouse.up();
  await expect(page.getByTestId("toast")).toContainText("cycle");
  expect(await edgeCount(page)).toBe(2);

  // Code with a syntax error: the node turns red and the problem shows at its line.
  await node(page, "yield_1").click();
  await setCode(page, "code", YIELD_CODE);
  await node(page, "map_1").click();
  await setCode(page, "code", BROKEN_MAP_CODE);
  await expect(node(page, "map_1")).toHaveClass(/has-problem/);
  await expect(page.getByTestId("code-problems-code")).toContainText(/line [23]/);
  await expect(page.getByTestId("code-code").locator(".cm-lintRange-error, .cm-lint-marker-error").first()).toBeVisible();
  await setCode(page, "code", MAP_CODE);
  await expect(node(page, "map_1")).not.toHaveClass(/has-problem/);
  await expect(page.getByTestId("problem-count")).toHaveText("valid");

  // Save with Ctrl+S: the version moves on.
  await page.locator(".react-flow__pane").click({ position: { x: 20, y: 20 } });
  await page.keyboard.press("ControlOrMeta+s");
  await expect(page.getByTestId("workflow-version")).toHaveText("v2");
  await expect(page.getByTestId("save-state")).toHaveText("saved");

  // Run: live per-node status with record counts, then the output of a node.
  await page.locator('[data-action="workflow.run"]').click();
  await expect(page.getByTestId("run-status")).toHaveText("completed", { timeout: 60_000 });
  await expect(node(page, "yield_1")).toHaveAttribute("data-status", "completed");
  await expect(page.getByTestId("node-status-map_1")).toContainText("3 → 3");
  await expect(page.getByTestId("node-status-aggregate_1")).toContainText("3 → 1");

  await node(page, "map_1").click();
  await page.getByTestId("tab-output").click();
  const table = page.getByTestId("records-table");
  await expect(table).toContainText("GAMMA");
  await expect(table.locator("tbody tr")).toHaveCount(3);
});

test("a failing node shows its error with the user's code line", async ({ page, request }) => {
  const id = `e2e-fail-${Date.now().toString(36)}`;
  const response = await request.post("/api/workflows", {
    data: {
      id, name: "Failing", version: 1, description: "",
      nodes: [
        { id: "make", type: "python.yield", label: "", position: { x: 0, y: 0 },
          config: { code: 'def node(record: dict):\n    yield {"id": "1", "n": 0}\n' }, retries: 0, timeout_s: null },
        { id: "divide", type: "python.map", label: "", position: { x: 300, y: 0 },
          config: { code: 'def node(record: dict) -> dict:\n    record["x"] = 1 / record["n"]\n    return record\n' }, retries: 0, timeout_s: null },
      ],
      edges: [{ id: "e1", source: "make", target: "divide" }],
      schedule: { cron: null, timezone: "UTC", enabled: false },
    },
  });
  expect(response.status()).toBe(201);
  await page.goto(`/#/workflows/${id}`);
  await page.locator('[data-action="workflow.run"]').click();
  await expect(page.getByTestId("run-status")).toHaveText("failed", { timeout: 60_000 });
  await expect(node(page, "divide")).toHaveAttribute("data-status", "failed");
  await node(page, "divide").click();
  await page.getByTestId("tab-output").click();
  await expect(page.getByTestId("node-error")).toContainText("ZeroDivisionError");
  await expect(page.getByTestId("node-error")).toContainText("line 2");
});
