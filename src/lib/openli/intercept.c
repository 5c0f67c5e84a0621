/* intercept.c — an OpenLI intercept: its kinds, its disposal, its JSON (the REST API's), and the selectors it names. */
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/openli.h"

static const char *const kind_names[CUSTOS_OPENLI__KINDS] = {
	[CUSTOS_OPENLI_IP] = "ipintercept",
	[CUSTOS_OPENLI_VOIP] = "voipintercept",
	[CUSTOS_OPENLI_EMAIL] = "emailintercept",
};

const char *custos_openli_kind_name(custos_openli_kind kind)
{
	return (unsigned)kind < CUSTOS_OPENLI__KINDS ? kind_names[kind] : "?";
}

int custos_openli_kind_parse(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	for (int k = 0; k < CUSTOS_OPENLI__KINDS; k++) {
		size_t kl = strlen(kind_names[k]);
		if (strcmp(name ? name : "", kind_names[k]) == 0 ||
		    (n == kl + 1 && strncmp(name, kind_names[k], kl) == 0 && name[kl] == 's'))
			return k;
	}
	return -1;
}

void custos_openli_intercept_dispose(custos_openli_intercept *ic)
{
	if (!ic)
		return;
	free(ic->liid);
	free(ic->agencyid);
	free(ic->authcc);
	free(ic->delivcc);
	free(ic->user);
	free(ic->accesstype);
	free(ic->mobileident);
	free(ic->radiusident);
	for (size_t i = 0; i < ic->nstaticips; i++)
		free(ic->staticips[i].iprange);
	free(ic->staticips);
	for (size_t i = 0; i < ic->nsiptargets; i++) {
		free(ic->siptargets[i].username);
		free(ic->siptargets[i].realm);
	}
	free(ic->siptargets);
	for (size_t i = 0; i < ic->naddresses; i++)
		free(ic->addresses[i]);
	free(ic->addresses);
	memset(ic, 0, sizeof(*ic));
	ic->mediator = -1;
}

void custos_openli_intercepts_free(custos_openli_intercept *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		custos_openli_intercept_dispose(&list[i]);
	free(list);
}
