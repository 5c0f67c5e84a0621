// provisioner.mjs — a STAND-IN for OpenLI's provisioner REST API, for custos' tests. It is NOT OpenLI: it was
// written (no code copied) from OpenLI's documented API and from reading its source (src/provisioner/updateserver.c,
// updateserver_jsonparsing.c, updateserver_jsoncreation.c, configwriter.c, src/intercept.c, src/util.c), because
// OpenLI's provisioner cannot be built here. Node's standard library only.
//   node tests/openli/provisioner.mjs --port-file F --record F.jsonl --yaml F.yaml [--api-key KEY] [--state F.json]
// Listens on 127.0.0.1 (a free port, written to --port-file once listening); SIGTERM stops it (exit 0).
// What it reproduces:
//  - routing by URL prefix as OpenLI's strncmp does (/agency, /ipintercept, /voipintercept, /emailintercept; so
//    /ipinterceptX/L is /ipintercept/L); the id is the path's second segment; the path is %-decoded, the query dropped.
//    Any other URL (OpenLI's other routes too) gets no answer: the connection is closed, as OpenLI's MHD_NO does.
//  - with --api-key, a request without that X-API-KEY (or with a Digest username) gets 401 "Authentication failed"
//    with OpenLI's Digest challenge, before routing; without --api-key, no authentication (OpenLI without its auth DB).
//  - POST/PUT need Content-Type exactly application/json and a body, else 400 with the *success* page (OpenLI's quirk).
//  - POST adds (an existing LIID: 400 "already exists ... please use PUT"); PUT modifies, and adds an unknown LIID;
//    PUT of a known one needs agencyid, resets mediator/outputhandovers/radiusident/xids when not given (as OpenLI).
//  - required fields and their 400 pages: liid, authcc, delivcc, agencyid, mediator (integers as json-c reads them,
//    strings too), user (IP), siptargets[].username or xids (VoIP), targets[].address (email); the agency must be known
//    (or "pcapdisk"); starttime < endtime when both set (a non-integer time is ignored, as json-c and OpenLI do);
//    'liid' not empty; xid(s) UUIDs; AES-192 keys; staticips' iprange (a lone address gets /32 or /128).
//  - agencies: POST replaces an existing one; hi2/hi3 address+port required; DELETE removes its intercepts too.
//  - DELETE /KIND/ID of an unknown id, or DELETE /KIND: 200 with the success page. Methods other than GET/POST/PUT/
//    DELETE: 400 "does not support that type of request". GET /KIND: a JSON array, GET /KIND/ID: the object or 404.
//  - JSON answers in json-c's spaced form ("/" escaped), the fields updateserver_jsoncreation.c writes.
//  - after every POST/PUT/DELETE that reaches its handler (and at start), the running-intercept YAML as configwriter.c
//    lays it out (agencies, voipintercepts, ipintercepts, emailintercepts; authcountrycode/deliverycountrycode;
//    starttime/endtime always written, 0 = unset). Unlike OpenLI (fopen "w"), it is written atomically (temp, rename),
//    strings double-quoted. Not reproduced: core servers, collectors, mediators, options, agency integrity (shown as
//    OpenLI's defaults), XID clashes across intercepts, json-c's leniency (trailing text after the JSON, comments),
//    announcements to collectors/mediators, timers. --state entries are added as a POST would add them.
// Every request is appended to --record as one JSON line {method, path, headers (lower-case), body, status} before it
// is answered; status 0 means the connection was closed without an answer.
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';

const opt = {};
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i], v = process.argv[i + 1];
	if (!/^--(port-file|record|yaml|api-key|state)$/.test(k) || v === undefined) opt.bad = k;
	else opt[k.slice(2)] = v;
}
if (opt.bad !== undefined || !opt['port-file'] || !opt.record || !opt.yaml) {
	process.stderr.write('usage: provisioner.mjs --port-file FILE --record FILE.jsonl --yaml FILE.yaml [--api-key KEY] [--state FILE.json]\n');
	process.exit(2);
}

const START = '<html><body><p>OpenLI provisioner configuration failed.', END = '</body></html>\n';
const OK = '<html><body>OpenLI provisioner configuration was successfully updated.</body></html>\n';
const AUTH = '<html><body>Authentication failed</body></html>\n';
const UNSUPPORTED = '<html><body>OpenLI provisioner does not support that type of request.</body></html>\n';
const NOTFOUND = '<html><body>OpenLI provisioner was unable to find the requested resource in its running intercept configuration.</body></html>\n';
const fail = (m) => `${START} <p>${m} ${END}`;
const could = (name, what) => fail(`OpenLI provisioner could not parse '${name}' in ${what} update socket message.`);
const NONE = 0xffffffff, DEFAULTCOMP = 255, NOTSET = 254;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KINDS = { ipintercept: { what: 'IP intercept', an: 'an IP intercept' }, voipintercept: { what: 'VOIP intercept', an: 'an VOIP intercept' },
	emailintercept: { what: 'Email intercept', an: 'an Email intercept' } };
const db = { agency: new Map(), ipintercept: new Map(), voipintercept: new Map(), emailintercept: new Map() };
// access types: [YAML name, JSON name, the names OpenLI accepts]
const ACCESS = [['dialup', 'dialup', 'dialup dial-up'], ['xdsl', 'xDSL', 'adsl vdsl dsl adsl2 xdsl'],
	['cable', 'cable', 'cable cablemodem cable-modem'], ['lan', 'LAN', 'lan ethernet'],
	['wifi', 'wifi', 'wirelesslan wireless-lan wireless wifi-lan wifi'], ['fiber', 'fiber', 'fibre fiber ufb'],
	['wimax', 'wimax', 'wimax hiperman'], ['satellite', 'satellite', 'satellite'],
	['wifi-other', 'wireless-other', 'wireless-other wifi-other wifiother wirelessother'], ['mobile', 'mobile', 'mobile 3g 4g 5g lte']];
const mapAccess = (s) => ACCESS.find((a) => a[2].split(' ').includes(s.toLowerCase())) || null;
const mapMobile = (s) => (s && ['IMSI', 'MSISDN', 'IMEI'].includes(s.toUpperCase()) ? s.toUpperCase() : null);
const mapRadius = (s) => (s === undefined ? 'any' : /^csid$/i.test(s) ? 'csid' : /^user/i.test(s) ? 'user' : 'any');
const mapComp = (s) => (/^as-is$/i.test(s) ? 0 : /^(decompressed|inflated)$/i.test(s) ? 1 : /^default$/i.test(s) ? DEFAULTCOMP : NOTSET);
const mapEnc = (s) => (s === undefined ? null : /^aes-192-cbc$/i.test(s) ? 'aes-192-cbc' : 'none');
const isHex = (s) => s.length > 2 && /^0[xX]/.test(s);

// json-c's serialisation (JSON_C_TO_STRING_SPACED, '/' escaped) and its readings of a member
const jq = (s) => JSON.stringify(s).replace(/\//g, '\\/');
const jc = (v) => Array.isArray(v) ? (v.length ? `[ ${v.map(jc).join(', ')} ]` : '[ ]')
	: v && typeof v === 'object' ? ((e) => (e.length ? `{ ${e.map(([k, x]) => `${jq(k)}: ${jc(x)}`).join(', ')} }` : '{ }'))(Object.entries(v).filter(([, x]) => x !== undefined))
	: typeof v === 'string' ? jq(v) : JSON.stringify(v);
const get = (j, k) => (j && typeof j === 'object' && !Array.isArray(j) && Object.hasOwn(j, k) ? j[k] : undefined);
const jstr = (v) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : jc(v));
function jint(v) { // json_object_get_int64: NaN when json-c sets errno (a string that is no number)
	if (v === undefined || v === null) return undefined;
	if (typeof v === 'number') return Math.trunc(v);
	if (typeof v === 'boolean') return +v;
	if (typeof v === 'string') { const m = /^\s*([+-]?\d+)/.exec(v); return m ? Number(m[1]) : NaN; }
	return 0;
}
// EXTRACT_JSON_STRING_PARAM / EXTRACT_JSON_INT_PARAM: once one forced field failed (cx.err), the rest are skipped
const S = (cx, j, name, force, what = cx.what) => {
	if (cx.err) return undefined;
	const s = jstr(get(j, name));
	if (s === undefined && force) cx.err = could(name, what);
	return s;
};
const I = (cx, j, name, force, min, max, what = cx.what) => {
	if (cx.err) return undefined;
	const n = jint(get(j, name));
	if (n === undefined || Number.isNaN(n)) { if (force) cx.err = could(name, what); return undefined; }
	return Math.min(max, Math.max(min, n));
};
function parseKey(s) { // openli_parse_encryption_key_string: a Buffer, or the error string
	if (isHex(s)) return /^0[xX][0-9a-fA-F]{48}$/.test(s) ? Buffer.from(s.slice(2), 'hex') : "'encryptionkey' must be 0x + 48 hex digits for AES-192";
	const b = Buffer.from(s);
	if (b.length !== 24) return "'encryptionkey' must be exactly 24 ASCII bytes or 0x + 48 hex digits for AES-192";
	return b.every((c) => c >= 0x20 && c <= 0x7e) ? b : "'encryptionkey' ASCII must be 24 printable characters";
}

// parse_intercept_common_json, then set_agency_properties: {c} or {err: page}
function parseCommon(cx, j, isNew, liid) {
	const c = { liid, tostart: isNew ? 0 : -1, toend: isNew ? 0 : -1, xids: [], key: null };
	const liidstr = liid === undefined ? S(cx, j, 'liid', true) : undefined;
	c.authcc = S(cx, j, 'authcc', isNew); c.delivcc = S(cx, j, 'delivcc', isNew); c.agencyid = S(cx, j, 'agencyid', isNew);
	c.outputhandovers = I(cx, j, 'outputhandovers', false, 0, 3) ?? 0;
	c.mediator = I(cx, j, 'mediator', isNew, 0, 1000000) ?? 0;
	c.tostart = I(cx, j, 'starttime', false, 0, NONE) ?? c.tostart;
	c.toend = I(cx, j, 'endtime', false, 0, NONE) ?? c.toend;
	c.encrypt = mapEnc(S(cx, j, 'payloadencryption', false));
	const key = S(cx, j, 'encryptionkey', false), xid = S(cx, j, 'xid', false);
	if (key !== undefined && c.encrypt === 'aes-192-cbc') { c.key = parseKey(key); if (typeof c.key === 'string') return { err: c.key }; }
	if (liidstr !== undefined) {
		if (liidstr === '') return { err: "'liid' must be not be null or have zero length" };
		[c.liid, c.binary] = isHex(liidstr) ? [liidstr.slice(2), true] : [liidstr, false];
	}
	if (xid !== undefined) { if (!UUID.test(xid)) return { err: "'xid' parameter must be a valid RFC 4122 UUID string" }; c.xids.push(xid.toLowerCase()); }
	const xids = get(j, 'xids');
	if (xids !== undefined && xids !== null) {
		if (!Array.isArray(xids)) return { err: OK }; // OpenLI sets no message here: 400 with the success page
		for (const x of xids.map(jstr).filter((x) => x !== undefined)) {
			if (!UUID.test(x)) return { err: "'xid' parameters must be valid RFC 4122 UUID strings" };
			c.xids.push(x.toLowerCase());
		}
	}
	if (isNew && c.encrypt === 'aes-192-cbc' && !(c.key && c.key.length === 24)) return { err: "'encryptionkey' parameter (0x + 48 hex or 24 ASCII) is required for AES-192" };
	if (isNew && c.tostart > 0 && c.toend > 0 && c.tostart >= c.toend) return { err: "'starttime' parameter must be a timestamp BEFORE the 'endtime' timestamp" };
	if (cx.err) return { err: cx.err };
	if (c.agencyid === undefined) return { err: fail(`Intercept ${c.liid} does not have a valid destination agency`) };
	if (c.agencyid !== 'pcapdisk' && !db.agency.has(c.agencyid)) return { err: fail(`The agency for intercept ${c.liid} (${c.agencyid}) is not recognised by the provisioner`) };
	return { c };
}
function parseStatics(v) {
	if (!Array.isArray(v)) return { err: fail("The 'staticips' members for an IP intercept must be expressed as a JSON array.") };
	const out = new Map(), cx = { what: 'IP intercept static IP' };
	for (const e of v) {
		const r = S(cx, e, 'iprange', true); let cin = I(cx, e, 'sessionid', false, 1, NONE) ?? 1;
		if (cx.err) return { err: cx.err };
		const fam = r.includes(':') ? 128 : r.includes('.') ? 32 : 0;
		if (!fam) return { err: `${START} <p>'${r}' is not a valid prefix or IP address... <${END}>` };
		if (cin >= 2 ** 31) cin %= 2 ** 31;
		const range = r.includes('/') ? r : `${r}/${fam}`;
		if (!out.has(range)) out.set(range, { iprange: range, sessionid: cin });
	}
	return { list: [...out.values()] };
}
function parseSinks(v) {
	if (!Array.isArray(v)) return { err: fail("The 'udpsinks' member for an IP intercept must be expressed as a JSON array.") };
	const out = new Map(), cx = {};
	for (const e of v) {
		const s = { collectorid: S(cx, e, 'collectorid', true, 'Collector ID'), listenaddr: S(cx, e, 'listenaddr', true, 'Listening Address'),
			listenport: S(cx, e, 'listenport', true, 'Listening Port') }; // in the order a GET shows them
		const host = S(cx, e, 'sourcehost', false), port = S(cx, e, 'sourceport', false), dir = S(cx, e, 'direction', false);
		const enc = S(cx, e, 'encapsulation', false), cin = I(cx, e, 'sessionid', false, 0, NONE - 1);
		if (cx.err) return { err: cx.err };
		for (const k of ['collectorid', 'listenaddr', 'listenport']) if (s[k].includes(',')) return { err: fail(`The '${k}' member of an IP intercept UDP sink must not contain a comma character`) };
		s.encapsulation = /^(jmirror|raw|nokia-l3|nokia|cisco)$/i.test(enc || '') ? enc.toLowerCase() : 'raw';
		s.direction = /^(from|to)$/i.test(dir || '') ? dir.toLowerCase() : 'both';
		Object.assign(s, { sessionid: cin, sourcehost: host, sourceport: port });
		const key = `${s.collectorid},${s.listenaddr},${s.listenport}`;
		if (!out.has(key)) out.set(key, s);
	}
	return { list: [...out.values()] };
}
function parseTargets(kind, v) { // VoIP siptargets / email targets
	const voip = kind === 'voipintercept', name = voip ? 'siptargets' : 'targets';
	if (!Array.isArray(v)) return { err: fail(`The '${name}' members for ${voip ? 'a VOIP' : 'a Email'} intercept must be expressed as a JSON array.`) };
	const cx = {}, list = [];
	for (const e of v) {
		if (voip) {
			const t = { username: S(cx, e, 'username', true, 'VOIP intercept SIP target'), realm: S(cx, e, 'realm', false) };
			if (cx.err) return { err: cx.err };
			list.push(t);
		} else {
			const a = S(cx, e, 'address', true, 'Email intercept target');
			if (cx.err) return { err: cx.err };
			if (!list.includes(a)) list.push(a);
		}
	}
	return { list };
}

// add_new_*intercept, modify_*intercept: null on success, else the 400 page
function addIntercept(kind, j) {
	const K = KINDS[kind], cx = { what: K.what };
	const { c, err } = parseCommon(cx, j, true, undefined);
	if (err) return err;
	const ic = { ...c };
	if (kind === 'ipintercept') {
		const c2 = { what: K.what };
		const vm = I(c2, j, 'vendmirrorid', false, 0, NONE), user = S(c2, j, 'user', true), acc = S(c2, j, 'accesstype', false);
		const rad = S(c2, j, 'radiusident', false), mob = S(c2, j, 'mobileident', false);
		if (c2.err) return c2.err;
		for (const [f, parse] of [['staticips', parseStatics], ['udpsinks', parseSinks]]) {
			const v = get(j, f);
			if (v === undefined || v === null) { ic[f] = []; continue; }
			const r = parse(v); if (r.err) return r.err;
			ic[f] = r.list;
		}
		Object.assign(ic, { user, vendmirrorid: vm ?? NONE, access: acc === undefined ? null : mapAccess(acc), radius: mapRadius(rad) });
		ic.mobileident = ic.access && ic.access[0] === 'mobile' ? mapMobile(mob) : null;
	} else {
		if (kind === 'emailintercept') { const d = S({}, j, 'delivercompressed', false); ic.comp = d === undefined ? DEFAULTCOMP : mapComp(d); }
		const v = get(j, kind === 'voipintercept' ? 'siptargets' : 'targets');
		let r = { list: [] };
		if (v !== undefined && v !== null && (r = parseTargets(kind, v)).err) return r.err;
		ic.targets = r.list;
		if (kind === 'voipintercept' && !r.list.length && !ic.xids.length) return fail(`VOIP intercept ${ic.liid} has been specified without valid SIP targets or XIDs.`);
		if (kind === 'emailintercept' && !r.list.length) return fail(`Email intercept ${ic.liid} has been specified without valid target addresses.`);
	}
	if (db[kind].has(ic.liid)) return fail(`LIID ${ic.liid} already exists as ${K.an}, please use PUT method if you wish to modify it.`);
	db[kind].set(ic.liid, ic);
	return null;
}
function modifyIntercept(kind, j) {
	const K = KINDS[kind], cx = { what: K.what };
	const liidstr = S(cx, j, 'liid', true);
	if (cx.err) return cx.err;
	const found = db[kind].get(isHex(liidstr) ? liidstr.slice(2) : liidstr);
	if (!found) return addIntercept(kind, j); // OpenLI: a PUT of an unknown LIID is an add
	const { c, err } = parseCommon(cx, j, false, found.liid);
	if (err) return err;
	const enc = c.encrypt ?? found.encrypt; // update_intercept_common
	if (enc === 'aes-192-cbc' && !(c.key && c.key.length === 24) && !(found.key && found.key.length === 24)) return "'encryptionkey' (0x + 48 hex or 24 ASCII) is required for AES-192";
	found.xids = c.xids;
	for (const f of ['authcc', 'delivcc', 'agencyid']) if (c[f] !== undefined) found[f] = c[f];
	found.outputhandovers = c.outputhandovers; found.mediator = c.mediator; // reset to 0 when not given, as OpenLI does
	if (c.encrypt) found.encrypt = c.encrypt;
	if (c.key && c.key.length === 24) found.key = c.key;
	if (c.tostart !== -1) found.tostart = c.tostart;
	if (c.toend !== -1) found.toend = c.toend;
	if (kind === 'ipintercept') {
		const c2 = { what: K.what };
		const user = S(c2, j, 'user', false), acc = S(c2, j, 'accesstype', false), rad = S(c2, j, 'radiusident', false);
		const mob = S(c2, j, 'mobileident', false), vm = I(c2, j, 'vendmirrorid', false, 0, NONE - 1);
		if (c2.err) return c2.err;
		for (const [f, parse] of [['udpsinks', parseSinks], ['staticips', parseStatics]]) {
			const v = get(j, f);
			if (v === undefined || v === null) continue;
			const r = parse(v); if (r.err) return r.err;
			found[f] = r.list;
		}
		const access = acc === undefined ? null : mapAccess(acc);
		if (user !== undefined) found.user = user;
		if (mob !== undefined) found.mobileident = access && access[0] === 'mobile' ? mapMobile(mob) : null;
		if (acc !== undefined) found.access = access;
		found.radius = mapRadius(rad);
		if (vm !== undefined && vm !== NONE) found.vendmirrorid = vm;
	} else {
		const v = get(j, kind === 'voipintercept' ? 'siptargets' : 'targets');
		if (kind === 'emailintercept') { const d = S({}, j, 'delivercompressed', false); if (d !== undefined && mapComp(d) !== NOTSET) found.comp = mapComp(d); }
		if (v !== undefined && v !== null) { const r = parseTargets(kind, v); if (r.err) return r.err; found.targets = r.list; }
	}
	return null;
}
// add_new_agency (replaces an existing one), modify_agency (adds an unknown one)
function putAgency(j, isPost) {
	const raw = get(j, 'agencyid');
	if (raw === undefined) return fail("Agency update socket messages must include an 'agencyid'!");
	if (raw === null) return fail("'agencyid' field in agency update was unparseable.");
	const id = jstr(raw), found = db.agency.get(id), isNew = isPost || !found, cx = { what: 'agency' };
	const ag = isNew ? { agencyid: id, keepalivefreq: 300, keepalivewait: 30, connectretrywait: 10, resendwindow: 0, timefmt: 'microseconds', encrypt: null, key: null } : {};
	for (const f of ['hi3address', 'hi2address', 'hi3port', 'hi2port']) ag[f] = S(cx, j, f, isNew);
	for (const f of ['agencycc', 'operatorid', 'altoperatorid']) ag[f] = S(cx, j, f, false);
	const big = isNew ? NONE : 1000000;
	ag.keepalivefreq = I(cx, j, 'keepalivefreq', false, 0, big) ?? ag.keepalivefreq;
	ag.keepalivewait = I(cx, j, 'keepalivewait', false, 0, big) ?? ag.keepalivewait;
	ag.connectretrywait = I(cx, j, 'connectretrywait', false, 1, isNew ? 0xffff : 60000) ?? ag.connectretrywait;
	ag.resendwindow = I(cx, j, 'resendwindow', false, 0, 1024 * 1024) ?? ag.resendwindow;
	const tf = S(cx, j, 'timestampformat', false), enc = S(cx, j, 'payloadencryption', false), key = S(cx, j, 'encryptionkey', false);
	if (cx.err) return cx.err;
	if (ag.operatorid && ag.operatorid.length > 16) return fail("'operatorid' must be 16 characters or less</p>");
	if (ag.altoperatorid && ag.altoperatorid.length > 5) return fail("'altoperatorid' must be 5 characters or less</p>");
	if (enc !== undefined) ag.encrypt = mapEnc(enc);
	if (key !== undefined) { ag.key = parseKey(key); if (typeof ag.key === 'string') return ag.key; }
	if (tf !== undefined) ag.timefmt = /^generalized$/i.test(tf) ? 'generalized' : 'microseconds';
	if (isNew) { db.agency.delete(id); db.agency.set(id, ag); return null; }
	for (const [k, v] of Object.entries(ag)) if (v !== undefined) found[k] = v;
	for (const k of ['operatorid', 'altoperatorid']) if (found[k] === '') found[k] = undefined; // "" removes it
	return null;
}

// the JSON a GET answers (updateserver_jsoncreation.c)
function toJSON(kind, x) {
	if (kind === 'agency') {
		return { agencyid: x.agencyid, agencycc: x.agencycc, operatorid: x.operatorid, altoperatorid: x.altoperatorid,
			hi3address: x.hi3address, hi2address: x.hi2address, hi3port: x.hi3port, hi2port: x.hi2port,
			keepalivefreq: x.keepalivefreq, keepalivewait: x.keepalivewait, connectretrywait: x.connectretrywait,
			resendwindow: x.resendwindow, timestampformat: x.timefmt, payloadencryption: x.encrypt === 'aes-192-cbc' ? x.encrypt : 'none',
			has_encryptionkey: !!x.key && x.key.length === 24, encryptionkey_len: x.key ? x.key.length : 0, integrity: { enabled: false } };
	}
	const o = { liid: (x.binary ? '0x' : '') + x.liid, authcc: x.authcc, delivcc: x.delivcc, agencyid: x.agencyid, mediator: x.mediator,
		outputhandovers: x.outputhandovers, payloadencryption: x.encrypt === 'aes-192-cbc' ? x.encrypt : 'none',
		has_encryptionkey: !!x.key && x.key.length === 24, encryptionkey_len: x.key ? x.key.length : 0,
		starttime: x.tostart || undefined, endtime: x.toend || undefined, xids: x.xids.length ? x.xids : undefined };
	if (kind === 'ipintercept') {
		Object.assign(o, { user: x.user, accesstype: x.access ? x.access[1] : 'undefined', radiusident: x.radius, mobileident: x.mobileident || undefined,
			vendmirrorid: x.vendmirrorid !== NONE ? x.vendmirrorid : undefined,
			udpsinks: x.udpsinks.length ? x.udpsinks : undefined, staticips: x.staticips.length ? x.staticips : undefined });
	} else if (kind === 'voipintercept') o.siptargets = x.targets.map((t) => ({ username: t.username, realm: t.realm }));
	else { o.targets = x.targets.map((address) => ({ address })); o.delivercompressed = ['as-is', 'decompressed'][x.comp]; }
	return o; // undefined members are left out by jc
}

// the running-intercept YAML (configwriter.c's layout); strings double-quoted, anything YAML cannot carry raw escaped
const yq = (s) => '"' + [...s].map((ch) => {
	const c = ch.codePointAt(0);
	if (ch === '"' || ch === '\\') return '\\' + ch;
	if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff && c !== 0x2028 && c !== 0x2029) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) || c >= 0x10000) return ch;
	if (c >= 0xd800 && c <= 0xdfff) return '\\uFFFD'; // a lone surrogate: not representable
	return c < 0x100 ? '\\x' + c.toString(16).padStart(2, '0') : '\\u' + c.toString(16).padStart(4, '0');
}).join('') + '"';
const plain = (t) => ({ plain: t });
const ysc = (v) => (typeof v === 'number' ? String(v) : v.plain !== undefined ? v.plain : yq(v));
function ymap(o, ind) {
	let out = '';
	for (const [k, v] of Object.entries(o)) {
		if (v === undefined || v === null) continue;
		if (Array.isArray(v)) {
			out += `${ind}${k}:${v.length ? '\n' : ' []\n'}`;
			for (const it of v) out += typeof it === 'object' && it.plain === undefined ? `${ind}  - ${ymap(it, ind + '    ').trimStart() || '{}\n'}` : `${ind}  - ${ysc(it)}\n`;
		} else if (typeof v === 'object' && v.plain === undefined) out += `${ind}${k}:\n${ymap(v, ind + '  ')}`;
		else out += `${ind}${k}: ${ysc(v)}\n`;
	}
	return out;
}
const keyhex = (k) => (k && k.length ? plain('0x' + k.toString('hex')) : undefined);
function toYAML(kind, x) {
	if (kind === 'agency') {
		return { hi3address: x.hi3address, hi3port: x.hi3port, hi2address: x.hi2address, hi2port: x.hi2port, agencyid: x.agencyid,
			agencycountrycode: x.agencycc, operatorid: x.operatorid, altoperatorid: x.altoperatorid, keepalivefreq: x.keepalivefreq,
			keepalivewait: x.keepalivewait, connectretrywait: x.connectretrywait, resendwindow: x.resendwindow || undefined,
			timestampformat: plain(x.timefmt), payloadencryption: x.encrypt ? plain(x.encrypt) : undefined, encryptionkey: keyhex(x.key),
			integrity: { enabled: plain('no'), hashmethod: plain('sha-256'), signedhashmethod: plain('sha-256'), hashtimeout: 1, datapducount: 1000, signtimeout: 300, hashpducount: 15 } };
	}
	const o = { liid: (x.binary ? '0x' : '') + x.liid, authcountrycode: x.authcc, deliverycountrycode: x.delivcc, agencyid: x.agencyid,
		mediator: x.mediator, starttime: x.tostart, endtime: x.toend, payloadencryption: x.encrypt ? plain(x.encrypt) : undefined,
		encryptionkey: keyhex(x.key), xids: x.xids.length ? x.xids : undefined, outputhandovers: plain(['all', 'irionly', 'cconly', 'all'][x.outputhandovers]) };
	if (kind === 'ipintercept') {
		Object.assign(o, { user: x.user, accesstype: x.access ? plain(x.access[0]) : undefined,
			vendmirrorid: x.vendmirrorid !== NONE ? plain('0x' + x.vendmirrorid.toString(16).padStart(8, '0')) : undefined,
			udpsinks: x.udpsinks.length ? x.udpsinks.map((s) => ({ collectorid: s.collectorid, listenaddr: s.listenaddr, listenport: s.listenport,
				sessionid: s.sessionid, direction: plain(s.direction), encapsulation: plain(s.encapsulation), sourcehost: s.sourcehost, sourceport: s.sourceport })) : undefined,
			staticips: x.staticips.length ? x.staticips : undefined, mobileident: x.mobileident || undefined,
			radiusident: x.radius !== 'any' ? plain(x.radius) : undefined });
	} else if (kind === 'voipintercept') o.siptargets = x.targets;
	else { if (x.comp !== DEFAULTCOMP) o.delivercompressed = plain(['as-is', 'decompressed'][x.comp] || 'default'); o.targets = x.targets.map((address) => ({ address })); }
	return o;
}
function writeYaml() {
	let out = '# written by tests/openli/provisioner.mjs, a stand-in for OpenLI\'s provisioner\nemail-defaultdelivercompressed: as-is\n';
	for (const [kind, key] of [['agency', 'agencies'], ['voipintercept', 'voipintercepts'], ['ipintercept', 'ipintercepts'], ['emailintercept', 'emailintercepts']])
		out += ymap({ [key]: [...db[kind].values()].map((x) => toYAML(kind, x)) }, '');
	const tmp = `${opt.yaml}.tmp${process.pid}`;
	fs.writeFileSync(tmp, out);
	fs.renameSync(tmp, opt.yaml);
}

// handle_update_request: {status, body, type, headers} or null (no answer: the connection is closed)
const ROUTES = ['/agency', '/ipintercept', '/voipintercept', '/emailintercept'];
function respond(req, body) {
	const first = (h) => (req.headersDistinct[h] || [])[0];
	if (opt['api-key'] !== undefined) {
		const digestUser = /^\s*Digest\b.*\busername\s*=/i.test(first('authorization') || '');
		if (digestUser || first('x-api-key') !== opt['api-key']) {
			return { status: 401, body: AUTH, headers: { 'WWW-Authenticate': `Digest realm="provisioner@openli.nz",qop="auth",nonce="${crypto.randomBytes(16).toString('hex')}",opaque="a7844291bd990a17bfe389e1ccb0981ed6d187a",algorithm="MD5"` } };
		}
	}
	const url = Buffer.from(req.url.split('?')[0].replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString();
	const route = ROUTES.find((r) => url.startsWith(r));
	if (!route) return null;
	const kind = route.slice(1), page = (status, b) => ({ status, body: b, type: 'text/html' });
	const m = req.method;
	if (m === 'POST' || m === 'PUT') {
		if ((first('content-type') || '').toLowerCase() !== 'application/json' || !body.length) return page(400, OK);
		let j, err;
		try { j = JSON.parse(body.toString()); } catch (e) {
			err = fail(`OpenLI provisioner was unable to parse JSON received over update socket: ${/end of (JSON|data) input/i.test(e.message) ? 'continue' : 'unexpected character'}.`);
		}
		if (!err && j === null) err = fail('OpenLI provisioner was unable to parse JSON received over update socket: success.');
		if (!err) err = kind === 'agency' ? putAgency(j, m === 'POST') : m === 'POST' ? addIntercept(kind, j) : modifyIntercept(kind, j);
		writeYaml();
		return err ? page(400, err) : page(200, OK);
	}
	// extract_target_from_url: the segment after the first one
	const rest = url.replace(/^\/+/, ''), slash = rest.indexOf('/');
	const id = slash < 0 ? null : rest.slice(slash + 1).replace(/^\/+/, '').split('/')[0];
	const badId = id !== null && id.length >= 4095;
	if (m === 'DELETE') {
		if (badId) return page(400, `${START} <p>OpenLI provisioner was unable to parse DELETE instruction from update socket. ${END}`);
		if (id !== null && db[kind].delete(id) && kind === 'agency') {
			for (const k of Object.keys(KINDS)) for (const [liid, ic] of db[k]) if (ic.agencyid === id) db[k].delete(liid);
		}
		writeYaml();
		return page(200, OK);
	}
	if (m !== 'GET') return page(400, UNSUPPORTED);
	const found = badId ? undefined : id === null ? [...db[kind].values()].map((x) => toJSON(kind, x)) : db[kind].get(id) && toJSON(kind, db[kind].get(id));
	return found ? { status: 200, body: jc(found), type: 'application/json' } : page(404, NOTFOUND);
}

if (opt.state) { // intercepts present from the start, added as a POST would add them
	const st = JSON.parse(fs.readFileSync(opt.state, 'utf8'));
	for (const kind of ['agency', 'ipintercept', 'voipintercept', 'emailintercept']) {
		for (const j of st[kind] || []) {
			const err = kind === 'agency' ? putAgency(j, true) : addIntercept(kind, j);
			if (err) { process.stderr.write(`provisioner.mjs: --state ${kind} ${JSON.stringify(j)}: ${err.replace(/<[^>]*>/g, '').trim()}\n`); process.exit(1); }
		}
	}
}
writeYaml();
const recordFd = fs.openSync(opt.record, 'a');
const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		let out;
		try { out = respond(req, body); } catch (e) { process.stderr.write(`provisioner.mjs: ${e.stack}\n`); out = { status: 500, body: `${START} ${END}`, type: 'text/html' }; }
		fs.writeSync(recordFd, JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body: body.toString(), status: out ? out.status : 0 }) + '\n');
		if (!out) { req.socket.destroy(); return; }
		res.writeHead(out.status, { ...(out.type ? { 'Content-Type': out.type } : {}), ...(out.headers || {}) });
		res.end(out.body);
	});
});
server.listen(0, '127.0.0.1', () => {
	const tmp = `${opt['port-file']}.tmp${process.pid}`;
	fs.writeFileSync(tmp, `${server.address().port}\n`);
	fs.renameSync(tmp, opt['port-file']);
});
process.on('SIGTERM', () => {
	server.close(() => { fs.closeSync(recordFd); process.exit(0); });
	server.closeAllConnections();
});
