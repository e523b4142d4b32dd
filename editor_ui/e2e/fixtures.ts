/**
 * Shared e2e helpers: the backend's URL as baseURL, API shortcuts, and canvas gestures.
 * Pages are signed in by the session cookie the global setup got (config `storageState`);
 * the `request` fixture (API calls from the test itself) sends the API token as a bearer
 * header instead, as a script or the CLI would, and no cookie.
 */
import { test as base, expect, type APIRequestContext, type Locator, type Page } from "@playwright/test";

/** The backend's API token (set by the global setup). */
export function apiToken(): string {
  const token = process.env.WIREWORK_TOKEN;
  if (!token) throw new Error("WIREWORK_TOKEN is not set: the global setup reads it from the backend");
  return token;
}

export const test = base.extend({
  baseURL: async ({}, use) => {
    const url = process.env.WIREWORK_URL;
    if (!url) throw new Error("WIREWORK_URL is not set: the global setup starts the backend");
    await use(url);
  },
  request: async ({ playwright, baseURL }, use) => {
    const request = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: { Authorization: `Bearer ${apiToken()}` },
      storageState: { cookies: [], origins: [] },
    });
    await use(request);
    await request.dispose();
  },
});
export { expect };

let counter = 0;
/** A workflow id unique to this test run. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export async function createWorkflowViaApi(request: APIRequestContext, doc: Record<string, unknown>) {
  const response = await request.post("/api/workflows", { data: doc });
  expect(response.status(), await response.text()).toBe(201);
  return response.json();
}

export function node(page: Page, id: string): Locator {
  return page.getByTestId(`node-${id}`);
}

/** Drag a palette entry onto the canvas at a point relative to the canvas's top-left corner. */
export async function dropFromPalette(page: Page, type: string, at: { x: number; y: number }) {
  await page.getByTestId(`palette-${type}`).dragTo(page.locator(".react-flow__pane"), { targetPosition: at });
}

/** Wire `from`'s output to `to`'s input with the mouse, as a user would. */
export async function wire(page: Page, from: string, to: string) {
  await node(page, from).locator(".react-flow__handle-right").dragTo(node(page, to).locator(".react-flow__handle-left"));
}

export async function edgeCount(page: Page): Promise<number> {
  return page.locator(".react-flow__edge").count();
}

/** Replace the text of the CodeMirror editor for `field` (insertText: no auto-indent or bracket closing). */
export async function setCode(page: Page, field: string, code: string) {
  const content = page.getByTestId(`code-${field}`).locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
}
