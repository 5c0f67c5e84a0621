// app.js — the custos web page: sign in with a key file, the inbox and the measures one may see, a measure, its approval,
// its revocation, end or extension, registry search, audit; the other roles' views are hooked from its router.
import {
  b64decode,
  hex,
  leafHash,
  loadKeyFile,
  parseCheckpoint,
  signNote,
  signRequest,
  verifyInclusion,
  verifyNote,
} from "./crypto.js";
import { renderFileForm } from "./file.js";
import { renderOversight, renderAudit } from "./oversight.js";
import { renderRegistryImport } from "./registry-import.js";

// The signed-in principal: the key (a non-extractable CryptoKey) and who the server says it is. Memory only.
const session = { key: null, me: null, current: null }; // current: the measure record on show

const $ = (sel) => document.querySelector(sel);

/* Creates an element with attributes and children (strings become text: nothing is parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

// Words for the states and outcomes (shown as text, with a marker class for a restrained colour cue).
const WORDS = {
  forbidden: "Forbidden",
  pending: "Pending approval",
  refused: "Refused",
  authorised: "Authorised",
  active: "Active",
  extended: "Extended",
  expired: "Expired",
  suspended: "Suspended",
  revoked: "Revoked",
  ended: "Ended",
  needs_approval: "Needs approval",
  permitted: "Permitted",
  approved: "Approved",
  acknowledged: "Acknowledged",
  informed: "To be informed",
  former: "Former",
  future: "Not yet valid",
  grace: "Within the 30-day grace",
};

function badge(word, text) {
  return el("span", { class: `badge badge-${word}` }, text || WORDS[word] || word || "—");
}

/* An approval's state in words: a role that is only informed acknowledges, it does not approve. */
function approvalBadge(a, open = true) {
  // an approval a closed round still lists (forbidden, refused, revoked, ended) will not be asked again;
  // an acknowledgement may still come after the round
  if (a.state === "pending" && a.kind !== "notify" && !open) return badge("closed", "Not given (round closed)");
  if (a.kind === "notify" && a.state === "pending") return badge("pending", "Awaiting acknowledgement");
  return badge(a.state);
}

/* Is this path one that needs no signature (the register's public read paths)? */
function isPublic(path) {
  return path.startsWith("/v1/log/") || !path.startsWith("/v1/");
}

/*
 * One API call. Signs it (RFC 9421) with the signed-in key unless the path is
 * public. Answers {status, ok, json, text}; a JSON error answer stays as the
 * server wrote it so that the page can show it verbatim.
 */
export async function api(method, path, { query, body, type } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = type || "application/json";
  const qs = query ? "?" + new URLSearchParams(query).toString() : "";
  if (!isPublic(path)) {
    if (!session.key) throw new Error("Sign in with your key file first.");
    Object.assign(headers, await signRequest(session.key, method, location.host, path + qs, body));
  }
  const res = await fetch(path + qs, { method, headers, body, cache: "no-store" });
  const text = await res.text();
  let json = null;
  if ((res.headers.get("Content-Type") || "").startsWith("application/json")) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return { status: res.status, ok: res.ok, json, text };
}

/* The message of a failed answer, as the server wrote it. */
function failure(r) {
  if (r.json && r.json.error)
    return `${r.status}: ${r.json.error}${r.json.field ? ` (field: ${r.json.field})` : ""}`;
  return `${r.status}: ${r.text || "no answer"}`;
}

function showError(where, message) {
  where.replaceChildren(el("p", { class: "error", role: "alert" }, message));
}

// ---- views and navigation ---------------------------------------------------------------------------

const VIEWS = ["signin", "inbox", "measure", "registry", "audit", "oversight", "file"];

let current = null;

/* Shows one view; when the view changes, its heading takes the focus (keyboard and screen-reader users start there). */
function show(view) {
  for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
  if (current !== null && current !== view) focusHeading(view);
  current = view;
  for (const a of document.querySelectorAll("nav a"))
    a.setAttribute("aria-current", a.dataset.view === view ? "page" : "false");
}

/* Reads location.hash: #inbox, #measure/ID, #registry, #audit[/N]. The audit needs no key. */
async function route() {
  const [view, arg] = decodeURIComponent(location.hash.slice(1)).split("/");
  if (view === "audit") {
    show("audit");
    if (arg !== undefined && arg !== "") {
      $("#audit-index").value = arg;
      await prove(Number(arg));
    }
    return;
  }
  if (!session.key) {
    show("signin");
    return;
  }
  if (view === "measure" && arg) {
    show("measure");
    await openMeasure(arg);
  } else if (view === "registry") {
    show("registry");
    const imp = $("#registry-import-box");
    if ((session.me.roles || []).includes("registrar")) {
      if (!imp.firstChild) renderRegistryImport(imp, { api, el, failure });
    } else imp.replaceChildren();
  } else if (view === "file") {
    show("file");
    renderFileForm($("#file-body"), { api, el, me: session.me, failure, badge });
  } else if (view === "oversight") {
    show("oversight");
    await loadOversight();
  } else {
    show("inbox");
    await loadInbox();
  }
}

function focusHeading(view) {
  const h = $(`#view-${view} h2`);
  if (h) h.focus();
}

// ---- sign in ------------------------------------------------------------------------------------------

async function signIn(file) {
  const out = $("#signin-status");
  out.textContent = "Reading the key…";
  try {
    const key = await loadKeyFile(await file.text());
    session.key = key;
    const r = await api("GET", "/v1/me");
    if (!r.ok) {
      session.key = null;
      showError(out, `The server does not accept this key. ${failure(r)}`);
      return;
    }
    session.me = r.json;
    $("#keyfile").value = "";
    out.textContent = "";
    renderWho();
    // a registrar's work is the registry; everyone else starts from the inbox
    const home = (session.me.roles || []).every((r) => r === "registrar") ? "#registry" : "#inbox";
    if (!location.hash || location.hash === "#signin") location.hash = home;
    else await route();
  } catch (e) {
    session.key = null;
    showError(out, e.message);
  }
}

function signOut() {
  session.key = null;
  session.me = null;
  renderWho();
  location.hash = "#signin";
}

function renderWho() {
  const who = $("#who");
  // the sections of one role (filing, oversight) are offered to those who hold it
  for (const a of document.querySelectorAll("nav a[data-role]")) a.hidden = !(session.me && (session.me.roles || []).includes(a.dataset.role));
  if (!session.me) {
    who.replaceChildren(el("span", {}, "Not signed in"));
    return;
  }
  const m = session.me;
  who.replaceChildren(
    el("span", { class: "who-name" }, m.name || m.id),
    el("span", { class: "who-detail" }, ` ${m.id} · ${m.authority} · ${(m.roles || []).join(", ")}`),
    " ",
    el("button", { type: "button", class: "link", onclick: signOut }, "Sign out"),
  );
}

// ---- inbox --------------------------------------------------------------------------------------------

// roles nothing is ever asked of: their inbox is the list of what they may see
const NEVER_ASKED = ["requester", "registrar"];
const STATES = ["pending", "authorised", "extended", "expired", "suspended", "revoked", "ended", "refused", "forbidden"];

/* The measures of a query, every page of them (the server answers in pages: "next" leads to the rest). */
async function allMeasures(query) {
  const measures = [];
  let after = null;
  let r;
  do {
    r = await api("GET", "/v1/measures", { query: after ? { ...query, limit: 500, after } : { ...query, limit: 500 } });
    if (!r.ok) return { r };
    measures.push(...(r.json.measures || []));
    after = r.json.next;
  } while (after);
  return { r, measures };
}

function measureRows(measures) {
  return measures.map((m) =>
    el(
      "tr",
      { "data-id": m.id },
      el("td", {}, el("a", { href: `#measure/${encodeURIComponent(m.id)}` }, m.id)),
      el("td", {}, m.kind || "—"),
      el("td", {}, m.requested_by || "—"),
      el("td", {}, m.filed_at || "—"),
      el("td", {}, badge(m.outcome)),
      el("td", {}, badge(m.state)),
    ),
  );
}

function measureTable(caption, rows, attrs = {}) {
  return el(
    "table",
    attrs,
    el("caption", { class: "sr-only" }, caption),
    el("thead", {}, el("tr", {}, ["Measure", "Kind", "Requested by", "Filed", "Outcome", "State"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows),
  );
}

async function loadInbox() {
  const box = $("#inbox-list");
  box.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  const parts = [];
  for (const role of (session.me.roles || []).filter((r) => !NEVER_ASKED.includes(r))) {
    const { r, measures } = await allMeasures({ role });
    if (!r.ok) {
      parts.push(el("h3", {}, role), el("p", { class: "error", role: "alert" }, failure(r)));
      continue;
    }
    parts.push(
      el("h3", {}, `For the role ${role}`),
      measures.length ? measureTable(`Measures for the role ${role}`, measureRows(measures)) : el("p", { class: "muted" }, "Nothing waits for this role."),
    );
  }
  const seen = seenList();
  box.replaceChildren(...parts, seen.section);
  await seen.load();
}

/*
 * Every measure the principal may see (GET /v1/measures: comite_r all of them, a requester or service head its
 * authority's, an approver those that wait for it or that it signed), a page at a time, optionally in one state:
 * {section, load}, load() showing the first page.
 */
function seenList() {
  const me = session.me;
  const title = (me.roles || []).includes("comite_r")
    ? "Every measure in the register"
    : (me.roles || []).some((r) => r === "requester" || r === "service_head")
      ? `The measures of your authority (${me.authority})`
      : "Measures you answered or that wait for you";
  const stateSel = el("select", { id: "seen-state", name: "state" }, el("option", { value: "" }, "any state"), STATES.map((s) => el("option", { value: s }, WORDS[s] || s)));
  const out = el("div", { id: "seen-list", "aria-live": "polite" });
  const more = el("button", { type: "button", class: "secondary", id: "seen-more", hidden: true }, "Show more");
  let next = null, tbody = null;
  async function page(first) {
    const query = { limit: 50 };
    if (stateSel.value) query.state = stateSel.value;
    if (!first && next) query.after = next;
    const r = await api("GET", "/v1/measures", { query });
    if (!r.ok) return showError(out, failure(r));
    next = r.json.next;
    more.hidden = !next;
    const rows = measureRows(r.json.measures || []);
    if (first) {
      tbody = null;
      if (!rows.length) return out.replaceChildren(el("p", { class: "muted" }, stateSel.value ? `None is ${(WORDS[stateSel.value] || stateSel.value).toLowerCase()}.` : "None yet."));
      const t = measureTable(title, rows, { id: "seen-table" });
      tbody = t.tBodies[0];
      out.replaceChildren(t);
    } else if (rows.length) {
      tbody.append(...rows);
      rows[0].querySelector("a").focus(); // the first of the rows just shown, where the reader goes on
    }
  }
  more.addEventListener("click", () => page(false));
  const form = el(
    "form",
    { id: "seen-form", class: "search", "aria-label": "Filter the measures" },
    el("div", { class: "field" }, el("label", { for: "seen-state" }, "State"), stateSel),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "secondary" }, "Show")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    return page(true);
  });
  return { section: el("section", { id: "seen", "aria-labelledby": "seen-h" }, el("h3", { id: "seen-h" }, title), form, out, more), load: () => page(true) };
}

// ---- a measure ----------------------------------------------------------------------------------------

function dl(pairs) {
  return el(
    "dl",
    { class: "facts" },
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]),
  );
}

function table(caption, heads, rows) {
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows),
  );
}

async function openMeasure(id) {
  const box = $("#measure-body");
  $("#measure-title").textContent = `Measure ${id}`;
  box.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  const r = await api("GET", `/v1/measures/${encodeURIComponent(id)}`);
  if (!r.ok) {
    showError(box, failure(r));
    return;
  }
  renderMeasure(r.json);
}

/* A decision's findings, with their legal basis, and its conditions. */
function findingsSection(d, headingId, title, life) {
  return el(
    "section",
    { "aria-labelledby": headingId },
    el("h3", { id: headingId }, title),
    (d.findings || []).length
      ? table(
          "What the rules found, with their legal basis",
          ["Rule", "Effect", "Role", "Party", "Citation", "Explanation"],
          d.findings.map((f) =>
            el(
              "tr",
              {},
              el("td", {}, el("code", {}, f.rule)),
              el("td", {}, f.effect),
              el("td", {}, f.role || "—"),
              el("td", {}, f.party || "—"),
              el("td", {}, el("cite", {}, f.cite)),
              el("td", {}, f.explain),
            ),
          ),
        )
      : el("p", {}, "No rule applies: nothing is required."),
    (d.conditions || []).length
      ? el("p", {}, "Conditions: ", d.conditions.map((c) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ")).join("; "))
      : null,
    assertionList((life && life.assertions) || d.assertions || []),
  );
}

/* The facts the requester asserts, each with the role that must confirm it and (in a life) where that stands. */
function assertionList(list) {
  if (!list.length) return null;
  return el(
    "div",
    { class: "assertions" },
    el("p", {}, "The requester's word, which the findings rest on; each counts only once its role confirms it:"),
    el(
      "ul",
      {},
      list.map((a) =>
        el(
          "li",
          { class: "assertion" },
          assertionWords(a),
          ` To be confirmed by ${a.confirm_by}${a.state ? `: ${a.state}` : ""}. `,
          el("cite", {}, `(rule ${a.rule})`),
        ),
      ),
    ),
  );
}

function renderMeasure(rec) {
  session.current = rec;
  const box = $("#measure-body");
  const d = rec.decision || {};
  const life = rec.life || {};
  const m = rec.measure || {};
  const period = m.period ? `${m.period.from} to ${m.period.to}` : "";
  const window = life.window ? `${life.window.from} to ${life.window.to}` : "none yet";
  // an open round on a live measure is an extension or a re-screening waiting for approvals
  const round =
    life.round !== undefined
      ? `${life.round} (${life.round_kind || "filing"})${life.round_open ? ", waiting for approvals" : ""}`
      : undefined;

  const summary = el(
    "section",
    { "aria-labelledby": "sum-h" },
    el("h3", { id: "sum-h" }, "Summary"),
    dl([
      ["State", badge(rec.state || life.state)],
      ["Outcome", badge(d.outcome)],
      ["Outcome of this round", rec.round_decision ? badge(rec.round_decision.outcome) : ""],
      ["Kind", [m.kind, m.scope].filter(Boolean).join(", ")],
      ["Framework", m.framework],
      ["Requested by", m.requested_by],
      ["Requesting state", m.requesting_state],
      ["Targets", (m.targets || []).join(", ")],
      ["Period", period],
      ["Filed", rec.filed_at],
      ["Round", round],
      ["Days asked in this round", life.round_kind === "extension" && life.period ? `${life.period.from} to ${life.period.to}` : ""],
      ["Authorised window", window],
      ["Grounds", m.grounds],
    ]),
  );

  // an extension or a re-screening asks approvals for its own decision; the filing's stays below it
  const findings = rec.round_decision
    ? el(
        "div",
        {},
        findingsSection(rec.round_decision, "find-h", `Decision of round ${life.round} (${life.round_kind})`, life),
        el("details", { class: "entry" }, el("summary", {}, "The decision at filing"), findingsSection(d, "find-filing-h", "Decision at filing")),
      )
    : findingsSection(d, "find-h", "Decision and its findings", life);

  const approvals = life.approvals || d.approvals || [];
  const appr = el(
    "section",
    { "aria-labelledby": "appr-h" },
    el("h3", { id: "appr-h" }, "Approvals"),
    approvals.length
      ? table(
          "Roles the decision asks, and where each stands",
          ["Role", "Kind", "State", "Signed by", "When", "Reason"],
          approvals.map((a) =>
            el(
              "tr",
              { "data-role": a.role },
              el("td", {}, a.role),
              el("td", {}, a.kind || "approve"),
              el("td", { class: "approval-state" }, approvalBadge(a, life.round_open !== false)),
              el("td", {}, a.principal || "—"),
              el("td", {}, a.time || "—"),
              el("td", {}, a.reason || "—"),
            ),
          ),
        )
      : el("p", {}, "No approval is asked."),
  );

  const act = actionForm(rec, approvals);
  const stop = stopForm(rec);

  const history = life.history || [];
  const timeline = el(
    "section",
    { "aria-labelledby": "time-h" },
    el("h3", { id: "time-h" }, "Timeline"),
    history.length
      ? el(
          "ol",
          { class: "timeline" },
          history.map((h) =>
            el(
              "li",
              {},
              el("time", { datetime: h.time }, h.time),
              " ",
              el("strong", {}, h.what),
              h.detail ? ` — ${h.detail}` : "",
              " ",
              el("a", { href: `#audit/${h.index}`, title: `Prove log entry ${h.index}` }, `log entry ${h.index}`),
            ),
          ),
        )
      : el("p", { class: "muted" }, "No events."),
  );

  const auths = life.authorizations || [];
  const authz = el(
    "section",
    { "aria-labelledby": "auth-h" },
    el("h3", { id: "auth-h" }, "Authorisations"),
    auths.length
      ? el("ul", { class: "tokens" }, auths.map((a) => tokenItem(typeof a === "string" ? a : a.id)))
      : el("p", { class: "muted" }, "No authorisation has been issued."),
  );

  const intercepts = m.kind === "interception" ? interceptSection(rec) : "";
  box.replaceChildren(summary, appr, act || "", stop || "", findings, timeline, authz, intercepts);
}

/*
 * The intercepts custos gate openli provisioned under the measure's authorisations (the LIIDs it names), each with
 * its state as the register records it: provisioned, withdrawn (and why), removed, refused upstream.
 */
function interceptSection(rec) {
  const m = rec.measure || {};
  const body = el("div", { "aria-live": "polite" }, el("p", { class: "muted" }, "Reading the gate's record…"));
  const names = (m.liids || []).length ? `LIIDs ${m.liids.join(", ")}${m.agency_id ? `, for agency ${m.agency_id}` : ""}` : "no LIID: the gate lets no intercept through for it";
  const section = el("section", { "aria-labelledby": "intercepts-h", id: "intercepts" }, el("h3", { id: "intercepts-h" }, "Provisioned intercepts"), el("p", {}, `It names ${names}.`), body);
  api("GET", `/v1/measures/${encodeURIComponent(rec.id)}/intercepts`).then((r) => {
    if (session.current !== rec) return;
    if (!r.ok) return showError(body, failure(r));
    const list = r.json || [];
    if (!list.length) return body.replaceChildren(el("p", { class: "muted" }, "The gate has provisioned nothing for it."));
    const when = (w) => (Array.isArray(w) ? `${new Date(w[0] * 1000).toISOString().slice(0, 16)}Z to ${new Date(w[1] * 1000).toISOString().slice(0, 16)}Z` : "");
    body.replaceChildren(
      el("table", {},
        el("caption", {}, "What the interception system was sent, as the log records it"),
        el("thead", {}, el("tr", {}, ["Kind", "LIID", "State", "Since", "Window", "Authorisation"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, list.map((i) => el("tr", { "data-liid": i.liid },
          el("td", {}, i.kind), el("td", {}, i.liid),
          el("td", {}, i.state + (i.reason ? ` (${i.reason})` : "") + (i.pending ? ", a change sent without an answer logged" : "")),
          el("td", {}, i.since || ""), el("td", {}, when(i.window)), el("td", {}, i.authorization || ""))))),
    );
  });
  return section;
}

/*
 * One authorisation: its id, and a button that fetches the token and checks
 * its signature under the log's key, as an executing system would offline.
 */
function tokenItem(id) {
  const out = el("div", { class: "token", "aria-live": "polite" });
  const button = el("button", { type: "button", class: "secondary", "data-token": id }, `Show and verify ${id}`);
  button.addEventListener("click", async () => {
    out.replaceChildren(el("p", { class: "muted" }, "Fetching the token…"));
    const t = await api("GET", `/v1/authorizations/${encodeURIComponent(id)}`);
    const vk = await api("GET", "/v1/log/vkey");
    if (!t.ok || !vk.ok) {
      showError(out, failure(t.ok ? vk : t));
      return;
    }
    let verdict;
    try {
      await verifyNote(t.text, vk.text.trim());
      verdict = el("p", { class: "verdict ok" }, `Signature verified: this token was issued under the log's key ${vk.text.trim().split("+", 2).join(" ")}.`);
    } catch (e) {
      verdict = el("p", { class: "verdict bad", role: "alert" }, `Not verified: ${e.message}`);
    }
    out.replaceChildren(verdict, el("pre", {}, t.text));
  });
  return el("li", {}, button, out);
}

// States in which nothing waits for a signature any more (as custos_measure_waits_for has it).
const CLOSED = ["forbidden", "refused", "revoked", "ended"];

/*
 * The approve/refuse form, for the roles I hold that this round still asks: an
 * approval while the round is open, an acknowledgement while it is pending;
 * nothing once the measure is closed (a revoked measure keeps its round's
 * unsigned roles, but nothing waits for them).
 */
function actionForm(rec, approvals) {
  const mine = new Set((session.me && session.me.roles) || []);
  const life = rec.life || {};
  if (CLOSED.includes(rec.state || life.state)) return null;
  const open = approvals.filter(
    (a) =>
      mine.has(a.role) &&
      (a.state === "pending" || a.state === "informed") &&
      (a.kind === "notify" || life.round_open !== false),
  );
  if (!open.length) return null;
  const status = el("div", { id: "action-status", role: "status", "aria-live": "polite" });
  const roleSel = el(
    "select",
    { id: "action-role", name: "role" },
    open.map((a) => el("option", { value: a.role }, a.role)),
  );
  const reason = el("textarea", { id: "action-reason", name: "reason", rows: 2, maxlength: 500 });
  const radios = (a) =>
    (a.kind === "notify" ? ["acknowledge"] : ["approve", "refuse"]).map((act, i) =>
      el(
        "label",
        { class: "choice" },
        el("input", { type: "radio", name: "action", value: act, checked: i === 0 }),
        ` ${act[0].toUpperCase()}${act.slice(1)}`,
      ),
    );
  const fieldset = el("fieldset", { id: "action-choices" }, el("legend", {}, "Decision"), radios(open[0]));
  const facts = el("div", { id: "action-assertions" }, assertionPanel(life, open[0].role));
  roleSel.addEventListener("change", () => {
    const a = open.find((x) => x.role === roleSel.value);
    fieldset.replaceChildren(el("legend", {}, "Decision"), ...radios(a));
    facts.replaceChildren(assertionPanel(life, a.role));
  });
  const form = el(
    "form",
    { id: "action-form", class: "panel" },
    el("h3", {}, "Your decision"),
    el("p", {}, "Your key signs a statement that the server writes for this measure, its round and its decision. The signed statement is logged."),
    el("label", { for: "action-role" }, "Role"),
    roleSel,
    facts,
    fieldset,
    el("label", { for: "action-reason" }, "Reason (required to refuse)"),
    reason,
    el("div", { class: "actions" }, el("button", { type: "submit", id: "action-submit" }, "Sign and submit")),
    status,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const action = form.querySelector("input[name=action]:checked").value;
    await decide(rec.id, action, roleSel.value, reason.value.trim(), status);
  });
  return form;
}

/*
 * An asserted fact in plain words (LAW.md, "Asserted facts"): what the
 * requester says and the confirming role vouches for by approving.
 */
export function assertionWords(a) {
  const who = a.party ? `${a.party}` : "the person concerned";
  if (a.value === false) {
    // a ground of refusal or a protection the requester says does not apply
    const not = {
      political_offence: "The facts are not political offences, nor connected with them.",
      political_motivation: "The request is not motivated by the person's political or other opinion.",
      essential_interests: "Executing it would not harm Belgium's sovereignty, security, public order or other essential interests.",
      concerns_mandate: "The measure does not concern the member's opinions expressed or votes cast.",
    };
    return not[a.flag] || `${a.flag} does not apply.`;
  }
  const ref = typeof a.value === "string" ? ` (reference: ${a.value})` : "";
  switch (a.flag) {
    case "waiver":
      return a.confirm_by === "parliament_president"
        ? `The European Parliament has waived the immunity of ${who}${ref}.`
        : `The sending state of ${who} has expressly waived ${who}'s immunity from jurisdiction${ref}.`;
    case "consent":
      return `The sending state of ${who} has expressly consented to this very measure on ${who}${ref}.`;
    case "personal_involvement":
      return "The person concerned takes part personally and actively in the offence or the threat.";
    case "suspects_use_means":
      return "Precise facts show that suspects use the premises or the means of communication of the lawyer or physician.";
    case "prevents_grave_threat":
      return (
        "The measure prevents offences that gravely threaten the physical integrity of one or more persons, and " +
        "the information is crucial and cannot be obtained otherwise."
      );
    case "reciprocity":
      return "The requesting state has given a reciprocal undertaking of good cooperation.";
    case "treaty":
      return `The request rests on a treaty that binds Belgium and the requesting state${ref}.`;
    default:
      return `${a.flag}: ${typeof a.value === "string" ? a.value : "true"}`;
  }
}

/* The statement line that confirms an asserted fact: "FLAG PARTY VALUE" (PARTY "-" for the whole measure). */
function assertionLine(a) {
  return `${a.flag} ${a.party || "-"} ${typeof a.value === "string" ? a.value : a.value === false ? "false" : "true"}`;
}

/* The asserted facts `role` confirms by approving, shown beside the approve button. */
function assertionPanel(life, role) {
  const mine = (life.assertions || []).filter((a) => a.confirm_by === role);
  if (!mine.length) return el("span", {});
  return el(
    "div",
    { class: "panel assertions" },
    el("p", {}, `The requester asserts these facts. Approving as ${role}, you confirm each of them; refusing refuses them and the measure.`),
    el(
      "ul",
      {},
      mine.map((a) => el("li", { class: "assertion" }, assertionWords(a), " ", el("cite", {}, `(rule ${a.rule})`))),
    ),
  );
}

/*
 * The page signs only what the user chose: the statement text must be a
 * custos-statement/v1 for this action, measure, role, principal, reason and,
 * for an extension, last day. A field the user left empty (no reason; no
 * until but for an extension) must be absent. Returns what differs, or null.
 */
export function statementMismatch(text, want) {
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines[0] !== "custos-statement/v1") return "not a custos-statement/v1";
  const got = {};
  for (const line of lines.slice(1)) {
    const sp = line.indexOf(" ");
    const key = line.slice(0, sp);
    // "confirm" repeats, one line per asserted fact: compared as the lines joined
    got[key] = key === "confirm" && got[key] !== undefined ? `${got[key]}\n${line.slice(sp + 1)}` : line.slice(sp + 1);
  }
  for (const [k, v] of Object.entries(want)) {
    const expected = v === undefined || v === null || v === "" ? undefined : v;
    if (got[k] !== expected) return `${k}: '${got[k] ?? ""}', expected '${expected ?? ""}'`;
  }
  return null;
}

/* What the page says once a statement was recorded; `life` is the measure's life as the server answered it. */
function recordedNotice(action, role, until, life) {
  const state = (life && life.state) || "";
  const now = `The measure is now: ${WORDS[state] || state || "updated"}.`;
  const issued = life && (life.authorizations || []).length > 0;
  switch (action) {
    case "revoke":
      return issued
        ? `You revoked the measure as ${role}. Its authorisations are withdrawn and listed as revoked. ${now}`
        : `You revoked the measure as ${role}. It can never be authorised. ${now}`;
    case "end":
      return issued
        ? `You ended the measure as ${role}. Its authorisations are withdrawn. ${now}`
        : `You ended the measure as ${role}. It can never be authorised. ${now}`;
    case "extend":
      if (life && life.outcome === "forbidden")
        return `Your extension to ${until} was recorded, but the rules forbid it: the measure goes on in its window. ${now}`;
      if (life && life.round_open)
        return (
          `Your extension to ${until} was recorded: round ${life.round} of approvals now asks the roles its decision ` +
          `lists. Until they approve, the measure keeps its window. ${now}`
        );
      return `Your extension to ${until} was recorded. ${now}`;
    default:
      return `Your ${action} as ${role} was recorded. ${now}`;
  }
}

/*
 * Signs one statement on measure id: fetches the statement text the server
 * builds for {action, role, reason, until}, checks it names exactly that,
 * signs it as a signed note with the signed-in key and submits it. On success
 * the measure is shown again with what happened; otherwise `status` shows why
 * (the server's error as written). Answers whether it was recorded.
 */
async function submitStatement(id, { action, role, reason = "", until = "" }, status) {
  status.replaceChildren(el("p", {}, "Signing…"));
  const query = { action, role };
  if (reason) query.reason = reason;
  if (until) query.until = until;
  try {
    const st = await api("GET", `/v1/measures/${encodeURIComponent(id)}/statement`, { query });
    if (!st.ok) {
      showError(status, failure(st));
      return false;
    }
    // an approval confirms exactly the asserted facts shown beside the button; nothing else confirms any
    const rec = session.current && session.current.id === id ? session.current : null;
    const facts = ((rec && rec.life && rec.life.assertions) || []).filter((a) => a.confirm_by === role);
    const confirm = action === "approve" && facts.length ? facts.map(assertionLine).join("\n") : undefined;
    const mismatch = statementMismatch(st.text, { action, measure: id, role, principal: session.me.id, reason, until, confirm });
    if (mismatch) {
      showError(status, `Nothing was signed: the statement the server wrote does not match your choice (${mismatch}).`);
      return false;
    }
    const note = await signNote(session.key, st.text);
    const r = await api("POST", "/v1/statements", { body: note, type: "text/plain" });
    if (!r.ok) {
      showError(status, failure(r));
      return false;
    }
    await openMeasure(id);
    const notice = el("p", { class: "notice", role: "status", id: "recorded", tabindex: "-1" }, recordedNotice(action, role, until, r.json));
    $("#measure-body").prepend(
      notice,
      el("details", { class: "entry" }, el("summary", {}, "The statement you signed"), el("pre", { id: "signed-statement" }, note)),
    );
    notice.focus(); // the form that had the focus is gone: start again from what happened
    return true;
  } catch (e) {
    showError(status, e.message);
    return false;
  }
}

/* Approve, refuse or acknowledge under a role of the round. */
async function decide(id, action, role, reason, status) {
  if (action === "refuse" && !reason) {
    showError(status, "A refusal needs a reason.");
    $("#action-reason").focus();
    return;
  }
  await submitStatement(id, { action, role, reason }, status);
}

// ---- stop or extend a measure ------------------------------------------------------------------------

// Effective states (as the server shows them) in which a measure can still be stopped: src/lib/workflow/lifecycle.c
// apply_stop takes the stored states pending, authorised, extended and suspended; an expired one (stored authorised,
// its window over) has nothing left to stop, so the page does not offer it.
const LIVE = ["pending", "authorised", "active", "extended", "suspended"];
// apply_extend: authorised or extended, the window not over (so not expired), and no round already open.
const EXTENDABLE = ["authorised", "active", "extended"];

const STOP_ACTIONS = {
  revoke: {
    label: "Revoke",
    what:
      "Stop the measure as the review committee (Comité R). Its authorisations are withdrawn and put on the " +
      "signed revocation list at once.",
    irreversible: true,
  },
  end: {
    label: "End",
    what:
      "Stop the measure early as its requesting authority, or withdraw the request while it waits for approval. " +
      "Its authorisations are withdrawn at once.",
    irreversible: true,
  },
  extend: {
    label: "Extend",
    what:
      "Ask for a later last day. The added days are decided again under the rules and registry in force, and the " +
      "roles that decision lists must approve again; until they do, the measure keeps its current window.",
    irreversible: false,
  },
};

/* Adds n days to a date YYYY-MM-DD (UTC). */
function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/*
 * What the signed-in principal may do to stop or extend this measure now, as
 * the server checks it: revoke as comite_r; end and extend as the requester or
 * service_head of the authority that requested it (its authority from
 * GET /v1/me). Answers {actions: [{action, role}], notes: [text]}.
 */
export function stopActions(rec, me) {
  const roles = new Set((me && me.roles) || []);
  const life = rec.life || {};
  const state = rec.state || life.state;
  const requestedBy = life.requested_by || (rec.measure || {}).requested_by;
  // the role to sign under, as the server picks it when none is given: requester, else service_head
  const own =
    me && requestedBy && me.authority === requestedBy ? ["requester", "service_head"].find((r) => roles.has(r)) : undefined;
  const actions = [];
  const notes = [];
  if (LIVE.includes(state)) {
    if (roles.has("comite_r")) actions.push({ action: "revoke", role: "comite_r" });
    if (own) actions.push({ action: "end", role: own });
  }
  if (own && EXTENDABLE.includes(state) && life.window) {
    if (life.round_open)
      notes.push(
        `It cannot be extended now: round ${life.round} (${life.round_kind || "filing"}) still waits for approvals.`,
      );
    else actions.push({ action: "extend", role: own });
  }
  return { actions, notes };
}

/* The panel to revoke, end or extend the measure, for a principal who may; null for anyone else. */
function stopForm(rec) {
  const { actions, notes } = stopActions(rec, session.me);
  if (!actions.length) return null;
  const life = rec.life || {};
  const windowTo = life.window && life.window.to;
  const status = el("div", { id: "stop-status", role: "status", "aria-live": "polite" });

  const choices = actions.map((a, i) => {
    const info = STOP_ACTIONS[a.action];
    const desc = `stop-desc-${a.action}`;
    return el(
      "label",
      { class: "choice choice-block" },
      el("input", { type: "radio", name: "stop-action", value: a.action, checked: i === 0, "aria-describedby": desc }),
      el(
        "span",
        {},
        el("strong", {}, `${info.label}`),
        ` (as ${a.role})`,
        el(
          "span",
          { id: desc, class: "help choice-desc" },
          info.what,
          info.irreversible ? " This cannot be undone." : "",
        ),
      ),
    );
  });
  const fieldset = el("fieldset", { id: "stop-choices" }, el("legend", {}, "Action"), choices);

  const until = el("input", {
    id: "stop-until",
    name: "until",
    type: "date",
    min: windowTo ? addDays(windowTo, 1) : undefined,
    "aria-describedby": "stop-until-help",
  });
  const untilField = el(
    "div",
    { id: "stop-until-field" },
    el("label", { for: "stop-until" }, "New last day (required to extend)"),
    until,
    el(
      "p",
      { id: "stop-until-help", class: "help" },
      windowTo ? `The authorised window now ends on ${windowTo}; the new last day must be later.` : "",
    ),
  );
  const reasonLabel = el("label", { for: "stop-reason" }, "Reason");
  const reason = el("input", {
    id: "stop-reason",
    name: "reason",
    type: "text",
    maxlength: 500,
    autocomplete: "off",
    "aria-describedby": "stop-reason-help",
  });
  const reasonHelp = el(
    "p",
    { id: "stop-reason-help", class: "help" },
    "One line. It is part of the signed statement and of the measure's timeline.",
  );
  const submit = el("button", { type: "submit", id: "stop-submit" });

  const confirmText = el("p", { id: "stop-confirm-text" });
  const yes = el("button", { type: "button", id: "stop-confirm", class: "danger" });
  const no = el("button", { type: "button", id: "stop-cancel", class: "secondary" }, "Cancel");
  const confirmBox = el(
    "div",
    { id: "stop-confirm-box", class: "confirm", role: "group", "aria-labelledby": "stop-confirm-text", hidden: true },
    confirmText,
    el("div", { class: "actions" }, yes, " ", no),
  );

  const chosen = () => actions.find((a) => a.action === fieldset.querySelector("input[name=stop-action]:checked").value);
  const controls = () => [...fieldset.querySelectorAll("input"), until, reason, submit];
  const sync = () => {
    const a = chosen();
    untilField.hidden = a.action !== "extend";
    reasonLabel.textContent = a.action === "revoke" ? "Reason (required to revoke)" : "Reason (optional)";
    if (a.action === "revoke") reason.setAttribute("aria-required", "true");
    else reason.removeAttribute("aria-required");
    const info = STOP_ACTIONS[a.action];
    submit.textContent = info.irreversible ? `${info.label}…` : "Sign and request the extension";
    status.replaceChildren();
  };
  fieldset.addEventListener("change", sync);
  const closeConfirm = () => {
    confirmBox.hidden = true;
    for (const c of controls()) c.disabled = false;
  };

  const form = el(
    "form",
    { id: "stop-form", class: "panel panel-stop", "aria-labelledby": "stop-h", novalidate: true },
    el("h3", { id: "stop-h" }, "Stop or extend this measure"),
    el(
      "p",
      {},
      "Your key signs a statement that the server writes for this measure and its current round. " +
        "The signed statement is logged.",
    ),
    notes.map((n) => el("p", { class: "help" }, n)),
    fieldset,
    untilField,
    reasonLabel,
    reason,
    reasonHelp,
    el("div", { class: "actions" }, submit),
    confirmBox,
    status,
  );
  sync();

  // signs and submits with the panel disabled (one statement per click); on failure the panel is usable again
  const run = async (a, fields) => {
    for (const c of controls()) c.disabled = true;
    const done = await submitStatement(rec.id, { action: a.action, role: a.role, ...fields }, status);
    if (!done) {
      closeConfirm();
      submit.focus();
    }
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!confirmBox.hidden) return;
    const a = chosen();
    const why = reason.value.trim();
    if (a.action === "revoke" && !why) {
      showError(status, "A revocation needs a reason.");
      reason.focus();
      return;
    }
    if (a.action === "extend") {
      if (!until.value) {
        showError(status, "An extension needs its new last day.");
        until.focus();
        return;
      }
      if (windowTo && until.value <= windowTo) {
        showError(status, `The new last day must be after ${windowTo}, when the window now ends.`);
        until.focus();
        return;
      }
      await run(a, { reason: why, until: until.value });
      return;
    }
    // revoke and end cannot be undone: say what will happen, and wait for a second, explicit click
    status.replaceChildren();
    const state = rec.state || life.state;
    confirmText.textContent =
      a.action === "revoke"
        ? `Revoke measure ${rec.id} as comite_r? Its authorisations are withdrawn and listed as revoked.`
        : state === "pending"
          ? `End measure ${rec.id} as ${a.role}? It waits for no more approvals and can never be authorised.`
          : `End measure ${rec.id} as ${a.role}? Its authorisations are withdrawn.`;
    confirmText.append(" This cannot be undone.");
    yes.textContent = `Yes, ${a.action} ${rec.id}`;
    for (const c of controls()) c.disabled = true;
    confirmBox.hidden = false;
    yes.focus();
    yes.onclick = async () => {
      yes.disabled = no.disabled = true;
      await run(a, { reason: why });
      yes.disabled = no.disabled = false;
    };
  });
  no.addEventListener("click", () => {
    closeConfirm();
    status.replaceChildren(el("p", {}, "Cancelled: nothing was signed."));
    submit.focus();
  });
  return form;
}

// ---- oversight (comite_r) -----------------------------------------------------------------------------

async function loadOversight() {
  const box = $("#oversight-body");
  box.replaceChildren(el("p", { role: "status" }, "Counting the register…"));
  const r = await api("GET", "/v1/oversight");
  if (!r.ok) return showError(box, failure(r));
  renderOversight(box, r.json, el);
  const a = await api("GET", "/v1/openli/audit");
  if (a.ok) box.append(renderAudit(a.json, el));
}

// ---- registry -----------------------------------------------------------------------------------------

async function searchRegistry(q, date) {
  const box = $("#registry-results");
  box.replaceChildren(el("p", { class: "muted" }, "Searching…"));
  const query = {};
  if (q) query.q = q;
  if (date) query.date = date;
  const r = await api("GET", "/v1/registry", { query });
  if (!r.ok) {
    showError(box, failure(r));
    return;
  }
  // with q: screening hits {party, name, category, matched, status}; without: every party as the registry holds it
  const j = r.json;
  const rows = j.hits
    ? j.hits.map((h) => [h.party, h.name, h.category, WORDS[h.status] || h.status || "—", h.matched])
    : (j.parties || []).map((p) => [p.id, p.name, p.category, `${p.valid_from || "?"} to ${p.valid_to || "open"}`, (p.selectors || []).join(", ")]);
  if (!rows.length) {
    box.replaceChildren(el("p", { role: "status" }, q ? "No protected party matches." : "The registry is empty."));
    return;
  }
  box.replaceChildren(
    el("p", { role: "status" }, `${rows.length} protected ${rows.length === 1 ? "party" : "parties"}${q ? ` match ${q}` : ""}.`),
    table(
      "Protected parties",
      ["Party", "Name", "Category", j.hits ? "Accreditation" : "Valid", j.hits ? "Matched by" : "Selectors"],
      rows.map((cells) => el("tr", {}, cells.map((c, i) => el("td", {}, i === 0 ? el("code", {}, c) : c || "—")))),
    ),
  );
}

// ---- audit --------------------------------------------------------------------------------------------

/*
 * Proves in the browser that log entry n is in the signed tree: verifies the
 * checkpoint's signature with the log's key, hashes the entry's bytes, and
 * recomputes the root from the inclusion proof (RFC 9162).
 */
async function prove(n) {
  const box = $("#audit-result");
  const steps = el("ol", { class: "steps" });
  const verdict = el("p", { id: "audit-verdict", role: "status" });
  box.replaceChildren(verdict, steps);
  const step = (text, ok) => steps.append(el("li", { class: ok ? "ok" : "bad" }, ok ? "✓ " : "✗ ", text));
  const fail = (text) => {
    verdict.className = "verdict bad";
    verdict.textContent = `Not proven: ${text}`;
  };
  if (!Number.isInteger(n) || n < 0) return fail("the entry number must be a whole number, 0 or more.");
  try {
    const vk = await api("GET", "/v1/log/vkey");
    const cp = await api("GET", "/v1/log/checkpoint");
    if (!vk.ok || !cp.ok) return fail(failure(vk.ok ? cp : vk));
    const vkey = vk.text.trim();
    let text;
    try {
      text = await verifyNote(cp.text, vkey);
    } catch (e) {
      step(`Checkpoint signature: ${e.message}`, false);
      return fail("the checkpoint's signature does not verify.");
    }
    const c = parseCheckpoint(text);
    step(`Checkpoint of ${c.origin} signed by the log's key ${vkey.split("+", 2).join(" ")}: tree of ${c.size} entries, root ${hex(c.root)}`, true);
    if (BigInt(n) >= c.size) return fail(`the signed tree has ${c.size} entries (0 to ${c.size - 1n}).`);
    const ent = await fetch(`/v1/log/entries/${n}`, { cache: "no-store" });
    if (!ent.ok) return fail(`entry ${n}: ${ent.status} ${await ent.text()}`);
    const leaf = new Uint8Array(await ent.arrayBuffer());
    const lh = await leafHash(leaf);
    step(`Entry ${n}: ${leaf.length} bytes, leaf hash SHA-256(0x00 ‖ entry) = ${hex(lh)}`, true);
    $("#audit-entry").textContent = new TextDecoder().decode(leaf);
    const pr = await api("GET", `/v1/log/proofs/inclusion/${n}`, { query: { size: String(c.size) } });
    if (!pr.ok) return fail(failure(pr));
    const path = (pr.json.hashes || []).map(b64decode);
    const ok = await verifyInclusion(n, c.size, lh, path, c.root);
    step(`Inclusion proof of ${path.length} hashes ${ok ? "leads" : "does not lead"} to the signed root`, ok);
    if (!ok) return fail(`entry ${n} is not in the signed tree.`);
    verdict.className = "verdict ok";
    verdict.textContent = `Proven: entry ${n} is in the tree of ${c.size} entries that the log signed.`;
  } catch (e) {
    fail(e.message);
  }
}

// ---- wiring -------------------------------------------------------------------------------------------

function init() {
  $("#keyfile").addEventListener("change", (ev) => {
    const f = ev.target.files[0];
    if (f) signIn(f);
  });
  $("#registry-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    searchRegistry($("#registry-q").value.trim(), $("#registry-date").value);
  });
  $("#audit-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const n = $("#audit-index").value.trim();
    if (location.hash === `#audit/${n}`) prove(Number(n));
    else location.hash = `#audit/${n}`;
  });
  $("#inbox-refresh").addEventListener("click", () => loadInbox());
  window.addEventListener("hashchange", route);
  renderWho();
  route();
}

init();
