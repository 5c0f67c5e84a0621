// registry-import.js — the registrar's import: a JSON Lines file previewed (POST /v1/registry/preview: the parties it
// adds, changes and removes, the measures it would suspend; nothing stored), then imported signed (POST /v1/registry)
// or cancelled with nothing sent.

/* Renders the import panel into `box`. ctx: {api, el, failure}. */
export function renderRegistryImport(box, { api, el, failure }) {
  let text = null; // the file previewed, as read
  const input = el("input", { id: "import-file", type: "file", accept: ".jsonl,.ndjson,application/jsonl,text/plain", "aria-describedby": "import-help" });
  const out = el("div", { id: "import-preview", "aria-live": "polite" });
  const status = el("div", { id: "import-status", role: "status", "aria-live": "polite" });
  const partyRow = (p) => el("tr", {}, el("td", {}, el("code", {}, p.id)), el("td", {}, p.category), el("td", {}, p.name || "—"), el("td", {}, (p.selectors || []).join(", ")));
  const parties = (id, caption, list) =>
    list.length
      ? el("table", { id }, el("caption", {}, `${caption}: ${list.length}`),
          el("thead", {}, el("tr", {}, ["Party", "Category", "Name", "Selectors"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, list.map(partyRow)))
      : el("p", { id, class: "muted" }, `${caption}: none.`);

  /* What changes in a party, field by field: a list (its selectors) by what it gains (+) and loses (−). */
  function changedField(b, a) {
    return Object.keys({ ...b, ...a })
      .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
      .map((k) => {
        if (Array.isArray(b[k]) && Array.isArray(a[k])) {
          const gained = a[k].filter((x) => !b[k].includes(x)).map((x) => `+ ${x}`);
          const lost = b[k].filter((x) => !a[k].includes(x)).map((x) => `− ${x}`);
          return `${k}: ${[...gained, ...lost].join(", ") || "reordered"}`;
        }
        return `${k}: ${JSON.stringify(b[k] ?? null)} → ${JSON.stringify(a[k] ?? null)}`;
      })
      .join("; ");
  }

  function cancel() {
    text = null;
    input.value = "";
    out.replaceChildren();
    status.textContent = "Cancelled: nothing was sent to the register.";
    input.focus();
  }

  async function doImport(importButton) {
    importButton.disabled = true;
    status.textContent = "Importing…";
    const r = await api("POST", "/v1/registry", { body: text, type: "application/jsonl" });
    importButton.disabled = false;
    if (!r.ok) {
      status.replaceChildren(el("p", { class: "error", role: "alert" }, failure(r)));
      return;
    }
    const s = r.json.suspended || [];
    text = null;
    out.replaceChildren();
    status.replaceChildren(
      el("p", { class: "notice", id: "import-done", tabindex: "-1" }, `Imported ${r.json.imported} ${r.json.imported === 1 ? "party" : "parties"}. `,
        s.length ? ["Suspended: ", s.flatMap((m, i) => [i ? ", " : "", el("a", { href: `#measure/${m.measure}` }, m.measure)]), "."] : "No measure was suspended."),
    );
    status.querySelector("#import-done").focus();
  }

  async function preview(file) {
    status.textContent = "Reading the file…";
    out.replaceChildren();
    text = await file.text();
    const r = await api("POST", "/v1/registry/preview", { body: text, type: "application/jsonl" });
    if (!r.ok) {
      text = null;
      status.replaceChildren(el("p", { class: "error", role: "alert", id: "import-error" }, `${file.name}: ${failure(r)}`));
      return;
    }
    const p = r.json;
    status.textContent = `${file.name}: ${p.count} lines, previewed. Nothing is stored until you import.`;
    const importButton = el("button", { type: "button", id: "import-confirm" }, "Import (signed)");
    importButton.addEventListener("click", () => doImport(importButton));
    out.replaceChildren(
      el("h3", { id: "import-preview-h", tabindex: "-1" }, "What this import would change"),
      parties("import-added", "Added parties", p.added || []),
      (p.changed || []).length
        ? el("table", { id: "import-changed" }, el("caption", {}, `Changed parties: ${p.changed.length}`),
            el("thead", {}, el("tr", {}, ["Party", "What changes"].map((h) => el("th", { scope: "col" }, h)))),
            el("tbody", {}, p.changed.map((c) => el("tr", {}, el("td", {}, el("code", {}, c.id)), el("td", {}, changedField(c.before, c.after))))))
        : el("p", { id: "import-changed", class: "muted" }, "Changed parties: none."),
      parties("import-removed", "Removed parties", p.removed || []),
      el("p", { class: "muted" }, `${p.unchanged} parties unchanged.`),
      (p.suspended || []).length
        ? el("div", { id: "import-suspended", class: "warning" }, el("h4", {}, `Measures this import would suspend: ${p.suspended.length}`),
            el("ul", {}, p.suspended.map((m) => el("li", {}, el("a", { href: `#measure/${m.measure}` }, m.measure), `: ${m.reason}${m.outcome === "needs_approval" && m.approvals && m.approvals.length ? ` (to be approved again by ${m.approvals.join(", ")})` : ""}`))))
        : el("p", { id: "import-suspended", class: "muted" }, "No authorised measure would be suspended."),
      el("div", { class: "actions" }, importButton, el("button", { type: "button", class: "secondary", id: "import-cancel", onclick: cancel }, "Cancel")),
    );
    out.querySelector("#import-preview-h").focus();
  }

  input.addEventListener("change", () => {
    if (input.files[0]) preview(input.files[0]);
  });
  box.replaceChildren(
    el("section", { class: "panel", "aria-labelledby": "import-h", id: "registry-import" },
      el("h3", { id: "import-h" }, "Import a registry file"),
      el("label", { for: "import-file" }, "JSON Lines file (one party a line)"),
      input,
      el("p", { class: "help", id: "import-help" }, "The file is previewed first: nothing changes until you import it, signed with your key."),
      status,
      out),
  );
}
