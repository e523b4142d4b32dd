/**
 * The editor hands React Flow each workflow node's size and handle positions before the
 * browser measures them (src/editor/nodeGeometry.ts), so an opened workflow is drawn in
 * one pass: every node and wire in the first frame, already at the fitted view. These
 * checks keep those numbers equal to what the styles draw.
 */
import { readFileSync } from "node:fs";
import { SOURCE_HANDLE, TARGET_HANDLE, WORKFLOW_NODE_BOX } from "../src/editor/nodeGeometry";
import { createWorkflowViaApi, expect, node, test, uniqueId } from "./fixtures";

const STOCK_NEWS = JSON.parse(readFileSync(new URL("../../flows/stock_news_sentiment.json", import.meta.url), "utf8"));

test("the expected node size and handle positions are what the browser measures", async ({ page, request }) => {
  const id = uniqueId("geometry");
  await createWorkflowViaApi(request, { ...STOCK_NEWS, id });
  await page.goto(`/#/workflows/${id}`);
  await expect(node(page, "slack")).toBeVisible();
  await expect(page.getByTestId("problem-count")).not.toHaveText("checking…");
  // React Flow has measured every node (its ResizeObserver pass) once the canvas is idle.
  await page.waitForTimeout(300);

  const measured = await page.evaluate(() => {
    const flow = window.wirework!.flow;
    return flow.getNodes().filter((n) => n.type === "workflow").map((n) => {
      const element = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(n.id)}"]`)!;
      const bounds = flow.getInternalNode(n.id)!.internals.handleBounds!;
      // Measured through the zoom (client px / zoom): equal to 1/100 px.
      const px = (v: number) => Math.round(v * 100) / 100;
      const pick = (h: { x: number; y: number; width: number; height: number; position: string; type: string }) =>
        ({ x: px(h.x), y: px(h.y), width: px(h.width), height: px(h.height), position: h.position, type: h.type });
      return {
        id: n.id,
        // Only a title and a type line: no problem line, run badges or flags.
        plain: !element.querySelector(".wf-node-problem, .wf-node-status, .wf-node-flags"),
        size: { width: element.offsetWidth, height: element.offsetHeight },
        source: (bounds.source ?? []).map(pick),
        target: (bounds.target ?? []).map(pick),
        takesInput: !!element.querySelector(".react-flow__handle-left"),
      };
    });
  });
  expect(measured.length).toBe(STOCK_NEWS.nodes.length);
  const pick = ({ x, y, width, height, position, type }: typeof SOURCE_HANDLE) => ({ x, y, width, height, position, type });
  for (const n of measured) {
    expect(n.size.width, n.id).toBe(WORKFLOW_NODE_BOX.width);
    if (n.plain) expect(n.size.height, n.id).toBe(WORKFLOW_NODE_BOX.height);
    expect(n.source, n.id).toEqual([pick(SOURCE_HANDLE)]);
    expect(n.target, n.id).toEqual(n.takesInput ? [pick(TARGET_HANDLE)] : []);
  }
});

test("an opened workflow's first frame shows every node and wire, at the fitted view", async ({ page, request }) => {
  const id = uniqueId("first-frame");
  await createWorkflowViaApi(request, { ...STOCK_NEWS, id });
  await page.goto("/#/");
  await expect(page.getByTestId("workflows-page")).toBeVisible();
  // Watch every animation frame from the navigation on, without reading layout.
  const first = await page.evaluate((wf) => new Promise<{ nodes: number; hidden: number; edges: number; view: unknown }>((resolve) => {
    const frame = () => {
      const nodes = document.querySelectorAll<HTMLElement>(".react-flow__node");
      if (!nodes.length) return requestAnimationFrame(frame);
      resolve({
        nodes: nodes.length,
        hidden: [...nodes].filter((n) => n.style.visibility === "hidden").length,
        edges: document.querySelectorAll(".react-flow__edge").length,
        view: window.wirework!.flow.getViewport(),
      });
    };
    window.location.hash = `#/workflows/${wf}`;
    requestAnimationFrame(frame);
  }), id);
  expect(first.nodes).toBe(STOCK_NEWS.nodes.length);
  expect(first.hidden, "no node waits hidden for its measurement").toBe(0);
  expect(first.edges).toBe(STOCK_NEWS.edges.length);
  await expect(node(page, "slack")).toBeVisible();
  await page.waitForTimeout(300);
  const settled = await page.evaluate(() => window.wirework!.flow.getViewport());
  expect(settled, "the view does not jump after the first frame").toEqual(first.view);
});
