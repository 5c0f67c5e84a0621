// file.js — the requester's form: every field of the measure contract, each target's selector checked as it is typed
// (POST /v1/screen), a dry-run decision beside the form (POST /v1/decide, debounced), then the measure filed, signed.
// An error the server names a field for (targets[1], period.from, ...) is shown beside that field.

const KINDS = ["interception", "it_intrusion", "audio_surveillance", "observation", "search", "data_access", "data_transfer",
  "mla_request", "intelligence_exchange"];
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
  const errors = new Map(); // data-field -> its error element

  /* A labelled field: label, control, help, and the place its error goes. */
  function field(id, name, label, control, help) {
    const err = el("p", { class: "field-error", id: `${id}-error`, "aria-live": "polite" });
    control.id = id;
    control.dataset.field = name;
    control.setAttribute("aria-describedby", `${id}-error${help ? ` ${id}-help` : ""}`);
    errors.set(name, { err, control });
    return el("div", { class: "field" }, el("label", { for: id }, label), control, help ? el("p", { class: "help", id: `${id}-help` }, help) : "", err);
  }
  const select = (options, value) =>
    el("select", {}, options.map(([v, t]) => el("option", { value: v, selected: v === value ? true : undefined }, t)));
  const opts = (names, none) => [...(none ? [["", none]] : []), ...names.map((n) => [n, n])];

  const kind = select(opts(KINDS), "interception");
  const scope = select(opts(["none", "content", "metadata"], "— (not set)"), "");
  const framework = select(opts(["intelligence", "criminal"]), "intelligence");
  const requestedBy = el("input", { type: "text", value: (me && me.authority) || "", autocomplete: "off", required: true });
  const requestingState = el("input", { type: "text", maxlength: "2", autocomplete: "off", placeholder: "XX" });
  const from = el("input", { type: "date", required: true });
  const to = el("input", { type: "date", required: true });
  const grounds = el("textarea", { rows: "3" });
  const offence = el("input", { type: "text", autocomplete: "off" });
  const treaty = el("input", { type: "text", autocomplete: "off" });
  const transferBasis = select(opts(["none", "adequacy", "safeguards", "derogation"], "— (not set)"), "");
  const requestedMeasure = select(opts(KINDS, "— (not set)"), "");
  const place = select(opts(["private", "public"], "— (not set)"), "");
  const bag = select(opts(["none", "diplomatic", "consular"], "— (not set)"), "");
  const originatingState = el("input", { type: "text", maxlength: "2", autocomplete: "off", placeholder: "XX" });
  const originatingAuth = el("input", { type: "text", autocomplete: "off" });
  const flags = FLAGS.map(([name, text]) => {
    const c = el("input", { type: "checkbox", id: `file-flag-${name}`, name });
    c.dataset.field = name;
    return { name, c, row: el("div", { class: "check" }, c, el("label", { for: `file-flag-${name}` }, `${text} (${name})`)) };
  });

  const targetList = el("div", { id: "file-targets" });
  const personList = el("div", { id: "file-persons" });
  const targets = [], persons = [];
  function addTarget(value = "") {
    const i = targets.length;
    const input = el("input", { type: "text", value, autocomplete: "off", spellcheck: "false", placeholder: "mailto:…, tel:+32…, ip:…, domain:…" });
    const hits = el("p", { class: "help", id: `file-target-${i}-hits`, "aria-live": "polite" });
    const f = field(`file-target-${i}`, `targets[${i}]`, `Target ${i + 1} (selector)`, input);
    f.append(hits);
    input.setAttribute("aria-describedby", `file-target-${i}-error file-target-${i}-hits`);
    targets.push({ input, hits });
    targetList.append(f);
    input.addEventListener("input", () => {
      checkSelectors();
      dryRun();
    });
    return input;
  }
  function addPerson() {
    const i = persons.length;
    const name = el("input", { type: "text", autocomplete: "off" });
    const nat = el("input", { type: "text", maxlength: "2", autocomplete: "off", placeholder: "XX" });
    persons.push({ name, nat });
    personList.append(
      el("fieldset", { class: "person" }, el("legend", {}, `Person ${i + 1}`),
        field(`file-person-${i}-name`, `persons[${i}].name`, "Name", name),
        field(`file-person-${i}-nationality`, `persons[${i}].nationality`, "Nationality (two letters, optional)", nat)),
    );
    name.addEventListener("input", () => dryRun());
    nat.addEventListener("input", () => dryRun());
    return name;
  }

  /* The measure as the form says it: only what is filled in. */
  function measure() {
    const m = { kind: kind.value, framework: framework.value, requested_by: requestedBy.value.trim() };
    const put = (k, v) => {
      if (v !== "" && v !== undefined) m[k] = v;
    };
    put("scope", scope.value);
    put("requesting_state", requestingState.value.trim().toUpperCase());
    const ts = targets.map((t) => t.input.value.trim());
    while (ts.length && ts[ts.length - 1] === "") ts.pop();
    if (ts.length) m.targets = ts;
    const ps = persons
      .map((p) => ({ name: p.name.value.trim(), nationality: p.nat.value.trim().toUpperCase() }))
      .filter((p) => p.name || p.nationality)
      .map((p) => (p.nationality ? p : { name: p.name }));
    if (ps.length) m.persons = ps;
    m.period = { from: from.value, to: to.value };
    put("grounds", grounds.value.trim());
    put("offence", offence.value.trim());
    put("treaty", treaty.value.trim());
    put("transfer_basis", transferBasis.value);
    put("requested_measure", requestedMeasure.value);
    put("place", place.value);
    put("diplomatic_bag", bag.value);
    put("originating_state", originatingState.value.trim().toUpperCase());
    put("originating_authorisation", originatingAuth.value.trim());
    for (const f of flags) if (f.c.checked) m[f.name] = true;
    return m;
  }

  function clearErrors(prefix = "") {
    for (const [name, { err, control }] of errors)
      if (name.startsWith(prefix)) {
        err.textContent = "";
        control.removeAttribute("aria-invalid");
      }
    general.replaceChildren();
  }
  /* The server's error beside the field it names (targets[1], period.from, persons[0].name, ...), else above the form. */
  function showFieldError(r) {
    const name = (r.json && r.json.field) || "";
    const message = (r.json && r.json.error) || failure(r);
    let at = errors.get(name.replace(/^selectors\[/, "targets[")) || errors.get(name.replace(/\.[a-z_]+$/, ""));
    if (!at && name === "period") at = errors.get("period.from");
    if (!at) {
      general.replaceChildren(el("p", { class: "error", role: "alert" }, failure(r)));
      return null;
    }
    at.err.textContent = message;
    at.control.setAttribute("aria-invalid", "true");
    return at;
  }

  /* Each target's selector, parsed by the server (POST /v1/screen): the first bad one is flagged at its input. */
  let screenSeq = 0;
  const checkSelectors = debounce(async () => {
    const mine = ++screenSeq;
    const sels = targets.map((t) => t.input.value.trim());
    const idx = sels.map((s, i) => (s ? i : -1)).filter((i) => i >= 0);
    clearErrors("targets[");
    for (const t of targets) t.hits.textContent = "";
    if (!idx.length) return;
    const body = { selectors: idx.map((i) => sels[i]) };
    if (from.value) body.date = from.value;
    const r = await api("POST", "/v1/screen", { body: JSON.stringify(body) });
    if (mine !== screenSeq) return;
    if (!r.ok) {
      const m = /^selectors\[(\d+)\]/.exec((r.json && r.json.field) || "");
      if (m) r.json.field = `targets[${idx[Number(m[1])]}]`;
      showFieldError(r);
      return;
    }
    (r.json.results || []).forEach((res, k) => {
      const t = targets[idx[k]];
      const hits = res.hits || [];
      t.hits.textContent = hits.length
        ? `Touches ${hits.map((h) => `${h.party} (${h.category}, ${h.status})`).join(", ")}`
        : "Touches no protected party.";
    });
  }, DEBOUNCE_MS, () => formEl);

  const decision = el("div", { id: "file-decision", "aria-live": "polite" }, el("p", { class: "muted" }, "The law's answer appears here as you type."));
  const general = el("div", { id: "file-general" });
  const status = el("div", { id: "file-status", role: "status", "aria-live": "polite" });

  function renderDecision(d) {
    const asked = (d.approvals || []).filter((a) => a.kind === "approve").map((a) => a.role);
    const told = (d.approvals || []).filter((a) => a.kind !== "approve").map((a) => a.role);
    decision.replaceChildren(
      el("p", { id: "file-outcome" }, "Outcome: ", badge(d.outcome)),
      el("p", {}, asked.length ? `Roles to be asked: ${asked.join(", ")}` : "No role needs to approve."),
      told.length ? el("p", {}, `Roles to be informed: ${told.join(", ")}`) : "",
      (d.findings || []).length
        ? el(
            "table",
            { id: "file-findings" },
            el("caption", {}, "Findings, with the law they rest on"),
            el("thead", {}, el("tr", {}, ["Effect", "Rule", "Citation", "Party", "Role", "Why"].map((h) => el("th", { scope: "col" }, h)))),
            el("tbody", {}, d.findings.map((f) => el("tr", {}, el("td", {}, f.effect), el("td", {}, el("code", {}, f.rule)), el("td", { class: "cite" }, f.cite || "—"), el("td", {}, f.party || "—"), el("td", {}, f.role || "—"), el("td", {}, f.explain || "")))),
          )
        : el("p", { class: "muted" }, "No finding."),
    );
  }

  /* The dry run (POST /v1/decide): stored nowhere; a field error goes to its field. */
  const dryRun = debounce(async () => {
    const mine = ++seq;
    const r = await api("POST", "/v1/decide", { body: JSON.stringify(measure()) });
    if (mine !== seq) return;
    clearErrors();
    if (!r.ok) {
      decision.replaceChildren(el("p", { class: "muted" }, "No decision yet: see the field marked."));
      showFieldError(r);
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
    field("file-kind", "kind", "Kind of measure", kind),
    field("file-scope", "scope", "Scope (interception)", scope),
    field("file-framework", "framework", "Legal framework", framework),
    field("file-requested-by", "requested_by", "Requesting authority", requestedBy),
    field("file-requesting-state", "requesting_state", "Requesting state (foreign requests; two letters)", requestingState),
    el("fieldset", {}, el("legend", {}, "Targets"), targetList, el("button", { type: "button", class: "secondary", id: "file-add-target", onclick: () => addTarget().focus() }, "Add a target")),
    el("fieldset", {}, el("legend", {}, "Persons (by name, when there is no selector)"), personList, el("button", { type: "button", class: "secondary", id: "file-add-person", onclick: () => addPerson().focus() }, "Add a person")),
    el("fieldset", {}, el("legend", {}, "Period"), field("file-from", "period.from", "First day", from), field("file-to", "period.to", "Last day", to)),
    el("fieldset", {}, el("legend", {}, "Facts the requester asserts"), flags.map((f) => f.row)),
    field("file-offence", "offence", "Offence (criminal framework)", offence),
    field("file-treaty", "treaty", "Treaty (mutual legal assistance)", treaty),
    field("file-transfer-basis", "transfer_basis", "Transfer basis (data transfers)", transferBasis),
    field("file-requested-measure", "requested_measure", "Measure requested (foreign requests)", requestedMeasure),
    field("file-place", "place", "Place (observation, search)", place),
    field("file-bag", "diplomatic_bag", "Diplomatic bag", bag),
    field("file-originating-state", "originating_state", "Originating state (two letters)", originatingState),
    field("file-originating-authorisation", "originating_authorisation", "Originating authorisation", originatingAuth),
    field("file-grounds", "grounds", "Grounds", grounds),
    general,
    el("div", { class: "actions" }, submit),
    status,
  );
  formEl = form;
  form.addEventListener("input", (ev) => {
    if (!ev.target.closest("#file-targets")) dryRun();
  });
  form.addEventListener("change", () => dryRun());
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
  box.replaceChildren(el("div", { class: "file-grid" }, form, el("aside", { class: "panel", "aria-labelledby": "file-decision-h" }, el("h3", { id: "file-decision-h" }, "What the law says (dry run)"), decision)));
}
