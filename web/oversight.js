// oversight.js — comite_r's overview (GET /v1/oversight): charts drawn as inline SVG, each beside a table of the
// same numbers; every number is a link that lists the measures behind it. Nothing is counted here: the page shows
// what the server counted from the register, so a number on screen is a number of the API.

const SVG = "http://www.w3.org/2000/svg";
// distinct hues, each with at least 3:1 contrast on white (WCAG 1.4.11 for graphics; views.mjs checks it)
const HUES = ["#1f3a68", "#b3261e", "#1a5e2a", "#7a4b00", "#6a1b9a", "#00606b", "#4e342e", "#37474f"];
const JUMP = "#b3261e"; // a month a service's filings jumped: this colour, a marker above and the word in the table
const PLAIN = "#1f3a68";

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

/* A count as a link to the measures behind it ({count, measures}); zero is plain text. */
function countLink(el, label, c, onPick, text) {
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
    text || String(c.count),
  );
}

/* A chart's mark that a pointer can pick too (the table after the chart is the keyboard's way to the same list). */
function pickable(mark, label, c, onPick) {
  if (!c || !c.count) return mark;
  mark.setAttribute("class", "pick");
  mark.addEventListener("click", () => onPick(label, c.measures));
  return mark;
}

const sum = (parts, keys) => keys.reduce((s, k) => s + ((parts[k] && parts[k].count) || 0), 0);
/* Every measure of the parts, each once, in the register's order. */
const union = (parts) => [...new Set(Object.values(parts).flatMap((c) => c.measures || []))].sort();

/*
 * Stacked horizontal bars, one a row: rows [{label, parts: {key: {count, measures}}}], keys in legend order.
 * The SVG is a picture (role img, its numbers in the table that follows); each segment names itself in a title.
 */
function stackedChart(title, rows, keys, onPick) {
  const max = Math.max(1, ...rows.map((r) => sum(r.parts, keys)));
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
      g.append(pickable(svg("rect", { x, y, width: w, height: BAR, fill: HUES[j % HUES.length] }, svg("title", {}, `${r.label} · ${k}: ${n}`)), `${r.label}, ${k}`, r.parts[k], onPick));
      x += w;
    });
    g.append(svg("text", { x: x + 6, y: y + BAR / 2 + 5, class: "axis" }, String(sum(r.parts, keys))));
  });
  keys.forEach((k, j) => {
    const x = (j % 4) * 160 + L, y = rows.length * (BAR + GAP) + 6 + Math.floor(j / 4) * 24;
    g.append(svg("rect", { x, y, width: 14, height: 14, fill: HUES[j % HUES.length] }));
    g.append(svg("text", { x: x + 20, y: y + 12, class: "axis" }, k));
  });
  return g;
}

/* A table of rows × keys, each cell a linked count, and each row's total (every measure of the row). */
function countTable(el, caption, head, rows, keys, onPick, { total = true, id } = {}) {
  return el(
    "table",
    { id },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, head), keys.map((k) => el("th", { scope: "col" }, k)), total ? el("th", { scope: "col" }, "Total") : null)),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, r.label),
          keys.map((k) => el("td", { class: "num" }, countLink(el, `${r.label}, ${k}`, r.parts[k], onPick))),
          total ? el("td", { class: "num total" }, countLink(el, `${r.label}, all`, { count: sum(r.parts, keys), measures: union(r.parts) }, onPick)) : null,
        ),
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

/*
 * One service's filings month by month as columns on a shared scale (max), the months its filings of a kind jumped
 * in the jump colour with a marker and the word above: a change of habits is seen before it is read.
 */
function seriesChart(s, max, onPick) {
  const W = 640, H = 190, L = 34, B = 44, T = 26, n = s.months.length;
  const step = (W - L - 10) / Math.max(1, n), colW = Math.max(4, Math.min(40, step * 0.7));
  const y = (c) => T + (H - T - B) * (1 - c / max);
  const jumps = new Map();
  for (const j of s.jumps || []) jumps.set(j.month, [...(jumps.get(j.month) || []), j]);
  const g = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    width: "100%",
    role: "img",
    "aria-label": `${s.service}: filings per month, ${s.months.map((m) => `${m.month} ${m.count}`).join(", ")}${jumps.size ? `; jumped in ${[...jumps.keys()].join(", ")}` : ""}`,
    class: "chart series",
    "data-service": s.service,
  });
  g.append(svg("line", { x1: L, y1: y(0), x2: W - 6, y2: y(0), class: "baseline" }));
  g.append(svg("text", { x: L - 6, y: y(max) + 4, "text-anchor": "end", class: "axis" }, String(max)));
  g.append(svg("text", { x: L - 6, y: y(0) + 4, "text-anchor": "end", class: "axis" }, "0"));
  const every = Math.ceil(n / 12); // at most 12 month labels
  s.months.forEach((m, i) => {
    const x = L + i * step + (step - colW) / 2, jumped = jumps.get(m.month);
    const title = `${s.service}, ${m.month}: ${m.count}${jumped ? ` — jump: ${jumped.map((j) => `${j.count} ${j.kind} after ${j.before}`).join(", ")}` : ""}`;
    if (m.count)
      g.append(
        pickable(
          svg("rect", { x, y: y(m.count), width: colW, height: y(0) - y(m.count), fill: jumped ? JUMP : PLAIN, "data-month": m.month, "data-jump": jumped ? "true" : "false" }, svg("title", {}, title)),
          `${s.service}, ${m.month}`,
          m,
          onPick,
        ),
      );
    if (m.count) g.append(svg("text", { x: x + colW / 2, y: y(m.count) - 4, "text-anchor": "middle", class: "axis" }, jumped ? `▲ ${m.count}` : String(m.count)));
    if (i % every === 0 || jumped) g.append(svg("text", { x: x + colW / 2, y: H - B + 16, "text-anchor": "middle", class: jumped ? "axis jump" : "axis" }, m.month));
    if (jumped) g.append(svg("text", { x: x + colW / 2, y: H - B + 32, "text-anchor": "middle", class: "axis jump" }, "jump"));
  });
  return g;
}

/* The series' table: a row a month (its total, each kind, and what jumped), every number a link. */
function seriesTable(el, s, onPick) {
  const kinds = [...new Set(s.months.flatMap((m) => Object.keys(m.kinds || {})))].sort();
  const jumps = new Map();
  for (const j of s.jumps || []) jumps.set(j.month, [...(jumps.get(j.month) || []), j]);
  return el(
    "table",
    { class: "series-table", "data-service": s.service },
    el("caption", {}, `${s.service}: filings per month, by kind`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Month"), el("th", { scope: "col" }, "Filed"), kinds.map((k) => el("th", { scope: "col" }, k)), el("th", { scope: "col" }, "Jump"))),
    el(
      "tbody",
      {},
      s.months.map((m) => {
        const jumped = jumps.get(m.month);
        return el(
          "tr",
          { "data-month": m.month, class: jumped ? "jumped" : undefined },
          el("th", { scope: "row" }, m.month),
          el("td", { class: "num" }, countLink(el, `${s.service}, ${m.month}`, m, onPick)),
          kinds.map((k) => el("td", { class: "num" }, countLink(el, `${s.service}, ${m.month}, ${k}`, (m.kinds || {})[k], onPick))),
          el("td", {}, jumped ? jumped.map((j) => el("strong", { class: "jump-word" }, `▲ ${j.kind}: ${j.count} after ${j.before}`)) : ""),
        );
      }),
    ),
  );
}

/* Per role, two bars (the median and the worst or oldest), each its own colour; the numbers are in the table after. */
function waitChart(title, list, worstKey) {
  const worst = Math.max(1, ...list.map((w) => w[`${worstKey}_seconds`]));
  const W = 640, L = 170, BAR = 12;
  const g = svg("svg", { viewBox: `0 0 ${W} ${list.length * 40 + 30}`, width: "100%", role: "img", "aria-label": title, class: "chart" });
  list.forEach((w, i) => {
    const y = i * 40;
    g.append(svg("text", { x: L - 8, y: y + 18, "text-anchor": "end", class: "axis" }, w.role));
    g.append(svg("rect", { x: L, y: y + 4, width: Math.max(1, ((W - L - 90) * w.median_seconds) / worst), height: BAR, fill: HUES[0] }, svg("title", {}, `median ${duration(w.median_seconds)}`)));
    g.append(svg("rect", { x: L, y: y + 18, width: Math.max(1, ((W - L - 90) * w[`${worstKey}_seconds`]) / worst), height: BAR, fill: HUES[1] }, svg("title", {}, `${worstKey} ${duration(w[`${worstKey}_seconds`])}`)));
    g.append(svg("text", { x: W - 84, y: y + 18, class: "axis" }, duration(w[`${worstKey}_seconds`])));
  });
  const ly = list.length * 40 + 8;
  g.append(svg("rect", { x: L, y: ly, width: 14, height: 14, fill: HUES[0] }), svg("text", { x: L + 20, y: ly + 12, class: "axis" }, "median"));
  g.append(svg("rect", { x: L + 120, y: ly, width: 14, height: 14, fill: HUES[1] }), svg("text", { x: L + 140, y: ly + 12, class: "axis" }, worstKey));
  return g;
}

/* The table of waits: per role, its count (linked), the median and the worst (or oldest), each a link to its measure. */
function waitTable(el, caption, id, list, worstKey, countWord, onPick) {
  const head = worstKey === "worst" ? "Worst" : "Oldest";
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ["Role", countWord, "Median", head].map((h) => el("th", { scope: "col" }, h)))),
    el(
      "tbody",
      { id },
      list.map((w) =>
        el(
          "tr",
          { "data-role": w.role },
          el("th", { scope: "row" }, w.role),
          el("td", { class: "num" }, countLink(el, `${countWord.toLowerCase()}, ${w.role}`, { count: w.count, measures: w.measures }, onPick)),
          el("td", {}, el("a", { href: `#measure/${w.median_measure}`, "aria-label": `median ${duration(w.median_seconds)}: ${w.median_measure}` }, duration(w.median_seconds))),
          el("td", {}, el("a", { href: `#measure/${w[`${worstKey}_measure`]}`, "aria-label": `${worstKey} ${duration(w[`${worstKey}_seconds`])}: ${w[`${worstKey}_measure`]}` }, duration(w[`${worstKey}_seconds`]))),
        ),
      ),
    ),
  );
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
    behind.scrollIntoView({ block: "nearest" });
    behind.querySelector("h3").focus();
  };
  const services = o.services || [];
  // every month of the register's span (the series' months), those without a filing as zeros
  const span = services.length ? services[0].months.map((m) => m.month) : (o.months || []).map((m) => m.month);
  const byMonth = new Map((o.months || []).map((m) => [m.month, m]));
  const months = span.map((month) => byMonth.get(month) || { month, outcome: {}, service: {} });
  const keysOf = (f) => [...new Set(months.flatMap((m) => Object.keys(m[f] || {})))].sort();
  const outcomes = keysOf("outcome"), serviceKeys = keysOf("service");
  const byOutcome = months.map((m) => ({ label: m.month, parts: m.outcome || {} }));
  const byService = months.map((m) => ({ label: m.month, parts: m.service || {} }));
  const map = (obj) => Object.keys(obj || {}).sort().map((k) => ({ label: k, parts: { measures: obj[k] } }));
  const states = o.states || {}, waits = o.waits || [], waiting = o.waiting || [], anomalies = o.anomalies || [];
  const all = union(Object.fromEntries((o.months || []).flatMap((m) => Object.entries(m.outcome || {}).map(([k, c]) => [`${m.month} ${k}`, c]))));
  const waitingIds = union(Object.fromEntries(waiting.map((w) => [w.role, w])));
  const jumpIds = union(Object.fromEntries(anomalies.map((a, i) => [i, a])));

  // at a glance: what the seeds' overseers could not see, each number a link to its measures
  const glance = [
    ["Measures in the register", { count: o.total, measures: all }],
    ["Forbidden", states.forbidden],
    ["Refused", states.refused],
    ["Suspended", states.suspended],
    ["Revoked", states.revoked],
    ["Waiting for an approval", { count: waitingIds.length, measures: waitingIds }],
    ["Worth a look", { count: jumpIds.length, measures: jumpIds }],
  ];
  const parts = [
    el("p", { class: "lead", id: "oversight-total" }, countLink(el, "measures in the register", { count: o.total, measures: all }, pick), ` measures in the register on ${o.date}, counted from its projections.`),
    el(
      "dl",
      { class: "glance", id: "oversight-glance" },
      glance.map(([label, c]) => el("div", { class: "stat" }, el("dt", {}, label), el("dd", {}, countLink(el, label.toLowerCase(), c, pick)))),
    ),
    el("h3", { id: "trend-h" }, "Each service's filings, month by month"),
    el("p", { class: "help" }, "One chart a service, on one scale. A month in red, marked ▲ and “jump”, is one in which the service filed a kind of measure at least three times, more than twice as often as the month before."),
  ];
  const seriesMax = Math.max(1, ...services.flatMap((s) => s.months.map((m) => m.count)));
  services.forEach((s, i) =>
    parts.push(
      el(
        "section",
        { class: "series-block", "data-service": s.service, "aria-labelledby": `series-${i}-h` },
        el("h4", { id: `series-${i}-h` }, s.service, " ", (s.jumps || []).length ? el("span", { class: "badge badge-suspended" }, `${s.jumps.length} ${s.jumps.length === 1 ? "jump" : "jumps"}`) : ""),
        seriesChart(s, seriesMax, pick),
        seriesTable(el, s, pick),
      ),
    ),
  );
  if (!services.length) parts.push(el("p", { class: "muted" }, "No measure has been filed."));
  parts.push(
    el("h3", {}, "Measures per month by outcome"),
    stackedChart("Measures per month by outcome", byOutcome, outcomes, pick),
    countTable(el, "Measures per month by outcome", "Month", byOutcome, outcomes, pick),
    el("h3", {}, "Measures per month by requesting service"),
    stackedChart("Measures per month by requesting service", byService, serviceKeys, pick),
    countTable(el, "Measures per month by requesting service", "Month", byService, serviceKeys, pick),
    el("h3", {}, "How long approvals wait"),
  );
  if (waits.length)
    parts.push(
      waitChart("Approvals given, per role: median and worst wait", waits, "worst"),
      waitTable(el, "Approvals given, per role (from the opening of the round approved)", "oversight-waits", waits, "worst", "Approvals", pick),
    );
  else parts.push(el("p", { class: "muted" }, "No approval has been signed yet."));
  parts.push(el("h4", {}, "Still waiting"));
  if (waiting.length)
    parts.push(
      waitChart("Approvals still waiting, per role: median and oldest", waiting, "oldest"),
      waitTable(el, "Approvals asked and not given yet, per role (from the opening of their round to now)", "oversight-waiting", waiting, "oldest", "Waiting", pick),
    );
  else parts.push(el("p", { class: "muted" }, "No approval is waiting."));
  const cats = map(o.categories), stateRows = map(o.states);
  parts.push(
    el("h3", {}, "Measures touching each protected category"),
    cats.length ? stackedChart("Measures touching each protected category", cats, ["measures"], pick) : el("p", { class: "muted" }, "No measure touched a protected party."),
    cats.length ? countTable(el, "Measures touching each protected category", "Category", cats, ["measures"], pick, { total: false }) : "",
    el("h3", {}, "Suspended, revoked, refused, forbidden"),
    stateRows.length ? countTable(el, "Measures stopped or refused, by state", "State", stateRows, ["measures"], pick, { total: false }) : el("p", { class: "muted" }, "None."),
    el("h3", { id: "anomalies-h" }, "Worth a look"),
    anomalies.length
      ? el(
          "ul",
          { id: "oversight-anomalies", class: "anomalies" },
          anomalies.map((a) =>
            el(
              "li",
              { "data-kind": a.kind },
              el("strong", {}, ANOMALY[a.kind] || a.kind),
              `: ${a.what} — `,
              countLink(el, a.what, { count: a.measures.length, measures: a.measures }, pick),
              a.measures.length === 1 ? " measure" : " measures",
            ),
          ),
        )
      : el("p", { class: "muted" }, "Nothing unusual."),
    behind,
  );
  box.replaceChildren(...parts);
}

/*
 * The latest `custos audit openli`: what the interception system runs that no valid authorisation covers. Each
 * finding names the intercept (its LIID and, from a file, its line) and the measure behind it when there is one.
 */
export function renderAudit(r, el) {
  const section = el("section", { id: "oversight-openli", "aria-labelledby": "openli-h", class: "panel" }, el("h3", { id: "openli-h" }, "What the interception system runs"));
  if (!r || !r.checked_at) {
    section.append(el("p", { class: "muted" }, "No audit of the interception system has been run (custos audit openli)."));
    return section;
  }
  const findings = r.findings || [];
  section.append(el("p", {}, `Audit of ${r.source} at ${r.checked_at}: ${r.intercepts} intercepts, ${findings.length} ${findings.length === 1 ? "finding" : "findings"}, ${(r.clean || []).length} covered by a valid authorisation.`));
  if (findings.length)
    section.append(
      el("table", { id: "openli-findings" },
        el("caption", {}, "Intercepts running without a valid authorisation, or beyond it"),
        el("thead", {}, el("tr", {}, ["LIID", "Kind", "Finding", "Measure", "Detail"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, findings.map((f) => el("tr", { "data-finding": f.finding },
          el("td", {}, f.liid + (f.line ? ` (line ${f.line})` : "")), el("td", {}, f.kind), el("td", {}, f.finding.replace(/_/g, " ")),
          el("td", {}, f.measure ? el("a", { href: `#measure/${f.measure}` }, f.measure) : "none"), el("td", {}, f.detail))))),
    );
  return section;
}
