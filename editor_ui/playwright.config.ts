import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

// Debian's Chromium (Playwright's own browser download does not work on these machines).
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// The signed-in browser state (the session cookie) the global setup (e2e/backend.ts) gets
// by opening `/?token=…` as a user does; every spec's page starts from it. One file per
// `playwright test` run (set here in the runner, inherited by its workers), removed at the end.
export const STORAGE_STATE = (process.env.WIREWORK_STORAGE_STATE ??= join(tmpdir(), `wirework-e2e-state-${process.pid}.json`));

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/backend.ts",
  // One backend for the suite, and a 2-core machine: run tests one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  retries: 0,
  use: {
    headless: true,
    viewport: { width: 1400, height: 900 },
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    storageState: STORAGE_STATE,
    trace: "retain-on-failure",
    actionTimeout: 15_000,
  },
});
