/* custos/openli.h — OpenLI's intercepts as custos reads them: from its REST API's JSON and its running-intercept YAML. */
#ifndef CUSTOS_OPENLI_H
#define CUSTOS_OPENLI_H

#include <stddef.h>
#include <stdint.h>

#include "custos/selector.h"

/*
 * OpenLI (https://github.com/OpenLI-NZ/openli) keeps three lists of
 * intercepts. Its provisioner's REST API takes one intercept as a JSON object
 * at /ipintercept, /voipintercept or /emailintercept (POST adds, PUT
 * changes — and adds when the LIID is unknown —, DELETE /KIND/LIID
 * removes, GET lists); its running-intercept file holds the same fields in
 * YAML under `ipintercepts:`, `voipintercepts:` and `emailintercepts:`,
 * where the country codes are spelled `authcountrycode` and
 * `deliverycountrycode` instead of `authcc` and `delivcc`.
 */
typedef enum {
	CUSTOS_OPENLI_IP,    /* /ipintercept, YAML ipintercepts */
	CUSTOS_OPENLI_VOIP,  /* /voipintercept, YAML voipintercepts */
	CUSTOS_OPENLI_EMAIL, /* /emailintercept, YAML emailintercepts */
	CUSTOS_OPENLI__KINDS
} custos_openli_kind;

/* "ipintercept", "voipintercept", "emailintercept": the REST API's path without its '/'. */
const char *custos_openli_kind_name(custos_openli_kind kind);
/* The kind named by `name` (one of the above, or the YAML list's name with its final 's'); -1 if none. */
int custos_openli_kind_parse(const char *name);

/* A SIP identity of a VoIP intercept: `realm` NULL when the username is to match at any realm. */
typedef struct custos_openli_sip {
	char *username;
	char *realm;
} custos_openli_sip;

/* A static IP range of an IP intercept (`iprange`, with its `sessionid` when given, else -1). */
typedef struct custos_openli_iprange {
	char *iprange;
	int64_t sessionid;
} custos_openli_iprange;

/*
 * One intercept, the fields custos reads (every other field OpenLI knows is
 * accepted and ignored). Strings are malloc'd, NULL when absent. Times are
 * Unix seconds, 0 when absent (OpenLI reads 0 as "no limit").
 */
typedef struct custos_openli_intercept {
	custos_openli_kind kind;
	unsigned line;	  /* the YAML line where the entry begins (1-based); 0 when read from JSON */
	char *liid;	  /* required */
	char *agencyid;	  /* required by OpenLI; NULL when absent (custos reports it) */
	char *authcc;	  /* JSON authcc, YAML authcountrycode */
	char *delivcc;	  /* JSON delivcc, YAML deliverycountrycode */
	int64_t mediator; /* -1 when absent */
	int64_t starttime, endtime;
	/* IP intercepts */
	char *user;	   /* the AAA user name, or the MSISDN/IMSI/IMEI when mobileident says so */
	char *accesstype;  /* "mobile" for a mobile intercept, ... */
	char *mobileident; /* "msisdn" (the default for a mobile intercept), "imsi", "imei" */
	char *radiusident; /* "user", "csid", or NULL: both */
	custos_openli_iprange *staticips;
	size_t nstaticips;
	size_t nudpsinks; /* udpsinks given (their traffic is the user's: counted, not read) */
	size_t nvendmirror; /* 1 when vendmirrorid is given */
	/* VoIP intercepts */
	custos_openli_sip *siptargets;
	size_t nsiptargets;
	size_t nxids; /* X1-provisioned identities (xids, xid): custos cannot see their targets */
	/* email intercepts */
	char **addresses; /* targets[].address */
	size_t naddresses;
} custos_openli_intercept;

void custos_openli_intercept_dispose(custos_openli_intercept *ic);
void custos_openli_intercepts_free(custos_openli_intercept *list, size_t n);

/*
 * One intercept from the REST API's JSON object (`len` bytes), of the kind
 * the path names. Types are checked (a string where OpenLI reads a string,
 * an integer where it reads one; OpenLI also takes integers as strings for
 * mediator, starttime and endtime, and so does this); errors are
 * CUSTOS_EINVALID naming the field ("siptargets[1].username: not a string").
 */
int custos_openli_from_json(custos_openli_intercept *out, custos_openli_kind kind, const char *json, size_t len);

/*
 * Every intercept of OpenLI's JSON listing (GET /KIND: an array of objects),
 * appended to *list (*n grows); errors as custos_openli_from_json, prefixed
 * with the element ("[3].liid: ...").
 */
int custos_openli_list_json(custos_openli_intercept **list, size_t *n, custos_openli_kind kind, const char *json,
			    size_t len);

/*
 * Every intercept of a running-intercept YAML file (libyaml): the entries of
 * its `ipintercepts`, `voipintercepts` and `emailintercepts` sequences, in
 * file order; every other top-level key (agencies, sipservers, ...) is
 * skipped. Malformed YAML, or an entry of the wrong shape, is
 * CUSTOS_EINVALID "SOURCE:LINE: what" (lines 1-based), and nothing is
 * returned. *list is malloc'd (free with custos_openli_intercepts_free).
 */
int custos_openli_read_yaml(custos_openli_intercept **list, size_t *n, const char *text, size_t len,
			    const char *source);

/*
 * The custos selectors an intercept names, one per OpenLI target field:
 *   email targets[].address                -> mailto:
 *   IP user, a mobile accesstype (mobile, 3g, 4g, 5g, lte; OpenLI reads
 *     mobileident only then): mobileident imsi / imei -> imsi: / imei:,
 *     msisdn or none -> tel:
 *   IP user (otherwise: the AAA user name, whatever mobileident says) -> nai:
 *   IP staticips[].iprange                 -> ip:
 *   VoIP siptargets username@realm         -> sip:, or tel: when the username is a number
 *   VoIP siptargets username, no realm     -> tel: when a number; otherwise refused (it matches at every realm)
 * `fields[i]` names where sels[i] came from ("user", "staticips[0].iprange",
 * "siptargets[1]", "targets[0].address"). An intercept whose targets custos
 * cannot see (VoIP xids only) or a target no selector can say is
 * CUSTOS_EINVALID naming the field. Free with custos_openli_targets_free.
 */
int custos_openli_targets(const custos_openli_intercept *ic, custos_selector **sels, char ***fields, size_t *n);
void custos_openli_targets_free(custos_selector *sels, char **fields, size_t n);

/*
 * Whether selector `granted` (a token's) covers `target` (an intercept's):
 * the same key; a number in a tel: range; an address, network in a network;
 * an email address in a domain: (or a subdomain of it). 1 or 0.
 */
int custos_selector_covers(const custos_selector *granted, const custos_selector *target);

/*
 * The provisioner's REST API as a client (libcurl): `url` its base
 * ("http://127.0.0.1:8992", "https://prov.example:8992"; nothing after the
 * authority but an optional path prefix), `api_key` sent as X-API-KEY (NULL:
 * none). A handle serves one thread at a time.
 */
typedef struct custos_openli_upstream custos_openli_upstream;
int custos_openli_upstream_new(custos_openli_upstream **out, const char *url, const char *api_key);
void custos_openli_upstream_free(custos_openli_upstream *u);
const char *custos_openli_upstream_url(const custos_openli_upstream *u);
/*
 * One request: `path` is appended to the base ("/ipintercept",
 * "/ipintercept/LIID"), `body` (NULL: none) sent as application/json.
 * *status is the HTTP status and *answer (malloc'd, at most 1 MiB) the body
 * answered. A provisioner that cannot be reached (or answers more than 1 MiB,
 * or takes more than 15 s) is CUSTOS_ERROR naming why, with *status 0.
 */
int custos_openli_upstream_call(custos_openli_upstream *u, const char *method, const char *path, const char *body,
				long *status, char **answer);
/* Every intercept the provisioner at `url` lists (GET /ipintercept, /voipintercept, /emailintercept). */
int custos_openli_list_api(custos_openli_intercept **list, size_t *n, const char *url, const char *api_key);
/* A LIID percent-encoded for a URL path (every byte but A-Z a-z 0-9 - . _ ~); malloc'd. */
char *custos_openli_path_escape(const char *s);

#endif
