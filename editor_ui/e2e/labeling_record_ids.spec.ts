/**
 * Record ids are any string (issue 14): the demo's stock-news ids are article paths. Here
 * records whose ids hold "/", "%" and unicode are labelled with the keyboard in the
 * labeling UI against a real `wirework up`; the counter says they were saved, the API
 * holds them under the same ids, and after a reload the records still show their labels.
 * The overview also counts a record that lacks the task's text field.
 */
import { expect, test, uniqueId } from "./fixtures";

const LABELS = ["rather positive", "neutral", "rather negative"];
const RECORDS = [
  { id: "/news/2026/04/acme-beats-estimates", headline: "Acme beats estimates" },
  { id: "news/2026/04/globex-plunges", headline: "Globex plunges after lawsuit" },
  { id: "nachrichten/über/börse-€", headline: "Initech holds annual meeting" },
  { id: "deals/50% off/q?x=1#frag", headline: "Umbrella shares soar" },
  { id: "news/2026/04/no-headline", title: "A record without the task's text field" },
];

test("records with '/' and unicode ids are labelled in the UI and keep their labels after a reload", async ({ page, request }) => {
  test.setTimeout(120_000);  // the first suggestions load the embedding model in the server
  const id = uniqueId("ids").replace(/-/g, "_");
  const store = `paths_${id}`;
  const project = `paths_${id}`;
  expect((await request.post(`/api/stores/${store}/records?create=true`, { data: RECORDS })).ok()).toBe(true);
  expect((await request.post("/api/labeling/projects", { data: { name: project, store } })).status()).toBe(201);
  const created = await request.post(`/api/labeling/projects/${project}/tasks`,
    { data: { name: "sentiment", labels: LABELS, text_fields: ["headline"] } });
  expect(created.status(), await created.text()).toBe(201);

  // the overview counts the record without a headline
  await page.goto(`/#/labeling/${project}/overview`);
  await expect(page.getByTestId("status-sentiment").getByTestId("status-field-gaps")).toHaveText("headline: 1 missing");

  // label three records with the number keys, whatever order the suggestions come in
  await page.getByTestId("labeling-tab-label").click();
  const card = page.getByTestId("record-card");
  const given = new Map<string, string>();
  for (let n = 1; n <= 3; n++) {
    await expect(card).toBeVisible();
    const recordId = (await card.getAttribute("data-record-id"))!;
    await page.keyboard.press(String(n));
    await expect(card).not.toHaveAttribute("data-record-id", recordId);
    given.set(recordId, LABELS[n - 1]);
  }
  expect([...given.keys()].every((recordId) => recordId.includes("/"))).toBe(true);
  await expect(page.getByTestId("session-count")).toHaveText("3 labelled this session · 3 saved");
  await expect(page.getByTestId("labeling-error")).toHaveCount(0);
  const stored = await request.get(`/api/labeling/projects/${project}/tasks/sentiment/labels`);
  const manual: { record_id: string; label: string }[] = await stored.json();
  expect(new Map(manual.map((m) => [m.record_id, m.label]))).toEqual(given);

  // after a reload, each labelled record shows its manual label (picked from the table of all records)
  await page.reload();
  await page.getByTestId("filter-all").click();
  await page.getByTestId("toggle-table").click();
  const table = page.getByTestId("queue-table");
  await expect(table.locator("tbody tr")).toHaveCount(RECORDS.length);
  for (const [recordId, label] of given) {
    await table.locator(`tbody tr[data-record-id="${recordId}"]`).click();
    await expect(card).toHaveAttribute("data-record-id", recordId);
    await expect(page.getByTestId("record-manual-label")).toContainText(label);
    await page.getByTestId("toggle-table").click();
  }
  await expect(page.getByTestId("session-count")).toHaveText("0 labelled this session · 0 saved");
});
