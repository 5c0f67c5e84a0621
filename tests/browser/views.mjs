// views.mjs — the requester's form, the registrar's import, the overseer's page and axe-core on every view, in chromium (playwright-core), after flow.mjs filled the
// register. comite_r's overview shows the numbers GET /v1/oversight answers, those are `custos measure list`'s, and a
// number opens the measures behind it. axe-core (loaded from NPM_DIR, never served by custos) finds no serious or
// critical violation on any view. A requester files S3 from the form (a bad selector flagged at its field, the
// decision shown before filing); a registrar previews an import that suspends a measure, cancels, then imports.
// node views.mjs BASE_URL KEY_DIR SHOT_DIR CHROMIUM PROFILE_DIR NPM_DIR; prints "ok   browser/NAME" or
// "FAIL browser/NAME: why" per check and exits non-zero if any failed. Needs `custos` on PATH and CUSTOS_STORE.
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [base, keyDir, shots, chromiumPath, profile, npmDir] = process.argv.slice(2);
const req = createRequire(join(npmDir, "node_modules") + "/");
const { chromium } = req("playwright-core");
const axeSource = readFileSync(req.resolve("axe-core/axe.min.js"), "utf8");

let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   browser/${name}`);
  } catch (e) {
    console.log(`FAIL browser/${name}: ${String(e && e.message ? e.message : e).split("\n")[0]}`);
    failed++;
  }
}
function expect(cond, why) {
  if (!cond) throw new Error(why);
}
const T = 10000;

mkdirSync(profile, { recursive: true });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
await context.clock.install({ time: Date.now() + Number(process.env.CLOCK_SHIFT_SECONDS || 0) * 1000 });
const page = context.pages()[0] || (await context.newPage());
page.setDefaultTimeout(T);
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));

async function signIn(id) {
  const out = page.locator("#who button", { hasText: "Sign out" });
  if (await out.count()) {
    await out.click();
    await page.locator("#who", { hasText: "Not signed in" }).waitFor();
  }
  await page.goto(`${base}/#signin`);
  await page.setInputFiles("#keyfile", join(keyDir, `${id}.key`));
  await page.locator("#who .who-detail", { hasText: ` ${id} ` }).waitFor();
}

/* A signed GET by the page's own crypto.js, as `id`. */
async function apiGet(id, path) {
  const r = await page.evaluate(
    async ({ keyText, path }) => {
      const c = await import("/web/crypto.js");
      const k = await c.loadKeyFile(keyText);
      const h = await c.signRequest(k, "GET", location.host, path);
      const res = await fetch(path, { headers: h });
      return { status: res.status, text: await res.text() };
    },
    { keyText: readFileSync(join(keyDir, `${id}.key`), "utf8"), path },
  );
  expect(r.status === 200, `GET ${path}: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

/* axe-core on the page as it is: no serious or critical violation of WCAG 2 A/AA. */
async function axe(view) {
  await check(`axe-${view}`, async () => {
    const found = await page.evaluate(async (src) => {
      if (!window.axe) (0, eval)(src);
      const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
      return r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
    }, axeSource);
    expect(found.length === 0, found.join(" | "));
  });
}

try {
  // ---- the public views and the sign-in, then each signed-in view -----------------------------------
  await page.goto(`${base}/#signin`);
  await page.locator("#keyfile").waitFor();
  await axe("signin");
  await page.goto(`${base}/#audit/0`);
  await page.locator("#audit-result .verdict").waitFor();
  await axe("audit");

  await signIn("COMR");
  await page.goto(`${base}/#inbox`);
  await page.locator("#inbox-list h3").first().waitFor();
  await axe("inbox");
  await page.goto(`${base}/#registry`);
  await page.fill("#registry-q", "mailto:ambassador@mr-embassy.example");
  await page.click("#registry-form button[type=submit]");
  await page.locator("#registry-results [role=status]").waitFor();
  await axe("registry");
  const first = JSON.parse(execFileSync("custos", ["measure", "list"], { encoding: "utf8" }).split("\n")[0]);
  await page.goto(`${base}/#measure/${first.id}`);
  await page.locator("#measure-body .facts").waitFor();
  await axe("measure");

  // ---- a requester files S3 from the form, seeing the decision before filing ----------------------------
  await signIn("REQ-VSSE");
  await page.goto(`${base}/#file`);
  await page.locator("#file-form").waitFor();
  await check("file-bad-selector-flagged", async () => {
    await page.fill("#file-target-0", "mailto:bad");
    const err = page.locator("#file-target-0-error");
    await err.filter({ hasText: "missing '@'" }).waitFor();
    expect((await page.getAttribute("#file-target-0", "aria-invalid")) === "true", "the target is not marked invalid");
    await page.screenshot({ path: join(shots, "file-bad-selector.png"), fullPage: true });
  });
  const s3 = JSON.parse(readFileSync(process.env.VIEWS_S3, "utf8"));
  const before = execFileSync("custos", ["measure", "list"], { encoding: "utf8" });
  let filed = null;
  await check("file-s3-decision-before-filing", async () => {
    await page.selectOption("#file-kind", s3.kind);
    await page.selectOption("#file-framework", s3.framework);
    await page.fill("#file-requested-by", s3.requested_by);
    await page.fill("#file-target-0", s3.targets[0]);
    await page.fill("#file-from", s3.period.from);
    await page.fill("#file-to", s3.period.to);
    await page.check("#file-flag-concerns_mandate");
    await page.fill("#file-grounds", s3.grounds);
    await page.locator("#file-outcome", { hasText: "Forbidden" }).waitFor();
    await page.locator("#file-target-0-hits", { hasText: "Touches" }).waitFor();
    expect((await page.locator("#file-target-0-error").innerText()) === "", "the good selector is still flagged");
    const cites = await page.locator("#file-findings .cite").allInnerTexts();
    expect(cites.length > 0 && cites.every((c) => c && c !== "—"), `findings without citations: ${cites}`);
    // the dry run stored nothing
    expect(execFileSync("custos", ["measure", "list"], { encoding: "utf8" }) === before, "the dry run stored a measure");
    await page.screenshot({ path: join(shots, "file-s3-decision.png"), fullPage: true });
    await page.click("#file-submit");
    await page.locator("#file-filed").waitFor();
    filed = (await page.locator("#file-filed a").innerText()).trim();
    const shown = JSON.parse(execFileSync("custos", ["measure", "show", filed], { encoding: "utf8" }));
    expect(shown.decision.outcome === "forbidden", `filed ${filed}: ${shown.decision.outcome}`);
    expect(JSON.stringify(shown.measure.targets) === JSON.stringify(s3.targets.map((t) => t.toLowerCase())) && shown.measure.concerns_mandate === true,
      `filed ${JSON.stringify(shown.measure)}`);
  });
  await axe("file");

  // ---- a registrar previews an import that suspends a measure, cancels, then imports --------------------
  const authorised = process.env.VIEWS_AUTHORISED;
  const stateOf = (id) => JSON.parse(execFileSync("custos", ["measure", "show", id], { encoding: "utf8" })).state;
  const events = () => execFileSync("custos", ["events"], { encoding: "utf8" }).split("\n").length;
  await signIn("REG");
  await page.goto(`${base}/#registry`);
  await page.locator("#import-file").waitFor();
  await check("registry-preview-then-cancel", async () => {
    expect(authorised && stateOf(authorised) === "authorised", `no authorised measure (${authorised})`);
    const n = events();
    await page.setInputFiles("#import-file", process.env.VIEWS_IMPORT);
    await page.locator("#import-suspended", { hasText: authorised }).waitFor();
    expect((await page.locator("#import-added").innerText()).includes("P-NEW-1"), "P-NEW-1 is not shown added");
    await page.screenshot({ path: join(shots, "registry-preview.png"), fullPage: true });
    await axe("registry-preview");
    await page.click("#import-cancel");
    await page.locator("#import-status", { hasText: "Cancelled" }).waitFor();
    expect((await page.locator("#import-preview").innerText()) === "", "the preview is still shown");
    expect(stateOf(authorised) === "authorised" && events() === n, "the preview or the cancel changed the store");
  });
  await check("registry-import-suspends", async () => {
    await page.setInputFiles("#import-file", process.env.VIEWS_IMPORT);
    await page.locator("#import-confirm").click();
    await page.locator("#import-done", { hasText: authorised }).waitFor();
    expect(stateOf(authorised) === "suspended", `${authorised}: ${stateOf(authorised)}`);
    await page.screenshot({ path: join(shots, "registry-imported.png"), fullPage: true });
  });

  // ---- the overseer's overview ------------------------------------------------------------------------
  await signIn("COMR");
  const listed = execFileSync("custos", ["measure", "list"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  await page.goto(`${base}/#oversight`);
  await page.locator("#oversight-total").waitFor();
  await page.screenshot({ path: join(shots, "oversight.png"), fullPage: true });
  const o = await apiGet("COMR", "/v1/oversight");
  await check("oversight-api-matches-register", async () => {
    expect(o.total === listed.length, `total ${o.total}, register ${listed.length}`);
    const reg = {}, api = {};
    for (const m of listed) reg[`${m.filed_at.slice(0, 7)} ${m.outcome}`] = (reg[`${m.filed_at.slice(0, 7)} ${m.outcome}`] || 0) + 1;
    for (const m of o.months) for (const [k, c] of Object.entries(m.outcome)) api[`${m.month} ${k}`] = c.count;
    expect(JSON.stringify(Object.entries(reg).sort()) === JSON.stringify(Object.entries(api).sort()), `api ${JSON.stringify(api)} register ${JSON.stringify(reg)}`);
    for (const state of ["revoked", "suspended", "refused", "forbidden"]) {
      const reg = listed.filter((m) => m.state === state).map((m) => m.id).sort();
      const got = ((o.states[state] || {}).measures || []).sort();
      expect(JSON.stringify(reg) === JSON.stringify(got), `${state}: api ${got} register ${reg}`);
    }
    expect(((o.states.suspended || {}).measures || []).includes(authorised), "the import's suspension is not counted");
  });
  await check("oversight-page-matches-api", async () => {
    expect((await page.locator("#oversight-total").innerText()).startsWith(`${o.total} measures`), "total");
    const shown = await page.evaluate(() => {
      const t = [...document.querySelectorAll("#oversight-body table")].find((x) => x.caption.textContent === "Measures per month by outcome");
      const heads = [...t.tHead.rows[0].cells].slice(1).map((c) => c.textContent);
      const out = {};
      for (const row of t.tBodies[0].rows)
        [...row.cells].slice(1).forEach((c, i) => c.textContent !== "0" && (out[`${row.cells[0].textContent} ${heads[i]}`] = Number(c.textContent)));
      return out;
    });
    const api = {};
    for (const m of o.months) for (const [k, c] of Object.entries(m.outcome)) api[`${m.month} ${k}`] = c.count;
    expect(JSON.stringify(Object.entries(shown).sort()) === JSON.stringify(Object.entries(api).sort()), `page ${JSON.stringify(shown)} api ${JSON.stringify(api)}`);
    const waits = await page.locator("#oversight-waits tr").count();
    expect(waits === o.waits.length, `waits rows ${waits}, api ${o.waits.length}`);
    expect((await page.locator("#oversight-body svg[role=img]").count()) >= 3, "fewer than 3 charts");
  });
  await check("oversight-number-opens-measures", async () => {
    const first = o.months[0], [k, c] = Object.entries(first.outcome)[0];
    // by keyboard: focus the number and press Enter
    await page.locator(`a.count[aria-label^="${c.count}: ${first.month}, ${k} "]`).focus();
    await page.keyboard.press("Enter");
    await page.locator("#oversight-behind li").first().waitFor();
    const ids = await page.locator("#oversight-behind li a").allInnerTexts();
    expect(JSON.stringify(ids) === JSON.stringify(c.measures), `shown ${ids}, api ${c.measures}`);
    expect(await page.evaluate(() => document.activeElement.id === "behind-h"), "the list's heading has not the focus");
  });
  await axe("oversight");
  await check("nav-keyboard", async () => {
    await page.goto(`${base}/#inbox`);
    await page.locator("#inbox-list h3").first().waitFor();
    await page.locator("nav a[data-view=oversight]").focus();
    await page.keyboard.press("Enter");
    await page.locator("#oversight-total").waitFor();
    const outline = await page.evaluate(() => {
      const a = document.querySelector("nav a[data-view=registry]");
      a.focus();
      return getComputedStyle(a).outlineStyle;
    });
    expect(outline !== "none", "no visible focus on the navigation");
  });
} catch (e) {
  console.log(`FAIL browser/views: ${String(e && e.stack ? e.stack : e).split("\n").slice(0, 3).join(" ")}`);
  failed++;
  try {
    await page.screenshot({ path: join(shots, "views-failure.png"), fullPage: true });
  } catch {
    /* gone */
  }
}
await check("views-no-page-errors", () => expect(errors.length === 0, errors.join(" | ")));
await context.close();
process.exit(failed ? 1 : 0);
