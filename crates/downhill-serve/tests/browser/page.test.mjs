// The playground in a headless chromium: it loads without console errors, a click on the
// plot sets the start, two optimizers draw two paths and two table rows, a bad formula
// shows its error with a caret, and a screenshot is written. Usage:
//   node page.test.mjs http://127.0.0.1:PORT/ screenshot.png
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => errors.push("request failed: " + r.url()));

  // Two optimizers from the link; the table shows both.
  await page.goto(url + "#f=rosenbrock&opt=gd,adam&lr.adam=0.05");
  await page.waitForFunction(() => document.querySelectorAll("#table tbody tr").length === 2);
  const labels = await page.$$eval("#table tbody tr td:first-child", (t) => t.map((c) => c.textContent.trim()));
  assert.ok(labels[0].startsWith("gd") && labels[1].startsWith("adam (lr 0.05)"), labels.join("|"));
  // Two paths are drawn: pixels of both colours on the plot.
  const colours = await page.evaluate(() => {
    const c = document.getElementById("surface");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const rgb = [d[i], d[i + 1], d[i + 2]].join(",");
      if (rgb === "230,25,75" || rgb === "60,180,75") seen.add(rgb);
    }
    return [...seen];
  });
  assert.equal(colours.length, 2, "two path colours: " + colours);

  // A click on the plot sets the start, in the URL too.
  const box = await page.locator("#surface").boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await page.waitForFunction(() => /from=/.test(location.hash));
  const from = await page.inputValue("#from");
  assert.match(from, /^-?[\d.e-]+,-?[\d.e-]+$/);
  await page.waitForFunction((f) => document.getElementById("command").textContent.includes("--from " + f), from);
  await page.screenshot({ path: shot });

  // A bad formula: its error under the box, a caret under the column.
  await page.fill("#function", "(1-x)^2 + 100*(y-x^2");
  await page.press("#function", "Enter");
  await page.locator("#function").blur();
  await page.waitForSelector("#fnerr:not([hidden])");
  const err = await page.textContent("#fnerr");
  assert.match(err, /column 21/);
  assert.ok(err.trimEnd().endsWith("^"), err);
  await page.screenshot({ path: shot.replace(/\.png$/, "-error.png") });

  // The 400 of the bad formula is reported by the browser as a console error; the rest
  // must be clean.
  const real = errors.filter((e) => !/400/.test(e));
  assert.deepEqual(real, []);
  console.log("browser test passed; screenshots:", shot);
} finally {
  await browser.close();
}
