/**
 * Benchmark: how fast the editor opens a 1,000-node workflow and how smoothly it pans,
 * against a 10-node baseline measured in the same run. Prints JSON. Not part of the
 * test suite (timings are never asserted there).
 *
 *   node bench/open_1000_nodes.mjs            # starts its own backend (wirework up)
 *   WIREWORK_URL=http://127.0.0.1:8400 node bench/open_1000_nodes.mjs
 *
 * API calls send the server's token as a bearer header; the browser signs in once through
 * `/?token=…` (the session cookie) and every measured context starts from that state.
 * With WIREWORK_URL the token comes from WIREWORK_TOKEN, WIREWORK_HOME or `../.wirework/`.
 */
import { chromium } from "@playwright/test";
import { findToken, signInStorageState, startWirework } from "../scripts/wireworkServer.mjs";

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const REPEATS = 3;

/** A layered DAG: `count` python.map nodes in columns of 25, each fed by one node of the previous column. */
function workflow(id, count) {
  const perColumn = 25;
  const nodes = [];
  const edges = [];
  for (let i = 0; i < count; i++) {
    const column = Math.floor(i / perColumn);
    const row = i % perColumn;
    nodes.push({
      id: `n${i}`, type: "python.map", label: `step ${i}`, position: { x: column * 240, y: row * 90 },
      config: { code: `def node(record: dict) -> dict:\n    record["step"] = ${i}\n    return record\n` },
      retries: 0, timeout_s: null,
    });
    if (column > 0) edges.push({ id: `e${i}`, source: `n${(column - 1) * perColumn + ((row * 7) % perColumn)}`, target: `n${i}` });
  }
  return { id, name: `bench ${count} nodes`, version: 1, description: "", nodes, edges,
    schedule: { cron: null, timezone: "UTC", enabled: false } };
}

async function createWorkflow(url, token, doc) {
  const authorization = `Bearer ${token}`;
  await fetch(`${url}/api/workflows/${doc.id}`, { method: "DELETE", headers: { authorization } });
  const response = await fetch(`${url}/api/workflows`, {
    method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify(doc),
  });
  if (response.status !== 201) throw new Error(`creating ${doc.id}: ${response.status} ${await response.text()}`);
}

/** Navigate to the editor and time until the nodes are drawn and the server's validation is shown. */
async function timeOpen(page, url, id, count) {
  await page.goto(`${url}/#/`);
  await page.waitForSelector('[data-testid="workflows-page"]');
  const started = Date.now();
  await page.evaluate((wf) => { window.location.hash = `#/workflows/${wf}`; }, id);
  await page.waitForSelector('[data-testid="editor"]');
  await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length > 0);
  const firstPaintMs = Date.now() - started;
  await page.waitForFunction(() => {
    const text = document.querySelector('[data-testid="problem-count"]')?.textContent;
    return text === "valid";
  }, null, { timeout: 60_000 });
  const validatedMs = Date.now() - started;
  const rendered = await page.evaluate(() => document.querySelectorAll(".react-flow__node").length);
  return { first_paint_ms: firstPaintMs, validated_ms: validatedMs, nodes_in_doc: count, nodes_rendered: rendered };
}

/** Pan with the wheel (panOnScroll) for a while and measure frame times inside the page. */
async function measurePan(page) {
  const box = await page.locator(".react-flow__pane").boundingBox();
  await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (window.__measuring) requestAnimationFrame(tick);
    };
    window.__measuring = true;
    requestAnimationFrame(tick);
  });
  for (let i = 0; i < 60; i++) {
    await page.mouse.wheel(i < 30 ? 40 : -40, i % 2 ? 25 : -15);
  }
  const frames = await page.evaluate(() => {
    window.__measuring = false;
    return window.__frames.slice(1);
  });
  frames.sort((a, b) => a - b);
  const pct = (p) => frames[Math.min(frames.length - 1, Math.floor(frames.length * p))];
  const mean = frames.reduce((a, b) => a + b, 0) / Math.max(frames.length, 1);
  return {
    frames: frames.length,
    mean_frame_ms: Number(mean.toFixed(1)),
    p95_frame_ms: Number(pct(0.95).toFixed(1)),
    max_frame_ms: Number(frames[frames.length - 1].toFixed(1)),
    fps: Number((1000 / mean).toFixed(1)),
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const server = process.env.WIREWORK_URL ? null : await startWirework();
  const url = process.env.WIREWORK_URL ?? server.url;
  const token = server?.token ?? findToken();
  if (!token) throw new Error("no API token: set WIREWORK_TOKEN (`wirework token` prints it) or WIREWORK_HOME");
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    const storageState = await signInStorageState(browser, url, token);
    const results = {};
    for (const count of [10, 1000]) {
      const id = `bench-open-${count}`;
      await createWorkflow(url, token, workflow(id, count));
      const opens = [];
      let pan = null;
      for (let i = 0; i < REPEATS; i++) {
        const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, storageState });
        const page = await context.newPage();
        opens.push(await timeOpen(page, url, id, count));
        if (i === REPEATS - 1) {
          // Worst case first (everything in view), then at 100 % zoom, where people edit.
          const fitted = await measurePan(page);
          await page.evaluate(() => window.wirework.flow.setViewport({ x: 0, y: 0, zoom: 1 }));
          pan = { all_in_view: fitted, zoom_100: await measurePan(page) };
        }
        await context.close();
      }
      results[`nodes_${count}`] = {
        first_paint_ms_median: median(opens.map((o) => o.first_paint_ms)),
        validated_ms_median: median(opens.map((o) => o.validated_ms)),
        nodes_rendered: opens[opens.length - 1].nodes_rendered,
        runs: opens,
        pan,
      };
    }
    const big = results.nodes_1000;
    const small = results.nodes_10;
    console.log(JSON.stringify({
      benchmark: "editor_open_and_pan",
      target: "1,000-node workflow open <= 2000 ms; pan frames near 16.7 ms",
      open_1000_ms: big.first_paint_ms_median,
      open_1000_validated_ms: big.validated_ms_median,
      open_10_ms_baseline: small.first_paint_ms_median,
      slowdown_vs_baseline: Number((big.first_paint_ms_median / Math.max(small.first_paint_ms_median, 1)).toFixed(2)),
      pan_1000: big.pan,
      pan_10_baseline: small.pan,
      details: results,
    }, null, 2));
  } finally {
    await browser.close();
    await server?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
