/* custos/model.h — the vocabulary of LAW.md and the records it speaks of. */
#ifndef CUSTOS_MODEL_H
#define CUSTOS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custos/selector.h"

/* A calendar date as days since 1970-01-01 (proleptic Gregorian). */
typedef int32_t custos_date;
#define CUSTOS_DATE_NONE INT32_MIN /* null: open-ended */

/* Parses exactly "YYYY-MM-DD" (a real calendar date). */
int custos_date_parse(custos_date *out, const char *s);
/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void custos_date_format(char buf[11], custos_date d);
/*
 * The clock. The library never reads the system's clock or the environment
 * for the time itself: it asks the clock its caller installed, as libgit2 and
 * curl take their allocators. custos_clock_set() installs one (NULL: the
 * system clock), once, before any other call and before threads start.
 * custos_clock_pin() installs one from a setting: "2026-11-24T09:30:00Z" (the
 * clock stands still at that instant; reproducible runs) or a shift of the
 * system clock, "+400d", "-2h", "+90s" (the clock runs, shifted); NULL or ""
 * is the system clock. The CLI and the server read that setting from
 * $CUSTOS_NOW; nothing in the library does.
 */
typedef int64_t (*custos_clock_fn)(void *ctx); /* seconds since the epoch, UTC */
void custos_clock_set(custos_clock_fn fn, void *ctx);
int custos_clock_pin(const char *setting); /* CUSTOS_EINVALID naming a malformed setting; nothing installed */
int64_t custos_clock_now(void);		   /* what the installed clock reads */

/* Today in UTC, by the installed clock. */
custos_date custos_date_today(void);

/* An instant as RFC 3339 UTC with seconds, "2026-11-24T09:30:00Z" (20 characters). */
int custos_time_parse(int64_t *secs, const char *s); /* seconds since the epoch; CUSTOS_EINVALID, no message */
void custos_time_format(char out[21], int64_t secs);
/* Now, by the installed clock; CUSTOS_EINVALID when it reads outside the years 1970-9999. */
int custos_time_now(char out[21]);

/*
 * Each vocabulary below has a name table: custos_X_name(v) gives the name
 * used in JSON and rules, custos_X_from_name() the reverse (CUSTOS_EINVALID
 * for an unknown name, with no message set: callers name the field).
 */
typedef enum {
	CUSTOS_CAT_DIPLOMATIC_AGENT,
	CUSTOS_CAT_DIPLOMATIC_FAMILY,
	CUSTOS_CAT_ADMIN_TECHNICAL_STAFF,
	CUSTOS_CAT_SERVICE_STAFF,
	CUSTOS_CAT_PRIVATE_SERVANT,
	CUSTOS_CAT_CONSULAR_OFFICER,
	CUSTOS_CAT_CONSULAR_EMPLOYEE,
	CUSTOS_CAT_IO_OFFICIAL,
	CUSTOS_CAT_MEP,
	CUSTOS_CAT_MEMBER_OF_PARLIAMENT,
	CUSTOS_CAT_REFUGEE,
	CUSTOS_CAT_LAWYER,
	CUSTOS_CAT_PHYSICIAN,
	CUSTOS_CAT_JOURNALIST,
	CUSTOS_CAT_MISSION,
	CUSTOS_CAT_CONSULAR_POST,
	CUSTOS_CAT_IO_PREMISES,
	CUSTOS_CAT_HEAD_OF_STATE,   /* customary law: heads of state and government, foreign ministers */
	CUSTOS_CAT_SPECIAL_MISSION, /* Convention on Special Missions 1969 */
	CUSTOS_CAT__COUNT
} custos_category;

typedef enum {
	CUSTOS_KIND_INTERCEPTION,
	CUSTOS_KIND_IT_INTRUSION,
	CUSTOS_KIND_AUDIO_SURVEILLANCE,
	CUSTOS_KIND_OBSERVATION,
	CUSTOS_KIND_SEARCH,
	CUSTOS_KIND_DATA_ACCESS,
	CUSTOS_KIND_DATA_TRANSFER,
	CUSTOS_KIND_MLA_REQUEST,
	CUSTOS_KIND_INTELLIGENCE_EXCHANGE,
	CUSTOS_KIND__COUNT
} custos_kind;

typedef enum { CUSTOS_SCOPE_NONE, CUSTOS_SCOPE_CONTENT, CUSTOS_SCOPE_METADATA, CUSTOS_SCOPE__COUNT } custos_scope;

/* LAW.md: where an observation or search takes place (default private). */
typedef enum { CUSTOS_PLACE_PRIVATE, CUSTOS_PLACE_PUBLIC, CUSTOS_PLACE__COUNT } custos_place;

/* LAW.md: a measure on a bag (VCDR 27(3), VCCR 35(3)); NONE when it is not one. */
typedef enum { CUSTOS_BAG_NONE, CUSTOS_BAG_DIPLOMATIC, CUSTOS_BAG_CONSULAR, CUSTOS_BAG__COUNT } custos_bag;

typedef enum { CUSTOS_FW_INTELLIGENCE, CUSTOS_FW_CRIMINAL, CUSTOS_FW__COUNT } custos_framework;

typedef enum {
	CUSTOS_BASIS_NONE,
	CUSTOS_BASIS_ADEQUACY,
	CUSTOS_BASIS_SAFEGUARDS,
	CUSTOS_BASIS_DEROGATION,
	CUSTOS_BASIS__COUNT
} custos_transfer_basis;

typedef enum {
	CUSTOS_ROLE_FOREIGN_AFFAIRS,
	CUSTOS_ROLE_INVESTIGATING_JUDGE,
	CUSTOS_ROLE_PROSECUTOR,
	CUSTOS_ROLE_BIM_COMMISSION,
	CUSTOS_ROLE_SERVICE_HEAD,
	CUSTOS_ROLE_CENTRAL_AUTHORITY,
	CUSTOS_ROLE_DATA_PROTECTION_OFFICER,
	CUSTOS_ROLE_BAR_PRESIDENT,
	CUSTOS_ROLE_MEDICAL_ORDER,
	CUSTOS_ROLE_PARLIAMENT_PRESIDENT,
	CUSTOS_ROLE_COMITE_R,
	CUSTOS_ROLE_FIRST_PRESIDENT,       /* Constitution art. 59: orders coercive measures against an MP */
	CUSTOS_ROLE_SUPERVISORY_AUTHORITY, /* LED art. 37(2): informed of transfers on safeguards */
	CUSTOS_ROLE__COUNT
} custos_role;

/* Where a party's accreditation stands relative to a measure's period. */
typedef enum {
	CUSTOS_STATUS_ACTIVE, /* the period overlaps valid_from..valid_to */
	CUSTOS_STATUS_GRACE,  /* only overlaps the grace days after valid_to */
	CUSTOS_STATUS_FORMER, /* ended (grace included) before the period */
	CUSTOS_STATUS_FUTURE, /* begins after the period */
	CUSTOS_STATUS__COUNT
} custos_status;

typedef enum { CUSTOS_OUTCOME_PERMITTED, CUSTOS_OUTCOME_NEEDS_APPROVAL, CUSTOS_OUTCOME_FORBIDDEN } custos_outcome;

typedef enum {
	CUSTOS_EFFECT_FORBID,
	CUSTOS_EFFECT_REQUIRE,
	CUSTOS_EFFECT_NOTIFY,
	CUSTOS_EFFECT_CONDITION,
	CUSTOS_EFFECT_REJECT, /* the measure is invalid input (e.g. no grounds) */
	CUSTOS_EFFECT__COUNT
} custos_effect;

#define CUSTOS_VOCAB(T, P)                                                                                             \
	const char *custos_##P##_name(T v);                                                                            \
	int custos_##P##_from_name(T *out, const char *name);
CUSTOS_VOCAB(custos_category, category)
CUSTOS_VOCAB(custos_kind, kind)
CUSTOS_VOCAB(custos_scope, scope)
CUSTOS_VOCAB(custos_framework, framework)
CUSTOS_VOCAB(custos_place, place)
CUSTOS_VOCAB(custos_bag, bag)
CUSTOS_VOCAB(custos_transfer_basis, transfer_basis)
CUSTOS_VOCAB(custos_role, role)
CUSTOS_VOCAB(custos_status, status)
CUSTOS_VOCAB(custos_outcome, outcome)
CUSTOS_VOCAB(custos_effect, effect)
#undef CUSTOS_VOCAB

/* True for "XX": two upper-case ASCII letters (ISO 3166-1 alpha-2 shape). */
bool custos_country_valid(const char *s);

/*
 * A protected party (a registry entry). Country fields are "" when null.
 * Strings are owned; custos_party_dispose frees them.
 */
typedef struct custos_party {
	char *id;
	custos_category category;
	char *name; /* may be NULL */
	char sending_state[3];
	char nationality[3];
	bool permanent_resident;
	custos_date valid_from; /* CUSTOS_DATE_NONE: since ever */
	custos_date valid_to;   /* CUSTOS_DATE_NONE: open-ended */
	char *mission;          /* may be NULL */
	char country_of_origin[3];
	char *waiver; /* may be NULL: reference of an express waiver */
	custos_selector *selectors;
	size_t nselectors;
	char **aliases; /* other spellings of name (may be NULL when naliases is 0) */
	size_t naliases;
	char born[11]; /* date of birth "YYYY-MM-DD", or "" */
} custos_party;

void custos_party_dispose(custos_party *p);

/* A person named in a measure (DESIGN.md §4, "persons"). */
typedef struct custos_person {
	char *name; /* may be NULL */
	char nationality[3];
	char refugee_in[3];
	char born[11]; /* date of birth "YYYY-MM-DD", or "": a name hit needs it to agree with the registry's */
} custos_person;

/*
 * A waiver or consent of a sending state (LAW.md §1, VCDR 32): for one
 * party, from that party's sending state, with the state's reference.
 */
typedef struct custos_grant {
	char *party;          /* the registry id it is for */
	char state[3];        /* the sending state that gave it */
	char *reference;      /* e.g. the note verbale */
} custos_grant;

/* A measure as filed (DESIGN.md §4). Strings are owned and may be NULL. */
typedef struct custos_measure {
	custos_kind kind;
	int requested_measure; /* mla_request: the custos_kind asked for, or -1 */
	custos_scope scope;
	custos_framework framework;
	char *requested_by;
	char requesting_state[3];
	custos_selector *targets;
	size_t ntargets;
	custos_person *persons;
	size_t npersons;
	char *offence;
	char *grounds;
	char *treaty;
	char *waiver; /* a bare reference (the old form): it names no party, so it lifts nothing */
	custos_grant *waivers;  /* "waiver": [{party, sending_state, reference}] */
	size_t nwaivers;
	custos_grant *consents; /* "consent": the sending state's consent to this measure, per party */
	size_t nconsents;
	custos_transfer_basis transfer_basis;
	bool grave_crime;
	bool personal_involvement;
	bool concerns_mandate;
	bool political_offence;
	bool political_motivation;
	bool essential_interests;
	bool reciprocity;
	custos_bag diplomatic_bag; /* the measure concerns a bag (true in JSON: diplomatic) */
	custos_place place;
	bool concerns_official_acts;
	bool prevents_grave_threat;
	bool suspects_use_means;
	char originating_state[3];       /* a Member State the data came from (LED 35(1)(c)) */
	char *originating_authorisation; /* that state's authorisation, its reference */
	char **liids;	 /* the intercepts it will be provisioned under (an interception only) */
	size_t nliids;
	char *agency_id; /* the receiving agency as the interception system names it */
	custos_date from, to;
} custos_measure;

void custos_measure_dispose(custos_measure *m);

/*
 * A protected party that a measure touches, as the rules see it: the party,
 * where its accreditation stands for the measure's period, and the selector
 * (of the measure) and registry selector through which it was hit.
 */
typedef struct custos_subject {
	const custos_party *party;
	custos_status status;
	const char *via;     /* the measure's target or person that hit */
	const char *matched; /* the party's selector that matched */
} custos_subject;

#endif
