// The dashboard in a real browser: headless Chromium, driven through
// playwright-core, against a running `lodestar demo` (started by
// crates/lodestar/tests/it/browser.rs). It opens the overview, reaches an
// SLO's page with the keyboard and a journey's page with the mouse, and
// checks that every figure a page marks with `data-field` equals the JSON
// API's answer at the same pinned instant, that charts have accessible
// names, that nothing is fetched from outside the server, and that no
// console error or uncaught exception happens. It saves screenshots
// (overview light and dark, an SLO, a journey, the overview about now)
// into OUTDIR.
//
// It must not start or stop the server, retry a failed comparison, or
// download a browser: it uses the Chromium it is given (LODESTAR_CHROMIUM,
// default /usr/bin/chromium).
//
// Usage: node dashboard.mjs BASE_URL OUTDIR
// Exits 0 when every check passed, 1 with one line per failed check, 2 when
// it could not run at all.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node dashboard.mjs BASE_URL OUTDIR");
  process.exit(2);
}
const executablePath = process.env.LODESTAR_CHROMIUM || "/usr/bin/chromium";
// Preferred subjects; the first SLO and journey stand in when the demo
// changes its names.
const wantSlo = process.env.LODESTAR_BROWSER_SLO || "checkout-availability";
const wantJourney = process.env.LODESTAR_BROWSER_JOURNEY || "checkout";

// A run that hangs (a page that never loads) fails rather than waiting on
// the Rust side's timeout with no word of where it hung.
let stage = "starting";
const watchdog = setTimeout(() => {
  console.error(`browser test timed out after 150 s while ${stage}`);
  process.exit(2);
}, 150_000);

const failures = [];
let passed = 0;
function check(ok, message) {
  if (ok) passed++;
  else failures.push(`${stage}: ${message}`);
  return ok;
}

// A minute boundary five minutes back: the demo's live traffic lands at
// "now", so figures at this instant stay put while pages and API are read.
function pinnedInstant() {
  const minute = Math.floor(Date.now() / 60_000) - 5;
  return new Date(minute * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function api(path) {
  const resp = await fetch(base + path);
  const body = await resp.text();
  if (resp.status !== 200) {
    throw new Error(`GET ${path} answered ${resp.status}: ${body.slice(0, 300)}`);
  }
  return JSON.parse(body);
}

// `data-value` text to a value: empty is a missing figure (JSON null), the
// rest is the API's own number text, parsed by the same JSON parser as
// the API's answers so equal numbers compare equal bit for bit.
function shownValue(raw) {
  if (raw === null || raw === undefined) return undefined;
  return raw === "" ? null : JSON.parse(raw);
}

function sameFigure(label, raw, want) {
  const shown = shownValue(raw);
  const expected = want === undefined ? null : want;
  return check(
    shown === expected,
    `${label}: page shows data-value ${JSON.stringify(raw)}, API says ${JSON.stringify(expected)}`,
  );
}

// The visible text of a figure shows the API's number to the page's
// precision: a percentage with `decimals` places or a burn rate "N.NN×".
// Within half a unit of the last place, so the rounding rule of ties does
// not matter; "—" for a missing figure.
function sameText(label, text, want, kind) {
  if (want === null || want === undefined) {
    return check(text === "—", `${label}: text ${JSON.stringify(text)} for a missing figure, expected "—"`);
  }
  const [decimals, scale, suffix] = {
    sli: [3, 100, " %"],
    budget: [1, 100, " %"],
    burn: [2, 1, "×"],
  }[kind];
  const pattern = new RegExp(`^(-?\\d+\\.\\d{${decimals}})${suffix}$`);
  const m = pattern.exec(text);
  if (!check(m, `${label}: text ${JSON.stringify(text)} is not a ${kind} figure with ${decimals} decimals`)) {
    return false;
  }
  const diff = Math.abs(Number(m[1]) - want * scale);
  return check(
    diff <= 0.5 * 10 ** -decimals * (1 + 1e-9) + 1e-9,
    `${label}: text ${JSON.stringify(text)} does not show the API's ${want}`,
  );
}

// Every `data-field` element inside each element matching `selector`, as
// {attrs, fields: {name: [{value, text}]}}; `value` is the raw data-value.
async function collect(page, selector) {
  return page.$$eval(selector, (els) =>
    els.map((el) => {
      const attrs = {};
      for (const a of el.attributes) attrs[a.name] = a.value;
      const fields = {};
      for (const f of el.querySelectorAll("[data-field]")) {
        const name = f.getAttribute("data-field");
        (fields[name] ||= []).push({
          value: f.getAttribute("data-value"),
          text: f.textContent.trim(),
          attrs: Object.fromEntries([...f.attributes].map((a) => [a.name, a.value])),
        });
      }
      return { attrs, fields };
    }),
  );
}

// The one occurrence of a field in a scope; a missing or repeated field
// is a failure of its own.
function one(scope, name, label) {
  const list = scope.fields[name] || [];
  check(list.length === 1, `${label}: expected one ${name} field, found ${list.length}`);
  return list[0] || { value: undefined, text: undefined, attrs: {} };
}

// The objective an SLO's row shows (mirrors `web::overview::headline`):
// the composite, else the objective with the least budget left.
function headline(slo) {
  if (slo.composite && typeof slo.composite === "object") return slo.composite;
  let best = null;
  let bestRem = Infinity;
  for (const o of slo.objectives || []) {
    const r = o.error_budget?.remaining;
    const rem = typeof r === "number" ? r : Infinity;
    if (best === null || rem < bestRem) {
      best = o;
      bestRem = rem;
    }
  }
  return best;
}

function fastestBurn(objective) {
  const rates = Object.values(objective?.burn_rates || {}).filter((v) => typeof v === "number");
  return rates.length ? Math.max(...rates) : null;
}

// A row of SLO figures (overview and journey tables) against the SLO's
// document from the API.
function checkSloRow(row, slo, label) {
  const head = headline(slo);
  check(row.attrs["data-slo"] === slo.name, `${label}: row is for ${row.attrs["data-slo"]}`);
  check(
    one(row, "status", label).value === slo.status,
    `${label}: status ${one(row, "status", label).value}, API says ${slo.status}`,
  );
  const sli = head?.sli?.value ?? null;
  const target = head?.target ?? slo.objectives?.[0]?.target ?? null;
  const remaining = head?.error_budget?.remaining ?? null;
  const burn = fastestBurn(head);
  for (const [name, want, kind] of [
    ["sli", sli, "sli"],
    ["target", target, "sli"],
    ["budget_remaining", remaining, "budget"],
    ["burn_fastest", burn, "burn"],
  ]) {
    const f = one(row, name, label);
    sameFigure(`${label} ${name}`, f.value, want);
    sameText(`${label} ${name}`, f.text, want, kind);
  }
}

// Every `role="img"` element has a non-empty accessible name, as the
// browser computes it (aria-label, or aria-labelledby's <title>/<desc>).
async function checkImagesNamed(page, label, atLeast) {
  const all = await page.locator('[role="img"]').count();
  const named = await page.getByRole("img", { name: /\S/, includeHidden: true }).count();
  check(all >= atLeast, `${label}: ${all} charts (role="img"), expected at least ${atLeast}`);
  check(named === all, `${label}: ${all - named} of ${all} charts have no accessible name`);
}

// The footer names the instant the figures are for: the pinned one, which
// is also the instant the API's answer reports (when it reports one).
async function checkFooterInstant(page, doc, at, label) {
  const shown = await page.getAttribute('time[data-field="at"]', "datetime");
  check(shown === at, `${label}: footer shows the instant ${shown}, the page was asked for ${at}`);
  if ("at" in doc) check(doc.at === at, `${label}: the API answered for ${doc.at}, asked for ${at}`);
}

async function overview(page, at) {
  stage = "overview";
  await page.goto(`${base}/?at=${encodeURIComponent(at)}`);
  const doc = await api(`/api/v1/slos?at=${encodeURIComponent(at)}`);
  await checkFooterInstant(page, doc, at, "overview");
  const slos = doc.slos || [];
  check(slos.length > 0, "the API lists no SLOs");
  const byName = new Map(slos.map((s) => [s.name, s]));
  const rows = await collect(page, "tr[data-slo]");
  const seen = new Set();
  for (const row of rows) {
    const name = row.attrs["data-slo"];
    const slo = byName.get(name);
    if (!check(slo, `row for ${name}, which the API does not list`)) continue;
    seen.add(name);
    check(row.attrs["data-status"] === slo.status, `row ${name}: data-status ${row.attrs["data-status"]}, API says ${slo.status}`);
    check(!("hidden" in row.attrs), `row ${name} is hidden with no filter set`);
    checkSloRow(row, slo, `overview row ${name}`);
  }
  for (const s of slos) check(seen.has(s.name), `SLO ${s.name} has no row on the overview`);
  const [summary] = await collect(page, "ul.summary");
  for (const st of ["exhausted", "at_risk", "no_data", "error", "healthy"]) {
    const n = slos.filter((s) => s.status === st).length;
    const f = one(summary, `count_${st}`, "summary");
    sameFigure(`summary count_${st}`, f.value, n);
    check(f.text === String(n), `summary count_${st}: text ${f.text}, expected ${n}`);
  }
  await checkImagesNamed(page, "overview", slos.length);
  return doc;
}

// Reaches the SLO's link with Tab alone (the skip link first) and follows
// it with Enter: the overview must be usable without a mouse.
async function keyboardToSlo(page, name) {
  stage = "keyboard navigation";
  await page.locator("body").focus();
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement?.className || "");
  check(first.split(/\s+/).includes("skip"), `the first Tab stop is "${first}", expected the skip link`);
  const prefix = `/slos/${encodeURIComponent(name)}?`;
  for (let presses = 1; presses < 400; presses++) {
    const href = await page.evaluate(() => document.activeElement?.getAttribute("href") || "");
    if (href.startsWith(prefix)) {
      await Promise.all([page.waitForURL((u) => u.pathname === `/slos/${name}`), page.keyboard.press("Enter")]);
      return true;
    }
    await page.keyboard.press("Tab");
  }
  check(false, `no Tab stop links to ${prefix} within 400 presses`);
  await page.goto(`${base}${prefix}`);
  return false;
}

async function sloPage(page, name, at) {
  stage = `SLO page ${name}`;
  const url = new URL(page.url());
  check(url.searchParams.get("at") === at, `the overview's link lost the instant: ${page.url()}`);
  const q = `at=${encodeURIComponent(at)}`;
  const doc = await api(`/api/v1/slos/${encodeURIComponent(name)}?${q}`);
  await checkFooterInstant(page, doc, at, "SLO page");
  const [top] = await collect(page, "main > h1");
  check(one(top, "status", "heading").value === doc.status, `heading status, API says ${doc.status}`);
  check(
    (await page.textContent('main [data-field="name"]'))?.trim() === doc.name,
    `the page names another SLO than ${doc.name}`,
  );
  const sections = await collect(page, 'section.objective:not([data-objective="composite"])');
  const objectives = doc.objectives || [];
  check(
    sections.length === objectives.length,
    `${sections.length} objective sections, API has ${objectives.length} objectives`,
  );
  sections.forEach((sec, i) => {
    const o = objectives[i];
    if (!o) return;
    const label = `objective ${i}`;
    check(one(sec, "status", label).value === o.status, `${label}: status, API says ${o.status}`);
    for (const [field, want, kind] of [
      ["sli", o.sli?.value, "sli"],
      ["target", o.target, "sli"],
      ["budget_remaining", o.error_budget?.remaining, "budget"],
      ["budget_consumed", o.error_budget?.consumed],
      ["budget_total", o.error_budget?.total],
      ["time_to_exhaustion_s", o.time_to_exhaustion_s],
      ["good", o.sli?.good],
      ["total", o.sli?.total],
    ]) {
      const f = one(sec, field, label);
      sameFigure(`${label} ${field}`, f.value, want);
      if (kind) sameText(`${label} ${field}`, f.text, want ?? null, kind);
    }
    const burns = sec.fields.burn_rate || [];
    const windows = Object.keys(o.burn_rates || {});
    check(burns.length === windows.length, `${label}: ${burns.length} burn rates shown, API has ${windows.length}`);
  });
  // Burn rates by window label: each cell carries its window.
  const cells = await page.$$eval("section.objective td[data-window]", (tds) => {
    const sections = [...document.querySelectorAll('section.objective:not([data-objective="composite"])')];
    return tds.map((td) => {
      const f = td.querySelector('[data-field="burn_rate"]');
      return {
        section: sections.indexOf(td.closest("section")),
        window: td.getAttribute("data-window"),
        value: f?.getAttribute("data-value"),
        text: f?.textContent.trim(),
      };
    });
  });
  for (const [i, o] of objectives.entries()) {
    for (const [window, want] of Object.entries(o.burn_rates || {})) {
      const cell = cells.find((c) => c.section === i && c.window === window);
      if (!check(cell, `objective ${i}: no burn-rate cell for ${window}`)) continue;
      sameFigure(`objective ${i} burn ${window}`, cell.value, want);
      sameText(`objective ${i} burn ${window}`, cell.text, want, "burn");
    }
  }
  await checkImagesNamed(page, "SLO page", 3 * objectives.length);
  const lineCharts = await page.locator('svg.line-chart[role="img"]').count();
  check(lineCharts >= 3 * objectives.length, `${lineCharts} line charts, expected 3 per objective`);

  // Segments: the same values in the same order, with the same figures.
  const segs = await api(`/api/v1/slos/${encodeURIComponent(name)}/segments?${q}`);
  const dims = await collect(page, "div.dimension[data-dimension]");
  const apiDims = (segs.objectives || []).flatMap((o) => o.dimensions || []);
  check(dims.length === apiDims.length, `${dims.length} segment tables, API has ${apiDims.length} dimensions`);
  for (const [d, dim] of apiDims.entries()) {
    const shown = dims[d];
    if (!shown) break;
    const label = `segments ${dim.dimension}`;
    check(shown.attrs["data-dimension"] === dim.dimension, `${label}: table ${d} is for ${shown.attrs["data-dimension"]}`);
    const rows = await page.$$eval(
      `div.dimension[data-dimension]`,
      (divs, at) => [...divs[at].querySelectorAll("tr[data-segment]")].map((tr) => tr.getAttribute("data-segment")),
      d,
    );
    const want = (dim.segments || []).map((s) => s.value);
    check(JSON.stringify(rows) === JSON.stringify(want), `${label}: rows ${JSON.stringify(rows)}, API order ${JSON.stringify(want)}`);
    for (const [k, s] of (dim.segments || []).entries()) {
      for (const [field, value] of [
        ["segment_sli", s.sli?.value],
        ["segment_budget_remaining", s.error_budget?.remaining],
        ["segment_budget_consumed", s.error_budget?.consumed],
        ["segment_share", s.share_of_consumed],
        ["segment_burn_1h", s.burn_rates?.["1h"]],
      ]) {
        const f = (shown.fields[field] || [])[k];
        if (!check(f, `${label} ${s.value}: no ${field}`)) continue;
        sameFigure(`${label} ${s.value} ${field}`, f.value, value);
      }
    }
  }
  return doc;
}

async function journeyPage(page, journey, at) {
  stage = `journey page ${journey}`;
  const q = `at=${encodeURIComponent(at)}`;
  const doc = await api(`/api/v1/journeys?${q}`);
  await checkFooterInstant(page, doc, at, "journey page");
  const j = (doc.journeys || []).find((x) => x.name === journey);
  if (!check(j, `the API has no journey ${journey}`)) return;
  const [figures] = await collect(page, "main dl.figures");
  if (typeof j.weight === "number") sameFigure("weight", one(figures, "weight", "figures").value, j.weight);
  let weakest = null;
  for (const step of j.steps || []) {
    const [li] = await collect(page, `li[data-step="${step.name}"]`);
    if (!check(li, `no step ${step.name} on the page`)) continue;
    const rows = await page.$$eval(`li[data-step="${step.name}"] tr[data-slo]`, (trs) => trs.length);
    check(rows === (step.slos || []).length, `step ${step.name}: ${rows} rows, API has ${(step.slos || []).length} SLOs`);
    for (const slo of step.slos || []) {
      const [row] = await collect(page, `li[data-step="${step.name}"] tr[data-slo="${slo.name}"]`);
      if (!check(row, `step ${step.name}: no row for ${slo.name}`)) continue;
      checkSloRow(row, slo, `step ${step.name} ${slo.name}`);
      const rem = headline(slo)?.error_budget?.remaining;
      if (typeof rem === "number" && (weakest === null || rem < weakest)) weakest = rem;
    }
  }
  const weak = one(figures, "weak_link", "figures");
  if (weakest === null) {
    check(weak.attrs["data-step"] === "", `a weak link is named with no figures`);
  } else {
    sameFigure("weak link budget", one(figures, "weak_link_budget_remaining", "figures").value, weakest);
    const step = (j.steps || []).find((s) => s.name === weak.attrs["data-step"]);
    const stepMin = Math.min(
      ...(step?.slos || []).map((s) => headline(s)?.error_budget?.remaining).filter((r) => typeof r === "number"),
    );
    check(stepMin === weakest, `weak link ${weak.attrs["data-step"]} is not the step with the least budget left`);
  }
  if (j.completion_slo) {
    const slo = await api(`/api/v1/slos/${encodeURIComponent(j.completion_slo)}?${q}`);
    const head = headline(slo);
    const f = one(figures, "completion_rate", "figures");
    sameFigure("completion rate", f.value, head?.sli?.value ?? null);
    sameText("completion rate", f.text, head?.sli?.value ?? null, "sli");
    sameFigure("completion target", one(figures, "completion_rate_target", "figures").value, head?.target ?? null);
  }
  await checkImagesNamed(page, "journey page", 1);
}

async function shoot(page, file) {
  await page.screenshot({ path: join(outDir, file) });
  console.log(`screenshot ${join(outDir, file)}`);
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  stage = `launching ${executablePath}`;
  // No sandbox: CI runs as root. The rest keep Chromium off the network
  // (the machine reaches only loopback and package registries).
  const args = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
  ];
  const browser = await chromium.launch({ executablePath, args, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const origin = new URL(base).origin;
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      const source = m.location().url || "no source";
      failures.push(`console error on ${page.url()}: ${m.text()} (${source})`);
    });
    page.on("pageerror", (e) => failures.push(`uncaught exception on ${page.url()}: ${e.message}`));
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith("data:")) failures.push(`request outside the server: ${u}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400) failures.push(`${r.status()} for ${r.url()}`);
    });

    const at = pinnedInstant();
    console.log(`base ${base}, at ${at}`);
    const doc = await overview(page, at);
    await shoot(page, "overview.png");

    stage = "dark mode";
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(light !== dark, `the page background stays ${light} under prefers-color-scheme: dark`);
    await shoot(page, "overview-dark.png");
    await page.emulateMedia({ colorScheme: "light" });

    const names = (doc.slos || []).map((s) => s.name);
    const slo = names.includes(wantSlo) ? wantSlo : names[0];
    await keyboardToSlo(page, slo);
    await sloPage(page, slo, at);
    // The objective's figures and first chart, rather than the page's
    // header, fill the 800-pixel view.
    await page.evaluate(() => document.querySelector("section.objective")?.scrollIntoView());
    await shoot(page, "slo.png");

    stage = "journey link";
    await page.goBack();
    const journeys = await page.$$eval("section.group h2 a[href^='/journeys/']", (as) =>
      as.map((a) => decodeURIComponent(new URL(a.href).pathname.slice("/journeys/".length))),
    );
    if (check(journeys.length > 0, "the overview links to no journey")) {
      const journey = journeys.includes(wantJourney) ? wantJourney : journeys[0];
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/journeys/${journey}`),
        page.click(`section.group h2 a[href^='/journeys/${journey}?']`),
      ]);
      await journeyPage(page, journey, at);
      await shoot(page, "journey.png");
    }
    // The overview about now, unpinned: live alert badges show only there.
    stage = "overview now";
    await page.goto(`${base}/`);
    await checkImagesNamed(page, "overview now", 1);
    await shoot(page, "overview-now.png");
    await context.close();
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (e) {
  console.error(`browser test could not finish (while ${stage}): ${e.stack || e}`);
  clearTimeout(watchdog);
  process.exit(2);
}
clearTimeout(watchdog);
for (const f of failures) console.error(`FAIL ${f}`);
console.log(`dashboard checks in the browser: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
