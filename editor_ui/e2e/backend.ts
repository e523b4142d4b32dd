/**
 * Global setup: start the real wirework backend (`wirework up`) on a free port with a
 * fresh WIREWORK_HOME, sign a real Chromium in through the cookie flow a user goes
 * through (`/?token=…` → HttpOnly session cookie), save that browser state for every
 * spec's page (playwright.config.ts `use.storageState`), and stop the backend after the
 * suite. Specs get the backend's URL and token in WIREWORK_URL / WIREWORK_TOKEN.
 *
 * Set WIREWORK_URL to test against a backend that is already running instead; its token
 * comes from WIREWORK_TOKEN, else `$WIREWORK_HOME/api-token`, else `../.wirework/api-token`.
 */
import { rmSync } from "node:fs";
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH, STORAGE_STATE } from "../playwright.config";
import { findToken, signInStorageState, startWirework } from "../scripts/wireworkServer.mjs";

export default async function globalSetup(): Promise<() => Promise<void>> {
  let stopServer = async () => {};
  let url = process.env.WIREWORK_URL;
  let token: string | null;
  if (url) {
    token = findToken();
    if (!token) throw new Error("WIREWORK_URL is set but no token was found: set WIREWORK_TOKEN (`wirework token` prints it) or WIREWORK_HOME");
  } else {
    const server = await startWirework();
    ({ url, token } = server);
    stopServer = server.stop;
  }
  process.env.WIREWORK_URL = url;
  process.env.WIREWORK_TOKEN = token;
  const teardown = async () => {
    rmSync(STORAGE_STATE, { force: true });
    await stopServer();
  };
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    try {
      await signInStorageState(browser, url, token, STORAGE_STATE);
    } finally {
      await browser.close();
    }
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
