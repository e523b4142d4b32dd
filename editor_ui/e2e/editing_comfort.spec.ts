/** Named actions: undo/redo, copy/paste as JSON, delete, help dialog, auto-layout, drafts. */
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

function twoNodes(id: string) {
  const code = "def node(record: dict) -> dict:\n    return record\n";
  return {
    id, name: "Comfort", version: 1, description: "",
    nodes: [
      { id: "a", type: "python.map", label: "A", position: { x: 0, y: 0 }, config: { code }, retries: 0, timeout_s: null },
      { id: "b", type: "python.map", label: "B", position: { x: 300, y: 0 }, config: { code }, retries: 0, timeout_s: null },
    ],
    edges: [{ id: "e1", source: "a", target: "b" }],
    schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

test("delete, undo and redo through shortcuts", async ({ page, request }) => {
  const id = uniqueId("e2e-undo");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await node(page, "b").click();
  await page.keyboard.press("Delete");
  await expect(node(page, "b")).toHaveCount(0);
  await expect(page.locator(".react-flow__edge")).toHaveCount(0);
  await page.keyboard.press("ControlOrMeta+z");
  await expect(node(page, "b")).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await page.keyboard.press("ControlOrMeta+Shift+z");
  await expect(node(page, "b")).toHaveCount(0);
});

test("copy and paste nodes as JSON through the clipboard", async ({ page, request, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const id = uniqueId("e2e-clip");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "a")).toBeVisible();
  await page.evaluate(() => window.wirework!.actions.run("edit.selectAll"));
  await page.evaluate(() => window.wirework!.actions.run("edit.copy"));
  const text = await page.evaluate(() => navigator.clipboard.readText());
  expect(JSON.parse(text).kind).toBe("wirework/nodes");
  await page.evaluate(() => window.wirework!.actions.run("edit.paste"));
  await expect(node(page, "map_1")).toBeVisible();
  await expect(node(page, "map_2")).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
});

test("? opens the shortcuts dialog listing the named actions", async ({ page, request }) => {
  const id = uniqueId("e2e-help");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await page.locator(".react-flow__pane").click({ position: { x: 10, y: 10 } });
  await page.keyboard.press("?");
  const help = page.getByTestId("help-dialog");
  await expect(help).toContainText("Undo");
  await expect(help).toContainText("Ctrl+Shift+Z");
  await expect(help).toContainText("edit.paste");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
});

test("an unsaved edit survives a reload as a local draft", async ({ page, request }) => {
  const id = uniqueId("e2e-draft");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await node(page, "a").click();
  await page.getByTestId("node-label").fill("draft label");
  await expect(node(page, "a")).toContainText("draft label");
  await expect.poll(() => page.evaluate((wf) => localStorage.getItem(`wirework.draft.${wf}`) !== null, id)).toBe(true);
  await page.reload();
  await page.getByTestId("draft-restore").click();
  await expect(node(page, "a")).toContainText("draft label");
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
});

test("sticky notes are saved in the workflow: N then typing writes one note, saved, reloaded, exported", async ({ page, request }) => {
  const id = uniqueId("e2e-note");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "a")).toBeVisible();
  await page.locator(".react-flow__pane").click({ position: { x: 10, y: 10 } });
  await page.keyboard.press("n");
  // The keys after N are the note's text (the "n"s included), not more notes.
  await page.keyboard.type("note: run hourly, then Slack");
  await expect(page.locator(".note-node")).toHaveCount(1);
  const note = page.getByTestId("note-note_1").locator("textarea");
  await expect(note).toHaveValue("note: run hourly, then Slack");
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
  await page.evaluate(() => window.wirework!.actions.run("workflow.save"));
  await expect(page.getByTestId("save-state")).toHaveText("saved");
  const saved = await (await request.get(`/api/workflows/${id}`)).json();
  expect(saved.version).toBe(2);
  expect(saved.notes).toEqual([expect.objectContaining({ id: "note_1", text: "note: run hourly, then Slack" })]);
  const exported = await (await request.get(`/api/workflows/${id}/export`)).json();
  expect(exported.notes[0].text).toBe("note: run hourly, then Slack");
  // Another browser (no localStorage) sees it: it is in the document.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(page.getByTestId("note-note_1").locator("textarea")).toHaveValue("note: run hourly, then Slack");
  await expect(page.getByTestId("save-state")).toHaveText("saved");
});

test("undoing a note back to the saved state leaves nothing unsaved and no draft", async ({ page, request }) => {
  const id = uniqueId("e2e-note-undo");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "a")).toBeVisible();
  await page.evaluate(() => window.wirework!.actions.run("canvas.addNote"));
  await page.keyboard.type("temporary");
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
  await expect.poll(() => page.evaluate((wf) => localStorage.getItem(`wirework.draft.${wf}`) !== null, id)).toBe(true);
  await page.evaluate(() => { window.wirework!.actions.run("edit.undo"); window.wirework!.actions.run("edit.undo"); });
  await expect(page.locator(".note-node")).toHaveCount(0);
  await expect(page.getByTestId("save-state")).toHaveText("saved");
  await expect.poll(() => page.evaluate((wf) => localStorage.getItem(`wirework.draft.${wf}`), id)).toBeNull();
  await page.reload();
  await expect(node(page, "a")).toBeVisible();
  await expect(page.getByTestId("draft-restore")).toHaveCount(0);
});

test("notes an older editor kept in localStorage move into the workflow once", async ({ page, request }) => {
  const id = uniqueId("e2e-note-legacy");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto("/#/");
  await page.evaluate((wf) => localStorage.setItem(`wirework.notes.${wf}`, JSON.stringify([
    { id: "note_1", text: "kept by the old editor", position: { x: 0, y: 200 }, width: 220, height: 100 },
  ])), id);
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("note-note_1").locator("textarea")).toHaveValue("kept by the old editor");
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
  expect(await page.evaluate((wf) => localStorage.getItem(`wirework.notes.${wf}`), id)).toBeNull();
  await page.evaluate(() => window.wirework!.actions.run("workflow.save"));
  await expect(page.getByTestId("save-state")).toHaveText("saved");
  const saved = await (await request.get(`/api/workflows/${id}`)).json();
  expect(saved.notes).toEqual([{ id: "note_1", text: "kept by the old editor", position: { x: 0, y: 200 }, width: 220, height: 100 }]);
  await page.reload();
  await expect(page.locator(".note-node")).toHaveCount(1);
  await expect(page.getByTestId("save-state")).toHaveText("saved");
});

test("a draft restored after the server moved on raises the conflict on save", async ({ page, request }) => {
  const id = uniqueId("e2e-stale-draft");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await node(page, "a").click();
  await page.getByTestId("node-label").fill("offline edit");
  await expect.poll(() => page.evaluate((wf) => localStorage.getItem(`wirework.draft.${wf}`) !== null, id)).toBe(true);
  expect((await request.put(`/api/workflows/${id}`, { data: { ...twoNodes(id), name: "Moved on" } })).status()).toBe(200);
  await page.reload();
  await page.getByTestId("draft-restore").click();
  await expect(node(page, "a")).toContainText("offline edit");
  await page.locator('[data-action="workflow.save"]').click();
  await expect(page.getByTestId("conflict-dialog")).toBeVisible();
});

test("the right-click menu runs the same named actions", async ({ page, request }) => {
  const id = uniqueId("e2e-menu");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await node(page, "b").click({ button: "right" });
  const menu = page.getByTestId("context-menu");
  await expect(menu).toContainText("Ctrl+D");
  await menu.locator('[data-action="edit.duplicate"]').click();
  await expect(menu).toBeHidden();
  await expect(node(page, "map_1")).toContainText("B");
  await page.keyboard.press("ControlOrMeta+z");
  await expect(node(page, "map_1")).toHaveCount(0);
});

test("rubber-band selection, then auto-layout and delete act on the selection", async ({ page, request }) => {
  const id = uniqueId("e2e-band");
  await createWorkflowViaApi(request, twoNodes(id));
  await page.goto(`/#/workflows/${id}`);
  await page.locator('[data-action="canvas.autoLayout"]').click();
  const a = (await node(page, "a").boundingBox())!;
  const b = (await node(page, "b").boundingBox())!;
  expect(b.x).toBeGreaterThan(a.x + a.width);
  await page.mouse.move(a.x - 30, Math.min(a.y, b.y) - 30);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width + 30, Math.max(a.y + a.height, b.y + b.height) + 30, { steps: 8 });
  await page.mouse.up();
  await expect(page.locator(".react-flow__node.selected")).toHaveCount(2);
  await page.keyboard.press("Delete");
  await expect(page.locator(".react-flow__node")).toHaveCount(0);
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");
});

test("opening shows the problems the document came with (no second validation); an edit is validated", async ({ page, request }) => {
  const id = uniqueId("e2e-open-problems");
  const doc = twoNodes(id);
  doc.nodes[1].config = { code: "def node(record: dict) -> dict:\n    return (\n" };
  await createWorkflowViaApi(request, doc);
  const validations: string[] = [];
  page.on("request", (r) => { if (r.url().endsWith("/api/validate")) validations.push(r.method()); });
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("problem-count")).toHaveText("1 problem(s)");
  await expect(node(page, "b")).toHaveClass(/has-problem/);
  await page.waitForTimeout(800); // past the validation debounce: nothing was sent for the opened content
  expect(validations).toEqual([]);
  await node(page, "a").click();
  await page.getByTestId("node-label").fill("edited");
  await expect.poll(() => validations.length).toBe(1);
  await expect(page.getByTestId("problem-count")).toHaveText("1 problem(s)");
});
