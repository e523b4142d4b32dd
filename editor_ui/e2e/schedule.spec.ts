/** The schedule tab: cron in words and the next runs computed by the API. */
import { createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

test("cron shows human text and the next five runs", async ({ page, request }) => {
  const id = uniqueId("e2e-cron");
  await createWorkflowViaApi(request, { id, name: "Cron", version: 1, description: "", nodes: [], edges: [],
    schedule: { cron: null, timezone: "UTC", enabled: false } });
  await page.goto(`/#/workflows/${id}`);
  await page.getByTestId("tab-schedule").click();
  await page.getByTestId("cron-input").fill("30 9 * * 1-5");
  await expect(page.getByTestId("cron-text")).toContainText("At 09:30, Monday through Friday");
  await expect(page.getByTestId("next-runs").locator("li")).toHaveCount(5);
  await page.getByTestId("cron-input").fill("61 * * * *");
  await expect(page.getByTestId("cron-text")).toHaveClass(/error/);
});
