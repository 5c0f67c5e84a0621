// rules_cedar.mjs — the Cedar half of bench/rules: decisions per second of @cedar-policy/cedar-wasm (run by node)
// on bench/rules_cedar.cedar, for the requests bench/rules wrote (one JSON line per measure, one request per
// subject). Prints "NAME RATE OUTCOME" per measure. Usage: node bench/rules_cedar.mjs REQUESTS SECONDS
import { readFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [, , requestsFile, secondsArg] = process.argv;
const seconds = Number(secondsArg) || 0.4;
const npmDir = resolve(process.env.CEDAR_NPM_DIR || "build/npm-cedar");
const pkg = join(npmDir, "node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm.js");
if (!existsSync(pkg)) {
  // the one npm package the benchmark needs, fetched once into build/npm-cedar
  const r = spawnSync("npm", ["install", "--prefix", npmDir, "--no-audit", "--no-fund", "--loglevel=error", "@cedar-policy/cedar-wasm@4"], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error("rules_cedar: npm install @cedar-policy/cedar-wasm failed");
    process.exit(1);
  }
}
const cedar = createRequire(import.meta.url)(pkg);
const policyText = readFileSync(new URL("./rules_cedar.cedar", import.meta.url), "utf8");
const parsed = cedar.preparsePolicySet("vcdr", { staticPolicies: policyText });
if (parsed.type !== "success") {
  console.error("rules_cedar: policy set does not parse:", JSON.stringify(parsed.errors));
  process.exit(1);
}

/* One Cedar request per subject: the measure's kind is the action, the party the resource. */
function calls(m) {
  return m.requests.map((r) => {
    const p = r.party || { id: "none", category: "none", status: "none", nationality: "", permanent_resident: false, consent: false, waiver: false };
    const uid = { type: "Party", id: p.id };
    return {
      principal: { type: "Service", id: "requester" },
      action: { type: "Action", id: r.kind },
      resource: uid,
      context: { framework: r.framework, place: r.place, bag: r.bag },
      preparsedPolicySetId: "vcdr",
      entities: [{ uid, parents: [], attrs: { category: p.category, status: p.status, nationality: p.nationality,
        permanent_resident: p.permanent_resident, consent: p.consent, waiver: p.waiver } }],
    };
  });
}

const measures = readFileSync(requestsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
// every request answers, and a warm-up pass (the JIT, the wasm instance) before anything is timed
for (const m of measures) {
  m.calls = calls(m);
  let forbid = false, allow = false;
  for (const c of m.calls) {
    const a = cedar.statefulIsAuthorized(c);
    if (a.type !== "success") {
      console.error(`rules_cedar: ${m.name}: ${JSON.stringify(a.errors)}`);
      process.exit(1);
    }
    forbid ||= a.response.decision === "deny" && a.response.diagnostics.reason.length > 0;
    allow ||= a.response.decision === "allow";
  }
  // custos' outcome in Cedar's terms: a forbid that applies, else a permit (approvals), else nothing applies
  m.outcome = forbid ? "forbidden" : allow ? "needs_approval" : "permitted";
}
for (let i = 0; i < 300; i++) for (const m of measures) for (const c of m.calls) cedar.statefulIsAuthorized(c);

for (const m of measures) {
  const cs = m.calls;
  let n = 0;
  const t0 = process.hrtime.bigint();
  let t = 0;
  do {
    for (let b = 0; b < 100; b++) {
      for (const c of cs) cedar.statefulIsAuthorized(c);
    }
    n += 100;
    t = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (t < seconds);
  console.log(`${m.name} ${(n / t).toFixed(0)} ${m.outcome}`);
}
