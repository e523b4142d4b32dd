/**
 * How wires and nodes look: orthogonal routing that takes the stock-news flow's backward
 * wire around the nodes, dashed ordering-only wires, a fixed node width whose handles stay
 * put when run badges appear, bigger handles with a hover state, a visible minimap viewport.
 */
import { readFileSync } from "node:fs";
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

const STOCK_NEWS = JSON.parse(readFileSync(new URL("../../flows/stock_news_sentiment.json", import.meta.url), "utf8"));

test("the stock-news flow's wires: routed around nodes, ordering dashed, badges do not move them", async ({ page, request }) => {
  const id = uniqueId("wiring");
  await createWorkflowViaApi(request, { ...STOCK_NEWS, id });
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "slack")).toBeVisible();

  // The backward wire new_articles → sentiment: sampled every 4 px, no point lies inside a node.
  const hits = await page.evaluate(() => {
    const doc = document;
    const edges = [...doc.querySelectorAll<SVGGElement>(".react-flow__edge")];
    const wfNodes = [...doc.querySelectorAll<HTMLElement>(".react-flow__node-workflow")].map((n) => n.getBoundingClientRect());
    const result: Record<string, { inside: number; segmentsAxisAligned: boolean; dash: string }> = {};
    for (const g of edges) {
      const path = g.querySelector<SVGPathElement>("path.react-flow__edge-path")!;
      const ctm = path.getScreenCTM()!;
      const length = path.getTotalLength();
      let inside = 0;
      // Skip the ends: they touch their own nodes' handles.
      for (let at = 14; at < length - 14; at += 4) {
        const p = path.getPointAtLength(at);
        const x = ctm.a * p.x + ctm.e, y = ctm.d * p.y + ctm.f;
        if (wfNodes.some((r) => x > r.left + 1 && x < r.right - 1 && y > r.top + 1 && y < r.bottom - 1)) inside++;
      }
      const d = path.getAttribute("d") ?? "";
      result[g.dataset.id ?? g.getAttribute("data-testid") ?? ""] = {
        inside,
        // smoothstep paths are straight L segments with rounded Q corners, never C curves.
        segmentsAxisAligned: !/C/.test(d),
        dash: getComputedStyle(path).strokeDasharray,
      };
    }
    return result;
  });
  const byId = (edgeId: string) => Object.entries(hits).find(([key]) => key.endsWith(edgeId))![1];
  expect(byId("e3").inside, "the backward wire crosses no node").toBe(0);
  expect(byId("e3").segmentsAxisAligned).toBe(true);
  for (const e of ["e1", "e2", "e3", "e4", "e5"]) expect(byId(e).inside, e).toBe(0);
  // save → new_articles only orders the read after the write (store.read takes no records): dashed.
  expect(byId("e2").dash).not.toBe("none");
  expect(byId("e1").dash).toBe("none");
  expect(byId("e3").dash).toBe("none");

  // Run badges appear: the node keeps its width and its handles stay where they were.
  const box = async () => (await node(page, "count").boundingBox())!;
  const handle = async () => (await node(page, "count").locator(".react-flow__handle-right").boundingBox())!;
  const [widthBefore, handleBefore] = [(await box()).width, await handle()];
  // 200 px in flow units, whatever the zoom.
  expect(await node(page, "count").evaluate((el) => el.offsetWidth)).toBe(200);
  await page.evaluate(() => {
    const editor = window.wirework!.editor.getState();
    editor.startLiveRun("look-run");
    editor.applyRunEvent("node_finished", {
      run_id: "look-run", node_id: "count", status: "completed", records_in: 123456, records_out: 98765, duration_s: 12.5,
    });
  });
  await expect(node(page, "count")).toHaveAttribute("data-status", "completed");
  expect((await box()).width).toBe(widthBefore);
  expect(await handle()).toEqual(handleBefore);

  // Handles are 12 px and light up under the pointer.
  const right = node(page, "count").locator(".react-flow__handle-right");
  expect(await right.evaluate((el) => el.offsetWidth)).toBeGreaterThanOrEqual(12);
  const fill = () => right.evaluate((el) => getComputedStyle(el).backgroundColor);
  const idle = await fill();
  await right.hover();
  await expect.poll(fill).not.toBe(idle);

  // The minimap's viewport box is outlined in the accent colour (2 screen px: xyflow scales the
  // stroke into minimap units), where xyflow's default draws no outline at all.
  const mask = page.locator(".react-flow__minimap-mask");
  const [stroke, strokeWidth] = await mask.evaluate((el) => [getComputedStyle(el).stroke, parseFloat(getComputedStyle(el).strokeWidth)]);
  expect(stroke).toBe("rgb(47, 111, 237)");
  expect(strokeWidth).toBeGreaterThan(0);
});
