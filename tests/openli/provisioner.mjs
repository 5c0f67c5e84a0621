// provisioner.mjs — a STAND-IN for OpenLI's provisioner REST API, for tests. It is not OpenLI: OpenLI's provisioner
// cannot be built from Debian's packages (it needs libtrace >= 4.0.34 and libwandder). It was written here from
// OpenLI's documentation (the wiki's "Intercept Configuration REST API" page, doc/ProvisionerDoc.md,
// doc/exampleconfigs/running-intercept-example.yaml) and its source (src/provisioner/updateserver.c,
// updateserver_jsonparsing.c), and reproduces what custos relies on:
//   - routing by path prefix as OpenLI's strncmp does (/ipintercept..., /voipintercept..., /emailintercept...,
//     /agency...); the target of a DELETE or GET is the path's second segment; an unknown path gets no answer
//     (OpenLI's handler returns MHD_NO: the connection is closed);
//   - POST adds (an existing LIID is refused: 400, "please use PUT"); PUT changes, and adds an unknown LIID
//     (modify_*intercept falls through to add_new_*intercept); DELETE /KIND/LIID removes, and answers 200 for an
//     unknown LIID too (remove_* returns 0, the success page is sent); anything else is a GET: the collection as a
//     JSON array, or one item, 404 when unknown;
//   - the fields an add requires (liid, authcc, delivcc, agencyid, mediator; user for IP; siptargets or xids for
//     VoIP; targets for email), integers for mediator/starttime/endtime (json-c also takes digit strings), an
//     agency that must exist (set_agency_properties); failures are 400 with an HTML page naming the problem;
//   - X-API-KEY: with --api-key, any request without that key gets 401 (send_auth_failure);
//   - after every change, the running-intercept file rewritten in OpenLI's YAML format (authcountrycode and
//     deliverycountrycode there), written to a temporary file and renamed.
// It records every request it receives, one JSON line each, before answering: {method, path, headers, body, status}.
//
//   node provisioner.mjs --port-file F --record F.jsonl --yaml F.yaml [--api-key K] [--state F.json]
import { createServer } from "node:http";
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const a of ["port-file", "record", "yaml"]) if (!args[a]) { console.error(`provisioner.mjs: --${a} is required`); process.exit(2); }

const KINDS = ["ipintercept", "voipintercept", "emailintercept"];
const store = { agency: new Map(), ipintercept: new Map(), voipintercept: new Map(), emailintercept: new Map() };
if (args.state) {
  const s = JSON.parse(readFileSync(args.state, "utf8"));
  for (const a of s.agency || []) store.agency.set(a.agencyid, a);
  for (const k of KINDS) for (const i of s[k] || []) store[k].set(String(i.liid), i);
}

const page = (msg) => `<html><head> OpenLI provisioner configuration failed.</head><body><p>${msg}</body></html>`;
const ok = "<html><head> OpenLI provisioner configuration was successful.</head><body></body></html>";

class Refused extends Error {}
// json-c's json_object_get_string: any value as text; json_object_get_int64: integers, and strings of digits
const str = (o, f, required, what) => {
  const v = o[f];
  if (v === undefined || v === null) { if (required) throw new Refused(`OpenLI provisioner could not parse '${f}' in ${what} update socket message.`); return undefined; }
  return typeof v === "string" ? v : JSON.stringify(v);
};
const int = (o, f, required, what) => {
  const v = o[f];
  if (v === undefined || v === null) { if (required) throw new Refused(`OpenLI provisioner could not parse '${f}' in ${what} update socket message.`); return undefined; }
  if (Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?[0-9]+$/.test(v)) return Number(v);
  throw new Refused(`OpenLI provisioner could not parse '${f}' in ${what} update socket message.`);
};

const WHAT = { ipintercept: "IP intercept", voipintercept: "VOIP intercept", emailintercept: "Email intercept" };

// An intercept as an add reads it: the fields OpenLI requires, checked; the object kept as sent (types normalised).
function readIntercept(kind, o, isNew) {
  const what = WHAT[kind];
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new Refused("OpenLI provisioner was unable to parse JSON received over update socket.");
  const c = { ...o, liid: str(o, "liid", true, what) };
  for (const f of ["authcc", "delivcc", "agencyid"]) { const v = str(o, f, isNew, what); if (v !== undefined) c[f] = v; }
  for (const f of ["mediator"]) { const v = int(o, f, isNew, what); if (v !== undefined) c[f] = v; }
  for (const f of ["starttime", "endtime"]) { const v = int(o, f, false, what); if (v !== undefined) c[f] = v; }
  if (isNew && c.agencyid !== "pcapdisk" && !store.agency.has(c.agencyid))
    throw new Refused(`The agency for intercept ${c.liid} (${c.agencyid}) is not recognised by the provisioner`);
  if (kind === "ipintercept") {
    const u = str(o, "user", isNew, what);
    if (u !== undefined) c.user = u;
    for (const r of o.staticips || []) if (!r || r.iprange === undefined) throw new Refused("OpenLI provisioner could not parse 'iprange' in IP intercept static IP update socket message.");
  } else if (kind === "voipintercept") {
    if (isNew && !(o.siptargets || []).length && !(o.xids || []).length && !o.xid) throw new Refused(`VOIP intercept ${c.liid} has no SIP targets`);
    for (const t of o.siptargets || []) if (!t || t.username === undefined) throw new Refused("OpenLI provisioner could not parse 'username' in VOIP intercept SIP target update socket message.");
  } else {
    if (isNew && !(o.targets || []).length) throw new Refused(`Email intercept ${c.liid} has no targets`);
    for (const t of o.targets || []) if (!t || t.address === undefined) throw new Refused("OpenLI provisioner could not parse 'address' in Email intercept target update socket message.");
  }
  return c;
}

// ---- the running-intercept file ------------------------------------------------------------------------------
const q = (v) => (typeof v === "number" ? String(v) : JSON.stringify(String(v))); // JSON strings are YAML double-quoted scalars
function yamlItem(lines, obj, fields) {
  let first = true;
  for (const [f, name] of fields) {
    if (obj[f] === undefined || obj[f] === null) continue;
    const lead = first ? " - " : "   ";
    first = false;
    if (Array.isArray(obj[f])) {
      lines.push(`${lead}${name}:`);
      for (const e of obj[f]) {
        if (typeof e !== "object") { lines.push(`    - ${q(e)}`); continue; }
        const ks = Object.keys(e).filter((k) => e[k] !== undefined && e[k] !== null);
        ks.forEach((k, i) => lines.push(`${i ? "      " : "    - "}${k}: ${q(e[k])}`));
      }
    } else lines.push(`${lead}${name}: ${q(obj[f])}`);
  }
}
const COMMON = [["liid", "liid"], ["authcc", "authcountrycode"], ["delivcc", "deliverycountrycode"], ["mediator", "mediator"], ["agencyid", "agencyid"], ["starttime", "starttime"], ["endtime", "endtime"]];
function writeYaml() {
  const lines = ["# OpenLI running intercept configuration (written by the custos test stand-in)", "agencies:"];
  for (const a of store.agency.values()) yamlItem(lines, a, Object.keys(a).map((k) => [k, k]));
  lines.push("ipintercepts:");
  for (const i of store.ipintercept.values())
    yamlItem(lines, i, [...COMMON, ["user", "user"], ["accesstype", "accesstype"], ["mobileident", "mobileident"], ["radiusident", "radiusident"], ["vendmirrorid", "vendmirrorid"], ["staticips", "staticips"]]);
  lines.push("voipintercepts:");
  for (const i of store.voipintercept.values()) yamlItem(lines, i, [...COMMON, ["siptargets", "siptargets"], ["xids", "xids"]]);
  lines.push("emailintercepts:");
  for (const i of store.emailintercept.values()) yamlItem(lines, i, [...COMMON, ["targets", "targets"], ["delivercompressed", "delivercompressed"]]);
  writeFileSync(`${args.yaml}.tmp`, lines.join("\n") + "\n");
  renameSync(`${args.yaml}.tmp`, args.yaml);
}

// ---- the REST API ---------------------------------------------------------------------------------------------
function route(method, url, body) {
  const coll = ["agency", ...KINDS].find((k) => url.startsWith(`/${k}`)); // OpenLI: strncmp on the prefix
  if (!coll) return null;
  const target = decodeURIComponent((url.replace(/^\/+/, "").split("/")[1] || "").split("?")[0]);
  const items = store[coll];
  const idField = coll === "agency" ? "agencyid" : "liid";
  if (method === "POST" || method === "PUT") {
    let o;
    try { o = JSON.parse(body); } catch { return [400, page("OpenLI provisioner was unable to parse JSON received over update socket.")]; }
    try {
      if (coll === "agency") {
        const id = str(o, "agencyid", true, "agency");
        if (method === "POST" && items.has(id)) throw new Refused(`Agency ${id} already exists`);
        items.set(id, { ...(items.get(id) || {}), ...o, agencyid: id });
      } else {
        const id = str(o || {}, "liid", true, WHAT[coll]);
        const known = items.get(id);
        if (method === "POST" && known) throw new Refused(`LIID ${id} already exists as an ${WHAT[coll]}, please use PUT method if you wish to modify it.`);
        items.set(id, known && method === "PUT" ? { ...known, ...readIntercept(coll, o, false) } : readIntercept(coll, o, true));
      }
    } catch (e) {
      if (e instanceof Refused) return [400, page(e.message)];
      throw e;
    }
    writeYaml();
    return [200, ok];
  }
  if (method === "DELETE") {
    if (target) items.delete(target);
    writeYaml();
    return [200, ok];
  }
  if (!target) return [200, JSON.stringify([...items.values()]), "application/json"];
  const one = items.get(target);
  return one ? [200, JSON.stringify(one), "application/json"] : [404, "<html><body>Not found</body></html>"];
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let out;
    if (args["api-key"] && req.headers["x-api-key"] !== args["api-key"]) out = [401, "<html><body>Authentication failed.</body></html>", "text/html", { "WWW-Authenticate": 'Digest realm="provisioner@openli.nz"' }];
    else out = route(req.method, req.url, body);
    appendFileSync(args.record, JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body, status: out ? out[0] : 0 }) + "\n");
    if (!out) return req.socket.destroy(); // OpenLI answers an unknown path with MHD_NO: no answer
    res.writeHead(out[0], { "Content-Type": out[2] || "text/html", ...(out[3] || {}) });
    res.end(out[1]);
  });
});
server.listen(0, "127.0.0.1", () => {
  writeYaml();
  writeFileSync(`${args["port-file"]}.tmp`, String(server.address().port));
  renameSync(`${args["port-file"]}.tmp`, args["port-file"]);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
