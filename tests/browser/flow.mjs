// flow.mjs — drives the custos web page in chromium (playwright-core): file S5, approve it twice, extend and revoke it, prove a log entry.
// node flow.mjs BASE_URL KEY_DIR MEASURE_JSON SHOT_DIR CHROMIUM PROFILE_DIR NPM_DIR [DEMO_URL DEMO_KEY_DIR]; prints
// "ok   browser/NAME" or "FAIL browser/NAME: why" per check and exits non-zero if any failed. With DEMO_URL, a
// newcomer's path too: `custos demo`'s page, its key files, S5' in FA's inbox, approved by FA and the service head, and
// the demo's registry update previewed by its registrar (suspending S5'), then cancelled.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [base, keyDir, measureFile, shots, chromiumPath, profile, npmDir, demoBase, demoKeys] = process.argv.slice(2);
const root = new URL("../..", import.meta.url).pathname;
const { chromium } = createRequire(join(npmDir, "node_modules") + "/")("playwright-core");

let failed = 0;
function ok(name) {
  console.log(`ok   browser/${name}`);
}
function bad(name, why) {
  console.log(`FAIL browser/${name}: ${String(why).split("\n")[0]}`);
  failed++;
}
/* Runs one check; a failure stops the flow (later steps depend on it) unless soft. */
async function check(name, fn, soft = false) {
  try {
    await fn();
    ok(name);
    return true;
  } catch (e) {
    bad(name, e && e.message ? e.message : e);
    if (!soft) throw new Error("stop");
    return false;
  }
}
function expect(cond, why) {
  if (!cond) throw new Error(why);
}

const key = (id) => readFileSync(join(keyDir, `${id}.key`), "utf8");
const T = 10000; // ms to wait for any one thing on the page

mkdirSync(profile, { recursive: true });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
// The page's clock runs at custos' clock: browser.sh passes the shift of $CUSTOS_NOW (0 for the system clock).
// Installed on every run, so the run a year ahead takes the same path as today's.
await context.clock.install({ time: Date.now() + Number(process.env.CLOCK_SHIFT_SECONDS || 0) * 1000 });
const page = context.pages()[0] || (await context.newPage());
page.setDefaultTimeout(T);
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
// refused requests are expected (401, 404); anything else logged as an error is not
page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));

async function signIn(id, p = page, at = base, keys = keyDir) {
  const out = p.locator("#who button", { hasText: "Sign out" });
  if (await out.count()) {
    await out.click();
    await p.locator("#who", { hasText: "Not signed in" }).waitFor();
  }
  await p.goto(`${at}/#signin`);
  await p.setInputFiles("#keyfile", join(keys, `${id}.key`));
  await p.locator("#who .who-detail", { hasText: ` ${id} ` }).waitFor();
  expect(!(await p.locator("#keyfile").isVisible()), "the sign-in panel is still shown");
}

/* Files the measure through the API, signed with the requester's key by the page's own crypto.js; its decision. */
async function fileMeasure(requester, measureText = readFileSync(measureFile, "utf8")) {
  const r = await page.evaluate(
    async ({ keyText, body }) => {
      const c = await import("/web/crypto.js");
      const k = await c.loadKeyFile(keyText);
      const h = await c.signRequest(k, "POST", location.host, "/v1/measures", body);
      const res = await fetch("/v1/measures", {
        method: "POST",
        headers: { ...h, "Content-Type": "application/json" },
        body,
      });
      return { status: res.status, text: await res.text() };
    },
    { keyText: key(requester), body: measureText },
  );
  expect(r.status === 201, `POST /v1/measures: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

async function approve(role) {
  await page.locator("#action-form").waitFor({ timeout: T });
  await page.selectOption("#action-role", role);
  await page.check("#action-choices input[value=approve]");
  await page.click("#action-submit");
  const state = page.locator(`tr[data-role="${role}"] .approval-state`);
  await page.waitForFunction(
    (r) => document.querySelector(`tr[data-role="${r}"] .approval-state`)?.textContent === "Approved",
    role,
    { timeout: T },
  );
  expect((await state.innerText()) === "Approved", `${role}: ${await state.innerText()}`);
}

const stateText = () => page.locator(".facts dd").first().innerText();
/* A signed API call as principal keyId, made by the page's own crypto.js: {status, json}. */
async function apiAs(keyId, method, path) {
  return page.evaluate(
    async ({ keyText, method, path }) => {
      const c = await import("/web/crypto.js");
      const k = await c.loadKeyFile(keyText);
      const res = await fetch(path, { method, headers: await c.signRequest(k, method, location.host, path), cache: "no-store" });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, json, text };
    },
    { keyText: key(keyId), method, path },
  );
}
/* The measure as the API stores it, read by comite_r (which reads every measure). */
async function stored(mid) {
  const r = await apiAs("COMR", "GET", `/v1/measures/${mid}`);
  expect(r.status === 200, `GET /v1/measures/${mid}: ${r.status} ${r.text}`);
  return r.json;
}
const stopChoices = () =>
  page.locator("#stop-choices input[name=stop-action]").evaluateAll((xs) => xs.map((x) => x.value).join(","));
/* Waits for the page to say what became of a statement from the stop panel; a shown error fails the check with its text. */
async function stopOutcome() {
  await page.locator("#recorded, #stop-status .error").first().waitFor();
  const err = page.locator("#stop-status .error");
  if (await err.count()) throw new Error(`the page shows: ${await err.innerText()}`);
}
const list2 = (x) => x.actions.map((a) => `${a.action}:${a.role}`).join(",");
function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
let id = null;

try {
  await check("page-served", async () => {
    const res = await page.goto(`${base}/`);
    expect(res.status() === 200, `GET / answered ${res.status()}`);
    expect((res.headers()["content-type"] || "").startsWith("text/html"), "GET / is not text/html");
    await page.locator("header .name").waitFor({ timeout: T });
    expect((await page.locator("header .name").innerText()) === "custos", "no custos header");
    await page.locator("#keyfile").waitFor({ timeout: T });
    await page.screenshot({ path: join(shots, "signin.png") });
  });

  // Who may stop or extend what, and what the page agrees to sign, against the states the flow below does not reach
  await check("stop-actions-rules", async () => {
    const r = await page.evaluate(async () => {
      const { stopActions, statementMismatch } = await import("/web/app.js");
      const me = (authority, ...roles) => ({ id: "X", authority, roles });
      const rec = (state, life = {}) => ({ state, life: { requested_by: "vsse", window: { from: "2026-12-01", to: "2026-12-31" }, ...life } });
      const list = (x) => x.actions.map((a) => `${a.action}:${a.role}`).join(",");
      const text = "custos-statement/v1\naction end\nmeasure M-1\nround 1\ndecision sha256:00\nrole requester\nprincipal X\ntime T\n";
      return {
        active: list(stopActions(rec("active"), me("vsse", "requester", "service_head"))),
        head: list(stopActions(rec("authorised"), me("vsse", "service_head"))),
        other: list(stopActions(rec("active"), me("sgrs", "requester"))),
        expired: list(stopActions(rec("expired"), me("vsse", "requester"))) + list(stopActions(rec("expired"), me("comite_r", "comite_r"))),
        suspended: list(stopActions(rec("suspended", { round_open: true }), me("vsse", "requester"))),
        waiting: stopActions(rec("active", { round_open: true, round: 2, round_kind: "extension" }), me("vsse", "requester")),
        closed: ["revoked", "ended", "refused", "forbidden"].map((st) => list(stopActions(rec(st), me("comite_r", "comite_r")))).join(""),
        approver: list(stopActions(rec("active"), me("fps_foreign_affairs", "foreign_affairs"))),
        exact: statementMismatch(text, { action: "end", measure: "M-1", role: "requester", principal: "X", reason: "", until: "" }),
        addedReason: statementMismatch(text + "reason not mine\n", { action: "end", reason: "" }),
        addedUntil: statementMismatch(text + "until 2027-01-31\n", { action: "end", until: undefined }),
        otherUntil: statementMismatch(text + "until 2027-01-30\n", { until: "2027-01-31" }),
      };
    });
    expect(r.active === "end:requester,extend:requester", `active, requester: ${r.active}`);
    expect(r.head === "end:service_head,extend:service_head", `authorised, service_head: ${r.head}`);
    expect(r.other === "", `another authority: ${r.other}`);
    expect(r.expired === "", `expired: ${r.expired}`);
    expect(r.suspended === "end:requester", `suspended: ${r.suspended}`);
    expect(list2(r.waiting) === "end:requester" && r.waiting.notes.length === 1, `a round open: ${JSON.stringify(r.waiting)}`);
    expect(r.closed === "", `closed: ${r.closed}`);
    expect(r.approver === "", `an approver: ${r.approver}`);
    expect(r.exact === null, `the statement asked for: ${r.exact}`);
    expect(r.addedReason && r.addedUntil && r.otherUntil, `signed what was not asked: ${JSON.stringify(r)}`);
  }, true);

  // File S5 through the API, signed (RFC 9421) with the requester's key by the page's own signing code.
  await check("file-s5-via-api", async () => {
    const d = await fileMeasure("REQ-VSSE");
    expect(d.outcome === "needs_approval", `S5 outcome ${d.outcome}`);
    id = d.id;
  });

  await check("unsigned-request-refused", async () => {
    const r = await page.evaluate(async () => (await fetch("/v1/me")).status);
    expect(r === 401, `GET /v1/me without a signature answered ${r}`);
  }, true);

  await check("signin-foreign-affairs", () => signIn("FA"));

  // Ed25519 signs alike what is alike: the same request twice in one second must still pass (a nonce), and a
  // signature sent again must not (the server's replay cache)
  await check("same-request-twice", async () => {
    const r = await page.evaluate(async (keyText) => {
      const c = await import("/web/crypto.js");
      const k = await c.loadKeyFile(keyText);
      const h1 = await c.signRequest(k, "GET", location.host, "/v1/me");
      const h2 = await c.signRequest(k, "GET", location.host, "/v1/me");
      const a = (await fetch("/v1/me", { headers: h1 })).status;
      const b = (await fetch("/v1/me", { headers: h2 })).status;
      const replay = (await fetch("/v1/me", { headers: h1 })).status;
      const same = h1.Signature === h2.Signature || h1["Signature-Input"] === h2["Signature-Input"];
      return [a, b, replay, same ? "same" : "distinct"];
    }, key("FA"));
    // each signature carries its own nonce; a read changes nothing, so a fresh one sent again is answered
    // (a change sent again is refused: tests/api/auth.sh)
    expect(r.join() === "200,200,200,distinct", `statuses ${r.join()}`);
  }, true);

  await check("inbox-shows-s5", async () => {
    const link = page.locator(`#inbox-list a[href="#measure/${id}"]`);
    await link.first().waitFor({ timeout: T });
    await page.screenshot({ path: join(shots, "inbox.png") });
    await link.first().click();
    await page.locator("#measure-body .facts").waitFor({ timeout: T });
    expect((await stateText()) === "Pending approval", `state: ${await stateText()}`);
    const cite = await page.locator("#measure-body cite").first().innerText();
    expect(cite.length > 0, "no citation shown");
    await page.screenshot({ path: join(shots, "measure.png"), fullPage: true });
  });

  await check("refusal-needs-reason", async () => {
    await page.check("#action-choices input[value=refuse]");
    await page.click("#action-submit");
    await page.locator("#action-status .error").waitFor({ timeout: T });
    expect((await page.locator("#action-status").innerText()).includes("reason"), "no reason asked");
  }, true);

  await check("keyboard-reaches-decision", async () => {
    // from the measure's heading, Tab reaches the submit button, and the focus is drawn
    await page.focus("#measure-title");
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.id === "action-submit");
    }
    expect(reached, "Tab never reached the submit button");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    expect(outline !== "none", `focus outline: ${outline}`);
  }, true);

  await check("approve-foreign-affairs", async () => {
    await approve("foreign_affairs");
    expect((await stateText()) === "Pending approval", `state after one approval: ${await stateText()}`);
    const signed = await page.locator("#signed-statement").textContent();
    expect(/^custos-statement\/v1\naction approve\nmeasure /.test(signed) && signed.includes("\n\n\u2014 FA "), `statement: ${signed}`);
    await page.screenshot({ path: join(shots, "approved-foreign-affairs.png"), fullPage: true });
  });

  // An asserted fact (a waiver for one diplomat) is shown beside the approve button in plain words, and the
  // approval's signed statement confirms exactly it.
  await check("assertion-beside-approve", async () => {
    const m = {
      kind: "data_transfer", framework: "intelligence", requested_by: "vsse", requesting_state: "FR",
      targets: ["tel:+32470555201"], period: { from: "2026-12-01", to: "2026-12-31" }, grounds: "g",
      waiver: [{ party: "P-MR-1", sending_state: "MR", reference: "Note verbale MR 2026/114" }],
    };
    const d = await fileMeasure("REQ-VSSE", JSON.stringify(m));
    expect(d.outcome === "needs_approval" && d.assertions?.[0]?.flag === "waiver", `decision: ${JSON.stringify(d)}`);
    await page.goto(`${base}/#measure/${d.id}`);
    await page.locator("#action-form").waitFor({ timeout: T });
    await page.selectOption("#action-role", "foreign_affairs");
    const facts = await page.locator("#action-assertions").innerText();
    expect(facts.includes("expressly waived") && facts.includes("Note verbale MR 2026/114"), `beside the button: ${facts}`);
    await page.screenshot({ path: join(shots, "assertion.png"), fullPage: true });
    await approve("foreign_affairs");
    const signed = await page.locator("#signed-statement").textContent();
    expect(signed.includes("\nconfirm waiver P-MR-1 Note verbale MR 2026/114\n"), `statement: ${signed}`);
    const listed = await page.locator("#measure-body .assertions").first().innerText();
    expect(listed.includes("confirmed"), `the asserted fact after approval: ${listed}`);
  }, true);

  await check("signin-service-head", () => signIn("HEAD-VSSE"));

  await check("approve-service-head-authorises", async () => {
    await page.goto(`${base}/#measure/${id}`);
    await approve("service_head");
    await page.waitForFunction(() => document.querySelector(".facts dd")?.textContent === "Authorised", null, {
      timeout: T,
    });
    const token = page.locator("button[data-token]").first();
    await token.click();
    await page.locator(".token .verdict").waitFor();
    const verdict = await page.locator(".token .verdict").innerText();
    expect(verdict.startsWith("Signature verified"), `token: ${verdict}`);
    expect((await page.locator(".token pre").innerText()).startsWith("custos-authorization/v1"), "no token text");
    await page.screenshot({ path: join(shots, "authorised.png"), fullPage: true });
  });

  await check("acknowledge-comite-r", async () => {
    // comite_r is only informed: it acknowledges, which is signed and logged like an approval
    await signIn("COMR");
    await page.goto(`${base}/#measure/${id}`);
    await page.locator("#action-form").waitFor();
    expect((await page.locator("#action-choices input").count()) === 1, "more than one choice for a notified role");
    await page.check("#action-choices input[value=acknowledge]");
    await page.click("#action-submit");
    await page.waitForFunction(
      () => document.querySelector('tr[data-role="comite_r"] .approval-state')?.textContent === "Acknowledged",
    );
    expect((await stateText()) === "Authorised", `state: ${await stateText()}`);
    await signIn("HEAD-VSSE");
  }, true);

  // A second S5: service_head opens it, foreign_affairs refuses it in another tab, then service_head's approval
  // (on a page that still offers it) is refused by the server, and the page shows the server's error as written.
  let id2 = null;
  const other = await context.newPage();
  other.setDefaultTimeout(T);
  await check("refuse-foreign-affairs", async () => {
    id2 = (await fileMeasure("REQ-VSSE")).id;
    await page.goto(`${base}/#measure/${id2}`);
    await page.locator("#action-form").waitFor();
    await signIn("FA", other);
    await other.goto(`${base}/#measure/${id2}`);
    await other.locator("#action-form").waitFor();
    // a server that writes another statement than the one asked for gets nothing signed
    const pattern = `**/v1/measures/${id2}/statement?*`;
    await other.route(pattern, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: (await res.text()).replace("action approve", "action refuse") });
    });
    await other.click("#action-submit");
    await other.locator("#action-status .error", { hasText: "Nothing was signed" }).waitFor();
    await other.unroute(pattern);
    expect((await other.locator(".facts dd").first().innerText()) === "Pending approval", "state changed");
    await other.check("#action-choices input[value=refuse]");
    await other.fill("#action-reason", "No consultation has taken place with the sending state's mission.");
    await other.click("#action-submit");
    await other.waitForFunction(() => document.querySelector(".facts dd")?.textContent === "Refused");
    const row = await other.locator('tr[data-role="foreign_affairs"]').innerText();
    expect(row.includes("Refused") && row.includes("No consultation"), `row: ${row}`);
    await other.screenshot({ path: join(shots, "refused.png"), fullPage: true });
  });

  await check("server-error-shown-verbatim", async () => {
    await page.selectOption("#action-role", "service_head");
    await page.click("#action-submit");
    const err = page.locator("#action-status .error");
    await err.waitFor();
    const shown = await err.innerText();
    // the same request the page made, answered again: the page shows the error and field as the server wrote them
    const direct = await page.evaluate(
      async ({ keyText, id }) => {
        const c = await import("/web/crypto.js");
        const k = await c.loadKeyFile(keyText);
        // the query chooses what is signed, so the request's signature covers it (@query)
        const target = `/v1/measures/${id}/statement?action=approve&role=service_head`;
        const st = await fetch(target, { headers: await c.signRequest(k, "GET", location.host, target) });
        if (!st.ok) return { status: st.status, body: await st.json() };
        const note = await c.signNote(k, await st.text());
        const res = await fetch("/v1/statements", {
          method: "POST",
          headers: { ...(await c.signRequest(k, "POST", location.host, "/v1/statements", note)), "Content-Type": "text/plain" },
          body: note,
        });
        return { status: res.status, body: await res.json() };
      },
      { keyText: key("HEAD-VSSE"), id: id2 },
    );
    expect(direct.status >= 400 && shown.startsWith(`${direct.status}: ${direct.body.error}`), `shown '${shown}', server ${JSON.stringify(direct)}`);
    await page.screenshot({ path: join(shots, "error.png") });
  }, true);
  await other.close();

  // Stop or extend: the authorised S5 above is extended by its requesting service (a new round waits), an approver
  // sees no such panel, and comite_r revokes it; a third S5 is ended by its requester while it waits.
  let until = null;
  const extended = await check("extend-by-requester", async () => {
    const before = await stored(id);
    expect(before.state === "authorised" && before.life.window, `before: ${before.state}`);
    const windowTo = before.life.window.to;
    until = addDays(windowTo, 31);
    await signIn("REQ-VSSE");
    await page.goto(`${base}/#measure/${id}`);
    await page.locator("#stop-form").waitFor();
    expect((await stopChoices()) === "end,extend", `choices for the requester: ${await stopChoices()}`);
    expect(!(await page.locator("#action-form").count()), "the requester, who filed it, is offered an approval");
    expect((await page.locator("#stop-until").getAttribute("min")) === addDays(windowTo, 1), "no min on the new last day");
    await page.check("#stop-choices input[value=extend]");
    expect(await page.locator("#stop-until").isVisible(), "no date field for extend");
    // the page asks for a day, and one after the window, before anything is signed
    await page.click("#stop-submit");
    await page.locator("#stop-status .error", { hasText: "new last day" }).waitFor();
    await page.fill("#stop-until", windowTo);
    await page.click("#stop-submit");
    await page.locator("#stop-status .error", { hasText: `after ${windowTo}` }).waitFor();
    expect((await stored(id)).life.round === before.life.round, "a round opened on a refused date");
    await page.fill("#stop-until", until);
    await page.fill("#stop-reason", "The service needs another month of the exchange.");
    await page.click("#stop-submit");
    await stopOutcome();
    expect((await page.locator("#recorded").innerText()).includes(`extension to ${until}`), "no notice of the extension");
    const round = await page.locator(".facts dt", { hasText: /^Round$/ }).locator("xpath=following-sibling::dd[1]").innerText();
    expect(round === `${before.life.round + 1} (extension), waiting for approvals`, `round shown: ${round}`);
    expect((await stateText()) === "Authorised", `state: ${await stateText()}`);
    const fa = await page.locator('tr[data-role="foreign_affairs"] .approval-state').innerText();
    expect(fa === "Pending approval", `foreign_affairs in the new round: ${fa}`);
    expect((await page.locator("#signed-statement").textContent()).includes(`\nuntil ${until}\n`), "until not signed");
    const after = await stored(id);
    expect(
      after.life.round === before.life.round + 1 && after.life.round_kind === "extension" && after.life.round_open === true,
      `stored round: ${after.life.round} ${after.life.round_kind} open=${after.life.round_open}`,
    );
    expect(after.life.period.to === until && after.state === "authorised", `stored: ${after.state}, period to ${after.life.period.to}`);
    // the window stays until the extension is approved; a second extension waits for this one
    expect(after.life.window.to === windowTo, `window moved to ${after.life.window.to}`);
    expect((await stopChoices()) === "end", `choices while the extension waits: ${await stopChoices()}`);
    // the page shows the decision this round asks approvals for, the filing's folded below it
    expect(after.round_decision && after.round_decision.outcome === after.life.outcome, `round decision: ${JSON.stringify(after.round_decision)}`);
    const heading = await page.locator("#find-h").innerText();
    expect(heading === `Decision of round ${after.life.round} (extension)`, `findings heading: ${heading}`);
    expect(await page.locator("#find-filing-h").count(), "the filing's decision is not shown");
    await page.screenshot({ path: join(shots, "extension-requested.png"), fullPage: true });
  }, true);

  await check("no-stop-panel-for-foreign-affairs", async () => {
    await signIn("FA");
    await page.goto(`${base}/#measure/${id}`);
    await page.locator("#measure-body .facts").waitFor(); // it signed the measure: it may read it
    if (extended) expect(await page.locator("#action-form").count(), "the extension's round does not ask foreign_affairs");
    expect(!(await page.locator("#stop-form").count()), "foreign_affairs is offered to stop or extend");
    expect(!(await page.locator("#measure-body").innerText()).includes("Stop or extend"), "the panel's title is shown");
    await page.screenshot({ path: join(shots, "no-stop-panel.png"), fullPage: true });
  });

  await check("revoke-comite-r", async () => {
    await signIn("COMR");
    await page.goto(`${base}/#measure/${id}`);
    await page.locator("#stop-form").waitFor();
    expect((await stopChoices()) === "revoke", `choices for comite_r: ${await stopChoices()}`);
    expect(!(await page.locator("#stop-until").isVisible()), "a date field for revoke");
    // a revocation needs a reason (as `custos measure revoke` asks)
    await page.click("#stop-submit");
    await page.locator("#stop-status .error", { hasText: "needs a reason" }).waitFor();
    expect((await page.evaluate(() => document.activeElement?.id)) === "stop-reason", "the reason is not focused");
    await page.fill("#stop-reason", "Disproportionate: the exchange exceeds what the mission's security requires.");
    // the first click only asks; Cancel signs nothing
    await page.click("#stop-submit");
    await page.locator("#stop-confirm-box").waitFor();
    expect((await page.evaluate(() => document.activeElement?.id)) === "stop-confirm", "the confirmation is not focused");
    expect(await page.locator("#stop-reason").isDisabled(), "the reason can change under the confirmation");
    await page.screenshot({ path: join(shots, "revoke-confirm.png"), fullPage: true });
    await page.click("#stop-cancel");
    await page.locator("#stop-status", { hasText: "nothing was signed" }).waitFor();
    expect((await stored(id)).state === "authorised", "cancelled, yet the state changed");
    await page.click("#stop-submit");
    await page.click("#stop-confirm");
    await stopOutcome();
    await page.waitForFunction(() => document.querySelector(".facts dd")?.textContent === "Revoked");
    expect((await page.locator("#recorded").innerText()).includes("revoked"), "no notice of the revocation");
    expect(!(await page.locator("#stop-form").count()), "a revoked measure is still offered to stop");
    expect(!(await page.locator("#action-form").count()), "a revoked measure still asks for a decision");
    expect((await page.locator(".timeline").innerText()).includes("revoked — Disproportionate"), "the timeline lacks the revocation");
    const after = await stored(id);
    expect(after.state === "revoked" && after.life.round_open === false, `stored: ${after.state} open=${after.life.round_open}`);
    // the extension's approvals that never came are not "pending" any more
    const fa = await page.locator('tr[data-role="foreign_affairs"] .approval-state').innerText();
    expect(fa === "Not given (round closed)", `foreign_affairs after the revocation: ${fa}`);
    const revs = await (await fetch(`${base}/revocations`)).text();
    expect(revs.includes(`\nrevoked ${id}.1\n`), `revocation list: ${revs}`);
    await page.screenshot({ path: join(shots, "revoked.png"), fullPage: true });
  });

  await check("end-by-requester", async () => {
    const id3 = (await fileMeasure("REQ-VSSE")).id;
    await signIn("REQ-VSSE");
    await page.goto(`${base}/#measure/${id3}`);
    await page.locator("#stop-form").waitFor();
    // pending: it can be withdrawn, not extended
    expect((await stopChoices()) === "end", `choices while pending: ${await stopChoices()}`);
    await page.click("#stop-submit");
    await page.locator("#stop-confirm-box").waitFor();
    await page.click("#stop-confirm");
    await stopOutcome();
    await page.waitForFunction(() => document.querySelector(".facts dd")?.textContent === "Ended");
    const after = await stored(id3);
    expect(after.state === "ended", `stored: ${after.state}`);
    await page.screenshot({ path: join(shots, "ended.png"), fullPage: true });
  }, true);
} catch (e) {
  if (e.message !== "stop") bad("flow", e.stack || e.message);
  await page.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
}

// The audit page needs no key: it runs whatever happened above.
try {
  await check("audit-proves-inclusion", async () => {
    // from a measure's timeline when the flow above got there, else the newest entry by number
    const link = page.locator(".timeline li a").last();
    let n;
    if (page.url().includes("#measure/") && (await link.count())) {
      n = (await link.getAttribute("href")).split("/")[1];
      await link.click();
    } else {
      const health = await (await fetch(`${base}/healthz`)).json();
      n = String(health.log_size - 1);
      await page.goto(`${base}/#audit`);
      await page.fill("#audit-index", n);
      await page.click("#audit-form button[type=submit]");
    }
    await page.waitForFunction(
      () => /^(Proven|Not proven)/.test(document.querySelector("#audit-verdict")?.textContent || ""),
      null,
      { timeout: T },
    );
    const verdict = await page.locator("#audit-verdict").innerText();
    expect(verdict.startsWith(`Proven: entry ${n} `), `entry ${n}: ${verdict}`);
    await page.screenshot({ path: join(shots, "audit.png"), fullPage: true });
  }, true);

  await check("audit-rejects-bad-proof", async () => {
    // the same proof against a different leaf, and an entry beyond the signed tree, must not verify
    const r = await page.evaluate(async () => {
      const c = await import("/web/crypto.js");
      const cp = c.parseCheckpoint(await c.verifyNote(await (await fetch("/v1/log/checkpoint")).text(),
        (await (await fetch("/v1/log/vkey")).text()).trim()));
      const leaf = new Uint8Array(await (await fetch("/v1/log/entries/1")).arrayBuffer());
      const pr = await (await fetch(`/v1/log/proofs/inclusion/1?size=${cp.size}`)).json();
      const path = pr.hashes.map(c.b64decode);
      const good = await c.verifyInclusion(1, cp.size, await c.leafHash(leaf), path, cp.root);
      const other = await c.verifyInclusion(1, cp.size, await c.leafHash(new Uint8Array([...leaf, 0])), path, cp.root);
      const moved = await c.verifyInclusion(0, cp.size, await c.leafHash(leaf), path, cp.root);
      let forged = "verified";
      try {
        await c.verifyNote((await (await fetch("/v1/log/checkpoint")).text()).replace(/\n\d+\n/, "\n999999\n"),
          (await (await fetch("/v1/log/vkey")).text()).trim());
      } catch (e) {
        forged = e.message;
      }
      return { good, other, moved, forged };
    });
    expect(r.good && !r.other && !r.moved, JSON.stringify(r));
    expect(r.forged.includes("does not verify"), `edited checkpoint: ${r.forged}`);
  }, true);

  await check("registry-search", async () => {
    await page.goto(`${base}/#registry`);
    await page.fill("#registry-q", "mailto:ambassador@mr-embassy.example");
    await page.click("#registry-form button[type=submit]");
    await page.locator("#registry-results table").waitFor({ timeout: T });
    const text = await page.locator("#registry-results tbody").innerText();
    expect(text.includes("P-MR-1") && text.includes("diplomatic_agent"), `results: ${text}`);
    await page.screenshot({ path: join(shots, "registry.png"), fullPage: true });
  }, true);

} catch (e) {
  if (e.message !== "stop") bad("flow", e.stack || e.message);
  try {
    await page.screenshot({ path: join(shots, "failure.png"), fullPage: true });
  } catch {
    /* the page is gone */
  }
}

// The newcomer's path: the demo's page, the demo's key files, S5 waiting for foreign_affairs.
if (demoBase) {
  try {
    await check("demo-approve-s5", async () => {
      await signIn("FA", page, demoBase, demoKeys);
      const link = page.locator("#inbox-list a").first();
      await link.waitFor();
      await page.screenshot({ path: join(shots, "demo-inbox.png") });
      await link.click();
      await page.locator("#measure-body .facts").waitFor();
      expect((await page.locator("#measure-body").innerText()).includes("intelligence_exchange"), "not S5");
      await approve("foreign_affairs");
      await page.screenshot({ path: join(shots, "demo-approved.png"), fullPage: true });
    }, true);
    // then its service head, and the demo's registrar tries the demo's registry update: it would suspend S5'
    await check("demo-registrar-previews-update", async () => {
      const s5 = new URL(page.url()).hash.split("/")[1];
      await signIn("HEAD-VSSE", page, demoBase, demoKeys);
      await page.goto(`${demoBase}/#measure/${s5}`);
      await approve("service_head");
      const live = ["Authorised", "Active"].includes(await stateText());
      await signIn("REG", page, demoBase, demoKeys);
      await page.setInputFiles("#import-file", join(root, "demo/registry-update.jsonl"));
      await page.locator("#import-confirm").waitFor();
      expect((await page.locator("#import-added").innerText()).includes("P-MR-3"), "P-MR-3 is not shown added");
      expect((await page.locator("#import-changed").innerText()).includes("M-MR"), "M-MR is not shown changed");
      // on the demo's own dates (a clock moved past them leaves S5' expired, and nothing to suspend)
      const suspended = await page.locator("#import-suspended").innerText();
      expect(suspended.includes(s5) === live, `S5' (${s5}, ${live ? "live" : "not live"}): ${suspended}`);
      await page.screenshot({ path: join(shots, "demo-registry-preview.png"), fullPage: true });
      await page.click("#import-cancel");
      await page.locator("#import-status", { hasText: "Cancelled" }).waitFor();
    }, true);
  } catch {
    /* reported */
  }
}
await check("no-page-errors", () => expect(errors.length === 0, errors.join(" | ")), true);
await context.close();
process.exit(failed ? 1 : 0);
