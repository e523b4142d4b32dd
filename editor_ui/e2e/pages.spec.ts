/** The stores, secrets, workflows and runs pages against the real API. */
import { createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

test("create a store, upload a CSV, browse its records and download them", async ({ page, request }) => {
  const name = uniqueId("shop").replace(/-/g, "_");
  await page.goto("/#/stores");
  await page.getByPlaceholder(/new store name/).fill(name);
  await page.getByRole("button", { name: "Create store" }).click();
  await page.getByRole("link", { name }).click();
  await page.locator('input[type="file"]').setInputFiles({
    name: "items.csv", mimeType: "text/csv",
    buffer: Buffer.from("id,title,price\na1,Apple,3\nb2,Banana,2\nc3,Cherry,9\n"),
  });
  const table = page.getByTestId("records-table");
  await expect(table).toContainText("Banana");
  await expect(table.locator("tbody tr")).toHaveCount(3);
  const href = await page.getByRole("link", { name: "Download jsonl" }).getAttribute("href");
  const download = await request.get(href!);
  expect(download.status()).toBe(200);
  expect(await download.text()).toContain("Cherry");
});

test("set a secret: it is listed masked and never shown", async ({ page }) => {
  const name = uniqueId("token").replace(/-/g, "_");
  await page.goto("/#/secrets");
  await page.getByPlaceholder(/name, e.g./).fill(name);
  await page.getByPlaceholder("value").fill("s3cr3t-value-123");
  await page.getByRole("button", { name: "Set secret" }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(page.getByTestId("secrets-page")).not.toContainText("s3cr3t-value-123");
});

test("duplicate and delete workflows from the list", async ({ page, request }) => {
  const id = uniqueId("e2e-list");
  await createWorkflowViaApi(request, { id, name: "Listed", version: 1, description: "", nodes: [], edges: [],
    schedule: { cron: null, timezone: "UTC", enabled: false } });
  await page.goto("/#/");
  const row = page.getByTestId(`workflow-row-${id}`);
  await row.getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByTestId(`workflow-row-${id}-copy`)).toBeVisible();
  // The question is asked in the page, never with the browser's native confirm box.
  const native: string[] = [];
  page.on("dialog", (dialog) => { native.push(dialog.message()); void dialog.dismiss(); });
  await page.getByTestId(`workflow-row-${id}-copy`).getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByTestId("confirm-dialog");
  await expect(confirm).toContainText(`Delete workflow “Listed (copy)”?`);
  await confirm.getByTestId("confirm-cancel").click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByTestId(`workflow-row-${id}-copy`)).toBeVisible();
  await page.getByTestId(`workflow-row-${id}-copy`).getByRole("button", { name: "Delete" }).click();
  await page.getByTestId("confirm-dialog").getByTestId("confirm-ok").click();
  await expect(page.getByTestId(`workflow-row-${id}-copy`)).toHaveCount(0);
  expect(native).toEqual([]);
  expect((await request.get(`/api/workflows/${id}-copy`)).status()).toBe(404);
});

test("pages show a loading skeleton, not a blank page, while their data is on the way", async ({ page }) => {
  // The real API, answered 1.5 s late: long enough to see what the page shows meanwhile.
  for (const path of ["**/api/workflows", "**/api/runs?*", "**/api/secrets"]) {
    await page.route(path, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
  }
  for (const [hash, loaded] of [["#/", "workflows-page"], ["#/runs", "runs-page"], ["#/secrets", "secrets-page"]] as const) {
    await page.goto(`/${hash}`);
    await expect(page.getByTestId(loaded).getByTestId("skeleton")).toBeVisible();
    // Then the data (a list, or the page saying there is none), and no placeholder left.
    await expect(page.getByTestId(loaded).locator("table.list, p:text-is('No runs yet.')").first()).toBeVisible();
    await expect(page.getByTestId("skeleton")).toHaveCount(0);
  }
});
