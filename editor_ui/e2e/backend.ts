/**
 * Global setup: start the real wirework backend (`wirework up`) on a free port with a
 * fresh WIREWORK_HOME, and stop it after the suite. Set WIREWORK_URL to test against
 * a backend that is already running instead.
 */
import { startWirework } from "../scripts/wireworkServer.mjs";

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.WIREWORK_URL) return async () => {};
  const server = await startWirework();
  process.env.WIREWORK_URL = server.url;
  return server.stop;
}
