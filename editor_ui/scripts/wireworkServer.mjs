/**
 * Start the real wirework backend (`wirework up`) for browser tests and benchmarks:
 * a free port, a fresh WIREWORK_HOME, wait until healthy, read its API token;
 * `stop()` ends its process group. `findToken()` and `signInStorageState()` serve a
 * backend that is already running (WIREWORK_URL) and the browser's cookie sign-in.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const STARTUP_TIMEOUT_MS = 150_000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

async function waitHealthy(url, child, logPath) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const tail = () => readFileSync(logPath, "utf8").slice(-3000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wirework up exited with ${child.exitCode}:\n${tail()}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`wirework up was not healthy within ${STARTUP_TIMEOUT_MS / 1000} s:\n${tail()}`);
}

/** The API token of the server whose data folder is `home` (`<home>/api-token`), or null. */
export function readToken(home) {
  const path = join(home, "api-token");
  if (!existsSync(path)) return null;
  return readFileSync(path, "utf8").trim() || null;
}

/**
 * The token for a backend that is already running: $WIREWORK_TOKEN, else the one in
 * $WIREWORK_HOME, else in the repository's `.wirework/` (where `make run` keeps its data).
 */
export function findToken() {
  if (process.env.WIREWORK_TOKEN?.trim()) return process.env.WIREWORK_TOKEN.trim();
  if (process.env.WIREWORK_HOME) return readToken(process.env.WIREWORK_HOME);
  return readToken(join(REPO, ".wirework"));
}

/** The session cookie's name: one per port, so two local servers do not overwrite each other's. */
export function sessionCookieName(url) {
  const parsed = new URL(url);
  return `wirework_session_${parsed.port || (parsed.protocol === "https:" ? "443" : "80")}`;
}

/**
 * Sign a Playwright browser in the way a user does: open `${url}/?token=…`, which sets
 * the HttpOnly session cookie and redirects to the URL without the token. Checks the
 * cookie and that the page's own API calls are then accepted; returns the context's
 * storageState (cookies) for new contexts, and writes it to `path` if given.
 */
export async function signInStorageState(browser, url, token, path) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const response = await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
    if (!response?.ok()) throw new Error(`sign-in page ${url}/?token=… answered ${response?.status()}`);
    if (new URL(page.url()).searchParams.has("token")) throw new Error(`sign-in did not redirect away from the token URL: ${page.url()}`);
    const name = sessionCookieName(url);
    const cookie = (await context.cookies(url)).find((c) => c.name === name);
    if (!cookie) throw new Error(`opening ${url}/?token=… set no ${name} cookie`);
    if (!cookie.httpOnly || cookie.sameSite !== "Strict") {
      throw new Error(`the session cookie must be HttpOnly and SameSite=Strict: ${JSON.stringify({ ...cookie, value: "…" })}`);
    }
    const status = await page.evaluate(async () => (await fetch("/api/workflows")).status);
    if (status !== 200) throw new Error(`signed in, but GET /api/workflows from the page answered ${status}`);
    return await context.storageState(path ? { path } : {});
  } finally {
    await context.close();
  }
}

async function waitForToken(home, child, logPath) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const token = readToken(home);
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`wirework up is healthy but wrote no ${join(home, "api-token")}:\n${readFileSync(logPath, "utf8").slice(-3000)}`);
    if (child.exitCode !== null) throw new Error(`wirework up exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** @returns {Promise<{url: string, home: string, token: string, stop: () => Promise<void>, pid: number}>} `pid`: the `wirework up` process. */
export async function startWirework() {
  const home = mkdtempSync(join(tmpdir(), "wirework-editor-"));
  const port = await freePort();
  const logPath = join(home, "up.log");
  const log = openSync(logPath, "a");
  const child = spawn(join(REPO, ".venv", "bin", "wirework"), ["up", "--port", String(port), "--prefect-port", String(await freePort())], {
    cwd: REPO,
    env: { ...process.env, WIREWORK_HOME: home },
    stdio: ["ignore", log, log],
    detached: true, // its own process group: stop() ends the Prefect server with it
  });
  const url = `http://127.0.0.1:${port}`;
  let token;
  try {
    await waitHealthy(url, child, logPath);
    token = await waitForToken(home, child, logPath);
  } catch (error) {
    if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    throw error;
  }
  const stop = async () => {
    if (child.exitCode === null) {
      process.kill(-child.pid, "SIGTERM");
      await new Promise((done) => {
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            /* already gone */
          }
          done();
        }, 15_000);
        child.once("exit", () => {
          clearTimeout(timer);
          done();
        });
      });
    }
    rmSync(home, { recursive: true, force: true });
  };
  return { url, home, token, stop, pid: child.pid };
}
