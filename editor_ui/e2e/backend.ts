/**
 * Global setup: start the real wirework backend (`wirework up`) on a free port with a
 * fresh WIREWORK_HOME, wait until it is healthy, and stop it after the suite.
 * Set WIREWORK_URL to test against a backend that is already running instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const STARTUP_TIMEOUT_MS = 150_000;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`wirework up exited with ${child.exitCode}:\n${readFileSync(logPath, "utf8").slice(-3000)}`);
    }
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`wirework up was not healthy within ${STARTUP_TIMEOUT_MS / 1000} s:\n${readFileSync(logPath, "utf8").slice(-3000)}`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.WIREWORK_URL) return async () => {};
  const home = mkdtempSync(join(tmpdir(), "wirework-e2e-"));
  const port = await freePort();
  const logPath = join(home, "up.log");
  const log = openSync(logPath, "a");
  const child = spawn(join(REPO, ".venv", "bin", "wirework"), ["up", "--port", String(port), "--prefect-port", String(await freePort())], {
    cwd: REPO,
    env: { ...process.env, WIREWORK_HOME: home },
    stdio: ["ignore", log, log],
    detached: true, // its own process group, so teardown stops the Prefect server with it
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, logPath);
  process.env.WIREWORK_URL = url;
  return async () => {
    if (child.pid && child.exitCode === null) {
      process.kill(-child.pid, "SIGTERM");
      await new Promise<void>((done) => {
        const timer = setTimeout(() => {
          try { process.kill(-child.pid!, "SIGKILL"); } catch { /* already gone */ }
          done();
        }, 15_000);
        child.once("exit", () => { clearTimeout(timer); done(); });
      });
    }
    rmSync(home, { recursive: true, force: true });
  };
}
