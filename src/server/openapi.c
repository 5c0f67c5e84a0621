/* openapi.c — the OpenAPI 3.1 document, generated from the route table (paths) and the schemas below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

/* The JSON schemas the routes name. Paths are never written by hand: they come from srv_routes. */
static const struct {
	const char *name, *schema;
} schemas[] = {
	{"Error", "{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{"
		  "\"error\":{\"type\":\"string\",\"description\":\"what is wrong\"},"
		  "\"field\":{\"type\":\"string\",\"description\":\"the field, parameter or header at fault\"},"
		  "\"line\":{\"type\":\"integer\",\"description\":\"line of a JSON Lines content\"}}}"},
	{"Health", "{\"type\":\"object\",\"properties\":{\"status\":{\"const\":\"ok\"},\"log_size\":{\"type\":\"integer\"}}}"},
	{"Selector", "{\"type\":\"string\",\"maxLength\":512,\"examples\":[\"mailto:ambassador@example-embassy.be\","
		     "\"tel:+3227360000\",\"ip:192.0.2.0/24\",\"name:Ahmed Ould Mohamed\",\"party:P-17\"]}"},
	{"Measure",
	 "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"kind\",\"framework\",\"requested_by\","
	 "\"period\"],\"properties\":{"
	 "\"kind\":{\"enum\":[\"interception\",\"it_intrusion\",\"audio_surveillance\",\"observation\",\"search\","
	 "\"data_access\",\"data_transfer\",\"mla_request\",\"intelligence_exchange\"]},"
	 "\"scope\":{\"enum\":[\"content\",\"metadata\"]},\"framework\":{\"enum\":[\"intelligence\",\"criminal\"]},"
	 "\"requested_by\":{\"type\":\"string\"},\"requesting_state\":{\"type\":[\"string\",\"null\"],"
	 "\"pattern\":\"^[A-Z]{2}$\"},\"requested_measure\":{\"type\":\"string\"},"
	 "\"targets\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Selector\"},\"maxItems\":1000},"
	 "\"persons\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"additionalProperties\":false,"
	 "\"properties\":{\"name\":{\"type\":\"string\"},\"nationality\":{\"type\":\"string\"},"
	 "\"refugee_in\":{\"type\":\"string\"},\"born\":{\"type\":\"string\",\"format\":\"date\"}}}},"
	 "\"offence\":{\"type\":\"string\"},\"grounds\":{\"type\":\"string\"},\"treaty\":{\"type\":\"string\"},"
	 "\"waiver\":{\"oneOf\":[{\"type\":\"string\"},{\"$ref\":\"#/components/schemas/Grant\"},"
	 "{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Grant\"}}]},"
	 "\"consent\":{\"oneOf\":[{\"$ref\":\"#/components/schemas/Grant\"},"
	 "{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Grant\"}}]},"
	 "\"place\":{\"enum\":[\"private\",\"public\"]},\"concerns_official_acts\":{\"type\":\"boolean\"},"
	 "\"prevents_grave_threat\":{\"type\":\"boolean\"},\"suspects_use_means\":{\"type\":\"boolean\"},"
	 "\"originating_state\":{\"type\":[\"string\",\"null\"],\"pattern\":\"^[A-Z]{2}$\"},"
	 "\"liids\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9._-]{1,25}$\"},\"maxItems\":1000},"
	 "\"agency_id\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9._-]{1,64}$\"},"
	 "\"originating_authorisation\":{\"type\":\"string\"},\"transfer_basis\":{\"enum\":[\"adequacy\",\"safeguards\",\"derogation\"]},"
	 "\"grave_crime\":{\"type\":\"boolean\"},\"personal_involvement\":{\"type\":\"boolean\"},"
	 "\"concerns_mandate\":{\"type\":\"boolean\"},\"political_offence\":{\"type\":\"boolean\"},"
	 "\"political_motivation\":{\"type\":\"boolean\"},\"essential_interests\":{\"type\":\"boolean\"},"
	 "\"reciprocity\":{\"type\":\"boolean\"},"
	 "\"diplomatic_bag\":{\"oneOf\":[{\"type\":\"boolean\"},{\"enum\":[\"diplomatic\",\"consular\"]}]},"
	 "\"period\":{\"type\":\"object\",\"required\":[\"from\",\"to\"],\"properties\":{"
	 "\"from\":{\"type\":\"string\",\"format\":\"date\"},\"to\":{\"type\":\"string\",\"format\":\"date\"}}}}}"},
	{"Decision",
	 "{\"type\":\"object\",\"required\":[\"outcome\",\"findings\",\"approvals\",\"conditions\",\"rules_hash\","
	 "\"registry_hash\"],\"properties\":{\"id\":{\"type\":\"string\"},"
	 "\"outcome\":{\"enum\":[\"forbidden\",\"needs_approval\",\"permitted\"]},"
	 "\"findings\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	 "\"rule\":{\"type\":\"string\"},\"effect\":{\"type\":\"string\"},\"cite\":{\"type\":\"string\"},"
	 "\"party\":{\"type\":[\"string\",\"null\"]},\"explain\":{\"type\":\"string\"}}}},"
	 "\"approvals\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
	 "\"assertions\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	 "\"flag\":{\"type\":\"string\"},\"value\":{\"type\":[\"string\",\"boolean\"]},\"rule\":{\"type\":\"string\"},"
	 "\"confirm_by\":{\"type\":\"string\"},\"party\":{\"type\":[\"string\",\"null\"]}}}},"
	 "\"conditions\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
	 "\"rules_hash\":{\"type\":\"string\"},\"registry_hash\":{\"type\":\"string\"},"
	 "\"log_index\":{\"type\":\"integer\"}}}"},
	{"Grant",
	 "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"party\",\"sending_state\",\"reference\"],"
	 "\"properties\":{\"party\":{\"type\":\"string\"},\"sending_state\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}$\"},"
	 "\"reference\":{\"type\":\"string\"}}}"},
	{"MeasureRecord", "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"state\":{\"type\":"
			  "\"string\"},\"filed_at\":{\"type\":\"string\",\"format\":\"date-time\"},\"measure\":{\"$ref\":"
			  "\"#/components/schemas/Measure\"},\"decision\":{\"$ref\":\"#/components/schemas/Decision\"},"
			  "\"round_decision\":{\"$ref\":\"#/components/schemas/Decision\"},\"life\":{\"type\":\"object\"}}}"},
	{"MeasureList", "{\"type\":\"object\",\"properties\":{\"measures\":{\"type\":\"array\",\"items\":{\"type\":"
			"\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"state\":{\"type\":\"string\"},"
			"\"outcome\":{\"type\":\"string\"},\"filed_at\":{\"type\":\"string\"},\"kind\":{\"type\":"
			"\"string\"},\"requested_by\":{\"type\":\"string\"},\"approvals\":{\"type\":\"array\"}}}},"
			"\"next\":{\"type\":[\"string\",\"null\"],\"description\":\"more follow: ask again with "
			"after=next\"}}}"},
	{"Party",
	 "{\"type\":\"object\",\"required\":[\"id\",\"category\"],\"properties\":{\"id\":{\"type\":\"string\"},"
	 "\"category\":{\"type\":\"string\"},\"name\":{\"type\":[\"string\",\"null\"]},"
	 "\"sending_state\":{\"type\":[\"string\",\"null\"]},\"nationality\":{\"type\":[\"string\",\"null\"]},"
	 "\"permanent_resident\":{\"type\":\"boolean\"},\"valid_from\":{\"type\":[\"string\",\"null\"]},"
	 "\"valid_to\":{\"type\":[\"string\",\"null\"]},\"mission\":{\"type\":[\"string\",\"null\"]},"
	 "\"country_of_origin\":{\"type\":[\"string\",\"null\"]},\"selectors\":{\"type\":\"array\",\"items\":"
	 "{\"$ref\":\"#/components/schemas/Selector\"}}}}"},
	{"RegistryLines", "{\"type\":\"string\",\"description\":\"JSON Lines: one Party object a line\"}"},
	{"Hit", "{\"type\":\"object\",\"properties\":{\"party\":{\"type\":\"string\"},\"category\":{\"type\":"
		"\"string\"},\"name\":{\"type\":[\"string\",\"null\"]},\"matched\":{\"type\":\"string\"},\"status\":"
		"{\"enum\":[\"active\",\"grace\",\"former\",\"future\"]}}}"},
	{"RegistrySearch", "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"},\"date\":{\"type\":"
			   "[\"string\",\"null\"]},\"registry_hash\":{\"type\":\"string\"},\"hits\":{\"type\":\"array\","
			   "\"items\":{\"$ref\":\"#/components/schemas/Hit\"}},\"parties\":{\"type\":\"array\",\"items\":"
			   "{\"$ref\":\"#/components/schemas/Party\"}}}}"},
	{"ImportResult", "{\"type\":\"object\",\"properties\":{\"imported\":{\"type\":\"integer\"},"
			 "\"suspended\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}}}"},
	{"ImportPreview",
	 "{\"type\":\"object\",\"properties\":{\"count\":{\"type\":\"integer\"},\"unchanged\":{\"type\":\"integer\"},"
	 "\"added\":{\"type\":\"array\"},\"changed\":{\"type\":\"array\"},\"removed\":{\"type\":\"array\"},"
	 "\"suspended\":{\"type\":\"array\"},\"registry_hash\":{\"type\":\"object\"}}}"},
	{"Oversight",
	 "{\"type\":\"object\",\"properties\":{\"date\":{\"type\":\"string\"},\"total\":{\"type\":\"integer\"},"
	 "\"months\":{\"type\":\"array\"},\"services\":{\"type\":\"array\"},\"waits\":{\"type\":\"array\"},"
	 "\"waiting\":{\"type\":\"array\"},\"categories\":{\"type\":\"object\"},"
	 "\"states\":{\"type\":\"object\"},\"anomalies\":{\"type\":\"array\"}}}"},
	{"ScreenRequest", "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"selectors\"],"
			  "\"properties\":{\"selectors\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":1000,\"items\":"
			  "{\"$ref\":\"#/components/schemas/Selector\"}},\"date\":{\"type\":\"string\",\"format\":"
			  "\"date\"}}}"},
	{"ScreenReport", "{\"type\":\"object\",\"properties\":{\"date\":{\"type\":\"string\"},\"registry_hash\":{"
			 "\"type\":\"string\"},\"results\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
			 "\"properties\":{\"selector\":{\"type\":\"string\"},\"hits\":{\"type\":\"array\",\"items\":{"
			 "\"$ref\":\"#/components/schemas/Hit\"}}}}}}}"},
	{"InclusionProof", "{\"type\":\"object\",\"properties\":{\"index\":{\"type\":\"integer\"},\"tree_size\":{"
			   "\"type\":\"integer\"},\"hashes\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
			   "\"contentEncoding\":\"base64\"}}}}"},
	{"ConsistencyProof", "{\"type\":\"object\",\"properties\":{\"old\":{\"type\":\"integer\"},\"new\":{\"type\":"
			     "\"integer\"},\"hashes\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
			     "\"contentEncoding\":\"base64\"}}}}"},
};

void srv_openapi_path(char *out, size_t cap, const char *pattern)
{
	size_t o = 0;
	int skip = 0;
	for (const char *p = pattern; *p && o + 1 < cap; p++) {
		if (*p == ':' && !skip) {
			skip = 1;
			continue;
		}
		if (*p == '}')
			skip = 0;
		if (!skip)
			out[o++] = *p;
	}
	out[o] = '\0';
}

static const char *reason(int status)
{
	switch (status) {
	case 400: return "Bad request: the field named is wrong; nothing was stored";
	case 401: return "No valid signature (unknown key, stale, replayed or bad)";
	case 403: return "The signer does not hold the required role";
	case 404: return "Not found";
	case 405: return "Method not allowed (see Allow)";
	case 409: return "Conflict";
	case 413: return "Content too large";
	case 415: return "Unsupported content type";
	case 422: return "Unprocessable (C2SP tlog-witness: bad consistency proof)";
	case 500: return "Internal error";
	case 503: return "Unavailable";
	default: return "Error";
	}
}

static json_t *content(const char *type, const char *schema)
{
	json_t *s = schema ? json_pack("{s:s+}", "$ref", "#/components/schemas/", schema)
			   : json_pack("{s:s}", "type", "string");
	char mt[128];
	snprintf(mt, sizeof(mt), "%s", type);
	if (strchr(mt, ';'))
		*strchr(mt, ';') = '\0';
	return json_pack("{s:{s:o}}", mt, "schema", s);
}

static json_t *operation(const srv_route *r)
{
	json_t *op = json_object(), *params = json_array(), *responses = json_object();
	char code[8];
	json_object_set_new(op, "operationId", json_string(r->operation));
	json_object_set_new(op, "summary", json_string(r->summary));
	json_object_set_new(op, "x-custos-role", json_string(r->role));
	json_object_set_new(op, "security",
			    strcmp(r->role, "public") == 0 ? json_array() : json_pack("[{s:[]}]", "httpSignature"));
	for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}'), *colon = memchr(p, ':', (size_t)(end - p));
		json_t *schema = colon && strncmp(colon, ":int", 4) == 0
					 ? json_pack("{s:s,s:i}", "type", "integer", "minimum", 0)
					 : json_pack("{s:s}", "type", "string");
		json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:o}", "name", p + 1,
							(size_t)((colon ? colon : end) - p - 1), "in", "path",
							"required", 1, "schema", schema));
	}
	for (size_t k = 0; k < SRV_ROUTE_QUERY_MAX && r->query[k].name; k++)
		json_array_append_new(params,
				      json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", r->query[k].name, "in", "query",
						"required", r->query[k].required, "description", r->query[k].help, "schema",
						r->query[k].integer
							? json_pack("{s:s,s:i}", "type", "integer", "minimum", 0)
							: json_pack("{s:s}", "type", "string")));
	if (json_array_size(params))
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	if (r->body != SRV_BODY_NONE) {
		const char *type = r->body == SRV_BODY_JSONL ? "application/jsonl"
				   : r->body == SRV_BODY_TEXT ? "text/plain"
							      : "application/json";
		json_object_set_new(op, "requestBody",
				    json_pack("{s:b,s:o}", "required", 1, "content", content(type, r->request_schema)));
	}
	snprintf(code, sizeof(code), "%d", r->status);
	json_object_set_new(responses, code,
			    json_pack("{s:s,s:o}", "description", r->status == 201 ? "Created" : "OK", "content",
				      content(r->response_type, r->response_schema)));
	for (size_t k = 0; k < 8 && r->errors[k]; k++) {
		snprintf(code, sizeof(code), "%d", r->errors[k]);
		json_object_set_new(responses, code,
				    json_pack("{s:s,s:o}", "description", reason(r->errors[k]), "content",
					      content("application/json", "Error")));
	}
	json_object_set_new(op, "responses", responses);
	return op;
}

json_t *srv_openapi(void)
{
	json_t *doc = json_object(), *paths = json_object(), *comps = json_object();
	for (size_t i = 0; i < srv_nroutes; i++) {
		const srv_route *r = &srv_routes[i];
		char path[256], method[16];
		json_t *item;
		size_t k;
		srv_openapi_path(path, sizeof(path), r->pattern);
		for (k = 0; r->method[k] && k + 1 < sizeof(method); k++)
			method[k] = (char)(r->method[k] - 'A' + 'a');
		method[k] = '\0';
		if (!(item = json_object_get(paths, path))) {
			item = json_object();
			json_object_set_new(paths, path, item);
		}
		json_object_set_new(item, method, operation(r));
	}
	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		json_object_set_new(comps, schemas[i].name, json_loads(schemas[i].schema, 0, NULL));
	json_object_set_new(doc, "openapi", json_string("3.1.0"));
	json_object_set_new(doc, "info",
			    json_pack("{s:s,s:s,s:s}", "title", "custos", "version", "1",
				      "description",
				      "The gate and tamper-evident register for intrusive surveillance measures. "
				      "Requests other than the public register paths carry an RFC 9421 HTTP Message "
				      "Signature (ed25519) covering @method, @authority, @path and content-digest."));
	json_object_set_new(doc, "paths", paths);
	json_object_set_new(doc, "components",
			    json_pack("{s:o,s:{s:{s:s,s:s,s:s,s:s}}}", "schemas", comps, "securitySchemes",
				      "httpSignature", "type", "apiKey", "in", "header", "name", "Signature",
				      "description",
				      "RFC 9421 HTTP Message Signatures with alg ed25519; keyid names a principal"));
	return doc;
}
