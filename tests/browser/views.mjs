// views.mjs — the page for every role, in chromium (playwright-core), after flow.mjs and browser.sh filled the register:
// a requester files from the form (the form holds every field of the measure contract; S3 filed with its decision shown
// before filing; S7 with a person; a consent with its errors placed at their fields); a registrar previews an import
// that suspends a measure, cancels, then imports; comite_r's overview shows the numbers GET /v1/oversight answers and
// those are `custos measure list`'s (months, services month by month with their jumps, waits, states), every number
// opening the measures behind it; each role's inbox; and on every view axe-core (loaded from NPM_DIR, never served by
// custos) finds no serious or critical violation, the keyboard reaches every control with a visible focus, and the
// charts' colours keep their contrast.
// node views.mjs BASE_URL KEY_DIR SHOT_DIR CHROMIUM PROFILE_DIR NPM_DIR; prints "ok   browser/NAME" or
// "FAIL browser/NAME: why" per check and exits non-zero if any failed. Needs `custos` on PATH and CUSTOS_STORE;
// VIEWS_S3, VIEWS_S7 (measures), VIEWS_IMPORT (a registry file), VIEWS_AUTHORISED (the measure it suspends).
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
    try {
      await page.screenshot({ path: join(shots, `failed-${name}.png`), fullPage: true });
    } catch {
      /* gone */
    }
  }
}
function expect(cond, why) {
  if (!cond) throw new Error(why);
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const T = 10000;
const custos = (...args) => execFileSync("custos", args, { encoding: "utf8" });
const register = () => custos("measure", "list").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const shown = (id) => JSON.parse(custos("measure", "show", id));
const events = () => custos("events").split("\n").length;

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
/* Goes to a view afresh (a view drawn on arrival, such as the form, is drawn again). */
async function visit(hash, ready) {
  await page.goto(`${base}/#signin-away`);
  await page.goto(`${base}/${hash}`);
  await page.locator(ready).first().waitFor();
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

// ---- every view: axe-core, the keyboard, the charts' contrast ---------------------------------------------------------

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

/*
 * The keyboard alone: Tab from the top of the page reaches every control on show (links, buttons, fields; a radio
 * group once) before it comes round again, and each shows where the focus is (an outline or a ring).
 */
async function keyboard(view) {
  await check(`keyboard-${view}`, async () => {
    const n = await page.evaluate(() => {
      const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
      const all = [...document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")].filter(
        (e) => visible(e) && !e.disabled && e.tabIndex >= 0 && !e.closest("[inert]") && !(e.type === "radio" && !e.checked && document.querySelector(`input[type=radio][name="${e.name}"]:checked`)),
      );
      all.forEach((e, i) => (e.dataset.kb = String(i)));
      // Tab starts from the top of the document: from a mark before everything, taken away when the walk ends
      const start = document.createElement("span");
      start.id = "kb-start";
      start.tabIndex = 0;
      document.body.prepend(start);
      start.focus();
      return all.length;
    });
    const seen = new Set(), unseen = [];
    let first = null;
    for (let i = 0; i < 4 * n + 40; i++) {
      await page.keyboard.press("Tab");
      const at = await page.evaluate(() => {
        const a = document.activeElement;
        if (!a || a === document.body) return null;
        const s = getComputedStyle(a);
        const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== "none");
        return { kb: a.dataset.kb, ring, what: `${a.tagName.toLowerCase()}${a.id ? "#" + a.id : ""} ${(a.textContent || a.getAttribute("aria-label") || "").trim().slice(0, 30)}` };
      });
      if (!at || at.kb === undefined) continue;
      if (at.kb === first) break;
      if (first === null) first = at.kb;
      if (!at.ring) unseen.push(at.what);
      seen.add(at.kb);
    }
    const missed = await page.evaluate((seen) => [...document.querySelectorAll("[data-kb]")].filter((e) => !seen.includes(e.dataset.kb)).map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} ${(e.textContent || e.name || "").trim().slice(0, 30)}`), [...seen]);
    await page.evaluate(() => {
      document.querySelectorAll("[data-kb]").forEach((e) => delete e.dataset.kb);
      document.querySelector("#kb-start").remove();
    });
    expect(missed.length === 0, `not reached by Tab (${missed.length} of ${n}): ${missed.slice(0, 5).join(" | ")}`);
    expect(unseen.length === 0, `no visible focus: ${unseen.slice(0, 5).join(" | ")}`);
  });
}

/* WCAG contrast ratio of two #rrggbb colours (or rgb()). */
function contrast(a, b) {
  const rgb = (c) => (c.startsWith("#") ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) : c.match(/\d+/g).slice(0, 3).map(Number));
  const lum = (c) => {
    const [r, g, bl] = rgb(c).map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// ---- the form, driven by the measure it should file -------------------------------------------------------------------

/* A measure's fields as the form names them (its data-field paths): [path, value], falsy flags left out. */
function leaves(m, at = "") {
  const out = [];
  for (const [k, v] of Object.entries(m)) {
    const path = Array.isArray(m) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
    if (v === null || v === false) continue;
    if (typeof v === "object") out.push(...leaves(v, path));
    else out.push([path, v]);
  }
  return out;
}
const ADD = { targets: "#file-targets-add", persons: "#file-persons-add", waiver: "#file-waivers-add", consent: "#file-consents-add" };

/* Fills the form with measure m as a requester would, control by control; a field without a control on show fails. */
async function fillForm(m) {
  await page.selectOption('[data-field="kind"]', m.kind);
  for (const [path, v] of leaves(m)) {
    if (path === "kind") continue;
    const entry = /^(targets|persons|waiver|consent)\[(\d+)\]/.exec(path);
    if (entry)
      while ((await page.locator(`[data-field^="${entry[1]}[${entry[2]}]"]`).count()) === 0) await page.click(ADD[entry[1]]);
    const c = page.locator(`[data-field="${path}"]`);
    expect((await c.count()) === 1, `no control for ${path}`);
    expect(await c.isVisible(), `${path} is not on show for a ${m.kind}`);
    const kind = await c.evaluate((x) => `${x.tagName}:${x.type || ""}`);
    if (kind.startsWith("SELECT")) await c.selectOption(String(v));
    else if (kind === "INPUT:checkbox") await c.check();
    else await c.fill(String(v));
  }
}
/* What the dry run shows: the outcome's words, the rules of its findings, the roles asked. */
async function dryRunShown() {
  return {
    outcome: (await page.locator("#file-outcome .badge").innerText()).trim(),
    rules: await page.locator("#file-findings .finding").evaluateAll((xs) => xs.map((x) => x.dataset.rule)),
    asked: (await page.locator("#file-asked").innerText()).trim(),
  };
}
const OUTCOME_WORDS = { forbidden: "Forbidden", needs_approval: "Needs approval", permitted: "Permitted" };
/* Files what the form holds; the filed record, checked against the dry run shown before and the measure meant. */
async function fileAndCompare(m, before) {
  await page.click("#file-submit");
  await page.locator("#file-filed").waitFor();
  const id = (await page.locator("#file-filed a").innerText()).trim();
  const rec = shown(id);
  const d = rec.decision;
  expect(OUTCOME_WORDS[d.outcome] === before.outcome, `filed ${d.outcome}, the dry run showed ${before.outcome}`);
  expect(same(d.findings.map((f) => f.rule), before.rules), `filed ${d.findings.map((f) => f.rule)}, shown ${before.rules}`);
  const asked = d.approvals.filter((a) => a.kind === "approve").map((a) => a.role);
  expect(asked.length ? before.asked === `Roles to be asked: ${asked.join(", ")}` : before.asked === "No role needs to approve.", `asked ${asked}, shown "${before.asked}"`);
  // the measure stored is the one meant, field for field (selectors as custos writes them)
  const canon = (path, v) => (path.startsWith("targets[") ? String(v).toLowerCase() : v);
  for (const [path, v] of leaves(m)) {
    const got = path.split(/\.|\[|\]\.?/).filter(Boolean).reduce((o, k) => (o == null ? o : o[k]), rec.measure);
    expect(same(got, canon(path, v)), `${path}: stored ${JSON.stringify(got)}, meant ${JSON.stringify(v)}`);
  }
  return rec;
}

try {
  // ---- the public views: sign-in and the auditor's proof --------------------------------------------------------------
  await page.goto(`${base}/#signin`);
  await page.locator("#keyfile").waitFor();
  await axe("signin");
  await keyboard("signin");
  await page.goto(`${base}/#audit/0`);
  await page.locator("#audit-result .verdict.ok").waitFor();
  await axe("audit");
  await keyboard("audit");
  await page.goto(`${base}/#audit/999999`);
  await page.locator("#audit-result .verdict.bad").waitFor();
  await axe("audit-not-proven");

  // ---- a requester: the form holds the whole measure contract --------------------------------------------------------
  await signIn("REQ-VSSE");
  await visit("#file", "#file-form");
  await check("file-form-covers-the-contract", async () => {
    // the contract as the API publishes it (GET /v1/openapi.json, generated from the decoder's own table)
    const spec = (await (await fetch(`${base}/v1/openapi.json`)).json()).components.schemas;
    const want = [];
    for (const [k, v] of Object.entries(spec.Measure.properties)) {
      if (k === "targets") want.push("targets[0]");
      else if (k === "persons") want.push(...Object.keys(v.items.properties).map((p) => `persons[0].${p}`));
      else if (k === "period") want.push(...Object.keys(v.properties).map((p) => `period.${p}`));
      else if (k === "waiver" || k === "consent") want.push(...Object.keys(spec.Grant.properties).map((p) => `${k}[0].${p}`));
      else want.push(k);
    }
    await page.click(ADD.waiver);
    await page.click(ADD.consent);
    // each kind shows the fields it takes: together they are the contract, nothing missing and nothing more
    const onShow = new Set();
    for (const kind of spec.Measure.properties.kind.enum) {
      await page.selectOption("#file-kind", kind);
      for (const f of await page.locator("[data-field]").evaluateAll((xs) => xs.filter((x) => x.getClientRects().length).map((x) => x.dataset.field))) onShow.add(f);
    }
    const missing = want.filter((f) => !onShow.has(f)), extra = [...onShow].filter((f) => !want.includes(f));
    expect(missing.length === 0, `no control for ${missing}`);
    expect(extra.length === 0, `controls for what the contract does not hold: ${extra}`);
  });
  await check("file-form-fields-of-the-kind", async () => {
    const on = (f) => page.locator(`[data-field="${f}"]`).isVisible();
    await page.selectOption("#file-kind", "mla_request");
    expect((await on("requesting_state")) && (await on("requested_measure")) && !(await on("scope")) && !(await on("transfer_basis")), "mla_request");
    await page.selectOption("#file-kind", "data_transfer");
    expect((await on("transfer_basis")) && (await on("originating_state")) && !(await on("requested_measure")), "data_transfer");
    await page.selectOption("#file-kind", "interception");
    expect((await on("scope")) && !(await on("requesting_state")), "interception");
    // a field of another kind, filled then hidden, is not sent: the decision is not an error about it
    await page.selectOption("#file-scope", "content");
    await page.fill("#file-target-0", "tel:+32470555999");
    await page.fill("#file-from", "2027-01-01");
    await page.fill("#file-to", "2027-01-31");
    await page.fill("#file-grounds", "a test of the fields a kind takes");
    await page.locator("#file-outcome").waitFor();
    await page.selectOption("#file-kind", "observation");
    await page.waitForFunction(() => document.querySelector("#file-scope").closest(".field").hidden);
    await page.locator("#file-outcome").waitFor();
    await page.waitForTimeout(900); // past the debounce: the answer to the observation is on show
    expect((await page.locator("#file-scope-error").innerText()) === "", `scope: ${await page.locator("#file-scope-error").innerText()}`);
    // a rule that refuses the measure as written (no grounds for an intelligence method) says so beside the decision
    await page.selectOption("#file-kind", "interception");
    await page.fill("#file-grounds", "");
    await page.locator("#file-refused", { hasText: "grounds" }).waitFor();
  });

  await visit("#file", "#file-form");
  await check("file-bad-selector-flagged", async () => {
    await page.fill("#file-target-0", "mailto:bad");
    const err = page.locator("#file-target-0-error");
    await err.filter({ hasText: "missing '@'" }).waitFor();
    expect((await page.getAttribute("#file-target-0", "aria-invalid")) === "true", "the target is not marked invalid");
    await page.screenshot({ path: join(shots, "file-bad-selector.png"), fullPage: true });
  });
  await axe("file-with-error");

  // S3 as the requester types it: the law's answer on show before anything is filed, then filed as shown
  const s3 = JSON.parse(readFileSync(process.env.VIEWS_S3, "utf8"));
  await visit("#file", "#file-form");
  await check("file-s3-decision-before-filing", async () => {
    const before = custos("measure", "list");
    await fillForm(s3);
    await page.locator("#file-outcome", { hasText: "Forbidden" }).waitFor();
    await page.locator("#file-target-0-hits", { hasText: "Touches E-1" }).waitFor();
    expect((await page.locator("#file-target-0-error").innerText()) === "", "the good selector is still flagged");
    const cites = await page.locator("#file-findings .cite").allInnerTexts();
    expect(cites.length > 0 && cites.every((c) => c && c !== "—"), `findings without citations: ${cites}`);
    expect(custos("measure", "list") === before, "the dry run stored a measure");
    await page.screenshot({ path: join(shots, "file-s3-decision.png"), fullPage: true });
    const rec = await fileAndCompare(s3, await dryRunShown());
    expect(rec.decision.outcome === "forbidden", `filed ${rec.id}: ${rec.decision.outcome}`);
  });
  await axe("file-filed");
  await keyboard("file");

  // S7 from fps_justice: a person (a refugee from the requesting state) and the fields of a foreign request
  const s7 = JSON.parse(readFileSync(process.env.VIEWS_S7, "utf8"));
  await signIn("REQ-JUS");
  await visit("#file", "#file-form");
  await check("file-s7-person-and-foreign-request", async () => {
    await fillForm(s7);
    await page.locator("#file-outcome .badge").waitFor();
    await page.locator("#file-assertions li[data-flag=reciprocity]", { hasText: "central_authority" }).waitFor();
    const before = await dryRunShown();
    expect(before.rules.some((r) => /refugee/.test(r)), `no refugee finding: ${before.rules}`);
    await page.screenshot({ path: join(shots, "file-s7.png"), fullPage: true });
    await fileAndCompare(s7, before);
  });

  // a consent of the sending state: its errors at its own fields, the party offered from the target's hits, the
  // assertion shown with the role that must confirm it
  await signIn("REQ-FP");
  await visit("#file", "#file-form");
  await check("file-consent-errors-at-their-fields", async () => {
    const m = JSON.parse(readFileSync(process.env.VIEWS_CONSENT, "utf8"));
    await fillForm({ ...m, consent: [{ ...m.consent[0], sending_state: "M1" }] });
    await page.locator("#file-consent-0-sending-state-error", { hasText: "consent[0].sending_state" }).waitFor();
    expect((await page.getAttribute("#file-consent-0-sending-state", "aria-invalid")) === "true", "the state is not marked invalid");
    expect((await page.locator("#file-parties option").evaluateAll((xs) => xs.map((x) => x.value))).includes(m.consent[0].party), "the target's party is not offered");
    await page.screenshot({ path: join(shots, "file-consent-error.png"), fullPage: true });
    await axe("file-consent-error");
    await page.fill("#file-consent-0-sending-state", m.consent[0].sending_state);
    await page.locator("#file-assertions li[data-flag=consent]", { hasText: "foreign_affairs" }).waitFor();
    expect((await page.locator("#file-consent-0-sending-state-error").innerText()) === "", "the error stayed");
    // a period that ends before it starts: said at its end
    const to = await page.inputValue("#file-to");
    await page.fill("#file-to", "2020-01-01");
    await page.locator("#file-to-error", { hasText: "before" }).waitFor();
    await page.fill("#file-to", to);
    await page.locator("#file-assertions").waitFor();
    // the server's refusal of the filing itself lands at the field too, and takes the focus
    await page.fill("#file-consent-0-reference", "");
    await page.click("#file-submit");
    await page.locator("#file-status", { hasText: "Not filed." }).waitFor();
    await page.locator("#file-consent-0-reference-error", { hasText: "consent[0].reference" }).waitFor();
    expect(await page.evaluate(() => document.activeElement.id === "file-consent-0-reference"), "the field at fault has not the focus");
    await page.fill("#file-consent-0-reference", m.consent[0].reference);
    await page.locator("#file-assertions li[data-flag=consent]").waitFor();
    await page.waitForTimeout(900);
    await fileAndCompare(m, await dryRunShown());
  });

  // ---- a registrar previews an import that suspends a measure, cancels, then imports --------------------------------
  const authorised = process.env.VIEWS_AUTHORISED;
  const stateOf = (id) => shown(id).state;
  await signIn("REG");
  await check("registrar-lands-on-registry", async () => {
    await page.locator("#import-file").waitFor();
    expect(new URL(page.url()).hash === "#registry", `landed on ${page.url()}`);
  });
  await axe("registry-import");
  await keyboard("registry");
  await check("registry-bad-file-names-its-line", async () => {
    const n = events();
    const bad = join(profile, "bad.jsonl");
    writeFileSync(bad, `${readFileSync(process.env.VIEWS_IMPORT, "utf8").trim()}\n{"id":"P-BAD","category":"nobody"}\n`);
    await page.setInputFiles("#import-file", bad);
    await page.locator("#import-error", { hasText: "body:2:" }).waitFor();
    expect((await page.locator("#import-confirm").count()) === 0 && events() === n, "a bad file can be imported, or changed the store");
    await axe("registry-import-error");
  });
  await check("registry-preview-then-cancel", async () => {
    expect(authorised && stateOf(authorised) === "authorised", `no authorised measure (${authorised})`);
    const n = events();
    await page.setInputFiles("#import-file", process.env.VIEWS_IMPORT);
    await page.locator("#import-suspended", { hasText: authorised }).waitFor();
    expect((await page.locator("#import-added").innerText()).includes("P-NEW-1"), "P-NEW-1 is not shown added");
    await page.screenshot({ path: join(shots, "registry-preview.png"), fullPage: true });
    await axe("registry-preview");
    await keyboard("registry-preview");
    await page.click("#import-cancel");
    await page.locator("#import-status", { hasText: "Cancelled" }).waitFor();
    expect((await page.locator("#import-preview").innerText()) === "", "the preview is still shown");
    expect(stateOf(authorised) === "authorised" && events() === n, "the preview or the cancel changed the store");
  });
  await check("registry-import-suspends", async () => {
    await page.setInputFiles("#import-file", process.env.VIEWS_IMPORT);
    await page.locator("#import-suspended li").first().waitFor();
    const previewed = await page.locator("#import-suspended li a").allInnerTexts();
    await page.locator("#import-confirm").click();
    await page.locator("#import-done", { hasText: authorised }).waitFor();
    expect(stateOf(authorised) === "suspended", `${authorised}: ${stateOf(authorised)}`);
    const done = await page.locator("#import-done a").allInnerTexts();
    expect(same(done, previewed) && done.every((id) => stateOf(id) === "suspended"), `previewed ${previewed}, suspended ${done}`);
    await page.screenshot({ path: join(shots, "registry-imported.png"), fullPage: true });
  });
  await axe("registry-imported");

  // ---- each role's inbox, a measure as its approver sees it ----------------------------------------------------------
  await signIn("REQ-VSSE");
  await check("inbox-requester-sees-its-authority", async () => {
    await page.locator("#seen-table, #seen-list p").first().waitFor();
    const want = register().filter((m) => m.requested_by === "vsse").map((m) => m.id).slice(0, 50);
    const got = await page.locator("#seen-table tbody tr").evaluateAll((xs) => xs.map((x) => x.dataset.id));
    expect(same(got, want), `shown ${got}, the register's vsse ${want}`);
    expect((await page.locator("#inbox-list h3", { hasText: "For the role requester" }).count()) === 0, "an empty waiting list for the requester");
    await page.selectOption("#seen-state", "suspended");
    await page.click("#seen-form button[type=submit]");
    await page.waitForFunction(() => [...document.querySelectorAll("#seen-table tbody tr")].every((r) => r.textContent.includes("Suspended")));
    const suspended = register().filter((m) => m.requested_by === "vsse" && m.state === "suspended").map((m) => m.id);
    const shownIds = await page.locator("#seen-table tbody tr").evaluateAll((xs) => xs.map((x) => x.dataset.id));
    expect(same(shownIds, suspended), `suspended: shown ${shownIds}, register ${suspended}`);
    await page.screenshot({ path: join(shots, "inbox-requester.png"), fullPage: true });
  });
  await axe("inbox-requester");
  await keyboard("inbox");

  await signIn("HEAD-VSSE");
  let waiting = null;
  await check("inbox-approver", async () => {
    const link = page.locator("#inbox-list table").first().locator("tbody a").first();
    await link.waitFor();
    waiting = (await link.innerText()).trim();
    expect(custos("measure", "list").includes(`"id":"${waiting}"`), `${waiting} is not in the register`);
    await page.screenshot({ path: join(shots, "inbox-approver.png"), fullPage: true });
  });
  await axe("inbox-approver");
  await page.goto(`${base}/#measure/${waiting}`);
  await page.locator("#action-form").waitFor();
  await axe("measure-approver");
  await keyboard("measure-approver");

  await signIn("COMR");
  // the intercepts the gate provisioned under the authorised measure's token (browser.sh), as its page shows them
  await page.goto(`${base}/#measure/${authorised}`);
  await page.locator("#intercepts tr[data-liid=LIVE1]").waitFor();
  await check("measure-intercepts", async () => {
    const row = await page.locator("#intercepts tr[data-liid=LIVE1]").innerText();
    const rec = await apiGet("COMR", `/v1/measures/${authorised}/intercepts`);
    expect(rec.length === 1 && rec[0].state === "provisioned", `the API: ${JSON.stringify(rec).slice(0, 200)}`);
    expect(row.includes("ipintercept") && row.includes("provisioned") && row.includes(`${authorised}.1`), `the row: ${row}`);
    await page.screenshot({ path: join(shots, "measure-intercepts.png"), fullPage: true });
  });
  await axe("measure-intercepts");
  const first = register()[0];
  await page.goto(`${base}/#measure/${first.id}`);
  await page.locator("#measure-body .facts").waitFor();
  await axe("measure");
  const live = register().find((m) => ["pending", "authorised", "suspended"].includes(m.state));
  await page.goto(`${base}/#measure/${live.id}`);
  await page.locator("#stop-form").waitFor();
  await keyboard("measure-overseer");
  await page.fill("#stop-reason", "a check of the page");
  await page.click("#stop-submit");
  await page.locator("#stop-confirm-box:not([hidden])").waitFor();
  await axe("measure-revoke-confirm");
  await page.click("#stop-cancel");
  await page.goto(`${base}/#inbox`);
  await page.locator("#seen-table").waitFor();
  await axe("inbox-overseer");

  // ---- the overseer's overview --------------------------------------------------------------------------------------
  const listed = register();
  await page.goto(`${base}/#oversight`);
  await page.locator("#oversight-total").waitFor();
  await page.locator("#oversight-openli").waitFor();
  await check("oversight-openli-audit", async () => {
    const a = await apiGet("COMR", "/v1/openli/audit");
    const rows = await page.locator("#openli-findings tbody tr").allInnerTexts();
    expect(a.count === 1 && a.findings[0].liid === "ROGUE1", `the API: ${JSON.stringify(a).slice(0, 200)}`);
    expect(rows.length === a.count && rows[0].includes("ROGUE1") && rows[0].includes("no authorisation"), `the rows: ${rows}`);
  });
  await page.screenshot({ path: join(shots, "oversight.png"), fullPage: true });
  const o = await apiGet("COMR", "/v1/oversight");
  await check("oversight-api-matches-register", async () => {
    expect(o.total === listed.length, `total ${o.total}, register ${listed.length}`);
    const reg = {}, api = {};
    for (const m of listed) reg[`${m.filed_at.slice(0, 7)} ${m.outcome}`] = (reg[`${m.filed_at.slice(0, 7)} ${m.outcome}`] || 0) + 1;
    for (const m of o.months) for (const [k, c] of Object.entries(m.outcome)) api[`${m.month} ${k}`] = c.count;
    expect(same(Object.entries(reg).sort(), Object.entries(api).sort()), `api ${JSON.stringify(api)} register ${JSON.stringify(reg)}`);
    for (const state of ["revoked", "suspended", "refused", "forbidden"]) {
      const reg = listed.filter((m) => m.state === state).map((m) => m.id).sort();
      const got = ((o.states[state] || {}).measures || []).sort();
      expect(same(reg, got), `${state}: api ${got} register ${reg}`);
    }
    expect(((o.states.suspended || {}).measures || []).includes(authorised), "the import's suspension is not counted");
    // each service month by month: its filings are the register's, every month of the span there
    for (const s of o.services) {
      const reg = {};
      for (const m of listed.filter((m) => m.requested_by === s.service)) (reg[m.filed_at.slice(0, 7)] ||= []).push(m.id);
      const api = Object.fromEntries(s.months.filter((m) => m.count).map((m) => [m.month, m.measures]));
      expect(same(Object.entries(reg).sort(), Object.entries(api).sort()), `${s.service}: api ${JSON.stringify(api)} register ${JSON.stringify(reg)}`);
    }
    expect(same(o.services.map((s) => s.service).sort(), [...new Set(listed.map((m) => m.requested_by))].sort()), "services");
    const vsse = o.services.find((s) => s.service === "vsse");
    expect(vsse.months.length >= 4 && vsse.jumps.some((j) => j.kind === "interception" && j.count === 4 && j.before === 1), `vsse's jump: ${JSON.stringify(vsse.jumps)}`);
  });
  await check("oversight-page-matches-api", async () => {
    expect((await page.locator("#oversight-total").innerText()).startsWith(`${o.total} measures`), "total");
    const table = (caption) =>
      page.evaluate((caption) => {
        const t = [...document.querySelectorAll("#oversight-body table")].find((x) => x.caption.textContent === caption);
        const heads = [...t.tHead.rows[0].cells].slice(1).map((c) => c.textContent);
        const out = {};
        for (const row of t.tBodies[0].rows)
          [...row.cells].slice(1).forEach((c, i) => c.textContent !== "0" && (out[`${row.cells[0].textContent} ${heads[i]}`] = Number(c.textContent)));
        return out;
      }, caption);
    for (const [caption, f] of [["Measures per month by outcome", "outcome"], ["Measures per month by requesting service", "service"]]) {
      const shownCounts = await table(caption);
      const api = {};
      for (const m of o.months) {
        for (const [k, c] of Object.entries(m[f])) api[`${m.month} ${k}`] = c.count;
        api[`${m.month} Total`] = Object.values(m[f]).reduce((s, c) => s + c.count, 0);
      }
      expect(same(Object.entries(shownCounts).sort(), Object.entries(api).sort()), `${caption}: page ${JSON.stringify(shownCounts)} api ${JSON.stringify(api)}`);
    }
    const rows = async (id) => page.locator(`#${id} tr`).evaluateAll((xs) => xs.map((x) => [x.dataset.role, x.cells[1].textContent, x.cells[2].querySelector("a").getAttribute("href"), x.cells[3].querySelector("a").getAttribute("href")]));
    expect(same(await rows("oversight-waits"), o.waits.map((w) => [w.role, String(w.count), `#measure/${w.median_measure}`, `#measure/${w.worst_measure}`])), "the waits given");
    expect(same(await rows("oversight-waiting"), o.waiting.map((w) => [w.role, String(w.count), `#measure/${w.median_measure}`, `#measure/${w.oldest_measure}`])), "the waits still open");
    expect((await page.locator("#oversight-body svg[role=img]").count()) >= 3 + o.services.length, "a chart is missing");
  });
  await check("oversight-service-habits", async () => {
    // each service's series: its chart and its table, the jump months marked in both, the same months as the API
    for (const s of o.services) {
      const block = page.locator(`.series-block[data-service="${s.service}"]`);
      const tableRows = await block.locator("tbody tr").evaluateAll((xs) => xs.map((x) => [x.dataset.month, x.cells[1].textContent, x.classList.contains("jumped")]));
      const jumped = new Set(s.jumps.map((j) => j.month));
      expect(same(tableRows, s.months.map((m) => [m.month, String(m.count), jumped.has(m.month)])), `${s.service}: table ${JSON.stringify(tableRows)}`);
      const bars = await block.locator("svg rect[data-month]").evaluateAll((xs) => xs.map((x) => [x.dataset.month, x.dataset.jump === "true"]));
      expect(same(bars, s.months.filter((m) => m.count).map((m) => [m.month, jumped.has(m.month)])), `${s.service}: chart ${JSON.stringify(bars)}`);
      for (const j of s.jumps)
        expect((await block.locator(`tr[data-month="${j.month}"] .jump-word`).allInnerTexts()).some((t) => t.includes(j.kind)), `${s.service} ${j.month}: the jump is not named`);
    }
    await page.locator(".series-block").first().screenshot({ path: join(shots, "oversight-habits.png") });
  });
  await check("oversight-number-opens-measures", async () => {
    const first = o.months[0], [k, c] = Object.entries(first.outcome)[0];
    // by keyboard: focus the number and press Enter
    await page.locator(`a.count[aria-label^="${c.count}: ${first.month}, ${k} "]`).focus();
    await page.keyboard.press("Enter");
    await page.locator("#oversight-behind li").first().waitFor();
    const ids = await page.locator("#oversight-behind li a").allInnerTexts();
    expect(same(ids, c.measures), `shown ${ids}, api ${c.measures}`);
    expect(await page.evaluate(() => document.activeElement.id === "behind-h"), "the list's heading has not the focus");
    // at a glance: the register's whole, each state, what waits
    await page.locator("#oversight-glance a.count").first().click();
    await page.waitForFunction((n) => document.querySelectorAll("#oversight-behind li").length === n, listed.length);
    expect(same(await page.locator("#oversight-behind li a").allInnerTexts(), listed.map((m) => m.id)), "the total's measures");
    // a jump month in a service's table opens that month's filings
    const s = o.services.find((x) => x.jumps.length), j = s.jumps[0], m = s.months.find((x) => x.month === j.month);
    await page.locator(`.series-block[data-service="${s.service}"] tr[data-month="${j.month}"] td a.count`).first().click();
    await page.waitForFunction((n) => document.querySelectorAll("#oversight-behind li").length === n, m.count);
    expect(same(await page.locator("#oversight-behind li a").allInnerTexts(), m.measures), "the jump month's measures");
  });
  await axe("oversight");
  await keyboard("oversight");
  await check("oversight-chart-contrast", async () => {
    const colours = await page.evaluate(() => ({
      fills: [...new Set([...document.querySelectorAll("#oversight-body svg rect[fill]")].map((r) => r.getAttribute("fill")))],
      texts: [...new Set([...document.querySelectorAll("#oversight-body svg text")].map((t) => getComputedStyle(t).fill))],
    }));
    const low = colours.fills.filter((c) => contrast(c, "#ffffff") < 3).concat(colours.texts.filter((c) => contrast(c, "#ffffff") < 4.5));
    expect(colours.fills.length > 2 && low.length === 0, `colours below contrast on white: ${low}`);
  });
  await check("nav-keyboard", async () => {
    await page.goto(`${base}/#inbox`);
    await page.locator("#inbox-list h3").first().waitFor();
    await page.locator("nav a[data-view=oversight]").focus();
    await page.keyboard.press("Enter");
    await page.locator("#oversight-total").waitFor();
    expect(await page.evaluate(() => document.activeElement.id === "oversight-h"), "the view's heading has not the focus");
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
