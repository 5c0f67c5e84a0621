/* custos/report.h — JSON reports that the command line and the HTTP API both print: screening hits, measure records. */
#ifndef CUSTOS_REPORT_H
#define CUSTOS_REPORT_H

#include <stddef.h>

#include <jansson.h>

#include "custos/model.h"
#include "custos/registry.h"
#include "custos/store.h"

/*
 * Each function returns a new jansson reference (the caller decrefs it), or
 * NULL when out of memory. Keys come in a fixed order, so that printing with
 * JSON_PRESERVE_ORDER gives the same bytes every time.
 */

/*
 * One hit: {"party", "category", "name", "matched", "status"}, and for a
 * name, "name_match": {"registry" (the registry's spelling), "shared" (the
 * word keys both names have), "score"}.
 */
json_t *custos_report_hit(const custos_hit *h);

/*
 * Why name selector sel hits or does not hit each registry name sharing a
 * word with it: [{"party", "registry", "shared", "words", "score", "hit",
 * "why"}] ("why" only when it does not hit). An empty array for a name
 * sharing nothing, NULL for another kind of selector or out of memory.
 */
json_t *custos_report_explain_name(const custos_registry *reg, const custos_selector *sel);

/*
 * The hits of one string screened on `day` (grace days after valid_to
 * included): an array, empty when nothing is hit or the string is not a
 * selector. A name hit's "name_match" also gives the "query" spelling.
 */
json_t *custos_report_screen_one(const custos_registry *reg, const char *s, size_t len, custos_date day, int grace);

/*
 * The screening report of `custos screen SELECTOR...`:
 * {"date", "registry_hash", "results": [{"selector", "hits"}]}. Every
 * selector must parse (check them first); one that does not is reported
 * with no hits under its text as given.
 */
json_t *custos_report_screen(const custos_registry *reg, const char *const *selectors, size_t n, custos_date day,
			     int grace);

/*
 * A stored measure (`custos measure show`): {"id", "state", "filed_at",
 * "measure", "decision", "round_decision", "life"}, the state read against
 * `today`, the life as custos_measure_life gives it. "decision" is the
 * filing's; "round_decision", present only while the current round is an
 * extension or a re-screening, is the decision that round asks approvals for.
 */
json_t *custos_report_measure(custos_store *st, const custos_store_measure *m, custos_date today);
/*
 * The same record as compact JSON text (malloc'd), the stored measure,
 * decisions and life spliced in as they are: what the API answers, without
 * parsing and dumping kilobytes of JSON per read. CUSTOS_ERROR if a stored
 * text is not a JSON object.
 */
int custos_report_measure_text(custos_store *st, const custos_store_measure *m, custos_date today, char **out);

/*
 * The lines of `custos measure list`, each {"id", "state", "outcome",
 * "filed_at", "kind", "requested_by", "approvals"} handed to fn (which takes
 * the reference): every measure, or those in `state` (as of today) and
 * waiting for `role` when given. A non-zero return from fn stops the walk.
 */
typedef int (*custos_report_fn)(void *ctx, json_t *line);
int custos_report_measures(custos_store *st, const char *state, const char *role, custos_date today,
			   custos_report_fn fn, void *ctx);
/* The same, only for measures filed after measure `after` (CUSTOS_ENOTFOUND if there is none such). */
int custos_report_measures_after(custos_store *st, const char *after, const char *state, const char *role,
				 custos_date today, custos_report_fn fn, void *ctx);
/*
 * The same, reading only the measures that one of the nwho access keys was
 * added for (custos_store_access_add): a reader's listing costs what concerns
 * it, not the whole register. nwho 0 lists nothing.
 */
int custos_report_measures_visible_after(custos_store *st, const char *after, const char *const *who, size_t nwho,
					 const char *state, const char *role, custos_date today, custos_report_fn fn,
					 void *ctx);

#endif
