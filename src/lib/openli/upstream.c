/* upstream.c — the provisioner's REST API as a client, on libcurl: one request at a time, bounded answers. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/openli.h"
#include "util/util.h"

#define ANSWER_MAX (1u << 20)

struct custos_openli_upstream {
	CURL *curl;
	char *url;
	struct curl_slist *headers;
	char err[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void init_curl(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int custos_openli_upstream_new(custos_openli_upstream **out, const char *url, const char *api_key)
{
	custos_openli_upstream *u;
	size_t n;
	char header[512];
	*out = NULL;
	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return custos_error_set(CUSTOS_EINVALID, "upstream: '%s' is not an http:// or https:// URL", url ? url : "");
	n = strlen(url);
	if (n > 1024 || strpbrk(url, " \t\r\n?#"))
		return custos_error_set(CUSTOS_EINVALID, "upstream: '%.64s' is not a base URL (no query, no fragment)", url);
	{
		/* libcurl's own parser: a host, and a port that is a number, or the URL is refused here, not at the first
		 * request */
		CURLU *h = curl_url();
		char *host = NULL, *port = NULL;
		CURLUcode uc = h ? curl_url_set(h, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
		int bad = uc != CURLUE_OK || curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0] ||
			  (curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK && (!port || !port[0]));
		const char *auth = strstr(url, "://") + 3, *slash = strchr(auth, '/');
		size_t al = slash ? (size_t)(slash - auth) : strlen(auth);
		bad |= al == 0 || auth[al - 1] == ':'; /* "host:" with no port: libcurl reads it as no port at all */
		curl_free(host);
		curl_free(port);
		curl_url_cleanup(h);
		if (bad)
			return custos_error_set(CUSTOS_EINVALID, "upstream: '%.64s' is not a URL with a host (and a port)", url);
	}
	if (api_key && (strlen(api_key) > 256 || strpbrk(api_key, "\r\n")))
		return custos_error_set(CUSTOS_EINVALID, "upstream: the API key is not one line of at most 256 bytes");
	pthread_once(&curl_once, init_curl);
	if (curl_init_rc != CURLE_OK)
		return custos_error_set(CUSTOS_ERROR, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	if (!(u = calloc(1, sizeof(*u))) || !(u->url = custos_strndup(url, url[n - 1] == '/' ? n - 1 : n)) ||
	    !(u->curl = curl_easy_init())) {
		custos_openli_upstream_free(u);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	u->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (api_key) {
		snprintf(header, sizeof(header), "X-API-KEY: %s", api_key);
		u->headers = curl_slist_append(u->headers, header);
	}
	u->headers = curl_slist_append(u->headers, "Expect:");
	*out = u;
	return 0;
}

void custos_openli_upstream_free(custos_openli_upstream *u)
{
	if (!u)
		return;
	if (u->curl)
		curl_easy_cleanup(u->curl);
	curl_slist_free_all(u->headers);
	free(u->url);
	free(u);
}

const char *custos_openli_upstream_url(const custos_openli_upstream *u)
{
	return u->url;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	custos_buf *b = ctx;
	size_t n = size * nmemb;
	return custos_buf_append(b, ptr, n) ? 0 : n; /* 0: more than ANSWER_MAX, the transfer stops */
}

int custos_openli_upstream_call(custos_openli_upstream *u, const char *method, const char *path, const char *body,
				long *status, char **answer)
{
	custos_buf b;
	char *url;
	CURLcode cc;
	*status = 0;
	*answer = NULL;
	if (!(url = malloc(strlen(u->url) + strlen(path) + 1)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	snprintf(url, strlen(u->url) + strlen(path) + 1, "%s%s", u->url, path);
	custos_buf_init(&b, ANSWER_MAX);
	curl_easy_reset(u->curl);
	curl_easy_setopt(u->curl, CURLOPT_URL, url);
	curl_easy_setopt(u->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, u->headers);
	curl_easy_setopt(u->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(u->curl, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(u->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(u->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(u->curl, CURLOPT_ERRORBUFFER, u->err);
	curl_easy_setopt(u->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(u->curl, CURLOPT_WRITEDATA, &b);
	if (body) {
		curl_easy_setopt(u->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(u->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(u->curl, CURLOPT_HTTPGET, 1L);
	}
	u->err[0] = '\0';
	cc = curl_easy_perform(u->curl);
	free(url);
	if (cc != CURLE_OK) {
		custos_buf_dispose(&b);
		return custos_error_set(CUSTOS_ERROR, "upstream %s %s%s: %s", method, u->url, path,
					u->err[0] ? u->err : curl_easy_strerror(cc));
	}
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, status);
	if (custos_buf_append(&b, "", 0) || !(*answer = custos_buf_detach(&b))) {
		custos_buf_dispose(&b);
		*status = 0;
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	return 0;
}

char *custos_openli_path_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), o = 0;
	char *out = malloc(3 * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

int custos_openli_list_api(custos_openli_intercept **list, size_t *n, const char *url, const char *api_key)
{
	custos_openli_upstream *up = NULL;
	int rc = custos_openli_upstream_new(&up, url, api_key);
	*list = NULL;
	*n = 0;
	for (int k = 0; !rc && k < CUSTOS_OPENLI__KINDS; k++) {
		char path[32], *got = NULL;
		long status = 0;
		snprintf(path, sizeof(path), "/%s", custos_openli_kind_name((custos_openli_kind)k));
		if ((rc = custos_openli_upstream_call(up, "GET", path, NULL, &status, &got)))
			break;
		if (status != 200)
			rc = custos_error_set(CUSTOS_ERROR, "GET %s%s: the provisioner answered %ld", up->url, path, status);
		else if ((rc = custos_openli_list_json(list, n, (custos_openli_kind)k, got, strlen(got))))
			custos_error_prefix(rc, "GET %s%s", up->url, path);
		free(got);
	}
	custos_openli_upstream_free(up);
	if (rc) {
		custos_openli_intercepts_free(*list, *n);
		*list = NULL;
		*n = 0;
	}
	return rc;
}
