/**
 * Issue 19's labeling defects, each against a real `wirework up`: the counter after
 * relabelling already-labelled records, the empty queue not asking for heuristics that
 * exist, a lookup list proposing the label its name names, and a failed preview leaving
 * no earlier results under its error.
 */
import type { APIRequestContext } from "@playwright/test";
import { expect, setCode, test, uniqueId } from "./fixtures";

const LABELS = ["rather positive", "neutral", "rather negative"];
const RECORDS = Array.from({ length: 4 }, (_, i) => ({ id: `r${i}`, headline: `Headline number ${i} beats estimates` }));

async function project(request: APIRequestContext, prefix: string): Promise<string> {
  const id = uniqueId(prefix).replace(/-/g, "_");
  expect((await request.post(`/api/stores/${id}/records?create=true`, { data: RECORDS })).ok()).toBe(true);
  expect((await request.post("/api/labeling/projects", { data: { name: id, store: id } })).status()).toBe(201);
  const task = await request.post(`/api/labeling/projects/${id}/tasks`, { data: { name: "sentiment", labels: LABELS, text_fields: ["headline"] } });
  expect(task.status(), await task.text()).toBe(201);
  return id;
}

const taskPath = (p: string) => `/api/labeling/projects/${p}/tasks/sentiment`;

test("relabelling records that had labels counts them: 4 labelled this session · 4 saved", async ({ page, request }) => {
  test.setTimeout(120_000); // the first suggestions may load the embedding model
  const p = await project(request, "relabel");
  for (const r of RECORDS) expect((await request.put(`${taskPath(p)}/labels/${r.id}`, { data: { label: "neutral", user: "e2e" } })).ok()).toBe(true);
  await page.goto(`/#/labeling/${p}/label`);
  await page.getByTestId("filter-all").click();
  const card = page.getByTestId("record-card");
  for (let i = 0; i < RECORDS.length; i++) {
    await expect(card).toBeVisible();
    const recordId = (await card.getAttribute("data-record-id"))!;
    await page.keyboard.press("1");
    await expect(card.or(page.getByTestId("queue-empty"))).not.toHaveAttribute("data-record-id", recordId);
  }
  await expect(page.getByTestId("session-count")).toHaveText("4 labelled this session · 4 saved");
  const labels: { label: string }[] = await (await request.get(`${taskPath(p)}/labels`)).json();
  expect(labels.map((l) => l.label)).toEqual(Array(4).fill("rather positive"));
});

test("an empty queue asks for heuristics only when there are none", async ({ page, request }) => {
  test.setTimeout(120_000);
  const p = await project(request, "emptyq");
  for (const r of RECORDS) await request.put(`${taskPath(p)}/labels/${r.id}`, { data: { label: "neutral", user: "e2e" } });
  await page.goto(`/#/labeling/${p}/label`);
  await page.getByTestId("filter-unlabeled").click();
  await expect(page.getByTestId("queue-empty")).toContainText("Add heuristics");
  expect((await request.put(`/api/labeling/projects/${p}/lookup-lists/beats`, { data: { terms: ["beats"] } })).ok()).toBe(true);
  expect((await request.put(`${taskPath(p)}/heuristics/beats-words`, { data: { kind: "lookup_list", config: { list: "beats", label: "rather positive" } } })).ok()).toBe(true);
  await page.reload();
  await page.getByTestId("filter-unlabeled").click();
  await expect(page.getByTestId("queue-empty")).toContainText("Nothing left in this filter.");
  await expect(page.getByTestId("queue-empty")).not.toContainText("heuristics");
});

test("a lookup list proposes the label its name names; a failed preview clears the old results", async ({ page, request }) => {
  test.setTimeout(120_000);
  const p = await project(request, "lookup");
  expect((await request.put(`/api/labeling/projects/${p}/lookup-lists/negative-terms`, { data: { terms: ["plunges"] } })).ok()).toBe(true);
  expect((await request.put(`/api/labeling/projects/${p}/lookup-lists/brands`, { data: { terms: ["acme"] } })).ok()).toBe(true);
  await page.goto(`/#/labeling/${p}/heuristics`);
  await expect(page.getByTestId("lookup-select")).toHaveValue("brands"); // the lists have loaded (first one shown)
  await page.getByTestId("lookup-select").selectOption("negative-terms");
  await expect(page.getByTestId("lookup-label")).toHaveValue("rather negative");
  // A name that names no label: the user picks, saving waits for it.
  await page.getByTestId("lookup-select").selectOption("brands");
  await expect(page.getByTestId("lookup-label")).toHaveValue("");
  await expect(page.getByTestId("lookup-save-heuristic")).toBeDisabled();

  await setCode(page, "lf", 'def lf(record):\n    return "rather positive"\n');
  await page.getByTestId("lf-preview").click();
  await expect(page.getByTestId("lf-preview-result")).toContainText("sample records get a vote");
  await setCode(page, "lf", 'def lf(record):\n    return record["missing"]\n');
  await page.getByTestId("lf-preview").click();
  await expect(page.getByTestId("lf-error")).toContainText("missing");
  await expect(page.getByTestId("lf-preview-result")).toHaveCount(0);
});
