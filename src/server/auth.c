/* auth.c — who may call a route: RFC 9421 signatures checked against principals, then the route's role. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "custos/principal.h"
#include "server_int.h"

/*
 * The active principals' verifier keys, each with its principal's id, read
 * from the store once and again only when a key is not found and a
 * principal event was logged since (a principal is added or revoked only
 * with one): a signed request reads one principal record, not every one,
 * and a request by an unknown key costs one query over the newest events.
 * The record read by id is what decides (active, same key), so a
 * revocation counts at once.
 */
struct srv_key {
	char *vkey, *id;
};

typedef struct {
	struct srv_key *v;
	size_t n, cap;
} key_list;

static void keys_dispose(struct srv_key *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].vkey);
		free(v[i].id);
	}
	free(v);
}

void srv_keys_free(custos_server *s)
{
	keys_dispose(s->keys, s->nkeys);
	s->keys = NULL;
	s->nkeys = 0;
}

static int collect_key(void *vctx, const custos_principal *p)
{
	key_list *l = vctx;
	if (p->revoked_at)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct srv_key *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return CUSTOS_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].vkey = strdup(p->pubkey);
	l->v[l->n].id = strdup(p->id);
	if (!l->v[l->n].vkey || !l->v[l->n].id) {
		free(l->v[l->n].vkey);
		free(l->v[l->n].id);
		return CUSTOS_ENOMEM;
	}
	l->n++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct srv_key *)a)->vkey, ((const struct srv_key *)b)->vkey);
}

/* The id of the principal holding vkey, as last read, into id (empty when none). */
static void keys_find(custos_server *s, const char *vkey, char id[65])
{
	struct srv_key want = {(char *)vkey, NULL}, *hit;
	pthread_mutex_lock(&s->lock);
	hit = s->nkeys ? bsearch(&want, s->keys, s->nkeys, sizeof(*s->keys), key_cmp) : NULL;
	snprintf(id, 65, "%s", hit ? hit->id : "");
	pthread_mutex_unlock(&s->lock);
}

/* Reads the keys again if a principal event was logged since they were read; returns whether it did. */
static int keys_refresh(custos_server *s, custos_store *st)
{
	int64_t size = custos_store_log_size(st), seen;
	key_list l = {NULL, 0, 0};
	pthread_mutex_lock(&s->lock);
	seen = s->keys_size;
	pthread_mutex_unlock(&s->lock);
	if (size < 0 || (seen >= 0 && size == seen))
		return 0;
	if (seen >= 0) {
		/* only a principal event changes who holds which key: otherwise just note how far that is known */
		int64_t at;
		int rc = custos_store_event_find(st, seen, "principal.", &at);
		if (rc == CUSTOS_ENOTFOUND) {
			pthread_mutex_lock(&s->lock);
			if (s->keys_size < size)
				s->keys_size = size;
			pthread_mutex_unlock(&s->lock);
		}
		if (rc)
			return 0;
	}
	if (custos_principal_each(st, collect_key, &l)) {
		keys_dispose(l.v, l.n);
		return 0;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), key_cmp);
	pthread_mutex_lock(&s->lock);
	if (s->keys_size < size) {
		srv_keys_free(s);
		s->keys = l.v;
		s->nkeys = l.n;
		s->keys_size = size;
		l.v = NULL;
		l.n = 0;
	}
	pthread_mutex_unlock(&s->lock);
	keys_dispose(l.v, l.n);
	return 1;
}

/* What the principal lookup reads from (this worker's store) and remembers (whose key it was). */
typedef struct {
	custos_server *srv;
	custos_store *store;
	char id[65];
} principal_ctx;

/* The active principal holding vkey, read from its record; CUSTOS_ENOTFOUND when none. */
static int principal_of_key(principal_ctx *ctx, const char *vkey, custos_principal *p)
{
	for (int pass = 0; pass < 2; pass++) {
		char id[65];
		keys_find(ctx->srv, vkey, id);
		if (*id && custos_principal_get(ctx->store, id, p) == 0) {
			if (!p->revoked_at && strcmp(p->pubkey, vkey) == 0)
				return 0;
			custos_principal_dispose(p);
		}
		if (pass == 0 && !keys_refresh(ctx->srv, ctx->store))
			break;
	}
	return CUSTOS_ENOTFOUND; /* custos_httpsig_verify names the key */
}

/* The principal behind a keyid (its verifier key): its public key and roles; its id into the ctx. */
static int principal_lookup(void *vctx, const char *keyid, uint8_t pubkey[32], char *roles, size_t roles_len)
{
	principal_ctx *ctx = vctx;
	custos_principal p;
	custos_verifier *v = NULL;
	size_t used = 0;
	int rc = principal_of_key(ctx, keyid, &p);
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

/*
 * The routes whose signed requests change what custos holds: each is
 * accepted once, ever (custos_store_set_request). Dry runs, screening and
 * every read need only a fresh signature.
 */
static int changes_state(const srv_route *r)
{
	return r->handler == srv_h_measure_file || r->handler == srv_h_statement_submit ||
	       r->handler == srv_h_registry_import;
}

/* True if host (the request's Host, its signed @authority) is one of the comma-separated names. */
static int addressed_here(const char *names, const char *host)
{
	size_t n = host ? strlen(host) : 0;
	if (!n)
		return 0;
	for (const char *p = names; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && strncasecmp(p, host, n) == 0)
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
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
	principal_ctx who_ctx = {s, NULL, ""};

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
	if (!addressed_here(s->authority, rq->header(rq->header_ctx, "host"))) {
		const char *host = rq->header(rq->header_ctx, "host");
		srv_error(rs, 401, "Host", "the request is addressed to '%.200s'; this server answers signed requests to %s",
			  host ? host : "(no Host)", s->authority);
		return -1;
	}
	m = (custos_httpsig_message){rq->method,   "http",	 rq->header(rq->header_ctx, "host"),
				     rq->raw_path, rq->raw_query, rq->header, rq->header_ctx};
	pol = (custos_httpsig_policy){custos_clock_now(), s->opt.max_signature_age, 60, rq->body, rq->body_len};
	/* no replay cache: a read needs only a fresh signature; a change claims its signature in the store */
	rc = custos_httpsig_verify(&who, &why, &m, rq->header(rq->header_ctx, "signature-input"),
				   rq->header(rq->header_ctx, "signature"), &pol, lookup, lookup_ctx, NULL);
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
	if (changes_state(r))
		snprintf(rq->request_key, sizeof(rq->request_key), "%s", who.request_key);
	if (s->opt.principals && who_ctx.id[0]) {
		/* the principal the lookup found for this key: the request acts as it */
		snprintf(rq->principal, sizeof(rq->principal), "%s", who_ctx.id);
		snprintf(rq->actor, sizeof(rq->actor), "%s", who_ctx.id);
	}
	return 0;
}
