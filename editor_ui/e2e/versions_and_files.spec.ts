/** Version history with restore, and workflows in and out as JSON files. */
import { createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

function doc(id: string, name: string) {
  return { id, name, version: 1, description: "", nodes: [], edges: [], schedule: { cron: null, timezone: "UTC", enabled: false } };
}

test("restore an older version from the history", async ({ page, request }) => {
  const id = uniqueId("e2e-versions");
  await createWorkflowViaApi(request, doc(id, "First name"));
  expect((await request.put(`/api/workflows/${id}`, { data: { ...doc(id, "Second name"), version: 1 } })).status()).toBe(200);
  await page.goto(`/#/workflows/${id}`);
  await expect(page.getByTestId("workflow-name")).toHaveText("Second name");
  await page.getByTestId("tab-versions").click();
  const history = page.getByTestId("versions");
  await expect(history.getByRole("listitem")).toHaveCount(2);
  await history.getByRole("listitem").filter({ hasText: "v1" }).getByRole("button", { name: "View" }).click();
  await expect(page.getByTestId("version-view")).toContainText('"name": "First name"');
  await page.keyboard.press("Escape");
  await history.getByRole("listitem").filter({ hasText: "v1" }).getByRole("button", { name: "Restore" }).click();
  await page.getByTestId("confirm-dialog").getByTestId("confirm-ok").click();
  await expect(page.getByTestId("workflow-version")).toHaveText("v3");
  await expect(page.getByTestId("workflow-name")).toHaveText("First name");
});

test("import a workflow from a JSON file and export it again", async ({ page }) => {
  const id = uniqueId("e2e-import");
  await page.goto("/#/");
  await page.locator('[data-testid="workflows-page"] input[type="file"]').setInputFiles({
    name: `${id}.json`, mimeType: "application/json", buffer: Buffer.from(JSON.stringify(doc(id, "Imported flow"))),
  });
  await expect(page.getByTestId("workflow-name")).toHaveText("Imported flow");
  const downloading = page.waitForEvent("download");
  await page.locator('[data-action="workflow.export"]').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`${id}.json`);
  const exported = JSON.parse(await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString()));
  expect(exported).toMatchObject({ id, name: "Imported flow", nodes: [], edges: [] });
});
