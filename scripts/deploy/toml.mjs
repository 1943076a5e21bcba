// The small part of TOML that wrangler.toml uses: [tables], [[arrays of tables]], key = value
// with strings, numbers, booleans and (multi-line) arrays of those. Enough to read the
// resource names the deploy script needs without a dependency; anything else is kept raw.

/** Parses TOML text into plain objects (see the header for what is understood). */
export function parseToml(text) {
  const root = {};
  let current = root;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = stripComment(lines[i]).trim();
    if (!line) continue;
    const arrayHeader = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(line);
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (arrayHeader) {
      const path = splitKey(arrayHeader[1]);
      const parent = walk(root, path.slice(0, -1));
      const last = path.at(-1);
      if (!Array.isArray(parent[last])) parent[last] = [];
      current = {};
      parent[last].push(current);
    } else if (header) {
      current = walk(root, splitKey(header[1]));
    } else {
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      // A multi-line array continues until its brackets balance.
      while (bracketDepth(line) > 0 && i + 1 < lines.length) line += ` ${stripComment(lines[++i]).trim()}`;
      const path = splitKey(line.slice(0, eq));
      walk(current, path.slice(0, -1))[path.at(-1)] = parseValue(line.slice(eq + 1).trim());
    }
  }
  return root;
}

/** The object at path under obj, created as needed; an array's last element stands for it. */
function walk(obj, path) {
  let node = obj;
  for (const key of path) {
    if (node[key] === undefined) node[key] = {};
    node = Array.isArray(node[key]) ? node[key].at(-1) : node[key];
  }
  return node;
}

function splitKey(key) {
  return key.split(".").map((part) =>
    part
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .replace(/^'(.*)'$/, "$1"),
  );
}

/** The line without a trailing # comment (a # inside a string is kept). */
export function stripComment(line) {
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "#") return line.slice(0, i);
  }
  return line;
}

function bracketDepth(text) {
  let depth = 0;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[") depth++;
    else if (ch === "]") depth--;
  }
  return depth;
}

function parseValue(raw) {
  if (raw.startsWith('"')) return JSON.parse(raw);
  if (raw.startsWith("'")) return raw.slice(1, raw.lastIndexOf("'"));
  if (raw === "true" || raw === "false") return raw === "true";
  if (/^[+-]?\d[\d_]*(\.\d+)?$/.test(raw)) return Number(raw.replaceAll("_", ""));
  if (raw.startsWith("[")) return splitArray(raw.slice(1, raw.lastIndexOf("]"))).map(parseValue);
  return raw;
}

/** The top-level items of an array body, split on commas outside strings and brackets. */
function splitArray(body) {
  const items = [];
  let start = 0;
  let depth = 0;
  let quote = null;
  for (let i = 0; i <= body.length; i++) {
    const ch = body[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth--;
    else if ((ch === "," && depth === 0) || i === body.length) {
      const item = body.slice(start, i).trim();
      if (item) items.push(item);
      start = i + 1;
    }
  }
  return items;
}

/**
 * Sets database_id in the [[d1_databases]] block (of [env.<env>] when given) whose
 * database_name is name, keeping every other line of the file as it was.
 */
export function setD1DatabaseId(text, env, name, id) {
  const header = env ? `[[env.${env}.d1_databases]]` : "[[d1_databases]]";
  const lines = text.split("\n");
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const trimmed = stripComment(lines[i]).trim();
    if (trimmed.replaceAll(" ", "") === header.replaceAll(" ", "")) start = i;
    else if (trimmed.startsWith("[")) start = -1;
    else if (start >= 0 && /^database_name\s*=/.test(trimmed) && parseValue(afterEq(trimmed)) === name) {
      let end = i + 1;
      while (end < lines.length && !stripComment(lines[end]).trim().startsWith("[")) end++;
      const idLine = lines.findIndex((l, j) => j > start && j < end && /^\s*database_id\s*=/.test(l));
      if (idLine >= 0) lines[idLine] = lines[idLine].replace(/=.*$/, `= "${id}"`);
      else lines.splice(i + 1, 0, `database_id = "${id}"`);
      return lines.join("\n");
    }
  }
  throw new Error(`no ${header} block with database_name = "${name}"`);
}

function afterEq(line) {
  return line.slice(line.indexOf("=") + 1).trim();
}
