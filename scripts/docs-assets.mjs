// Copies the /docs page's assets from the pinned swagger-ui-dist package (package.json) into
// assets/docs/, the directory wrangler.toml's [assets] serves. Run by predev, pretest and
// predeploy; the directory is git-ignored, so the page always matches the installed version
// and no CDN is involved.
//
//   node scripts/docs-assets.mjs
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "assets/docs");
// What the page loads (src/app.ts, DOCS_PAGE); the rest of the package is not served.
const FILES = ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"];

const require = createRequire(import.meta.url);
const source = dirname(require.resolve("swagger-ui-dist/package.json"));
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));

mkdirSync(OUT, { recursive: true });
for (const file of FILES) copyFileSync(join(source, file), join(OUT, file));
writeFileSync(join(OUT, "VERSION"), `swagger-ui-dist ${version}\n`);
console.log(`docs assets: swagger-ui-dist ${version} -> assets/docs/`);
