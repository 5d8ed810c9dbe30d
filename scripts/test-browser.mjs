// The built package (dist/) in a real browser: serves scripts/browser/ and dist/ on a local port,
// loads the page in headless Chromium (Debian's `chromium`, or the binary in $CHROMIUM), and
// reports the checks of scripts/browser/checks.mjs. Exits nonzero if any fails or the page
// does not finish.
//
//   npm run build && node scripts/test-browser.mjs
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const browser = process.env.CHROMIUM ?? "chromium";
const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".map": "application/json" };

// /dist/... from the build, everything else from scripts/browser/
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const rel = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
  const file = path.normalize(rel.startsWith("dist/") ? path.join(root, rel) : path.join(root, "scripts/browser", rel));
  if (!file.startsWith(root)) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const pageUrl = `http://127.0.0.1:${server.address().port}/`;

// --dump-dom prints the page once it is loaded and idle; the checks run synchronously inside the
// module script, so the result is in the DOM by then
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=120000", "--dump-dom", pageUrl];
const dom = await new Promise((resolve, reject) => {
  const child = spawn(browser, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${browser} did not finish in 180 s`)); }, 180_000);
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  child.on("error", (e) => { clearTimeout(timer); reject(new Error(`could not start ${browser} (Debian: apt-get install chromium; or set CHROMIUM): ${e.message}`)); });
  child.on("close", (code) => {
    clearTimeout(timer);
    if (code !== 0) reject(new Error(`${browser} exited with ${code}:\n${err.slice(-2000)}`));
    else resolve(out);
  });
});
server.close();

const text = /<pre id="result">([\s\S]*?)<\/pre>/.exec(dom)?.[1]?.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
let report;
try {
  report = JSON.parse(text ?? "");
} catch {
  console.error(`the page did not report its checks; it showed: ${text ?? dom.slice(0, 2000)}`);
  process.exit(1);
}
if (report.error) {
  console.error(`the page failed to load the package: ${report.error}`);
  process.exit(1);
}
console.log(`# tfunc in ${report.userAgent}`);
let failed = 0;
for (const { name, failure } of report.results) {
  console.log(`${failure ? "✖" : "✔"} ${name}${failure ? `: ${failure}` : ""}`);
  if (failure) failed++;
}
console.log(`${report.results.length - failed} of ${report.results.length} browser checks passed`);
process.exit(failed ? 1 : 0);
