/**
 * The editor's API types, generated from the server's own models: writes the OpenAPI
 * document of the FastAPI app (`python -m engine.server.openapi`, no server started)
 * and turns it into TypeScript with openapi-typescript.
 *
 *   npm run gen:api                          # writes src/api/schema.d.ts
 *   node scripts/generate-api-types.mjs --out FILE   # writes FILE instead (`make api-types-check`)
 *
 * The Python is WIREWORK_PYTHON, else the repository's .venv/bin/python.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL("../src/api/schema.d.ts", import.meta.url));
const HEADER = `/**
 * GENERATED from the wirework API's OpenAPI document (engine/server/schemas/) by
 * editor_ui/scripts/generate-api-types.mjs: do not edit. Run \`npm run gen:api\` after
 * changing a route or a schema (\`make test\` fails while this file is stale).
 */

`;

function pythonBin() {
  if (process.env.WIREWORK_PYTHON) return process.env.WIREWORK_PYTHON;
  const venv = join(REPO, ".venv", "bin", "python");
  if (!existsSync(venv)) throw new Error(`no ${venv}: run \`make setup\` (or set WIREWORK_PYTHON)`);
  return venv;
}

function openapiDocument() {
  const dir = mkdtempSync(join(tmpdir(), "wirework-openapi-"));
  try {
    const file = join(dir, "openapi.json");
    execFileSync(pythonBin(), ["-m", "engine.server.openapi", file], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"] });
    return JSON.parse(readFileSync(file, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const outIndex = process.argv.indexOf("--out");
const out = outIndex >= 0 ? process.argv[outIndex + 1] : DEFAULT_OUT;
if (!out) throw new Error("--out needs a file name");

const ast = await openapiTS(openapiDocument(), {
  // Enums (RunStatus, NodeStatus, …) as string unions, so plain string literals compare with them.
  enum: false,
  alphabetize: true,
});
writeFileSync(out, HEADER + astToString(ast));
console.log(`wrote ${out}`);
