/* vocab.c — name tables for the vocabulary of LAW.md (categories, kinds, roles, ...). */
#include <stdlib.h>
#include <string.h>

#include "custos/model.h"
#include "util/util.h"

static const char *const category_names[CUSTOS_CAT__COUNT] = {
	"diplomatic_agent", "diplomatic_family", "admin_technical_staff", "service_staff", "private_servant",
	"consular_officer", "consular_employee", "io_official", "mep", "member_of_parliament", "refugee",
	"lawyer", "physician", "journalist", "mission", "consular_post", "io_premises", "head_of_state", "special_mission",
};
static const char *const kind_names[CUSTOS_KIND__COUNT] = {
	"interception", "it_intrusion", "audio_surveillance", "observation", "search",
	"data_access", "data_transfer", "mla_request", "intelligence_exchange",
};
static const char *const scope_names[CUSTOS_SCOPE__COUNT] = {"none", "content", "metadata"};
static const char *const framework_names[CUSTOS_FW__COUNT] = {"intelligence", "criminal"};
static const char *const transfer_basis_names[CUSTOS_BASIS__COUNT] = {"none", "adequacy", "safeguards",
									"derogation"};
static const char *const role_names[CUSTOS_ROLE__COUNT] = {
	"foreign_affairs", "investigating_judge", "prosecutor", "bim_commission",
	"service_head", "central_authority", "data_protection_officer", "bar_president",
	"medical_order", "parliament_president", "comite_r", "first_president", "supervisory_authority",
};
static const char *const place_names[CUSTOS_PLACE__COUNT] = {"private", "public"};
static const char *const bag_names[CUSTOS_BAG__COUNT] = {"none", "diplomatic", "consular"};
static const char *const status_names[CUSTOS_STATUS__COUNT] = {"active", "grace", "former", "future"};
static const char *const outcome_names[] = {"permitted", "needs_approval", "forbidden"};
static const char *const effect_names[CUSTOS_EFFECT__COUNT] = {"forbid", "require", "notify", "condition",
								 "reject"};

static int lookup(const char *const *names, size_t n, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

#define VOCAB(T, P, TABLE)                                                                                             \
	const char *custos_##P##_name(T v)                                                                             \
	{                                                                                                              \
		return (size_t)v < sizeof(TABLE) / sizeof(TABLE[0]) ? TABLE[v] : "?";                                 \
	}                                                                                                              \
	int custos_##P##_from_name(T *out, const char *name)                                                           \
	{                                                                                                              \
		int i = lookup(TABLE, sizeof(TABLE) / sizeof(TABLE[0]), name);                                         \
		if (i < 0)                                                                                             \
			return CUSTOS_EINVALID;                                                                        \
		*out = (T)i;                                                                                           \
		return 0;                                                                                              \
	}
VOCAB(custos_category, category, category_names)
VOCAB(custos_kind, kind, kind_names)
VOCAB(custos_scope, scope, scope_names)
VOCAB(custos_framework, framework, framework_names)
VOCAB(custos_transfer_basis, transfer_basis, transfer_basis_names)
VOCAB(custos_role, role, role_names)
VOCAB(custos_place, place, place_names)
VOCAB(custos_bag, bag, bag_names)
VOCAB(custos_status, status, status_names)
VOCAB(custos_outcome, outcome, outcome_names)
VOCAB(custos_effect, effect, effect_names)

bool custos_country_valid(const char *s)
{
	return s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0';
}

void custos_party_dispose(custos_party *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->name);
	free(p->mission);
	free(p->waiver);
	for (size_t i = 0; i < p->nselectors; i++)
		custos_selector_dispose(&p->selectors[i]);
	free(p->selectors);
	for (size_t i = 0; i < p->naliases; i++)
		free(p->aliases[i]);
	free(p->aliases);
	memset(p, 0, sizeof(*p));
}

void custos_measure_dispose(custos_measure *m)
{
	if (!m)
		return;
	free(m->requested_by);
	for (size_t i = 0; i < m->ntargets; i++)
		custos_selector_dispose(&m->targets[i]);
	free(m->targets);
	for (size_t i = 0; i < m->npersons; i++)
		free(m->persons[i].name);
	free(m->persons);
	free(m->offence);
	free(m->grounds);
	free(m->treaty);
	free(m->waiver);
	for (size_t i = 0; i < m->nwaivers; i++) {
		free(m->waivers[i].party);
		free(m->waivers[i].reference);
	}
	free(m->waivers);
	for (size_t i = 0; i < m->nconsents; i++) {
		free(m->consents[i].party);
		free(m->consents[i].reference);
	}
	free(m->consents);
	free(m->originating_authorisation);
	for (size_t i = 0; i < m->nliids; i++)
		free(m->liids[i]);
	free(m->liids);
	free(m->agency_id);
	memset(m, 0, sizeof(*m));
}
