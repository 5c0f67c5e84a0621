// file.js — the requester's form: every field of the measure contract (DESIGN.md §4, LAW.md's additions), each
// target's selector checked as it is typed (POST /v1/screen), a dry-run decision beside the form (POST /v1/decide,
// debounced), then the measure filed, signed. An error the server names a field for (targets[1], period.from,
// waiver[0].sending_state, ...) is shown beside that field. Every control carries its field's JSON path in
// data-field, so the form and the contract can be held side by side (tests/browser/views.mjs does).

const KINDS = ["interception", "it_intrusion", "audio_surveillance", "observation", "search", "data_access", "data_transfer",
  "mla_request", "intelligence_exchange"];
const FOREIGN = ["data_transfer", "mla_request", "intelligence_exchange"];
// the facts a requester asserts by ticking them (LAW.md: those that lift a protection count once their role confirms)
const FLAGS = [
  ["grave_crime", "A grave crime is investigated"],
  ["personal_involvement", "The protected person is personally involved"],
  ["concerns_mandate", "It concerns a parliamentary mandate"],
  ["political_offence", "The offence is political"],
  ["political_motivation", "The request is politically motivated"],
  ["essential_interests", "It touches the state's essential interests"],
  ["reciprocity", "Reciprocity is assured"],
  ["concerns_official_acts", "It concerns official acts"],
  ["prevents_grave_threat", "It prevents a grave threat"],
  ["suspects_use_means", "The suspects use the means targeted"],
];
// the fields only some kinds take (src/lib/measure/measure_json.c refuses them elsewhere), and those some require
const ONLY = {
  scope: ["interception"],
  requesting_state: FOREIGN,
  requested_measure: ["mla_request"],
  transfer_basis: ["data_transfer"],
  originating_state: ["data_transfer"],
  originating_authorisation: ["data_transfer"],
  liids: ["interception"],
  agency_id: ["interception"],
};
const REQUIRED = { scope: ["interception"], requesting_state: FOREIGN };
const EFFECTS = { forbid: ["forbidden", "Forbids"], require: ["needs_approval", "Requires approval"], notify: ["informed", "Informs"] };
const DEBOUNCE_MS = 400;

/*
 * fn, DEBOUNCE_MS after the last call, while `form` is on show (a sign-out or another view drops what was pending);
 * a request it cannot make (signed out meanwhile) is no error of the page.
 */
function debounce(fn, ms, form) {
  let t = null;
  return () => {
    clearTimeout(t);
    t = setTimeout(() => {
      if (!form() || !form().isConnected || form().closest("[hidden]")) return;
      fn().catch(() => {});
    }, ms);
  };
}

/*
 * Renders the form into `box`. ctx: {api, el, me, failure, badge}. Answers nothing; the form files by itself.
 */
export function renderFileForm(box, ctx) {
  const { api, el, me, failure, badge } = ctx;
  let seq = 0; // the latest dry run: older answers are dropped
  let formEl = null; // the form, once built
  const errors = new Map(); // data-field -> {err, control}
  const onlyFor = []; // [{name, wrap, control}]: fields some kinds take

  /* A labelled field: label, control, help, and the place its error goes. */
  function field(id, name, label, control, help) {
    const err = el("p", { class: "field-error", id: `${id}-error`, "aria-live": "polite" });
    control.id = id;
    control.dataset.field = name;
    control.setAttribute("aria-describedby", `${id}-error${help ? ` ${id}-help` : ""}`);
    errors.set(name, { err, control });
    const wrap = el("div", { class: "field" }, el("label", { for: id }, label), control, help ? el("p", { class: "help", id: `${id}-help` }, help) : "", err);
    if (ONLY[name]) onlyFor.push({ name, wrap, control });
    return wrap;
  }
  const select = (options, value) =>
    el("select", {}, options.map(([v, t]) => el("option", { value: v, selected: v === value ? true : undefined }, t)));
  const opts = (names, none) => [...(none ? [["", none]] : []), ...names.map((n) => [n, n])];
  const text = (attrs = {}) => el("input", { type: "text", autocomplete: "off", ...attrs });
  const country = () => text({ maxlength: "2", placeholder: "XX", class: "short" });
  const date = () => el("input", { type: "date" });

  const kind = select(opts(KINDS), "interception");
  const scope = select(opts(["content", "metadata"], "— choose —"), "");
  const framework = select(opts(["intelligence", "criminal"]), "intelligence");
  const requestedBy = text({ value: (me && me.authority) || "", required: true });
  const requestingState = country();
  const requestedMeasure = select(opts(KINDS, "— (not set)"), "");
  const offence = text();
  const from = date(), to = date();
  from.required = to.required = true;
  const place = select(opts(["private", "public"], "— (not set: private)"), "");
  const bag = select(opts(["diplomatic", "consular"], "— (not set)"), "");
  const treaty = text();
  const transferBasis = select(opts(["adequacy", "safeguards", "derogation"], "— (not set)"), "");
  const originatingState = country();
  const originatingAuth = text();
  const liids = text({ spellcheck: "false", placeholder: "LP45NNST3 X7811DFWS" });
  const agency = text({ spellcheck: "false" });
  const grounds = el("textarea", { rows: "3" });
  const flags = FLAGS.map(([name, words]) => {
    const c = el("input", { type: "checkbox", id: `file-flag-${name}`, name });
    c.dataset.field = name;
    return { name, c, row: el("div", { class: "check" }, c, el("label", { for: `file-flag-${name}` }, `${words} (${name})`)) };
  });

  // the parties the targets touch, offered where a waiver or consent names its party
  const partyList = el("datalist", { id: "file-parties" });

  /* A list of entries added one by one (targets, persons, waivers, consents): its box and an "add" button. */
  function list(id, legend, help, addWord, add) {
    const items = el("div", { id });
    const button = el("button", { type: "button", class: "secondary", id: `${id}-add`, onclick: () => add().focus() }, addWord);
    return { items, box: el("fieldset", {}, el("legend", {}, legend), help ? el("p", { class: "help" }, help) : "", items, button) };
  }

  const targets = [], persons = [], grants = { waiver: [], consent: [] };
  const targetBox = list("file-targets", "Targets", "Selectors: mailto:, tel:, ip:, domain:, imsi:, imei:, name:, address:, party:, sip:, nai:.", "Add a target", () => addTarget());
  function addTarget(value = "") {
    const i = targets.length;
    const input = text({ value, spellcheck: "false", placeholder: "mailto:…, tel:+32…, ip:…, domain:…" });
    const hits = el("p", { class: "help", id: `file-target-${i}-hits`, "aria-live": "polite" });
    const f = field(`file-target-${i}`, `targets[${i}]`, `Target ${i + 1} (selector)`, input);
    f.append(hits);
    input.setAttribute("aria-describedby", `file-target-${i}-error file-target-${i}-hits`);
    targets.push({ input, hits });
    targetBox.items.append(f);
    input.addEventListener("input", () => {
      checkSelectors();
      dryRun();
    });
    return input;
  }
  const personBox = list("file-persons", "Persons (by name, when there is no selector)", "", "Add a person", () => addPerson());
  function addPerson() {
    const i = persons.length;
    const p = { name: text(), nationality: country(), refugee_in: country(), born: date() };
    persons.push(p);
    personBox.items.append(
      el("fieldset", { class: "person" }, el("legend", {}, `Person ${i + 1}`),
        field(`file-person-${i}-name`, `persons[${i}].name`, "Name (any script)", p.name),
        el("div", { class: "row" },
          field(`file-person-${i}-nationality`, `persons[${i}].nationality`, "Nationality", p.nationality),
          field(`file-person-${i}-refugee-in`, `persons[${i}].refugee_in`, "Refugee in (state)", p.refugee_in),
          field(`file-person-${i}-born`, `persons[${i}].born`, "Born", p.born))),
    );
    return p.name;
  }
  const GRANT_WORDS = {
    waiver: ["Waivers of immunity", "An express waiver by the sending state of the party it names (VCDR art. 32). Foreign Affairs must confirm it in its approval.", "Add a waiver", "Waiver"],
    consent: ["Consents of the sending state", "The sending state's express consent to this measure for the party it names. Foreign Affairs must confirm it in its approval.", "Add a consent", "Consent"],
  };
  const grantBoxes = {};
  for (const what of ["waiver", "consent"]) {
    const [legend, help, add] = GRANT_WORDS[what];
    grantBoxes[what] = list(`file-${what}s`, legend, help, add, () => addGrant(what));
  }
  function addGrant(what) {
    const i = grants[what].length;
    const g = { party: text({ list: "file-parties", spellcheck: "false" }), sending_state: country(), reference: text() };
    grants[what].push(g);
    grantBoxes[what].items.append(
      el("fieldset", { class: "person" }, el("legend", {}, `${GRANT_WORDS[what][3]} ${i + 1}`),
        el("div", { class: "row" },
          field(`file-${what}-${i}-party`, `${what}[${i}].party`, "Party (registry id)", g.party),
          field(`file-${what}-${i}-sending-state`, `${what}[${i}].sending_state`, "Given by (state)", g.sending_state)),
        field(`file-${what}-${i}-reference`, `${what}[${i}].reference`, "Its reference", g.reference)),
    );
    return g.party;
  }

  const shown = (control) => !onlyFor.some((f) => f.control === control && f.wrap.hidden);
  /* Shows the fields the kind takes, and says which it requires. */
  function applyKind() {
    for (const f of onlyFor) {
      f.wrap.hidden = !ONLY[f.name].includes(kind.value);
      if (REQUIRED[f.name] && REQUIRED[f.name].includes(kind.value)) f.control.setAttribute("aria-required", "true");
      else f.control.removeAttribute("aria-required");
    }
  }

  /* The entries of a list up to its last one filled in (an empty one before it is sent, and named by the server). */
  function entries(rows, read) {
    const out = rows.map(read);
    while (out.length && !Object.values(out[out.length - 1]).some((v) => v)) out.pop();
    return out;
  }
  const up = (input) => input.value.trim().toUpperCase();

  /* The measure as the form says it: only what is filled in, and only the fields its kind takes. */
  function measure() {
    const m = { kind: kind.value, framework: framework.value, requested_by: requestedBy.value.trim() };
    const put = (k, control, v = control.value.trim()) => {
      if (v !== "" && shown(control)) m[k] = v;
    };
    put("scope", scope);
    put("requesting_state", requestingState, up(requestingState));
    put("requested_measure", requestedMeasure);
    const ts = entries(targets, (t) => ({ s: t.input.value.trim() })).map((t) => t.s);
    if (ts.length) m.targets = ts;
    const ps = entries(persons, (p) => ({ name: p.name.value.trim(), nationality: up(p.nationality), refugee_in: up(p.refugee_in), born: p.born.value }))
      .map((p) => Object.fromEntries(Object.entries(p).filter(([k, v]) => v || k === "name")));
    if (ps.length) m.persons = ps;
    put("offence", offence);
    m.period = { from: from.value, to: to.value };
    put("place", place);
    put("diplomatic_bag", bag);
    for (const f of flags) if (f.c.checked) m[f.name] = true;
    put("treaty", treaty);
    put("transfer_basis", transferBasis);
    put("originating_state", originatingState, up(originatingState));
    put("originating_authorisation", originatingAuth);
    if (shown(liids) && liids.value.trim()) m.liids = liids.value.trim().split(/[\s,]+/);
    put("agency_id", agency);
    for (const what of ["waiver", "consent"]) {
      const gs = entries(grants[what], (g) => ({ party: g.party.value.trim(), sending_state: up(g.sending_state), reference: g.reference.value.trim() }));
      if (gs.length) m[what] = gs;
    }
    put("grounds", grounds);
    return m;
  }

  /* Clears the errors of the fields `which` names (all of them by default) and the form's own. */
  function clearErrors(which = () => true) {
    for (const [name, { err, control }] of errors)
      if (which(name)) {
        err.textContent = "";
        control.removeAttribute("aria-invalid");
      }
    general.replaceChildren();
  }
  /*
   * The control a field the server names stands for: itself; the period's for the period (its end, which the
   * message is about); the first of a list or of an entry ("targets", "persons[0]"); else its parent's.
   */
  function controlFor(name) {
    if (name === "period") name = "period.to";
    for (let n = name; n; n = n.replace(/(\.[a-z_]+|\[\d+\])$/, "")) {
      if (errors.has(n)) return errors.get(n);
      const first = [...errors.keys()].find((k) => k.startsWith(`${n}[`) || k.startsWith(`${n}.`));
      if (first) return errors.get(first);
      if (!/(\.[a-z_]+|\[\d+\])$/.test(n)) break;
    }
    return null;
  }
  /* The server's error beside the field it names (targets[1], period.from, persons[0].name, ...), else above the form. */
  function showFieldError(r) {
    const name = ((r.json && r.json.field) || "").replace(/^selectors\[/, "targets[");
    const message = (r.json && r.json.error) || failure(r);
    const at = name ? controlFor(name) : null;
    if (!at) {
      general.replaceChildren(el("p", { class: "error", role: "alert" }, failure(r)));
      return null;
    }
    at.err.textContent = message;
    at.control.setAttribute("aria-invalid", "true");
    return at;
  }

  const isTarget = (name) => name.startsWith("targets[");
  /* Each target's selector, parsed by the server (POST /v1/screen): the first bad one is flagged at its input. */
  let screenSeq = 0;
  const checkSelectors = debounce(async () => {
    const mine = ++screenSeq;
    const sels = targets.map((t) => t.input.value.trim());
    const idx = sels.map((s, i) => (s ? i : -1)).filter((i) => i >= 0);
    // what is on show stays until the answer replaces it (a flag does not blink off and on)
    const reset = () => {
      clearErrors(isTarget);
      for (const t of targets) t.hits.textContent = "";
    };
    if (!idx.length) {
      reset();
      return partyList.replaceChildren();
    }
    const body = { selectors: idx.map((i) => sels[i]) };
    if (from.value) body.date = from.value;
    const r = await api("POST", "/v1/screen", { body: JSON.stringify(body) });
    if (mine !== screenSeq) return;
    reset();
    if (!r.ok) {
      const m = /^selectors\[(\d+)\]/.exec((r.json && r.json.field) || "");
      if (m) r.json.field = `targets[${idx[Number(m[1])]}]`;
      showFieldError(r);
      return;
    }
    const parties = new Map();
    (r.json.results || []).forEach((res, k) => {
      const t = targets[idx[k]];
      const hits = res.hits || [];
      for (const h of hits) parties.set(h.party, `${h.name || h.party} (${h.category})`);
      t.hits.textContent = hits.length
        ? `Touches ${hits.map((h) => `${h.party} (${h.category}, ${h.status})`).join(", ")}`
        : "Touches no protected party.";
    });
    partyList.replaceChildren(...[...parties].map(([id, label]) => el("option", { value: id, label })));
  }, DEBOUNCE_MS, () => formEl);

  const decision = el("div", { id: "file-decision", "aria-live": "polite" }, el("p", { class: "muted" }, "The law's answer appears here as you type."));
  const general = el("div", { id: "file-general" });
  const status = el("div", { id: "file-status", role: "status", "aria-live": "polite" });

  /* A finding as the law says it: its effect, whom it concerns, the citation, why, and the rule that found it. */
  function finding(f) {
    const [word, label] = EFFECTS[f.effect] || ["", f.effect];
    return el(
      "li",
      { class: "finding", "data-rule": f.rule },
      el("p", { class: "finding-head" }, word ? badge(word, label) : el("strong", {}, label), f.party ? ` party ${f.party}` : "", f.role ? ` · role ${f.role}` : ""),
      el("p", {}, el("cite", { class: "cite" }, f.cite || "—")),
      f.explain ? el("p", { class: "explain" }, f.explain) : "",
      el("p", { class: "help" }, "Rule ", el("code", {}, f.rule)),
    );
  }

  function renderDecision(d) {
    const asked = (d.approvals || []).filter((a) => a.kind === "approve").map((a) => a.role);
    const told = (d.approvals || []).filter((a) => a.kind !== "approve").map((a) => a.role);
    const conditions = (d.conditions || []).map((c) => Object.entries(c).map(([k, v]) => (k === "max_days" ? `at most ${v} days` : `${k} ${v}`)).join(", "));
    decision.replaceChildren(
      el("p", { id: "file-outcome" }, "Outcome: ", badge(d.outcome)),
      el("p", { id: "file-asked" }, asked.length ? `Roles to be asked: ${asked.join(", ")}` : "No role needs to approve."),
      told.length ? el("p", { id: "file-told" }, `Roles to be informed: ${told.join(", ")}`) : "",
      conditions.length ? el("p", { id: "file-conditions" }, `Conditions: ${conditions.join("; ")}`) : "",
      (d.assertions || []).length
        ? el("div", { id: "file-assertions" }, el("p", {}, "Facts the findings rest on, each counting only once its role confirms it in its approval:"),
            el("ul", {}, d.assertions.map((a) =>
              el("li", { "data-flag": a.flag }, el("code", {}, a.flag), a.party ? ` (party ${a.party})` : "",
                a.value === false ? `: ${a.confirm_by} confirms it does not apply` : `: as you assert it, to be confirmed by ${a.confirm_by}`))))
        : "",
      ...((d.findings || []).length
        ? [el("h4", { id: "file-findings-h" }, "Findings, with the law they rest on"), el("ol", { id: "file-findings", class: "findings", "aria-labelledby": "file-findings-h" }, d.findings.map(finding))]
        : [el("p", { class: "muted" }, "No finding.")]),
    );
  }

  /* The dry run (POST /v1/decide): stored nowhere; a field error goes to its field, a rule's refusal beside it. */
  const dryRun = debounce(async () => {
    const mine = ++seq;
    const r = await api("POST", "/v1/decide", { body: JSON.stringify(measure()) });
    if (mine !== seq) return;
    // the targets' flags are the screening's (checkSelectors, asked again below): they stay until it answers
    clearErrors((name) => !isTarget(name));
    if (!r.ok) {
      const at = showFieldError(r);
      decision.replaceChildren(
        at ? el("p", { class: "muted" }, "No decision yet: see the field marked.")
          : el("p", { class: "error", id: "file-refused" }, "No decision: ", (r.json && r.json.error) || failure(r)),
      );
      checkSelectors();
      return;
    }
    renderDecision(r.json);
    checkSelectors();
  }, DEBOUNCE_MS, () => formEl);

  const submit = el("button", { type: "submit", id: "file-submit" }, "File the measure (signed)");
  const form = el(
    "form",
    { id: "file-form", class: "panel", novalidate: true },
    el("fieldset", {}, el("legend", {}, "The measure"),
      field("file-kind", "kind", "Kind of measure", kind),
      field("file-scope", "scope", "Scope", scope),
      field("file-framework", "framework", "Legal framework", framework),
      field("file-requested-by", "requested_by", "Requesting authority", requestedBy),
      field("file-requesting-state", "requesting_state", "Requesting state (two letters; required for a foreign request)", requestingState),
      field("file-requested-measure", "requested_measure", "Measure the foreign state asks for", requestedMeasure),
      field("file-offence", "offence", "Offence", offence)),
    targetBox.box,
    personBox.box,
    el("fieldset", {}, el("legend", {}, "Period"), el("div", { class: "row" }, field("file-from", "period.from", "First day", from), field("file-to", "period.to", "Last day", to))),
    el("fieldset", {}, el("legend", {}, "Where"),
      el("div", { class: "row" }, field("file-place", "place", "Place (observation, search)", place), field("file-bag", "diplomatic_bag", "A bag searched", bag))),
    el("fieldset", { id: "file-facts" }, el("legend", {}, "Facts the requester asserts"),
      flags.map((f) => f.row),
      field("file-treaty", "treaty", "Treaty the request rests on", treaty),
      field("file-transfer-basis", "transfer_basis", "Transfer basis (LED arts 36-38)", transferBasis),
      el("div", { class: "row" },
        field("file-originating-state", "originating_state", "Data from (Member State)", originatingState),
        field("file-originating-authorisation", "originating_authorisation", "That state's authorisation", originatingAuth))),
    el("div", { class: "row" },
      field("file-liids", "liids", "LIIDs it will be provisioned under", liids, "The interception system's intercept ids, separated by spaces; a gate in front of it (custos gate openli) lets only these through."),
      field("file-agency", "agency_id", "Receiving agency (its id there)", agency)),
    grantBoxes.waiver.box,
    grantBoxes.consent.box,
    field("file-grounds", "grounds", "Grounds", grounds),
    partyList,
    general,
    el("div", { class: "actions" }, submit),
    status,
  );
  formEl = form;
  form.addEventListener("input", (ev) => {
    if (!ev.target.closest("#file-targets")) dryRun();
  });
  form.addEventListener("change", (ev) => {
    if (ev.target === kind) applyKind();
    dryRun();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    status.textContent = "Filing…";
    try {
      const r = await api("POST", "/v1/measures", { body: JSON.stringify(measure()) });
      clearErrors();
      if (r.status !== 201) {
        status.textContent = "Not filed.";
        const at = showFieldError(r);
        if (at) at.control.focus();
        return;
      }
      status.replaceChildren(
        el("p", { class: "notice", id: "file-filed", tabindex: "-1" }, `Filed as `, el("a", { href: `#measure/${r.json.id}` }, r.json.id), ` (log entry ${r.json.log_index}): `, badge(r.json.outcome)),
      );
      renderDecision(r.json);
      status.querySelector("#file-filed").focus();
    } finally {
      submit.disabled = false;
    }
  });
  addTarget();
  addPerson();
  applyKind();
  box.replaceChildren(el("div", { class: "file-grid" }, form, el("aside", { class: "panel decision-panel", "aria-labelledby": "file-decision-h", tabindex: "0" }, el("h3", { id: "file-decision-h" }, "What the law says (dry run)"), decision)));
}
