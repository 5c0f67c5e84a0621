/* auth.c — who may call a route: RFC 9421 signatures checked against principals, then the route's role. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "custos/principal.h"
#include "server_int.h"

/* What the principal lookup reads from (this worker's store) and remembers (whose key it was). */
typedef struct {
	custos_store *store;
	char id[65];
} principal_ctx;

/* The principal behind a keyid (its verifier key): its public key and roles; its id into the ctx. */
static int principal_lookup(void *vctx, const char *keyid, uint8_t pubkey[32], char *roles, size_t roles_len)
{
	principal_ctx *ctx = vctx;
	custos_principal p;
	custos_verifier *v = NULL;
	size_t used = 0;
	int rc = custos_principal_by_key(ctx->store, keyid, &p);
	if (rc)
		return rc;
	snprintf(ctx->id, sizeof(ctx->id), "%s", p.id);
	if ((rc = custos_verifier_new(&v, p.pubkey)) == 0) {
		custos_verifier_public(v, pubkey);
		custos_verifier_free(v);
		roles[0] = '\0';
		for (size_t i = 0; i < p.nroles; i++) {
			int n = snprintf(roles + used, roles_len - used, "%s%s", i ? " " : "", p.roles[i]);
			if (n < 0 || (size_t)n >= roles_len - used)
				break;
			used += (size_t)n;
		}
	}
	custos_principal_dispose(&p);
	return rc;
}

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
 * With principals (custos_server_options.principals, what `custos serve`
 * runs with unless --open) a signature's keyid is a principal's verifier key
 * ("name+hash+base64"): its Ed25519 key and roles come from the store, and
 * the request acts as that principal. A server started with no lookup at all
 * (`serve --open`, the benchmark) lets every request pass as actor "api".
 */
int srv_authenticate(custos_server *s, srv_request *rq, srv_response *rs)
{
	const srv_route *r = rq->route;
	custos_httpsig_message m;
	custos_httpsig_policy pol;
	custos_httpsig_signer who;
	custos_httpsig_failure why;
	int rc;

	custos_httpsig_lookup lookup = s->opt.lookup;
	void *lookup_ctx = s->opt.lookup_ctx;
	principal_ctx who_ctx = {NULL, ""};

	snprintf(rq->actor, sizeof(rq->actor), "api");
	rq->principal[0] = '\0';
	if (s->opt.principals) {
		if (!(who_ctx.store = srv_store(s, rs)))
			return -1;
		lookup = principal_lookup;
		lookup_ctx = &who_ctx;
	}
	if (strcmp(r->role, "public") == 0 || !lookup)
		return 0;
	m = (custos_httpsig_message){rq->method,   "http",	 rq->header(rq->header_ctx, "host"),
				     rq->raw_path, rq->raw_query, rq->header, rq->header_ctx};
	pol = (custos_httpsig_policy){(int64_t)time(NULL), s->opt.max_signature_age, 60, rq->body, rq->body_len};
	rc = custos_httpsig_verify(&who, &why, &m, rq->header(rq->header_ctx, "signature-input"),
				   rq->header(rq->header_ctx, "signature"), &pol, lookup, lookup_ctx, s->replay);
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
	if (s->opt.principals && who_ctx.id[0]) {
		/* the principal the lookup found for this key: the request acts as it */
		snprintf(rq->principal, sizeof(rq->principal), "%s", who_ctx.id);
		snprintf(rq->actor, sizeof(rq->actor), "%s", who_ctx.id);
	}
	return 0;
}
