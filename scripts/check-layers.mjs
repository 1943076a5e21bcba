// Layer check over the imports of src/ (run by `npm run lint`).
//
// Data travels downhill (STYLE.md, "Layers"): index -> api -> services -> {config, log,
// delivery/produce}, and queue -> delivery/consumer -> {log, endpoint-state, send}. A file may
// import a file of a lower rank, or of its own layer; never a higher rank, and never another
// layer of the same rank. Imports between files must not make a cycle.
//
// `import type` counts like any import: a type that points uphill still couples the lower room
// to the higher one (a change of the type in api breaks the consumer's build). Put a type both
// sides need in a small types.ts below both.
//
// Cycles between top-level folders need an arrow that is uphill or sideways (same rank, other
// layer), which is reported as such; cycles between files are reported separately, with a path.
//
//   node scripts/check-layers.mjs              check src/, exit 1 on any violation
//   node scripts/check-layers.mjs --self-test  check the rules against in-memory fake graphs

import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layer table. `paths` are files of src/ ("src/app.ts") or folders ("src/api/**"). A higher
 * rank may import a lower one; files of one layer may import each other. Every top-level entry
 * of src/ must be here: a new folder fails the check until it is given a place.
 */
export const LAYERS = [
  {
    layer: "index",
    rank: Number.POSITIVE_INFINITY,
    paths: ["src/index.ts"],
    // The Worker's entry: wires the fetch, queue and scheduled handlers, so it may import
    // anything and nothing imports it.
  },
  {
    layer: "app",
    rank: 90,
    paths: ["src/app.ts"],
    // The Hono app and the one error handler. Routes hang below it; a route that needs a type
    // from app.ts gets it from a types.ts below both.
  },
  {
    layer: "api",
    rank: 80,
    paths: ["src/api/**"],
    // Routes: parse, call one service verb, shape the answer.
  },
  {
    layer: "portal",
    rank: 80,
    paths: ["src/portal/**"],
    // The portal's routes: a sibling of api at the same height, so neither imports the other
    // (what both need lives in services or below).
  },
  {
    layer: "services",
    rank: 60,
    paths: ["src/services/**"],
    // Domain verbs (NotFound, Conflict); they call config, log and delivery's producer.
  },
  {
    layer: "delivery",
    rank: 50,
    paths: ["src/delivery/**"],
    // The queue consumer: claim, send, record. It must not call back into services or api.
  },
  {
    layer: "log",
    rank: 40,
    paths: ["src/log/**"],
    // The per-application log Durable Object, written by services and by the consumer.
  },
  {
    layer: "endpoint-state",
    rank: 40,
    paths: ["src/endpoint-state/**"],
    // The per-endpoint Durable Object (rate limit, health) the consumer asks before sending.
    // Same height as log: the two objects do not import each other.
  },
  {
    layer: "operational",
    rank: 35,
    paths: ["src/operational/**"],
    // Operational webhooks, emitted by services and by the consumer after their own writes;
    // below both, above the D1 modules it reads.
  },
  {
    layer: "config",
    rank: 30,
    paths: ["src/config/**", "src/db/**"],
    // The D1 configuration modules (today named db/): one table's statements per module; they
    // know SQL and nothing about services, routes or the queue.
  },
  {
    layer: "queue",
    rank: 25,
    paths: ["src/queue/**"],
    // What travels on the deliveries queue (job shapes, packing within the platform's limits):
    // the log object produces it, the consumer reads it, operational events ride on it.
  },
  {
    layer: "security",
    rank: 20,
    paths: ["src/security/**"],
    // Auth, secrets, the URL guard: pure checks and crypto used by app, services and delivery.
  },
  {
    layer: "leaf",
    rank: 10,
    paths: ["src/lib/**", "src/errors.ts", "src/types.ts", "src/config.ts", "src/env.ts"],
    // Leaves: small helpers, error classes, shared types, settings. They import only packages
    // (and each other).
  },
];

const TABLE = "the layer table (LAYERS) of scripts/check-layers.mjs";

// `import x from "./a"`, `import type { T } from "./a"`, `export * from "./a"`, `export { x } from "./a"`,
// over several lines. Anchored at a line start, so a commented-out import does not count.
const STATIC_FROM = /^[ \t]*(?:import|export)\b[\w\s{},*$]*?\bfrom\s*(["'])([^"'\n]+)\1/gm;
// `import "./a"` for its side effects.
const SIDE_EFFECT = /^[ \t]*import\s*(["'])([^"'\n]+)\1/gm;
// `import("./a")`; skipped when the text before it on its line opens a comment or a string.
const DYNAMIC = /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g;

/** The module specifiers a source file imports, in order of appearance. */
export function parseImports(source) {
  const found = [];
  for (const re of [STATIC_FROM, SIDE_EFFECT]) {
    for (const m of source.matchAll(re))
      found.push({ at: m.index, spec: m[2], typeOnly: /^\s*(?:import|export)\s+type\b/.test(m[0]) });
  }
  for (const m of source.matchAll(DYNAMIC)) {
    const lineStart = source.lastIndexOf("\n", m.index) + 1;
    const before = source.slice(lineStart, m.index);
    if (before.includes("//") || /^\s*(\/\*|\*)/.test(before)) continue;
    // Inside a string literal when a quote before it on the line is still open.
    if ([`"`, "'", "`"].some((q) => before.split(q).length % 2 === 0)) continue;
    found.push({ at: m.index, spec: m[2], typeOnly: false });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.spec);
}

/** The specifiers a file imports only as types (every import of them is `import type` / `export type`). */
export function typeOnlyImports(source) {
  const typed = new Set();
  const runtime = new Set(parseImports(source.replace(STATIC_FROM, "")));
  for (const m of source.matchAll(STATIC_FROM)) {
    if (/^\s*(?:import|export)\s+type\b/.test(m[0])) typed.add(m[2]);
    else runtime.add(m[2]);
  }
  return new Set([...typed].filter((spec) => !runtime.has(spec)));
}

/**
 * Routes hold no SQL (STYLE.md): a route reaches data through a service verb. So api/ and
 * portal/ may import the D1 modules and the log object's modules for their types only; the
 * log's row shapes and status names (records.ts) are plain data and may be imported.
 */
export const RUNTIME_FORBIDDEN = [
  { from: ["api", "portal"], into: ["config", "log"], except: ["src/log/records.ts"] },
];

/**
 * The file a relative specifier names (as `moduleResolution: "bundler"` does for .ts files), or
 * null when none exists. Bare specifiers (hono, zod, cloudflare:workers) return undefined: they
 * are packages, not layers. Specifiers of other assets (.json, .sql) also return undefined.
 */
export function resolveImport(fromFile, spec, exists) {
  if (!spec.startsWith(".")) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec));
  const ext = path.posix.extname(base);
  if (ext === ".ts" || ext === ".tsx") return exists(base) ? base : null;
  if (ext === ".js" || ext === ".mjs") {
    const stem = base.slice(0, -ext.length);
    return [`${stem}.ts`, `${stem}.tsx`].find(exists) ?? null;
  }
  if (ext !== "" && exists(base)) return undefined; // "./data.json", an asset
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find(exists) ?? null;
}

/** The table entry for a file of src/, or undefined when its top-level entry is not in the table. */
export function layerOf(file, layers = LAYERS) {
  for (const entry of layers) {
    for (const p of entry.paths) {
      if (p.endsWith("/**") ? file.startsWith(p.slice(0, -2)) : file === p) return entry;
    }
  }
  return undefined;
}

/** "src/foo/" for src/foo/bar.ts, "src/foo.ts" for src/foo.ts. */
function topLevel(file) {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : file;
}

/**
 * Reads the import graph of in-memory sources (file -> text, paths like "src/a/b.ts").
 * `exists` answers for files outside the map (default: none).
 */
export function buildGraph(sources, exists = () => false) {
  const graph = new Map();
  const has = (f) => sources.has(f) || exists(f);
  for (const [file, text] of sources) {
    const edges = [];
    const types = typeOnlyImports(text);
    for (const spec of parseImports(text)) {
      const to = resolveImport(file, spec, has);
      if (to !== undefined) edges.push({ spec, to, typeOnly: types.has(spec) });
    }
    graph.set(file, edges);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function knots(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const result = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) result.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return result;
}

/** A shortest cycle through `start` inside one knot, as a path that ends where it starts. */
function cycleThrough(start, members, graph) {
  const inKnot = new Set(members);
  const parent = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inKnot.has(w)) continue;
      if (w === start) {
        const route = [start];
        for (let u = v; u !== start; u = parent.get(u)) route.splice(1, 0, u);
        return [...route, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The violations of a graph (file -> [{spec, to}]; `to` null when unresolved), as report lines. */
export function checkGraph(graph, layers = LAYERS) {
  const problems = [];
  const unknown = new Set();
  for (const file of [...graph.keys()].sort()) {
    if (!layerOf(file, layers)) unknown.add(topLevel(file));
  }
  for (const top of [...unknown].sort()) {
    problems.push(`${top}: not in ${TABLE}; give it a rank there`);
  }

  const fileGraph = new Map();
  let imports = 0;
  for (const file of [...graph.keys()].sort()) {
    const targets = new Set();
    const runtime = new Set();
    for (const { spec, to, typeOnly } of graph.get(file)) {
      if (to && !typeOnly) runtime.add(to);
      if (to === null) problems.push(`${file} -> ${spec}: cannot resolve the relative import`);
      else if (!to.startsWith("src/")) problems.push(`${file} -> ${to}: src/ may not import outside src/`);
      else targets.add(to);
    }
    fileGraph.set(file, [...targets].sort());
    imports += targets.size;
    const from = layerOf(file, layers);
    if (!from) continue;
    for (const to of [...targets].sort()) {
      const into = layerOf(to, layers);
      if (!into || into === from) continue;
      if (into.rank >= from.rank)
        problems.push(`${file} -> ${to}: ${from.layer} may not import ${into.layer}`);
      const rule = RUNTIME_FORBIDDEN.find((r) => r.from.includes(from.layer) && r.into.includes(into.layer));
      if (rule && runtime.has(to) && !rule.except.includes(to))
        problems.push(
          `${file} -> ${to}: ${from.layer} may import ${into.layer} for types only (routes hold no SQL)`,
        );
    }
  }

  for (const knot of knots(fileGraph)) {
    const route = cycleThrough(knot[0], knot, fileGraph);
    const more = knot.length > route.length - 1 ? ` (${knot.length} files are in this knot)` : "";
    problems.push(`cycle: ${route.join(" -> ")}${more}`);
  }
  return { problems, files: graph.size, imports };
}

function listSources(root) {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (/\.tsx?$/.test(entry.name)) out.push(child);
    }
  };
  walk("src");
  return out.sort();
}

function checkTree(root) {
  const sources = new Map(listSources(root).map((f) => [f, readFileSync(path.join(root, f), "utf8")]));
  const graph = buildGraph(sources, (f) => existsSync(path.join(root, f)));
  return checkGraph(graph);
}

// --- self-test: fake trees and the verdicts they must get ---

const CASES = [
  {
    name: "downhill imports of every kind pass",
    sources: {
      "src/index.ts": 'import { app } from "./app";\nexport { Obj } from "./log/object";\n',
      "src/app.ts": 'import { routes } from "./api";\nimport type { E } from "./errors";\n',
      "src/api/index.ts":
        'import {\n  create,\n  type Input,\n} from "../services/things";\nimport { z } from "zod";\n',
      "src/services/things.ts":
        'import * as q from "../db/things.js";\nimport "../lib/polyfill";\nconst d = () => import("../delivery/enqueue");\n',
      "src/delivery/enqueue.ts":
        'import { DurableObject } from "cloudflare:workers";\nimport { q } from "../db/things";\n',
      "src/log/object.ts": 'import { newId } from "../lib/ids";\n',
      "src/db/things.ts": 'import { NotFound } from "../errors";\nimport { id } from "./ids";\n',
      "src/db/ids.ts": 'export * from "../lib/ids";\n',
      "src/lib/ids.ts": "export const newId = () => 1;\n",
      "src/lib/polyfill.ts": "",
      "src/errors.ts": 'import type { X } from "hono/utils/http-status";\n',
    },
    expect: [],
  },
  {
    name: "uphill arrows fail, type-only and dynamic ones too",
    sources: {
      "src/app.ts": "",
      "src/api/routes.ts": 'import type { AppEnv } from "../app";\n',
      "src/services/endpoints.ts": "export const recover = 1;\n",
      "src/delivery/consumer.ts": 'const s = await import("../services/endpoints");\n',
      "src/db/endpoints.ts": 'import { recover } from "../services/endpoints";\n',
    },
    expect: [
      "src/api/routes.ts -> src/app.ts: api may not import app",
      "src/db/endpoints.ts -> src/services/endpoints.ts: config may not import services",
      "src/delivery/consumer.ts -> src/services/endpoints.ts: delivery may not import services",
    ],
  },
  {
    name: "same rank, other layer: sideways is forbidden; inside one layer is fine",
    sources: {
      "src/log/object.ts": 'import { bucket } from "../endpoint-state/bucket";\n',
      "src/endpoint-state/bucket.ts": 'import { health } from "./health";\n',
      "src/endpoint-state/health.ts": "",
      "src/config/apps.ts": 'import { rows } from "../db/rows";\n',
      "src/db/rows.ts": "",
    },
    expect: ["src/log/object.ts -> src/endpoint-state/bucket.ts: log may not import endpoint-state"],
  },
  {
    name: "nothing imports index; comments and strings that look like imports do not count",
    sources: {
      "src/index.ts": "",
      "src/lib/a.ts":
        '// import { x } from "../index";\n/**\n * import("../index")\n */\nconst s = "see import(\'../index\')"; // import("../index")\nimport { y } from "../index";\n',
    },
    expect: ["src/lib/a.ts -> src/index.ts: leaf may not import index"],
  },
  {
    name: "a new top-level folder or file must be placed in the table",
    sources: {
      "src/widgets/a.ts": 'import { b } from "./b";\n',
      "src/widgets/b.ts": "",
      "src/helpers.ts": "",
      "src/lib/c.ts": "",
    },
    expect: [
      `src/helpers.ts: not in ${TABLE}; give it a rank there`,
      `src/widgets/: not in ${TABLE}; give it a rank there`,
    ],
  },
  {
    name: "file cycles are reported with their path, also inside one layer",
    sources: {
      "src/services/a.ts": 'import { b } from "./b";\n',
      "src/services/b.ts": 'import { c } from "./c";\n',
      "src/services/c.ts": 'export { a } from "./a";\n',
      "src/lib/self.ts": 'import { me } from "./self";\n',
    },
    expect: [
      "cycle: src/lib/self.ts -> src/lib/self.ts",
      "cycle: src/services/a.ts -> src/services/b.ts -> src/services/c.ts -> src/services/a.ts",
    ],
  },
  {
    name: "a cycle across layers is an uphill arrow and a cycle",
    sources: {
      "src/services/deliveries.ts": 'import { job } from "../delivery/jobs";\n',
      "src/delivery/jobs.ts": 'import { recover } from "../services/deliveries";\n',
    },
    expect: [
      "src/delivery/jobs.ts -> src/services/deliveries.ts: delivery may not import services",
      "cycle: src/delivery/jobs.ts -> src/services/deliveries.ts -> src/delivery/jobs.ts",
    ],
  },
  {
    name: "routes import D1 and log modules for their types only",
    sources: {
      "src/api/a.ts":
        'import type { Row } from "../db/rows";\nimport { listRows } from "../db/rows";\nimport { STATUS } from "../log/records";\n',
      "src/db/rows.ts": "export const listRows = 1;\n",
      "src/log/records.ts": "export const STATUS = 1;\n",
    },
    expect: ["src/api/a.ts -> src/db/rows.ts: api may import config for types only (routes hold no SQL)"],
  },
  {
    name: "TSX files (the portal's client) are checked and resolved like TS files",
    sources: {
      "src/portal/client/app.tsx": 'import { get } from "./api";\nimport { q } from "../../db/rows";\n',
      "src/portal/client/api.ts": 'import type { View } from "./nav";\n',
      "src/portal/client/nav.tsx": "",
      "src/db/rows.ts": "",
    },
    expect: [
      "src/portal/client/app.tsx -> src/db/rows.ts: portal may import config for types only (routes hold no SQL)",
    ],
  },
  {
    name: "unresolved relative imports and imports out of src/ fail",
    sources: {
      "src/lib/a.ts": 'import { gone } from "./gone";\nimport { helper } from "../../test/helper";\n',
    },
    outside: ["test/helper.ts"],
    expect: [
      "src/lib/a.ts -> ./gone: cannot resolve the relative import",
      "src/lib/a.ts -> test/helper.ts: src/ may not import outside src/",
    ],
  },
];

function selfTest() {
  let failed = 0;
  for (const c of CASES) {
    const outside = new Set(c.outside ?? []);
    const graph = buildGraph(new Map(Object.entries(c.sources)), (f) => outside.has(f));
    const got = checkGraph(graph).problems.sort();
    const want = [...c.expect].sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failed++;
      console.error(
        `self-test FAILED: ${c.name}\n  want:\n    ${want.join("\n    ")}\n  got:\n    ${got.join("\n    ")}`,
      );
    }
  }
  if (failed > 0) return 1;
  console.log(`layers self-test: ${CASES.length} cases ok`);
  return 0;
}

function main() {
  if (process.argv.includes("--self-test")) return selfTest();
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const { problems, files, imports } = checkTree(root);
  if (problems.length > 0) {
    for (const p of problems) console.log(p);
    console.log(`layers: ${files} files, ${imports} imports, ${problems.length} violations`);
    return 1;
  }
  console.log(`layers: ${files} files, ${imports} imports, ok`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
