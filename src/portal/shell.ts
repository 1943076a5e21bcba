// The /portal page's HTML shell: no inline script or style (the CSP forbids both), so every
// behaviour comes from /portal/assets/portal.js and every rule from portal.css. The favicon is
// a data: URL so a visit makes no request that would 404. No import: scripts/portal-assets.mjs
// bundles this file alone to report the size of a first visit.

export const PORTAL_ASSETS = "/portal/assets";

export const PORTAL_SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhooks</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PORTAL_ASSETS}/portal.css">
<script type="module" src="${PORTAL_ASSETS}/portal.js"></script>
</head>
<body>
<div id="root"><p class="loading">Loading…</p></div>
<noscript><p>This page needs JavaScript.</p></noscript>
</body>
</html>
`;
