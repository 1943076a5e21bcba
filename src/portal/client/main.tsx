// The portal page's entry: reads the session from the fragment, removes it from the address bar
// (and so from history and any later Referer), applies the theme and renders the app.

import { render } from "hono/jsx/dom";
import { startSession } from "./api";
import { App } from "./app";
import { parseFragment } from "./fragment";
import { parseTheme } from "./theme";

function applyTheme(): void {
  const theme = parseTheme(window.location.search);
  const root = document.documentElement;
  root.classList.toggle("dark", theme.dark);
  // The CSSOM, not a style attribute: the CSP allows it, and the value was checked as a hex colour.
  if (theme.primaryColor) root.style.setProperty("--primary", theme.primaryColor);
}

function boot(): void {
  applyTheme();
  const session = parseFragment(window.location.hash);
  if (window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  const root = document.getElementById("root");
  if (!root) return;
  root.textContent = "";
  if (session) startSession(session);
  render(<App hasSession={session !== null} />, root);
}

boot();
