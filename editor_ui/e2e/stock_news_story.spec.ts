/**
 * The story a new user follows after `make run` (README: "From `make run` to a Slack
 * message"): open the stock-news sample flow, run it, and read the sentiment summary in
 * the local Slack inbox, with the counts the labeling step produced. The screenshots it
 * takes are the README tutorial's: with WIREWORK_DOCS_SCREENSHOTS=1 they replace the
 * committed ones in docs/screenshots/; otherwise they go to the test's output folder, so
 * an ordinary `make test` leaves the working tree clean.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, node, test } from "./fixtures";

const FLOW = "stock_news_sentiment";
const SHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const LABELS = ["rather positive", "neutral", "rather negative"] as const;

function shot(name: string): string {
  return process.env.WIREWORK_DOCS_SCREENSHOTS ? `${SHOTS}${name}` : test.info().outputPath(name);
}

test("open the stock-news flow, run it, and the Slack summary arrives in the local inbox", async ({ page, request }) => {
  test.setTimeout(240_000);
  if (process.env.WIREWORK_DOCS_SCREENSHOTS) mkdirSync(SHOTS, { recursive: true });
  // New articles for this run, whatever else ran before (e.g. the hourly schedule).
  const published = await request.post("/demo/news/publish", { data: { count: 3 } });
  expect(published.status()).toBe(200);

  // 1. The workflows list: the sample flows, the stock-news one scheduled hourly.
  await page.goto("/#/");
  const row = page.getByTestId(`workflow-row-${FLOW}`);
  await expect(row).toContainText("Stock news sentiment to Slack");
  await expect(row).toContainText("0 * * * *");
  await page.screenshot({ path: shot("01-workflows.png") });

  // 2. The flow in the editor: scrape → store → only new → label → count → Slack.
  await row.getByRole("link", { name: "Stock news sentiment to Slack" }).click();
  await expect(page.getByTestId("workflow-name")).toHaveText("Stock news sentiment to Slack");
  await expect(page.getByTestId("problem-count")).toHaveText("valid");
  for (const id of ["scrape", "save", "new_articles", "sentiment", "count", "slack"]) {
    await expect(node(page, id)).toBeVisible();
  }
  await page.screenshot({ path: shot("02-flow.png") });

  // 3. Run it and watch every node finish (the first enrichment loads the embedding model).
  await page.locator('[data-action="workflow.run"]').click();
  await expect(page.getByTestId("run-status")).toHaveText("completed", { timeout: 200_000 });
  await expect(node(page, "slack")).toHaveAttribute("data-status", "completed");
  await node(page, "count").click();
  await page.getByTestId("tab-output").click();
  await expect(page.getByTestId("records-table")).toContainText("new stock news articles");
  await page.screenshot({ path: shot("03-run-completed.png") });

  // What the labeling step decided, from the run's own record of the enrichment.
  const [run] = await (await request.get(`/api/runs?workflow_id=${FLOW}&limit=1`)).json();
  expect(run.status).toBe("completed");
  const output = await (await request.get(`/api/runs/${run.id}/nodes/sentiment/output?limit=1000`)).json();
  expect(output.total).toBeGreaterThanOrEqual(3);
  expect(output.kept).toBe(output.total); // all of them are in the sample (≤ 20), so the counts are checkable
  const counts: Record<string, number> = Object.fromEntries(LABELS.map((l) => [l, 0]));
  for (const record of output.records) {
    const label = record.prediction.results.sentiment.prediction;
    if (label in counts) counts[label] += 1;
  }
  const expected = `${output.total} new stock news articles: ${counts["rather positive"]} rather positive, ` +
    `${counts["neutral"]} neutral, ${counts["rather negative"]} rather negative`;

  // 4. The local Slack inbox (what the preset `slack-webhook` secret points at).
  await page.goto("/demo/inbox");
  const newest = page.locator("#messages li.message").first();
  await expect(newest.locator(".channel")).toHaveText("#news");
  await expect(newest.locator(".text")).toContainText(expected);
  await page.screenshot({ path: shot("04-inbox.png") });
});
