/** A save based on an old version is refused (409) and the user chooses; nothing is lost silently. */
import { createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

function doc(id: string) {
  return {
    id, name: "Conflict", version: 1, description: "",
    nodes: [{ id: "m", type: "python.map", label: "", position: { x: 0, y: 0 },
      config: { code: "def node(record: dict) -> dict:\n    return record\n" }, retries: 0, timeout_s: null }],
    edges: [], schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

test("a stale save shows the conflict dialog; overwrite saves over the newer version", async ({ page, request }) => {
  const id = uniqueId("e2e-conflict");
  await createWorkflowViaApi(request, doc(id));
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("workflow-version")).toHaveText("v1");

  // Someone else saves version 2 meanwhile.
  const other = await request.put(`/api/workflows/${id}`, { data: { ...doc(id), name: "Changed elsewhere" } });
  expect(other.status()).toBe(200);

  await page.getByTestId("node-m").click();
  await page.getByTestId("node-label").fill("my label");
  await page.keyboard.press("ControlOrMeta+s");
  const dialog = page.getByTestId("conflict-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("version 2");
  await expect(page.getByTestId("save-state")).toHaveText("unsaved changes");

  await page.getByTestId("conflict-overwrite").click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("workflow-version")).toHaveText("v3");
  const saved = await (await request.get(`/api/workflows/${id}`)).json();
  expect(saved.nodes[0].label).toBe("my label");
});

test("after a conflict the user can reload the server's version instead", async ({ page, request }) => {
  const id = uniqueId("e2e-reload");
  await createWorkflowViaApi(request, doc(id));
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("workflow-version")).toHaveText("v1");
  await request.put(`/api/workflows/${id}`, { data: { ...doc(id), name: "Server name" } });

  await page.getByTestId("node-m").click();
  await page.getByTestId("node-label").fill("local label");
  await page.locator('[data-action="workflow.save"]').click();
  await page.getByTestId("conflict-reload").click();
  await expect(page.getByTestId("workflow-version")).toHaveText("v2");
  await expect(page.getByTestId("workflow-name")).toHaveText("Server name");
});
