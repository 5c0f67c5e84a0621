// oversight.js — comite_r's overview (GET /v1/oversight): charts drawn as inline SVG, each beside a table of the
// same numbers; every number is a link that lists the measures behind it. Nothing is computed here: the page
// shows what the server counted from the register, so a number on screen is a number of the API.

const SVG = "http://www.w3.org/2000/svg";
// distinct hues, each with at least 3:1 contrast on white (WCAG 1.4.11 for graphics)
const HUES = ["#1f3a68", "#b3261e", "#1a5e2a", "#7a4b00", "#6a1b9a", "#00606b", "#4e342e", "#37474f"];

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

/* A count as a link to the measures behind it ({count, measures}); zero is plain text. */
function countLink(el, label, c, onPick) {
  if (!c || !c.count) return "0";
  return el(
    "a",
    {
      href: "#oversight",
      class: "count",
      "data-count": String(c.count),
      "aria-label": `${c.count}: ${label} (show the measures)`,
      onclick: (ev) => {
        ev.preventDefault();
        onPick(label, c.measures);
      },
    },
    String(c.count),
  );
}

/*
 * Stacked horizontal bars, one a row: rows [{label, parts: {key: {count, measures}}}], keys in legend order.
 * The SVG is a picture (role img, its numbers in the table that follows); each segment names itself in a title.
 */
function stackedChart(title, rows, keys) {
  const max = Math.max(1, ...rows.map((r) => keys.reduce((s, k) => s + ((r.parts[k] && r.parts[k].count) || 0), 0)));
  const W = 640, L = Math.max(70, 14 + 7.5 * Math.max(0, ...rows.map((r) => r.label.length))), BAR = 22, GAP = 10, LEG = 24 * Math.ceil(keys.length / 4);
  const H = rows.length * (BAR + GAP) + LEG + 10;
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": title, class: "chart" });
  rows.forEach((r, i) => {
    const y = i * (BAR + GAP);
    g.append(svg("text", { x: L - 8, y: y + BAR / 2 + 5, "text-anchor": "end", class: "axis" }, r.label));
    let x = L;
    keys.forEach((k, j) => {
      const n = (r.parts[k] && r.parts[k].count) || 0;
      if (!n) return;
      const w = ((W - L - 40) * n) / max;
      g.append(svg("rect", { x, y, width: w, height: BAR, fill: HUES[j % HUES.length] }, svg("title", {}, `${r.label} · ${k}: ${n}`)));
      x += w;
    });
    const total = keys.reduce((s, k) => s + ((r.parts[k] && r.parts[k].count) || 0), 0);
    g.append(svg("text", { x: x + 6, y: y + BAR / 2 + 5, class: "axis" }, String(total)));
  });
  keys.forEach((k, j) => {
    const x = (j % 4) * 160 + L, y = rows.length * (BAR + GAP) + 6 + Math.floor(j / 4) * 24;
    g.append(svg("rect", { x, y, width: 14, height: 14, fill: HUES[j % HUES.length] }));
    g.append(svg("text", { x: x + 20, y: y + 12, class: "axis" }, k));
  });
  return g;
}

/* A table of rows × keys, each cell a linked count. */
function countTable(el, caption, head, rows, keys, onPick) {
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, head), keys.map((k) => el("th", { scope: "col" }, k)))),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el("tr", {}, el("th", { scope: "row" }, r.label), keys.map((k) => el("td", { class: "num" }, countLink(el, `${r.label}, ${k}`, r.parts[k], onPick)))),
      ),
    ),
  );
}

function duration(s) {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

const ANOMALY = {
  filing_jump: "A service's filings of a kind jumped",
  renewed: "Renewed again and again",
  fast_approval: "Approved within seconds of filing",
};

/*
 * Renders the overview `o` (GET /v1/oversight's answer) into `box` with the page's element helper `el`.
 * Picking a number lists its measures in #oversight-behind, each a link to the measure.
 */
export function renderOversight(box, o, el) {
  const behind = el("section", { id: "oversight-behind", "aria-labelledby": "behind-h", class: "panel", hidden: true });
  const pick = (label, ids) => {
    behind.hidden = false;
    behind.replaceChildren(
      el("h3", { id: "behind-h", tabindex: "-1" }, `${label}: ${ids.length} ${ids.length === 1 ? "measure" : "measures"}`),
      el("ul", { class: "ids" }, ids.map((id) => el("li", {}, el("a", { href: `#measure/${id}` }, id)))),
    );
    behind.querySelector("h3").focus();
  };
  const months = o.months || [];
  const keysOf = (f) => [...new Set(months.flatMap((m) => Object.keys(m[f] || {})))].sort();
  const outcomes = keysOf("outcome"), services = keysOf("service");
  const byOutcome = months.map((m) => ({ label: m.month, parts: m.outcome || {} }));
  const byService = months.map((m) => ({ label: m.month, parts: m.service || {} }));
  const map = (obj) => Object.keys(obj || {}).sort().map((k) => ({ label: k, parts: { measures: obj[k] } }));
  const parts = [
    el("p", { class: "lead", id: "oversight-total" }, `${o.total} measures in the register on ${o.date}, counted from its projections.`),
    el("h3", {}, "Measures per month by outcome"),
    stackedChart("Measures per month by outcome", byOutcome, outcomes),
    countTable(el, "Measures per month by outcome", "Month", byOutcome, outcomes, pick),
    el("h3", {}, "Measures per month by requesting service"),
    stackedChart("Measures per month by requesting service", byService, services),
    countTable(el, "Measures per month by requesting service", "Month", byService, services, pick),
    el("h3", {}, "How long approvals wait"),
  ];
  const waits = o.waits || [];
  if (waits.length) {
    const worst = Math.max(1, ...waits.map((w) => w.worst_seconds));
    const W = 640, L = 170, BAR = 12;
    const g = svg("svg", { viewBox: `0 0 ${W} ${waits.length * 40 + 8}`, width: "100%", role: "img", "aria-label": "Approval waits per role: median and worst", class: "chart" });
    waits.forEach((w, i) => {
      const y = i * 40;
      g.append(svg("text", { x: L - 8, y: y + 18, "text-anchor": "end", class: "axis" }, w.role));
      g.append(svg("rect", { x: L, y: y + 4, width: Math.max(1, ((W - L - 90) * w.median_seconds) / worst), height: BAR, fill: HUES[0] }, svg("title", {}, `median ${duration(w.median_seconds)}`)));
      g.append(svg("rect", { x: L, y: y + 18, width: Math.max(1, ((W - L - 90) * w.worst_seconds) / worst), height: BAR, fill: HUES[1] }, svg("title", {}, `worst ${duration(w.worst_seconds)}`)));
      g.append(svg("text", { x: W - 84, y: y + 18, class: "axis" }, duration(w.worst_seconds)));
    });
    parts.push(
      g,
      el(
        "table",
        {},
        el("caption", {}, "Approval waits per role (from the opening of the round approved)"),
        el("thead", {}, el("tr", {}, ["Role", "Approvals", "Median", "Worst"].map((h) => el("th", { scope: "col" }, h)))),
        el(
          "tbody",
          { id: "oversight-waits" },
          waits.map((w) =>
            el(
              "tr",
              { "data-role": w.role },
              el("th", { scope: "row" }, w.role),
              el("td", { class: "num" }, countLink(el, `approvals by ${w.role}`, { count: w.count, measures: [...new Set(w.measures)] }, pick)),
              el("td", {}, duration(w.median_seconds)),
              el("td", {}, el("a", { href: `#measure/${w.worst_measure}`, "aria-label": `worst wait ${duration(w.worst_seconds)}: ${w.worst_measure}` }, duration(w.worst_seconds))),
            ),
          ),
        ),
      ),
    );
  } else parts.push(el("p", { class: "muted" }, "No approval has been signed yet."));
  const cats = map(o.categories), states = map(o.states);
  parts.push(
    el("h3", {}, "Measures touching each protected category"),
    cats.length ? stackedChart("Measures touching each protected category", cats, ["measures"]) : el("p", { class: "muted" }, "No measure touched a protected party."),
    cats.length ? countTable(el, "Measures touching each protected category", "Category", cats, ["measures"], pick) : "",
    el("h3", {}, "Suspended, revoked, refused, forbidden"),
    states.length ? countTable(el, "Measures stopped or refused, by state", "State", states, ["measures"], pick) : el("p", { class: "muted" }, "None."),
    el("h3", {}, "Worth a look"),
    (o.anomalies || []).length
      ? el(
          "ul",
          { id: "oversight-anomalies", class: "anomalies" },
          o.anomalies.map((a) =>
            el("li", { "data-kind": a.kind }, el("strong", {}, ANOMALY[a.kind] || a.kind), `: ${a.what} — `, countLink(el, a.what, { count: a.measures.length, measures: a.measures }, pick), a.measures.length === 1 ? " measure" : " measures"),
          ),
        )
      : el("p", { class: "muted" }, "Nothing unusual."),
    behind,
  );
  box.replaceChildren(...parts);
}
