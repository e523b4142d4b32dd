/**
 * Visual regression: the main screens in light and dark, compared with the baselines
 * committed in `e2e/visual.spec.ts-snapshots/` within a tolerance (maxDiffPixelRatio).
 *
 * Deterministic by construction: a fixed viewport, animations and the caret off (the
 * toHaveScreenshot defaults, set here explicitly), data this spec makes itself under fixed
 * names (the stock-news sample flow imported as `visual-stock-news`, a run of a small
 * flow, a labeling project of six records), and every text that depends on the clock or
 * on a run's speed (times, durations, a chart's axes) or on the backend (the webhook URL's
 * port and token) masked. Pages that list what other
 * specs create (secrets) are compared down to their form only.
 *
 * Update the baselines after an intended change of the look (one spec alone, so its
 * backend is fresh):  npx playwright test e2e/visual.spec.ts --update-snapshots
 * and commit the changed PNGs with the change.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { expect, node, test } from "./fixtures";

const THEMES = ["light", "dark"] as const;
const SHOT = { maxDiffPixelRatio: 0.01, animations: "disabled", caret: "hide", scale: "css" } as const;
const STOCK_NEWS = JSON.parse(readFileSync(fileURLToPath(new URL("../../flows/stock_news_sentiment.json", import.meta.url)), "utf8"));
const CODE = "def node(record: dict) -> dict:\n    return record\n";
const HEADLINES = [
  "Acme beats estimates and raises guidance", "Globex shares slump on weak outlook", "Initech holds annual meeting",
  "Umbrella Corp soars after record quarter", "Hooli misses forecasts, stock falls", "Vandelay opens a new office",
];

test.use({ viewport: { width: 1280, height: 800 } });

/** Made once per backend: a second run of this spec against a reused backend would see other data. */
async function fixedData(request: APIRequestContext): Promise<void> {
  if ((await request.get("/api/workflows/visual-runs")).status() === 200) return;
  const doc = (id: string, name: string, extra: object) => ({ id, name, version: 1, description: "", schedule: { cron: null, timezone: "UTC", enabled: false }, ...extra });
  expect((await request.post("/api/workflows", { data: { ...STOCK_NEWS, id: "visual-stock-news" } })).status()).toBe(201);
  expect((await request.post("/api/workflows", { data: doc("visual-runs", "Visual runs", {
    nodes: [
      { id: "make", type: "python.yield", label: "Make three", position: { x: 0, y: 0 }, config: { code: 'def node(record: dict):\n    for i in range(3):\n        yield {"id": str(i)}\n' } },
      { id: "keep", type: "python.map", label: "Keep", position: { x: 300, y: 0 }, config: { code: CODE } },
    ],
    edges: [{ source: "make", target: "keep" }],
  }) })).status()).toBe(201);
  const { run_id } = await (await request.post("/api/workflows/visual-runs/runs", { data: { payload: null } })).json();
  await expect.poll(async () => (await (await request.get(`/api/runs/${run_id}`)).json()).status, { timeout: 60_000 }).toBe("completed");
  const records = HEADLINES.map((headline, i) => ({ id: `h${i + 1}`, headline }));
  expect((await request.post("/api/stores/visual_lab/records?create=true", { data: records })).ok()).toBe(true);
  expect((await request.post("/api/labeling/projects", { data: { name: "visual_lab", store: "visual_lab" } })).status()).toBe(201);
  expect((await request.post("/api/labeling/projects/visual_lab/tasks", {
    data: { name: "sentiment", labels: ["rather positive", "neutral", "rather negative"], text_fields: ["headline"] },
  })).status()).toBe(201);
}

async function open(page: Page, theme: (typeof THEMES)[number], hash: string): Promise<void> {
  await page.addInitScript((t) => localStorage.setItem("wirework.theme", t), theme);
  await page.emulateMedia({ colorScheme: theme, reducedMotion: "reduce" });
  await page.goto(`/${hash}`);
  await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
}

/** Cells whose text is a time or a duration: masked. */
const clockTexts = (page: Page): Locator[] => [
  page.locator("table.list tbody td:nth-child(1), table.list tbody td:nth-child(5)"),
  page.locator(".charts figcaption small, .charts svg text"),
];

test.beforeEach(async ({ request }) => {
  test.setTimeout(120_000);
  await fixedData(request);
});

for (const theme of THEMES) {
  test(`editor with the stock-news flow (${theme})`, async ({ page }) => {
    await open(page, theme, "#/workflows/visual-stock-news");
    await expect(node(page, "slack")).toBeVisible();
    await expect(page.getByTestId("problem-count")).toHaveText("valid");
    // The webhook URL holds the backend's port and a random token.
    await expect(page).toHaveScreenshot(`editor-${theme}.png`, { ...SHOT, mask: [page.getByTestId("webhook-url")] });
  });

  test(`runs page (${theme})`, async ({ page }) => {
    await open(page, theme, "#/runs/visual-runs");
    await expect(page.locator("table.list tbody tr")).toHaveCount(1);
    await expect(page.getByText("Records out of the final node (keep)")).toBeVisible();
    // The run data size depends on what the other specs ran before.
    await expect(page.getByTestId("run-data-size")).toBeVisible();
    await expect(page).toHaveScreenshot(`runs-${theme}.png`, { ...SHOT, mask: [...clockTexts(page), page.getByTestId("run-data-size")] });
  });

  test(`run detail (${theme})`, async ({ page }) => {
    await open(page, theme, "#/runs/visual-runs");
    await page.locator("table.list tbody tr").first().locator("td").nth(2).click();
    await expect(page.getByTestId("run-status")).toHaveText("completed");
    await expect(page.getByTestId("run-node-keep")).toContainText("3");
    await expect(page).toHaveScreenshot(`run-detail-${theme}.png`, {
      ...SHOT,
      mask: [page.getByTestId("run-started"), page.getByTestId("run-duration"), page.locator(".run-summary dd").nth(2),
             page.locator(".run-summary dd").nth(5), page.locator('[data-testid="run-nodes"] tbody td:nth-child(5), [data-testid="run-nodes"] tbody td:nth-child(6)'),
             // The timeline's bars, ticks and durations follow the run's speed.
             page.locator('[data-testid="run-gantt"] .gantt-track, [data-testid="run-gantt"] .gantt-duration')],
    });
  });

  test(`labeling: label tab (${theme})`, async ({ page }) => {
    await open(page, theme, "#/labeling/visual_lab/label");
    await page.getByTestId("filter-all").click();
    await expect(page.getByTestId("record-card")).toHaveAttribute("data-record-id", "h1");
    await expect(page.getByText("6 in this filter")).toBeVisible();
    await expect(page).toHaveScreenshot(`labeling-${theme}.png`, SHOT);
  });

  test(`secrets page, down to its form (${theme})`, async ({ page }) => {
    await open(page, theme, "#/secrets");
    await expect(page.getByTestId("secrets-page").locator("table.list thead")).toBeVisible();
    // The list below holds what other specs set, and its columns size to it: compared down to the form.
    const box = (await page.getByTestId("secrets-page").locator("form").boundingBox())!;
    await expect(page).toHaveScreenshot(`secrets-${theme}.png`, { ...SHOT, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(box.y + box.height + 8) } });
  });
}
