// Builds the /portal page's assets into assets/portal/ (git-ignored), the directory the worker
// serves under /portal/assets/: the client app (src/portal/client/, TSX on hono/jsx/dom)
// bundled and minified by esbuild, and its one stylesheet, minified. Run by predev, pretest,
// predeploy and `npm run docs:assets`. Prints what a first visit downloads (shell + js + css),
// raw and gzipped.
//
//   node scripts/portal-assets.mjs
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLIENT = join(ROOT, "src/portal/client");
const OUT = join(ROOT, "assets/portal");

mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: [join(CLIENT, "main.tsx")],
  outfile: join(OUT, "portal.js"),
  tsconfig: join(CLIENT, "tsconfig.json"),
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "hono/jsx/dom",
  legalComments: "none",
  logLevel: "warning",
});
await build({
  entryPoints: [join(CLIENT, "portal.css")],
  outfile: join(OUT, "portal.css"),
  bundle: true,
  minify: true,
  logLevel: "warning",
});

// The shell is a TypeScript string constant the worker serves; bundle it alone to measure it.
const shellModule = await build({
  entryPoints: [join(ROOT, "src/portal/shell.ts")],
  bundle: true,
  write: false,
  format: "esm",
  logLevel: "warning",
});
const { PORTAL_SHELL } = await import(
  `data:text/javascript;base64,${Buffer.from(shellModule.outputFiles[0].text).toString("base64")}`
);

const files = [
  ["html", Buffer.from(PORTAL_SHELL)],
  ["js", readFileSync(join(OUT, "portal.js"))],
  ["css", readFileSync(join(OUT, "portal.css"))],
];
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const parts = files.map(
  ([name, bytes]) => `${name} ${kb(bytes.length)} (gzip ${kb(gzipSync(bytes).length)})`,
);
const raw = files.reduce((n, [, b]) => n + b.length, 0);
const gz = files.reduce((n, [, b]) => n + gzipSync(b).length, 0);
console.log(`portal assets -> assets/portal/: ${parts.join(", ")}`);
console.log(`portal first visit: ${kb(raw)} raw, ${kb(gz)} gzip`);
