// A tiny static server for the referral checker, bound to 127.0.0.1: web/ at /, and the
// checker's WebAssembly package bindings-wasm/pkg-checker/ at /pkg/ (or one built folder,
// web/dist/, at /). Sends the same Content-Security-Policy as the page (plus frame-ancestors,
// which only a header can carry).
//   node web/server.mjs [port] [folder]   (port 0 picks a free one; the URL is printed)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve as absolute, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const SOURCES = [
  ["/pkg/", join(root, "bindings-wasm/pkg-checker")],
  ["/", join(root, "web")],
];
const SERVED = new Set([".html", ".js", ".css", ".wasm", ".json", ".ico", ".svg", ".png"]);
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};
export const CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'";

function resolve(mounts, urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    let rel = urlPath.slice(prefix.length);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = normalize(join(dir, rel));
    if (!file.startsWith(dir + sep)) return null;
    if (!SERVED.has(extname(file)) || rel.split("/").some((p) => p.startsWith(".") || p === "node_modules" || p === "tests")) return null;
    return file;
  }
  return null;
}

/** Starts the server (of `folder` alone when given); resolves to the http.Server once it listens. */
export function serve(port = 8080, host = "127.0.0.1", folder = null) {
  const mounts = folder ? [["/", normalize(folder)]] : SOURCES;
  const server = createServer(async (req, res) => {
    const headers = {
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cache-Control": "no-cache",
    };
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      path = null;
    }
    const file = req.method === "GET" || req.method === "HEAD" ? path && resolve(mounts, path) : null;
    try {
      if (!file) throw new Error("not found");
      const body = await readFile(file);
      res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
      res.end("not found\n");
    }
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  const server = await serve(port, "127.0.0.1", process.argv[3] ? absolute(process.argv[3]) : null);
  const { port: actual } = server.address();
  console.log(`Referral checker: http://127.0.0.1:${actual}/  (Ctrl+C to stop)`);
}
