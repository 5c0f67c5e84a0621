/* h_openli.c — the gate's record over HTTP: a measure's provisioned intercepts, and the latest audit of what runs. */
#include <string.h>

#include "custos/gate.h"
#include "server_int.h"

void srv_h_measure_intercepts(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const char *id = srv_param(rq, "id")->value;
	custos_store_measure m;
	char *json = NULL;
	int rc;
	if (!srv_may_see(ctx, rq, id, NULL)) {
		srv_error(rs, 404, "id", "no measure '%s'", id);
		return;
	}
	if ((rc = custos_store_measure_get(ctx->store, &m, id))) {
		srv_fail(rs, rc, "id");
		return;
	}
	custos_store_measure_dispose(&m);
	if ((rc = custos_gate_intercepts(ctx->store, id, &json)))
		srv_fail(rs, rc, NULL);
	else
		srv_bytes(rs, 200, "application/json", json, strlen(json));
}

void srv_h_openli_audit(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *json = NULL;
	int rc = custos_gate_audit_latest(ctx->store, &json);
	(void)rq;
	if (rc)
		srv_fail(rs, rc, NULL);
	else
		srv_bytes(rs, 200, "application/json", json, strlen(json));
}
