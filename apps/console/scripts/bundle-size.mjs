// Prints the production bundle's size per page, gzipped: what the first load of any page costs
// (the shell: index.html, its entry with the chunks it imports, the CSS) and what each page adds
// when it is first visited (its own chunk and the chunks it imports that the shell does not).
// Reads Vite's manifest; run after `pnpm build` with `pnpm size`.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL(".vite/manifest.json", dist), "utf8"));
const ROUTES = {
  "sign-in-page": "/sign-in",
  "overview-page": "/",
  "vm-list-page": "/vms",
  "create-vm-page": "/vms/new",
  "vm-page": "/vms/$vmId",
  "tenant-list-page": "/tenants",
  "tenant-route": "/tenants/$tenantId",
  "pool-list-page": "/pools",
  "pool-page": "/pools/$poolId",
  "security-events-page": "/events",
  "compliance-page": "/compliance",
  "topology-page": "/topology",
};

const gzipped = (file) => gzipSync(readFileSync(new URL(file, dist))).length;

function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const next of manifest[key]?.imports ?? []) closure(next, seen);
  return seen;
}

const filesOf = (keys) =>
  new Set([...keys].flatMap((k) => [manifest[k].file, ...(manifest[k].css ?? [])]));
const sum = (files) => [...files].reduce((total, f) => total + gzipped(f), 0);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

const shellKeys = closure("index.html");
const shellFiles = filesOf(shellKeys);
shellFiles.delete("index.html");
const shell = sum(shellFiles) + gzipSync(readFileSync(new URL("index.html", dist))).length;

const rows = (manifest["index.html"].dynamicImports ?? []).map((key) => {
  const name = key
    .split("/")
    .pop()
    .replace(/\.tsx?$/, "");
  const own = [...filesOf(closure(key))].filter((f) => !shellFiles.has(f));
  const added = sum(own);
  return { route: ROUTES[name] ?? name, added, total: shell + added };
});

console.log(`| Page | Page chunks (gzip) | First load (shell ${kib(shell)} + page) |`);
console.log("| --- | ---: | ---: |");
for (const r of rows.sort((a, b) => a.route.localeCompare(b.route)))
  console.log(`| \`${r.route}\` | ${kib(r.added)} | ${kib(r.total)} |`);
