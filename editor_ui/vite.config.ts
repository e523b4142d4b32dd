import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type ProxyOptions } from "vite";
import react from "@vitejs/plugin-react";

// In development the API runs separately (`wirework up`, port 8400); the dev server
// proxies /api there so the editor talks to the same origin it has in production.
const apiTarget = process.env.WIREWORK_API ?? "http://127.0.0.1:8400";

// The API wants its token. The dev server adds it to every proxied request, so the page
// on the dev server needs no session cookie: $WIREWORK_TOKEN, else `api-token` in
// $WIREWORK_HOME, else in the repository's `.wirework/` (where `make run` keeps its data).
// Read per request, so a server started (or reset) after `npm run dev` is picked up.
const tokenFile = join(process.env.WIREWORK_HOME ?? join(fileURLToPath(new URL("..", import.meta.url)), ".wirework"), "api-token");

function devToken(): string | null {
  const fromEnv = process.env.WIREWORK_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  try {
    return existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() || null : null;
  } catch {
    return null;
  }
}

const apiProxy: ProxyOptions = {
  target: apiTarget,
  // Host header of the target (the API accepts only 127.0.0.1 / localhost / [::1]).
  changeOrigin: true,
  configure(proxy) {
    proxy.on("proxyReq", (proxyReq, req) => {
      // Only the dev server's own pages get the token. A page of another origin (which
      // the browser marks with an Origin header) is passed on as it is, without the
      // token, so the API refuses it as it would without the dev server in between.
      const origin = req.headers.origin;
      const host = req.headers.host;
      if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return;
      // The dev server's Origin is not the API's, so the API would refuse POST/PUT/DELETE
      // from it: drop it; the bearer token is what authorizes these requests.
      proxyReq.removeHeader("origin");
      const token = devToken();
      if (token) proxyReq.setHeader("authorization", `Bearer ${token}`);
    });
  },
};

export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/api": apiProxy, "/hooks": { target: apiTarget, changeOrigin: true } } },
  build: { outDir: "dist", chunkSizeWarningLimit: 2000 },
});
