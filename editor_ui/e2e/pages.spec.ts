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
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByTestId(`workflow-row-${id}-copy`).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId(`workflow-row-${id}-copy`)).toHaveCount(0);
  expect((await request.get(`/api/workflows/${id}-copy`)).status()).toBe(404);
});
