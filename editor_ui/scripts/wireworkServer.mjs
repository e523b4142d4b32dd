/**
 * Start the real wirework backend (`wirework up`) for browser tests and benchmarks:
 * a free port, a fresh WIREWORK_HOME, wait until healthy; `stop()` ends its process group.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
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

/** @returns {Promise<{url: string, home: string, stop: () => Promise<void>}>} */
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
  try {
    await waitHealthy(url, child, logPath);
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
  return { url, home, stop };
}
