/* decode.c — the request decoder: route matching, path and query parameters, content type and content. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "custos/tiles.h"
#include "server_int.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes n bytes of s (plus_space: '+' is a space, as in queries); NULL if malformed or NUL. */
static char *pct_decode(const char *s, size_t n, int plus_space)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '\0') {
			free(out);
			return NULL;
		} else {
			*o++ = plus_space && s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* A non-negative decimal number without sign or leading zeros (but "0"); -1 otherwise. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 19)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int srv_tile_index(const char *s, uint64_t *index, unsigned *width)
{
	const char *p = s, *dotp = strstr(s, ".p/");
	uint64_t n = 0, w = CUSTOS_TILE_WIDTH;
	char canon[256];
	int groups = 0;
	if (dotp) {
		if (parse_u64(dotp + 3, &w) || w < 1 || w >= CUSTOS_TILE_WIDTH)
			return -1;
	}
	while (p < (dotp ? dotp : s + strlen(s))) {
		int last = 0;
		if (*p == 'x')
			p++;
		else
			last = 1;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			return -1;
		if (++groups > 7)
			return -1;
		n = n * 1000 + (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
		p += 3;
		if (last)
			break;
		if (*p != '/')
			return -1;
		p++;
	}
	if (p != (dotp ? dotp : s + strlen(s)))
		return -1;
	/* only the canonical spelling names a tile */
	if (custos_tile_path(canon, sizeof(canon), 0, n, (unsigned)w) || strcmp(canon + strlen("tile/0/"), s) != 0)
		return -1;
	*index = n;
	*width = (unsigned)w;
	return 0;
}

static void clear_params(srv_request *rq)
{
	for (size_t i = 0; i < SRV_PARAMS_MAX; i++) {
		free(rq->params[i].value);
		rq->params[i].value = NULL;
	}
	rq->nparams = 0;
}

/* Does the path (segments of raw) fit the pattern? Fills params (decoded) when it does. */
static int match(srv_request *rq, const char *pattern, const char *path, srv_response *rs, int *bad)
{
	const char *p = pattern + 1, *s = path + 1;
	size_t np = 0;
	*bad = 0;
	while (*p) {
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p), sl = se ? (size_t)(se - s) : strlen(s);
		if (*p == '{') {
			const char *colon = memchr(p, ':', pl);
			size_t namelen = colon ? (size_t)(colon - p - 1) : pl - 2;
			int tile = colon && strncmp(colon, ":tile}", 6) == 0;
			if (tile)
				sl = strlen(s);
			if (!sl || !*s)
				return 0;
			if (np >= SRV_PARAMS_MAX || namelen >= sizeof(rq->params[np].name))
				return 0;
			memcpy(rq->params[np].name, p + 1, namelen);
			rq->params[np].name[namelen] = '\0';
			rq->params[np].value = tile ? strndup(s, sl) : pct_decode(s, sl, 0);
			if (!rq->params[np].value) {
				*bad = 1;
				rq->nparams = np;
				srv_error(rs, 400, rq->params[np].name, "%s: malformed percent-encoding", rq->params[np].name);
				return 0;
			}
			np++;
			rq->nparams = np;
			s += sl;
			p += pl;
			if (tile)
				break;
		} else {
			if (pl != sl || strncmp(p, s, pl) != 0)
				return 0;
			p += pl;
			s += sl;
		}
		if (*p == '/' && *s == '/') {
			p++;
			s++;
		} else if (*p || *s) {
			return 0;
		}
	}
	return *s == '\0';
}

/* Checks the typed parameters of the matched route: numbers and tile indexes. */
static int check_params(srv_request *rq, srv_response *rs)
{
	const char *pat = rq->route->pattern;
	for (size_t i = 0; i < rq->nparams; i++) {
		srv_kv *kv = &rq->params[i];
		char want[64];
		snprintf(want, sizeof(want), "{%s:int}", kv->name);
		if (strstr(pat, want) && parse_u64(kv->value, &kv->num)) {
			srv_error(rs, 400, kv->name, "%s: expected a non-negative number, got '%.64s'", kv->name,
				  kv->value);
			return -1;
		}
		snprintf(want, sizeof(want), "{%s:tile}", kv->name);
		if (strstr(pat, want) && srv_tile_index(kv->value, &rq->tile_index, &rq->tile_width)) {
			srv_error(rs, 404, kv->name, "%s: '%.64s' is not a tile index (x001/234, optionally .p/W)",
				  kv->name, kv->value);
			return -1;
		}
	}
	if (strncmp(pat, "/tile/", 6) == 0) {
		const srv_kv *level = srv_param(rq, "level");
		if (level && level->num > 63) {
			srv_error(rs, 404, "level", "level: %llu is not a tile level (0..63)",
				  (unsigned long long)level->num);
			return -1;
		}
		rq->tile_level = level ? (int)level->num : CUSTOS_TILE_ENTRIES;
	}
	return 0;
}

static int decode_query(srv_request *rq, srv_response *rs)
{
	const srv_route *r = rq->route;
	const char *q = rq->raw_query;
	while (q && *q) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		char *name = pct_decode(q, (size_t)((eq ? eq : end) - q), 1);
		char *value = eq ? pct_decode(eq + 1, (size_t)(end - eq - 1), 1) : strdup("");
		const srv_qparam *spec = NULL;
		if (!name || !value) {
			srv_error(rs, 400, name ? name : "query", "%s: malformed percent-encoding",
				  name ? name : "query");
			free(name);
			free(value);
			return -1;
		}
		for (size_t k = 0; k < SRV_ROUTE_QUERY_MAX && r->query[k].name; k++)
			if (strcmp(r->query[k].name, name) == 0)
				spec = &r->query[k];
		if (!spec || srv_query(rq, name) || rq->nquery >= SRV_QUERY_MAX) {
			srv_error(rs, 400, name, spec ? "%.64s: given twice" : "%.64s: unknown query parameter", name);
			free(name);
			free(value);
			return -1;
		}
		free(name);
		snprintf(rq->query[rq->nquery].name, sizeof(rq->query[rq->nquery].name), "%s", spec->name);
		rq->query[rq->nquery].value = value;
		rq->query[rq->nquery].num = 0;
		rq->nquery++;
		if (spec->integer && parse_u64(value, &rq->query[rq->nquery - 1].num)) {
			srv_error(rs, 400, spec->name, "%s: expected a non-negative number, got '%.64s'", spec->name,
				  value);
			return -1;
		}
		q = amp ? amp + 1 : end;
	}
	for (size_t k = 0; k < SRV_ROUTE_QUERY_MAX && r->query[k].name; k++)
		if (r->query[k].required && !srv_query(rq, r->query[k].name)) {
			srv_error(rs, 400, r->query[k].name, "%s: required", r->query[k].name);
			return -1;
		}
	return 0;
}

int srv_decode_target(srv_request *rq, const char *method, const char *uri, srv_response *rs)
{
	const char *qm;
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	char allow[64] = "";
	size_t ulen = strlen(uri);
	rq->method = method;
	if (ulen > SRV_URI_MAX) {
		srv_error(rs, 414, NULL, "request target longer than %d bytes", SRV_URI_MAX);
		return -1;
	}
	if (uri[0] != '/') {
		srv_error(rs, 400, NULL, "request target must be a path starting with '/'");
		return -1;
	}
	qm = strchr(uri, '?');
	rq->raw_path = strndup(uri, qm ? (size_t)(qm - uri) : ulen);
	rq->raw_query = qm ? strdup(qm + 1) : NULL;
	if (!rq->raw_path || (qm && !rq->raw_query)) {
		srv_error(rs, 503, NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < srv_nroutes; i++) {
		int bad;
		clear_params(rq);
		if (!match(rq, srv_routes[i].pattern, rq->raw_path, rs, &bad)) {
			if (bad)
				return -1;
			continue;
		}
		if (strcmp(srv_routes[i].method, m) != 0) {
			if (!strstr(allow, srv_routes[i].method)) {
				size_t al = strlen(allow);
				snprintf(allow + al, sizeof(allow) - al, "%s%s", al ? ", " : "", srv_routes[i].method);
				if (strcmp(srv_routes[i].method, "GET") == 0) {
					al = strlen(allow);
					snprintf(allow + al, sizeof(allow) - al, ", HEAD");
				}
			}
			continue;
		}
		rq->route = &srv_routes[i];
		rq->route_index = i;
		if (check_params(rq, rs) || decode_query(rq, rs))
			return -1;
		return 0;
	}
	clear_params(rq);
	if (*allow) {
		srv_error(rs, 405, NULL, "%s is not allowed on %.200s (allowed: %s)", method, rq->raw_path, allow);
		snprintf(rs->allow, sizeof(rs->allow), "%s", allow);
	} else {
		srv_error(rs, 404, NULL, "no such resource: %.200s", rq->raw_path);
	}
	return -1;
}

/* The media type of a Content-Type value, without parameters, lower-case. */
static void media_type(char *out, size_t cap, const char *ct)
{
	size_t n = 0;
	while (ct && *ct == ' ')
		ct++;
	for (; ct && *ct && *ct != ';' && *ct != ' ' && n + 1 < cap; ct++)
		out[n++] = (char)tolower((unsigned char)*ct);
	out[n] = '\0';
}

int srv_decode_type(const srv_request *rq, const char *content_type, size_t content_length, srv_response *rs)
{
	char mt[128];
	const char *want;
	srv_body_kind k = rq->route->body;
	if (k == SRV_BODY_NONE) {
		if (content_length > 0) {
			srv_error(rs, 415, "Content-Type", "%s %s takes no content", rq->route->method,
				  rq->route->pattern);
			return -1;
		}
		return 0;
	}
	media_type(mt, sizeof(mt), content_type);
	want = k == SRV_BODY_JSONL ? "application/jsonl" : k == SRV_BODY_TEXT ? "text/plain" : "application/json";
	if (strcmp(mt, want) == 0 || (k == SRV_BODY_JSONL && strcmp(mt, "application/x-ndjson") == 0) ||
	    (k == SRV_BODY_TEXT && (!*mt || strcmp(mt, "application/octet-stream") == 0)))
		return 0;
	srv_error(rs, 415, "Content-Type", "Content-Type: expected %s, got '%.64s'", want,
		  content_type ? content_type : "");
	return -1;
}

static int decode_screen(srv_request *rq, const char *body, size_t len, srv_response *rs)
{
	json_error_t err;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err), *sels, *v;
	const char *key;
	int rc = -1;
	rq->screen.day = custos_date_today();
	if (!root) {
		srv_error(rs, 400, "body", "line %d, column %d: %s", err.line, err.column, err.text);
		return -1;
	}
	if (!json_is_object(root)) {
		srv_error(rs, 400, "body", "expected a JSON object {\"selectors\": [...], \"date\": \"YYYY-MM-DD\"}");
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "selectors") != 0 && strcmp(key, "date") != 0) {
			srv_error(rs, 400, key, "unknown field '%.64s'", key);
			goto out;
		}
	}
	if ((v = json_object_get(root, "date")) &&
	    (!json_is_string(v) || custos_date_parse(&rq->screen.day, json_string_value(v)))) {
		srv_error(rs, 400, "date", "date: expected YYYY-MM-DD");
		goto out;
	}
	sels = json_object_get(root, "selectors");
	if (!json_is_array(sels) || json_array_size(sels) == 0) {
		srv_error(rs, 400, "selectors", "selectors: required, a non-empty array of selector strings");
		goto out;
	}
	if (json_array_size(sels) > SRV_SCREEN_MAX) {
		srv_error(rs, 413, "selectors", "selectors: more than %d", SRV_SCREEN_MAX);
		goto out;
	}
	rq->screen.selectors = calloc(json_array_size(sels), sizeof(char *));
	if (!rq->screen.selectors) {
		srv_error(rs, 503, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(sels); i++) {
		json_t *s = json_array_get(sels, i);
		custos_selector sel;
		char field[32];
		snprintf(field, sizeof(field), "selectors[%zu]", i);
		if (!json_is_string(s)) {
			srv_error(rs, 400, field, "%s: expected a selector string", field);
			goto out;
		}
		if (custos_selector_parse(&sel, json_string_value(s), json_string_length(s))) {
			srv_error(rs, 400, field, "%s: %s", field, custos_error_last());
			goto out;
		}
		custos_selector_dispose(&sel);
		if (!(rq->screen.selectors[i] = strdup(json_string_value(s)))) {
			srv_error(rs, 503, NULL, "out of memory");
			goto out;
		}
		rq->screen.n = i + 1;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int srv_decode_body(srv_request *rq, const char *body, size_t len, srv_response *rs)
{
	int rc;
	rq->body = body;
	rq->body_len = len;
	switch (rq->route->body) {
	case SRV_BODY_MEASURE:
		if ((rc = custos_measure_decode(&rq->measure, body, len))) {
			srv_fail(rs, rc, NULL);
			return -1;
		}
		rq->has_measure = 1;
		return 0;
	case SRV_BODY_SCREEN:
		return decode_screen(rq, body, len, rs);
	default:
		return 0;
	}
}

void srv_request_dispose(srv_request *rq)
{
	clear_params(rq);
	for (size_t i = 0; i < rq->nquery; i++)
		free(rq->query[i].value);
	for (size_t i = 0; i < rq->screen.n; i++)
		free(rq->screen.selectors[i]);
	free(rq->screen.selectors);
	if (rq->has_measure)
		custos_measure_dispose(&rq->measure);
	free(rq->raw_path);
	free(rq->raw_query);
	memset(rq, 0, sizeof(*rq));
}

const srv_kv *srv_param(const srv_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nparams; i++)
		if (strcmp(rq->params[i].name, name) == 0)
			return &rq->params[i];
	return NULL;
}

const srv_kv *srv_query(const srv_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nquery; i++)
		if (strcmp(rq->query[i].name, name) == 0)
			return &rq->query[i];
	return NULL;
}
