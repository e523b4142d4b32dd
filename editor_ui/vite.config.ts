import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// In development the API runs separately (`wirework up`, port 8400); the dev server
// proxies /api there so the editor talks to the same origin it has in production.
const apiTarget = process.env.WIREWORK_API ?? "http://127.0.0.1:8400";

export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/api": apiTarget, "/hooks": apiTarget } },
  build: { outDir: "dist", chunkSizeWarningLimit: 2000 },
});
