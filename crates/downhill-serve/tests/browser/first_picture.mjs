// For bench/playground.sh (a benchmark, not a test): milliseconds from navigation to the
// page's first picture (contours and paths drawn; app.js notes performance.now() then),
// over fresh loads of the default page. Usage: node first_picture.mjs URL [repeats]
import { chromium } from "playwright-core";

const [url, repeats] = process.argv.slice(2);
const n = Number(repeats || 20);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const times = [];
  // One load first, so that the browser's own start-up is not counted.
  for (let i = 0; i <= n; i++) {
    await page.goto(url + "#f=rosenbrock&opt=gd,adam", { waitUntil: "commit" });
    await page.waitForFunction(() => window.__firstPicture !== undefined, null, { timeout: 10000 });
    const t = await page.evaluate(() => window.__firstPicture);
    if (i > 0) times.push(t);
    await page.goto("about:blank");
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(`first picture after load: median ${med.toFixed(1)} ms, min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)} (${times.length} loads; target < 300 ms)`);
} finally {
  await browser.close();
}
