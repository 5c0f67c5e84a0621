/* auth.c — who may call a route: RFC 9421 signatures checked against principals, then the route's role. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server_int.h"

/* True if the space-separated list `roles` holds `role`. */
static int has_role(const char *roles, const char *role)
{
	size_t n = strlen(role);
	for (const char *p = roles; (p = strstr(p, role)); p += n)
		if ((p == roles || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * Public routes (the register's read paths, tiles, health, metrics, the
 * OpenAPI document, the witness endpoint) pass. Every other route needs a
 * signature by a principal holding the route's role ("principal": any role).
 *
 * PRINCIPALS PLUG IN HERE (issue 4). Until custos has principals the server
 * is started with no lookup (custos_server_options.lookup == NULL) and
 * every request passes as actor "api". `custos serve` will pass a lookup
 * that finds a principal by the keyid of its signature (its verifier key
 * "name+hash+base64") and returns its Ed25519 public key and roles; nothing
 * else here changes.
 */
int srv_authenticate(custos_server *s, srv_request *rq, srv_response *rs)
{
	const srv_route *r = rq->route;
	custos_httpsig_message m;
	custos_httpsig_policy pol;
	custos_httpsig_signer who;
	custos_httpsig_failure why;
	int rc;

	snprintf(rq->actor, sizeof(rq->actor), "api");
	if (strcmp(r->role, "public") == 0 || !s->opt.lookup)
		return 0;
	m = (custos_httpsig_message){rq->method,   "http",	 rq->header(rq->header_ctx, "host"),
				     rq->raw_path, rq->raw_query, rq->header, rq->header_ctx};
	pol = (custos_httpsig_policy){(int64_t)time(NULL), s->opt.max_signature_age, 60, rq->body, rq->body_len};
	rc = custos_httpsig_verify(&who, &why, &m, rq->header(rq->header_ctx, "signature-input"),
				   rq->header(rq->header_ctx, "signature"), &pol, s->opt.lookup, s->opt.lookup_ctx,
				   s->replay);
	if (rc == CUSTOS_ELIMIT) {
		srv_error(rs, 503, "Signature", "%s", custos_error_last());
		return -1;
	}
	if (rc) {
		srv_error(rs, why == CUSTOS_HTTPSIG_MALFORMED ? 400 : 401,
			  why == CUSTOS_HTTPSIG_BAD_DIGEST ? "Content-Digest"
			  : why == CUSTOS_HTTPSIG_MISSING || why == CUSTOS_HTTPSIG_BAD_SIGNATURE ||
				    why == CUSTOS_HTTPSIG_REPLAYED
				  ? "Signature"
				  : "Signature-Input",
			  "%s", custos_error_last());
		return -1;
	}
	if (strcmp(r->role, "principal") != 0 && !has_role(who.roles, r->role)) {
		srv_error(rs, 403, NULL, "%s %s needs the role '%s'; key '%s' holds: %s", r->method, r->pattern, r->role,
			  who.keyid, *who.roles ? who.roles : "(none)");
		return -1;
	}
	snprintf(rq->actor, sizeof(rq->actor), "%s", who.keyid);
	return 0;
}
