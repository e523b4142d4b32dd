/**
 * The API token: a browser without the session cookie gets the "Not signed in" screen and
 * signs in by pasting the token; a page from another origin cannot act through a
 * signed-in browser's cookie.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { apiToken, createWorkflowViaApi, expect, test, uniqueId } from "./fixtures";

const NO_COOKIES = { cookies: [], origins: [] };

function flow(id: string) {
  return {
    id, name: "Auth target", version: 1, description: "",
    nodes: [
      { id: "make", type: "python.yield", label: "", position: { x: 0, y: 0 },
        config: { code: 'def node(record: dict):\n    yield {"id": "1"}\n' }, retries: 0, timeout_s: null },
    ],
    edges: [],
    schedule: { cron: null, timezone: "UTC", enabled: false },
  };
}

test("without the session cookie the editor shows the sign-in screen; pasting the token signs in", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, storageState: NO_COOKIES });
  try {
    const page = await context.newPage();
    await page.goto("/");
    const screen = page.getByTestId("signin-screen");
    await expect(screen.getByRole("heading", { name: "Not signed in" })).toBeVisible();
    await expect(screen).toContainText("wirework up");
    await expect(screen).toContainText(".venv/bin/wirework token");
    await expect(page.getByTestId("workflows-page")).toHaveCount(0);
    expect(await page.evaluate(async () => (await fetch("/api/workflows")).status)).toBe(401);

    // A wrong token: the server redirects back without a cookie, and the screen says so.
    await page.getByTestId("signin-token").fill("not-the-token");
    await page.getByTestId("signin-submit").click();
    await expect(page.getByTestId("signin-rejected")).toBeVisible();
    expect(new URL(page.url()).searchParams.has("token")).toBe(false);
    expect(await context.cookies()).toEqual([]);

    await page.getByTestId("signin-token").fill(`  ${apiToken()}\n`);
    await page.getByTestId("signin-submit").click();
    await expect(page.getByTestId("workflows-page")).toBeVisible();
    await expect(page.getByTestId("signin-screen")).toHaveCount(0);
    expect(new URL(page.url()).searchParams.has("token")).toBe(false); // the token does not stay in the address bar
    const cookie = (await context.cookies()).find((c) => c.name === `wirework_session_${new URL(baseURL!).port}`);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(await page.evaluate(() => document.cookie)).toBe(""); // HttpOnly: page scripts cannot read it
  } finally {
    await context.close();
  }
});

test("a page from another origin cannot create a workflow or start a run through a signed-in browser", async ({ page, request, baseURL }) => {
  const target = uniqueId("e2e-csrf-target");
  await createWorkflowViaApi(request, flow(target));
  const planted = uniqueId("e2e-csrf-planted");

  // Another local site: same host, another port. Same *site*, so even the SameSite=Strict
  // cookie goes along; what stops it is the server's Origin and Content-Type checks.
  const other: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>elsewhere</title><p>another site</p>");
  });
  await new Promise<void>((ready) => other.listen(0, "127.0.0.1", ready));
  const otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  try {
    await page.goto(`${otherOrigin}/`);
    const outcomes = await page.evaluate(async ({ api, target, doc }) => {
      const body = JSON.stringify(doc);
      const run = JSON.stringify({ payload: null });
      const attempts: Record<string, () => Promise<Response>> = {
        // "Simple" requests: no CORS preflight, the browser sends them with the cookie.
        createPlain: () => fetch(`${api}/api/workflows`, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body }),
        runPlain: () => fetch(`${api}/api/workflows/${target}/runs`, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: run }),
        runForm: () => fetch(`${api}/api/workflows/${target}/runs`, { method: "POST", mode: "no-cors", credentials: "include", body: new URLSearchParams({ payload: "null" }) }),
        // JSON needs a preflight, which the API does not grant to other origins.
        createJson: () => fetch(`${api}/api/workflows`, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body }),
        runJson: () => fetch(`${api}/api/workflows/${target}/runs`, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: run }),
      };
      const results: Record<string, string> = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          const response = await attempt();
          results[name] = response.type === "opaque" ? "opaque" : String(response.status);
        } catch {
          results[name] = "blocked";
        }
      }
      return results;
    }, { api: baseURL!, target, doc: flow(planted) });
    // Opaque or blocked: the other page learns nothing from the answers either.
    expect(outcomes).toEqual({ createPlain: "opaque", runPlain: "opaque", runForm: "opaque", createJson: "blocked", runJson: "blocked" });

    // The classic cross-site request: a form posted from the other origin (a navigation, Origin header set).
    await page.setContent(`<form method="post" action="${baseURL}/api/workflows/${target}/runs"><input name="payload" value="null"></form>`);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${baseURL}/api/workflows/${target}/runs`)),
      page.evaluate(() => document.querySelector("form")!.submit()),
    ]);
    expect(answer.status()).toBe(403);
    await page.waitForURL(`${baseURL}/api/workflows/${target}/runs`); // the navigation has ended
  } finally {
    other.closeAllConnections();
    await new Promise((closed) => other.close(closed));
  }

  // Nothing happened: checked through the API with the token.
  expect((await request.get(`/api/workflows/${planted}`)).status()).toBe(404);
  const runs = await (await request.get(`/api/runs?workflow_id=${target}`)).json();
  expect(runs).toEqual([]);

  // The same browser on the editor's own origin may (so the cookie was what the other page tried to use).
  await page.goto("/");
  await expect(page.getByTestId("workflows-page")).toBeVisible();
  const own = await page.evaluate(async ({ doc }) => {
    const response = await fetch("/api/workflows", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(doc) });
    return response.status;
  }, { doc: flow(planted) });
  expect(own).toBe(201);
  expect((await request.delete(`/api/workflows/${planted}`)).status()).toBe(204);
});
