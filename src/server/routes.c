/* routes.c — the one route table: dispatch, required roles and the OpenAPI document all read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

#define JSON "application/json"
#define TEXT "text/plain; charset=utf-8"
#define BYTES "application/octet-stream"
#define E(...) {__VA_ARGS__, 0}

/*
 * Roles: "public" needs no signature (the register is public by design: its
 * checkpoints, proofs and tiles are what auditors fetch); "principal" any
 * registered principal; otherwise the role named (issue 4: requester files
 * for its authority, registrar changes the registry).
 */
const srv_route srv_routes[] = {
	{"GET", "/healthz", srv_h_healthz, "public", "healthz", "Liveness: the store answers; the log's size",
	 SRV_BODY_NONE, NULL, 200, JSON, "Health", {{0}}, E(503)},
	{"GET", "/metrics", srv_h_metrics, "public", "metrics",
	 "Prometheus metrics: requests by route and status, latency histogram, log size", SRV_BODY_NONE, NULL, 200,
	 "text/plain; version=0.0.4; charset=utf-8", NULL, {{0}}, E(503)},
	{"GET", "/v1/openapi.json", srv_h_openapi, "public", "openapi",
	 "This document, generated from the server's route table", SRV_BODY_NONE, NULL, 200, JSON, NULL, {{0}}, E(0)},
	{"POST", "/v1/measures", srv_h_measure_file, "requester", "fileMeasure",
	 "File a measure: decide it and record it with its events (one transaction; nothing stored on error)",
	 SRV_BODY_MEASURE, "Measure", 201, JSON, "Decision", {{0}}, E(400, 401, 403, 413, 415, 503)},
	{"GET", "/v1/measures", srv_h_measure_list, "principal", "listMeasures",
	 "The measures the caller may see (comite_r: all; a service: its own; an approver: what waits for it or it "
	 "signed)",
	 SRV_BODY_NONE, NULL, 200, JSON, "MeasureList",
	 {{"state", 0, 0, "only measures in this state (pending, authorised, active, ...)"},
	  {"role", 0, 0, "only measures waiting for this role (an approval, an acknowledgement, a suspension)"},
	  {"limit", 1, 0, "at most this many measures (1 to 1000; default 100); \"next\" continues"},
	  {"after", 0, 0, "only measures filed after this one (the previous page's \"next\")"}},
	 E(400, 401, 403)},
	{"GET", "/v1/measures/{id}", srv_h_measure_show, "principal", "showMeasure",
	 "A measure with its decision and state", SRV_BODY_NONE, NULL, 200, JSON, "MeasureRecord", {{0}},
	 E(401, 403, 404)},
	{"GET", "/v1/measures/{id}/intercepts", srv_h_measure_intercepts, "principal", "measureIntercepts",
	 "The intercepts `custos gate openli` provisioned under the measure's authorisations: kind, LIID, state "
	 "(provisioned, sent, failed, removed, withdrawn), since, window, the exact body sent",
	 SRV_BODY_NONE, NULL, 200, JSON, NULL, {{0}}, E(401, 403, 404)},
	{"GET", "/v1/measures/{id}/statement", srv_h_statement_text, "principal", "statementText",
	 "The statement text the caller signs for an action on the measure (its current round and decision, now)",
	 SRV_BODY_NONE, NULL, 200, TEXT, NULL,
	 {{"action", 0, 1, "approve, refuse, acknowledge, revoke, end or extend"},
	  {"role", 0, 0, "the role signed under"},
	  {"reason", 0, 0, "one line (a refusal needs one)"},
	  {"until", 0, 0, "extend: the new last day (YYYY-MM-DD)"}},
	 E(400, 401, 403, 404)},
	{"POST", "/v1/statements", srv_h_statement_submit, "principal", "submitStatement",
	 "A signed statement (C2SP signed note by the caller's own key): approve, refuse, acknowledge, revoke, end, "
	 "extend; answers the measure's life",
	 SRV_BODY_TEXT, NULL, 200, JSON, NULL, {{0}}, E(400, 401, 403, 404, 409, 413, 415)},
	{"GET", "/v1/oversight", srv_h_oversight, "comite_r", "oversight",
	 "The overseer's overview from the projections: measures per month by outcome and service, each service's "
	 "filings month by month with their jumps, approval waits per role (given and still waiting), protected "
	 "categories, suspended/revoked/refused/forbidden, anomalies; each count with its measures",
	 SRV_BODY_NONE, NULL, 200, JSON, "Oversight", {{0}}, E(401, 403)},
	{"GET", "/v1/openli/audit", srv_h_openli_audit, "comite_r", "openliAudit",
	 "The latest `custos audit openli` report: every intercept OpenLI runs without a valid authorisation, with a "
	 "target outside it, a window beyond it, or an authorisation revoked or ended ({} when none was run)",
	 SRV_BODY_NONE, NULL, 200, JSON, NULL, {{0}}, E(401, 403)},
	{"GET", "/v1/me", srv_h_me, "principal", "me", "The caller's principal: id, name, authority, roles, key",
	 SRV_BODY_NONE, NULL, 200, JSON, NULL, {{0}}, E(401, 404)},
	{"GET", "/v1/principals", srv_h_principals, "comite_r", "listPrincipals", "Every principal, revoked ones too",
	 SRV_BODY_NONE, NULL, 200, JSON, NULL, {{0}}, E(401, 403)},
	{"GET", "/v1/authorizations/{id}", srv_h_authorization, "principal", "showAuthorization",
	 "An authorisation token (signed note, log key) as issued", SRV_BODY_NONE, NULL, 200, TEXT, NULL, {{0}},
	 E(401, 403, 404)},
	{"GET", "/revocations", srv_h_revocations, "public", "revocations",
	 "The signed revocation list of authorisations, published beside the checkpoint", SRV_BODY_NONE, NULL, 200,
	 TEXT, NULL, {{0}}, E(500)},
	{"POST", "/v1/authorizations/verify", srv_h_authorization_verify, "public", "verifyAuthorization",
	 "Checks a token (the content, text) as an executing system would: the log key's signature, today (or ?date=) "
	 "inside its window, not on the revocation list",
	 SRV_BODY_TEXT, NULL, 200, JSON, NULL, {{"date", 0, 0, "the day to check (YYYY-MM-DD); default today"}},
	 E(400, 413, 415)},
	{"POST", "/v1/decide", srv_h_decide, "requester", "decide",
	 "Dry run: the decision a measure would get now, stored nowhere", SRV_BODY_MEASURE, "Measure", 200, JSON,
	 "Decision", {{0}}, E(400, 401, 403, 413, 415, 503)},
	{"GET", "/v1/registry", srv_h_registry_search, "principal", "searchRegistry",
	 "Search the registry by selector or name (screening); every party without q", SRV_BODY_NONE, NULL, 200, JSON,
	 "RegistrySearch",
	 {{"q", 0, 0, "a selector (mailto:, tel:, ip:, ...) or a name"},
	  {"date", 0, 0, "only parties protected on this day (YYYY-MM-DD); default: whatever the dates"}},
	 E(400, 401, 403)},
	{"POST", "/v1/registry", srv_h_registry_import, "registrar", "importRegistry",
	 "Import parties (JSON Lines, all or nothing: one bad line rejects the whole content) and screen every "
	 "authorised measure again: those it now concerns are suspended",
	 SRV_BODY_JSONL, "RegistryLines", 200, JSON, "ImportResult", {{0}}, E(400, 401, 403, 413, 415)},
	{"POST", "/v1/registry/preview", srv_h_registry_preview, "registrar", "previewRegistryImport",
	 "Dry run of an import, stored nowhere: the parties it adds, changes and removes, and the measures it would "
	 "suspend",
	 SRV_BODY_JSONL, "RegistryLines", 200, JSON, "ImportPreview", {{0}}, E(400, 401, 403, 413, 415)},
	{"GET", "/v1/registry/{id}", srv_h_registry_show, "principal", "showParty", "One party of the registry",
	 SRV_BODY_NONE, NULL, 200, JSON, "Party", {{0}}, E(401, 403, 404)},
	{"POST", "/v1/screen", srv_h_screen, "principal", "screen", "Which protected parties selectors touch on a day",
	 SRV_BODY_SCREEN, "ScreenRequest", 200, JSON, "ScreenReport", {{0}}, E(400, 401, 403, 413, 415)},
	{"GET", "/v1/log/checkpoint", srv_h_log_checkpoint, "public", "logCheckpoint",
	 "The latest signed checkpoint (C2SP signed note) with its witness cosignatures", SRV_BODY_NONE, NULL, 200,
	 TEXT, NULL, {{0}}, E(500)},
	{"GET", "/v1/log/vkey", srv_h_log_vkey, "public", "logVerifierKey",
	 "The log's verifier key (name+hash+base64)", SRV_BODY_NONE, NULL, 200, TEXT, NULL, {{0}}, E(500)},
	{"GET", "/v1/log/entries/{n:int}", srv_h_log_entry, "public", "logEntry",
	 "The exact bytes of leaf n (what was hashed)", SRV_BODY_NONE, NULL, 200, BYTES, NULL, {{0}}, E(400, 404)},
	{"GET", "/v1/log/proofs/inclusion/{n:int}", srv_h_log_inclusion, "public", "logInclusionProof",
	 "Inclusion proof of leaf n in the tree of size leaves (RFC 9162), leaf sibling first", SRV_BODY_NONE, NULL, 200,
	 JSON, "InclusionProof", {{"size", 1, 0, "tree size (default: the current size)"}}, E(400, 404)},
	{"GET", "/v1/log/proofs/consistency", srv_h_log_consistency, "public", "logConsistencyProof",
	 "Consistency proof between two tree sizes (RFC 9162)", SRV_BODY_NONE, NULL, 200, JSON, "ConsistencyProof",
	 {{"old", 1, 1, "the older tree size"}, {"new", 1, 0, "the newer tree size (default: the current size)"}},
	 E(400)},
	{"GET", "/v1/log/receipts/{n:int}", srv_h_log_receipt, "public", "logReceipt",
	 "A C2SP tlog-proof receipt for leaf n against the latest checkpoint", SRV_BODY_NONE, NULL, 200, TEXT, NULL,
	 {{0}}, E(400, 404)},
	{"GET", "/checkpoint", srv_h_log_checkpoint, "public", "tlogCheckpoint",
	 "C2SP tlog-tiles: the latest checkpoint", SRV_BODY_NONE, NULL, 200, TEXT, NULL, {{0}}, E(500)},
	{"GET", "/tile/entries/{index:tile}", srv_h_tile, "public", "tlogEntryBundle",
	 "C2SP tlog-tiles: an entry bundle (index in x001/234 form, optional .p/W)", SRV_BODY_NONE, NULL, 200, BYTES,
	 NULL, {{0}}, E(400, 404)},
	{"GET", "/tile/{level:int}/{index:tile}", srv_h_tile, "public", "tlogTile",
	 "C2SP tlog-tiles: a hash tile (index in x001/234 form, optional .p/W)", SRV_BODY_NONE, NULL, 200, BYTES, NULL,
	 {{0}}, E(400, 404)},
	{"POST", "/add-checkpoint", srv_h_add_checkpoint, "public", "witnessAddCheckpoint",
	 "C2SP tlog-witness: cosign a log's checkpoint (the request is authenticated by the log's signature)",
	 SRV_BODY_TEXT, NULL, 200, TEXT, NULL, {{0}}, E(400, 403, 404, 409, 413, 415, 422)},
	/* the web page (web/): public files; every API call it makes is signed in the browser */
	{"GET", "/", srv_h_web, "public", "webPage", "The web page for reviewers and auditors (web/index.html)",
	 SRV_BODY_NONE, NULL, 200, "text/html; charset=utf-8", NULL, {{0}}, E(0)},
	{"GET", "/web/{file}", srv_h_web, "public", "webFile",
	 "A file of the web page (app.js, crypto.js: text/javascript; style.css: text/css)", SRV_BODY_NONE, NULL, 200,
	 "text/javascript; charset=utf-8", NULL, {{0}}, E(404)},
};
const size_t srv_nroutes = sizeof(srv_routes) / sizeof(srv_routes[0]);

int custos_server_routes(char **out)
{
	size_t cap = 16384, len = 0;
	char *s = malloc(cap);
	if (!s)
		return CUSTOS_ENOMEM;
	for (size_t i = 0; i < srv_nroutes; i++) {
		char path[256];
		int n;
		srv_openapi_path(path, sizeof(path), srv_routes[i].pattern);
		n = snprintf(s + len, cap - len, "%s %s %s %s\n", srv_routes[i].method, path, srv_routes[i].role,
			     srv_routes[i].summary);
		if (n < 0 || (size_t)n >= cap - len) {
			free(s);
			return CUSTOS_ELIMIT;
		}
		len += (size_t)n;
	}
	*out = s;
	return 0;
}
