// The playground in a headless chromium: it loads without console errors, a click on the
// plot sets the start, two optimizers draw two paths and two table rows, a bad formula
// shows its error with a caret; in data mode a shipped data set draws its fit, a CSV
// upload shows a loss curve that grows while the fit runs, and a bad CSV names its line
// and column. Screenshots of both modes are written. Usage:
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
  const api = [];
  page.on("request", (r) => { if (r.url().includes("/api/")) api.push(new URL(r.url()).pathname); });

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
  // The first picture took one request: the lists are in the page, the grid comes with the race.
  assert.deepEqual(api, ["/api/compare"], "the first picture's requests");
  // The arrows' gradient is the server's exact one, one per path point.
  assert.ok(await page.evaluate(() => result.runs.every((r) => r.path.grad.length === r.path.points.length)), "a gradient per point");

  // The 3-D view turns when dragged: its pixels change.
  const pixels = () => page.evaluate(() => { const c = document.getElementById("surf3d"); return c.toDataURL(); });
  const before = await pixels();
  await page.locator("#surf3d").scrollIntoViewIfNeeded();
  const b3 = await page.locator("#surf3d").boundingBox();
  await page.mouse.move(b3.x + 200, b3.y + 200); await page.mouse.down();
  await page.mouse.move(b3.x + 300, b3.y + 230, { steps: 5 }); await page.mouse.up();
  assert.ok((await pixels()) !== before, "the 3-D view rotated");
  await page.screenshot({ path: shot.replace(/\.png$/, "-3d.png"), fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));

  // A click on the plot sets the start, in the URL too.
  const box = await page.locator("#surface").boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await page.waitForFunction(() => /from=/.test(location.hash));
  const from = await page.inputValue("#from");
  assert.match(from, /^-?[\d.e-]+,-?[\d.e-]+$/);
  await page.waitForFunction((f) => document.getElementById("command").textContent.includes("--from " + f), from);
  await page.screenshot({ path: shot });

  // A shared hyperparameter re-runs at once, and goes into the URL and the command.
  await page.fill('[data-hyper="beta1"]', "0.5");
  await page.dispatchEvent('[data-hyper="beta1"]', "change");
  await page.waitForFunction(() => /h\.beta1=0\.5/.test(location.hash) && document.getElementById("command").textContent.includes("--beta1 0.5"));
  await page.waitForFunction(() => document.querySelectorAll("#table tbody tr").length === 2);

  // A bad formula: its error under the box, a caret under the column.
  await page.fill("#function", "(1-x)^2 + 100*(y-x^2");
  await page.press("#function", "Enter");
  await page.locator("#function").blur();
  await page.waitForSelector("#fnerr:not([hidden])");
  const err = await page.textContent("#fnerr");
  assert.match(err, /column 21/);
  assert.ok(err.trimEnd().endsWith("^"), err);
  await page.screenshot({ path: shot.replace(/\.png$/, "-error.png") });

  // Data mode from a link: engel, one feature, a linear model: the loss curve, the fitted
  // line over the scatter, the cost surface and the coefficients.
  await page.goto("about:blank");
  await page.goto(url + "#mode=data&ds=engel&target=foodexp&features=income&model=linear&opt=gd&epochs=300");
  await page.waitForFunction(() => document.querySelectorAll("#coefs tbody tr").length === 2, null, { timeout: 30000 });
  assert.equal(await page.isHidden("#fitsurf"), false, "the cost surface of a one-feature line is shown");
  assert.match(await page.textContent("#dcommand"), /^downhill fit data\/engel.csv --target foodexp --features income .*--epochs 300/);
  await page.screenshot({ path: shot.replace(/\.png$/, "-data.png"), fullPage: true });

  // An upload: a linear fit that runs long enough (slow gd on 20,000 rows) for several
  // batches of epochs to arrive; the curve must gain points between redraws.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows = ["x1,x2,x3,y"];
  for (let i = 0; i < 20000; i++) {
    const x = [rand(), rand() * 10, rand() - 0.5];
    rows.push(x.map((v) => v.toFixed(6)).join(",") + "," + (1 + 2 * x[0] - 0.3 * x[1] + 5 * x[2] + 0.1 * rand()).toFixed(6));
  }
  await page.setInputFiles("#upload", { name: "synthetic.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\n") + "\n") });
  await page.waitForFunction(() => /synthetic.csv: 20000 rows/.test(document.getElementById("dstatus").textContent));
  await page.fill("#depochs", "4000");
  await page.dispatchEvent("#depochs", "change");
  await page.$eval("#dlr", (s) => { s.value = "-3"; s.dispatchEvent(new Event("input")); });
  await page.click("#fit");
  await page.waitForFunction(() => document.querySelectorAll("#coefs tbody tr").length === 4, null, { timeout: 60000 });
  const draws = await page.evaluate(() => window.__lossDraws);
  const growing = draws.filter((d, i) => d > 0 && d > (draws[i - 1] || 0));
  assert.ok(growing.length >= 3, "the loss curve grew over several redraws: " + draws.join(","));
  assert.ok(draws[draws.length - 1] > growing[0], draws.join(","));
  assert.match(await page.textContent("#dcommand"), /^downhill fit synthetic.csv --target y .*--lr 0.001/);
  await page.screenshot({ path: shot.replace(/\.png$/, "-upload.png"), fullPage: true });

  // A bad CSV: its line and column under the upload.
  await page.setInputFiles("#upload", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n3\n") });
  await page.waitForSelector("#dataerr:not([hidden])");
  assert.match(await page.textContent("#dataerr"), /bad.csv:3: .*\(line 3\)/s);

  // The 400s of the bad formula and the bad CSV are reported by the browser as console
  // errors; the rest must be clean.
  const real = errors.filter((e) => !/400/.test(e));
  assert.deepEqual(real, []);
  console.log("browser test passed; screenshots:", shot);
} finally {
  await browser.close();
}
