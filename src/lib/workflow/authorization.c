/* authorization.c — authorisation tokens as issued, the signed revocation list, and offline verification. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "ledger/log_int.h"
#include "ledger/note_int.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

int custos_authorization_get(custos_store *st, const char *id, char **token)
{
	char *body = NULL;
	json_t *rec;
	int rc;
	*token = NULL;
	if ((rc = custos_store_record_get(st, WF_AUTHORIZATION, id, &body))) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_error_set(rc, "no authorisation '%s'", id);
		return rc;
	}
	rec = json_loads(body, 0, NULL);
	free(body);
	if (rec && !*wf_jstr(rec, "token")) {
		json_decref(rec);
		return custos_error_set(CUSTOS_ENOTFOUND, "authorisation '%s' was erased with its measure's data", id);
	}
	if (rec)
		*token = custos_strdup(wf_jstr(rec, "token"));
	json_decref(rec);
	return *token ? 0 : custos_error_set(CUSTOS_ERROR, "authorisation %s: stored record does not parse", id);
}

typedef struct {
	custos_buf *b;
} revoked_ctx;

static int revoked_row(void *vctx, const char *id, const char *body)
{
	revoked_ctx *c = vctx;
	json_t *rec = json_loads(body, 0, NULL);
	int rc = 0;
	if (!rec)
		return custos_error_set(CUSTOS_ERROR, "authorisation %s: stored record does not parse", id);
	if (strcmp(wf_jstr(rec, "state"), "valid") != 0)
		rc = custos_buf_printf(c->b, "%s %s\n", wf_jstr(rec, "state"), id);
	json_decref(rec);
	return rc;
}

int custos_revocations(custos_store *st, char **note)
{
	custos_signer *signer = NULL;
	char *origin = NULL, now[21];
	custos_buf b;
	revoked_ctx c = {&b};
	int rc, began = 0;
	*note = NULL;
	custos_buf_init(&b, 64u << 20);
	if ((rc = custos_time_now(now)))
		return rc;
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin_read(st)))
			return rc;
		began = 1;
	}
	/* a rolled-back store may have lost revocations: it signs no list */
	if ((rc = custos_log_check_pinned(st)) || (rc = custos_log_origin(st, &origin)) ||
	    (rc = custos_log_signer(st, &signer)))
		goto out;
	if ((rc = custos_buf_printf(&b, "custos-revocations/v1\n%s\nsize %lld\ntime %s\n", origin,
				    (long long)custos_store_log_size(st), now)) ||
	    (rc = custos_store_record_each(st, WF_AUTHORIZATION, NULL, revoked_row, &c)))
		goto out;
	rc = custos_note_sign(note, b.ptr, b.len, &signer, 1);
out:
	if (began)
		custos_store_rollback(st);
	custos_buf_dispose(&b);
	custos_signer_free(signer);
	free(origin);
	return rc;
}

/*
 * Checks a signed revocation list (signed by the log's key, for `origin`), reads its size and time into
 * *rev, and whether it lists `id`; *listed receives "revoked" etc. or "".
 */
static int revocation_lookup(const char *list, size_t len, const custos_verifier *v, const char *origin,
			     const char *id, custos_revocation_check *rev, char listed[16])
{
	custos_note n;
	wf_lines r;
	const char *s;
	size_t sn;
	char size[24], time[24];
	int64_t secs;
	int rc, got;
	listed[0] = '\0';
	if ((rc = custos_note_parse(&n, list, len)))
		return custos_error_prefix(rc, "revocation list");
	if (custos_note_verify(&n, v)) {
		rc = custos_error_set(CUSTOS_EINVALID, "revocation list: not signed by the log's key");
		goto out;
	}
	wf_lines_init(&r, n.text, n.text_len, "revocation list");
	if ((got = wf_lines_next(&r, &s, &sn)) != 1 || sn != 21 || memcmp(s, "custos-revocations/v1", 21) != 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "revocation list: line 1: expected 'custos-revocations/v1'");
		goto out;
	}
	if ((got = wf_lines_next(&r, &s, &sn)) != 1 || sn != strlen(origin) || memcmp(s, origin, sn) != 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "revocation list: line 2: not the token's origin '%s'", origin);
		goto out;
	}
	if ((rc = wf_lines_field(&r, "size", size, sizeof(size), 0)) ||
	    (rc = wf_lines_field(&r, "time", time, sizeof(time), 0)))
		goto out;
	if (note_parse_u64(size, strlen(size), &rev->list_size)) {
		rc = custos_error_set(CUSTOS_EINVALID, "revocation list: line 3: size '%s' is not a log size", size);
		goto out;
	}
	if (strlen(time) != 20 || custos_time_parse(&secs, time)) {
		rc = custos_error_set(CUSTOS_EINVALID, "revocation list: line 4: time '%s' is not YYYY-MM-DDTHH:MM:SSZ",
				      time);
		goto out;
	}
	memcpy(rev->list_time, time, 21);
	while ((got = wf_lines_next(&r, &s, &sn)) == 1) {
		const char *sp = memchr(s, ' ', sn);
		if (!sp || sp == s || (size_t)(sp - s) >= 16) {
			rc = custos_error_set(CUSTOS_EINVALID, "revocation list: line %u: expected 'STATE ID'", r.line);
			goto out;
		}
		if ((size_t)(s + sn - sp - 1) == strlen(id) && memcmp(sp + 1, id, strlen(id)) == 0) {
			memcpy(listed, s, (size_t)(sp - s));
			listed[sp - s] = '\0';
		}
	}
	rc = got < 0 ? got : 0;
out:
	custos_note_dispose(&n);
	return rc;
}

/*
 * Whether a list that does not name token `a` clears it: refuses a list signed before the token existed or
 * older than max_age; leaves rev->checked 0 (with the reason) when the list's age cannot be told.
 */
static int revocation_fresh(const custos_authorization *a, const custos_token_checks *c, custos_revocation_check *rev)
{
	int64_t at = 0, now = custos_clock_now();
	custos_time_parse(&at, rev->list_time); /* checked by revocation_lookup */
	if (a->log_size && rev->list_size < a->log_size)
		return custos_error_set(CUSTOS_EINVALID,
					"authorisation %s: the revocation list (log size %llu, %s) is older than the "
					"token (issued at log size %llu): it cannot clear it; fetch a current list",
					a->id, (unsigned long long)rev->list_size, rev->list_time,
					(unsigned long long)a->log_size);
	if (c->max_age > 0 && at < now - c->max_age) {
		char tnow[21];
		custos_time_format(tnow, now);
		return custos_error_set(CUSTOS_EINVALID,
					"authorisation %s: the revocation list of %s is older than the maximum age of "
					"%llds (now %s); fetch a current list",
					a->id, rev->list_time, (long long)c->max_age, tnow);
	}
	if (!a->log_size && c->max_age <= 0) {
		snprintf(rev->unchecked, sizeof(rev->unchecked),
			 "the token has no log_size line (issued before tokens carried one), so only a maximum age "
			 "can show the list is newer than it");
		return 0;
	}
	rev->checked = 1;
	return 0;
}

int custos_authorization_check(custos_authorization *out, custos_revocation_check *rev, const char *token, size_t len,
			       const custos_token_checks *c)
{
	custos_note n;
	custos_authorization a;
	custos_revocation_check r;
	custos_verifier *v = NULL;
	char listed[16], from[11], to[11], day[11];
	int rc;
	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	if (out)
		memset(out, 0, sizeof(*out));
	if (rev)
		memset(rev, 0, sizeof(*rev));
	if ((rc = custos_note_parse(&n, token, len)))
		return custos_error_prefix(rc, "authorisation");
	if ((rc = custos_verifier_new(&v, c->vkey))) {
		custos_error_prefix(rc, "verifier key");
		goto out;
	}
	if (custos_note_verify(&n, v)) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: bad signature: not signed by %s",
				      custos_verifier_name(v));
		goto out;
	}
	if ((rc = custos_authorization_parse(&a, n.text, n.text_len)))
		goto out;
	if (strcmp(a.origin, custos_verifier_name(v)) != 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation: issued by '%s', not by '%s'", a.origin,
				      custos_verifier_name(v));
		goto out;
	}
	custos_date_format(from, a.from);
	custos_date_format(to, a.to);
	custos_date_format(day, c->today);
	if (c->today < a.from || c->today > a.to) {
		rc = custos_error_set(CUSTOS_EINVALID, "authorisation %s: %s is %s its window %s..%s", a.id, day,
				      c->today < a.from ? "before" : "after", from, to);
		goto out;
	}
	if (!c->revocations) {
		snprintf(r.unchecked, sizeof(r.unchecked), "no revocation list was given");
	} else {
		if ((rc = revocation_lookup(c->revocations, c->rlen, v, a.origin, a.id, &r, listed)))
			goto out;
		/* a listing is final whatever the list's age: a withdrawn token never becomes valid again */
		if (listed[0]) {
			rc = custos_error_set(CUSTOS_EINVALID, "authorisation %s: %s (on the revocation list)", a.id, listed);
			goto out;
		}
		if ((rc = revocation_fresh(&a, c, &r)))
			goto out;
	}
	if (rev)
		*rev = r;
	if (out) {
		*out = a;
		memset(&a, 0, sizeof(a));
	}
out:
	custos_authorization_dispose(&a);
	custos_verifier_free(v);
	custos_note_dispose(&n);
	return rc;
}

int custos_authorization_verify(custos_authorization *out, const char *token, size_t len, const char *vkey,
				const char *revocations, size_t rlen, custos_date today)
{
	custos_token_checks c = {vkey, revocations, rlen, today, 0};
	return custos_authorization_check(out, NULL, token, len, &c);
}

int custos_revocations_publish(custos_store *st, const char *dir)
{
	char *note = NULL, *path = NULL;
	custos_buf b;
	FILE *f;
	int rc;
	if ((rc = custos_revocations(st, &note)))
		return rc;
	custos_buf_init(&b, 8192);
	if ((rc = custos_buf_printf(&b, "%s/revocations", dir)) || !(path = custos_buf_detach(&b))) {
		free(note);
		return rc ? rc : custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	f = fopen(path, "w");
	if (!f || fputs(note, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "%s: %s", path, strerror(errno));
	if (f && fclose(f) != 0 && !rc)
		rc = custos_error_set(CUSTOS_ERROR, "%s: %s", path, strerror(errno));
	free(path);
	free(note);
	return rc;
}
