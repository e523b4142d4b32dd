/** The schedule tab: cron in words and the next runs computed by the API. */
import { createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

test("cron shows human text and the next five runs in the schedule's zone, only while enabled", async ({ page, request }) => {
  const id = uniqueId("e2e-cron");
  await createWorkflowViaApi(request, { id, name: "Cron", version: 1, description: "", nodes: [], edges: [],
    schedule: { cron: null, timezone: "Europe/Berlin", enabled: false } });
  await page.goto(`/#/workflows/${id}`);
  await page.getByTestId("tab-schedule").click();
  await page.getByTestId("cron-input").fill("30 9 * * 1-5");
  // Off: the words would say it runs; they are not shown, nor are next runs.
  await expect(page.getByTestId("cron-text")).toContainText("Off");
  await expect(page.getByTestId("cron-text")).not.toContainText("09:30");
  await expect(page.getByTestId("next-runs")).toHaveCount(0);
  await page.getByTestId("schedule").getByRole("checkbox").check();
  await expect(page.getByTestId("cron-text")).toContainText("At 09:30, Monday through Friday");
  await expect(page.getByTestId("next-runs").locator("li")).toHaveCount(5);
  // Every time names its zone; 09:30 in Berlin whatever the browser's zone is.
  for (const item of await page.getByTestId("next-runs").locator("li").allTextContents()) {
    expect(item).toMatch(/09:30 Europe\/Berlin \(GMT\+[12]\)/);
  }
  await page.getByTestId("cron-input").fill("61 * * * *");
  await expect(page.getByTestId("cron-text")).toHaveClass(/error/);
});
