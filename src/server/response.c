/* response.c — building answers: JSON, bytes, and errors that name the field at fault. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

void srv_json(srv_response *rs, int status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	free(rs->body);
	rs->body = NULL;
	if (!s) {
		rs->status = 503;
		rs->content_type = "application/json";
		rs->body = strdup("{\"error\":\"out of memory\"}");
		rs->len = rs->body ? strlen(rs->body) : 0;
		return;
	}
	rs->status = status;
	rs->content_type = "application/json";
	rs->body = s;
	rs->len = strlen(s);
}

void srv_bytes(srv_response *rs, int status, const char *type, char *body, size_t len)
{
	free(rs->body);
	rs->status = status;
	rs->content_type = type;
	rs->body = body;
	rs->len = len;
}

/*
 * A JSON string of text that may quote the request (a header, a method):
 * when it is not valid UTF-8, its bytes outside printable ASCII become '?'.
 */
static json_t *safe_string(const char *text)
{
	json_t *v = json_string(text);
	char buf[1024];
	size_t n = 0;
	if (v)
		return v;
	for (; *text && n + 1 < sizeof(buf); text++)
		buf[n++] = (unsigned char)*text >= 0x20 && (unsigned char)*text < 0x7f ? *text : '?';
	buf[n] = '\0';
	return json_string(buf);
}

static void error_with(srv_response *rs, int status, const char *field, const char *msg, long line)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", safe_string(msg));
	if (field && *field)
		json_object_set_new(o, "field", safe_string(field));
	if (line > 0)
		json_object_set_new(o, "line", json_integer(line));
	srv_json(rs, status, o);
}

void srv_error(srv_response *rs, int status, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_with(rs, status, field, msg, 0);
}

/* The length of a field path at s: letters, digits, _, -, ., [ and ]. */
static size_t path_len(const char *s)
{
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '-' || s[n] == '.' || s[n] == '[' ||
	       s[n] == ']')
		n++;
	return n;
}

/*
 * The library names what is wrong at the start of its messages:
 * "targets[1]: ...", "period.from: ...", "[where: ]unknown field 'colour'".
 * A JSON syntax error ("line 2, column 0: ...") names the body.
 */
void srv_message_field(char *out, size_t cap, const char *msg)
{
	const char *uf = strstr(msg, "unknown field '");
	size_t n;
	out[0] = '\0';
	if (uf) {
		const char *name = uf + strlen("unknown field '"), *q = strchr(name, '\'');
		size_t pre = 0;
		if (uf > msg + 2 && uf[-2] == ':' && (pre = path_len(msg)) == (size_t)(uf - 2 - msg))
			snprintf(out, cap, "%.*s.%.*s", (int)pre, msg, q ? (int)(q - name) : 0, name);
		else if (q)
			snprintf(out, cap, "%.*s", (int)(q - name), name);
		return;
	}
	if (strncmp(msg, "line ", 5) == 0 && strstr(msg, ", column ")) {
		snprintf(out, cap, "body");
		return;
	}
	n = path_len(msg);
	if (n && msg[n] == ':' && msg[n + 1] == ' ')
		snprintf(out, cap, "%.*s", (int)n, msg);
}

void srv_fail(srv_response *rs, int rc, const char *field)
{
	const char *msg = custos_error_last();
	char guessed[128];
	long line = 0;
	int status = rc == CUSTOS_EINVALID	? 400
		     : rc == CUSTOS_ENOTFOUND	? 404
		     : rc == CUSTOS_EEXISTS	? 409
		     : rc == CUSTOS_ELIMIT	? 413
		     : rc == CUSTOS_ENOMEM	? 503
						: 500;
	/* registry imports report "body:LINE: field: problem" */
	if (strncmp(msg, "body:", 5) == 0 && isdigit((unsigned char)msg[5])) {
		char *end;
		line = strtol(msg + 5, &end, 10);
		if (*end == ':') {
			srv_message_field(guessed, sizeof(guessed), end + 1 + (end[1] == ' '));
			if (!field)
				field = *guessed ? guessed : "body";
		}
	}
	if (!field) {
		srv_message_field(guessed, sizeof(guessed), msg);
		field = guessed;
	}
	error_with(rs, status, field, *msg ? msg : "internal error", line);
}

void srv_response_dispose(srv_response *rs)
{
	free(rs->body);
	memset(rs, 0, sizeof(*rs));
}
