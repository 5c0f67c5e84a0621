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

/* One hit: {"party", "category", "name", "matched", "status"}. */
json_t *custos_report_hit(const custos_hit *h);

/*
 * The hits of one string screened on `day` (grace days after valid_to
 * included): an array, empty when nothing is hit or the string is not a
 * selector.
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

/* A stored measure: {"id", "state", "filed_at", "measure", "decision"} (`custos measure show`). */
json_t *custos_report_measure(const custos_store_measure *m);

/* One line of `custos measure list`: {"id", "state", "outcome", "filed_at", "kind", "requested_by", "approvals"}. */
json_t *custos_report_measure_summary(const custos_store_measure *m);

#endif
