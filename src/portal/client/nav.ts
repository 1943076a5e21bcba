// The page's views and their paths under /portal. The fragment holds the token at start, so
// views live in history entries with query-free paths (the worker serves the shell for
// /portal/*). Pure, for tests.

export type View =
  | { name: "endpoints" }
  | { name: "endpoint"; id: string }
  | { name: "messages" }
  | { name: "message"; id: string }
  | { name: "catalog" };

const ID = /^[A-Za-z0-9_.-]{1,256}$/;

export function pathFor(view: View): string {
  switch (view.name) {
    case "endpoints":
      return "/portal";
    case "endpoint":
      return `/portal/endpoints/${encodeURIComponent(view.id)}`;
    case "messages":
      return "/portal/messages";
    case "message":
      return `/portal/messages/${encodeURIComponent(view.id)}`;
    case "catalog":
      return "/portal/event-types";
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return "";
  }
}

export function viewFor(path: string): View {
  const parts = path.replace(/\/+$/, "").split("/").slice(2).map(decode);
  const [section, id] = parts;
  const validId = id !== undefined && ID.test(id) && parts.length === 2;
  if (section === "endpoints" && validId) return { name: "endpoint", id };
  if (section === "messages" && validId) return { name: "message", id };
  if (section === "messages" && parts.length === 1) return { name: "messages" };
  if (section === "event-types" && parts.length === 1) return { name: "catalog" };
  return { name: "endpoints" };
}
