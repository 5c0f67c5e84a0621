/* web.c — serves the web page (web/index.html, app.js, style.css), built into the binary by tools/embed.c. */
#include <stdlib.h>
#include <string.h>

#include "custos/builtin.h"
#include "server_int.h"

/* The content type of a page file, by its extension; NULL for one the page does not have. */
static const char *web_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/*
 * GET / answers web/index.html, GET /web/{file} the file of that name under
 * web/. Only files built into the binary are served, so the store and the
 * file system are never read; a name with a slash cannot match the route.
 */
void srv_h_web(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const srv_kv *file = srv_param(rq, "file");
	const char *name = file ? file->value : "index.html", *data, *type = web_type(name);
	char path[128];
	size_t len;
	char *copy;

	(void)ctx;
	if (!type || strlen(name) > 64 || name[0] == '.') {
		srv_error(rs, 404, "file", "file: '%.64s' is not a file of the page", name);
		return;
	}
	memcpy(path, "web/", 4);
	memcpy(path + 4, name, strlen(name) + 1);
	if (custos_builtin_get(&data, &len, path)) {
		srv_error(rs, 404, "file", "file: '%.64s' is not a file of the page", name);
		return;
	}
	if (!(copy = malloc(len ? len : 1))) {
		srv_error(rs, 503, NULL, "out of memory");
		return;
	}
	memcpy(copy, data, len);
	srv_bytes(rs, 200, type, copy, len);
	rs->cache_control = "no-cache";
}
