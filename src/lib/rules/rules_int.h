/* rules_int.h — private types of the rules module: tokens, the compiled rule set, the arena. */
#ifndef CUSTOS_RULES_INT_H
#define CUSTOS_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custos/rules.h"
#include "util/util.h"

/* Ceilings: no source can make the parser exceed these (each is a clear error). */
#define RULES_MAX_SOURCE (1u << 20) /* bytes per source file */
#define RULES_MAX_DEPTH 64          /* nesting of 'not' and parentheses */
#define RULES_MAX_STRING 4096       /* bytes of a string literal */
#define RULES_MAX_RULES 10000       /* rules in a rule set */
#define RULES_MAX_NUMBER 1000000    /* largest NUMBER */
#define RULES_MAX_LIST 4096         /* values in one list */
#define RULES_MAX_CANON (64u << 20) /* bytes of canonical text */

/* ---- arena: everything a rule set owns lives here and is freed at once ---- */
typedef struct rules_chunk rules_chunk;
typedef struct rules_arena {
	rules_chunk *head;
} rules_arena;

void *rules_alloc(rules_arena *a, size_t n); /* zeroed; NULL + CUSTOS_ENOMEM message on failure */
char *rules_strndup(rules_arena *a, const char *s, size_t n);
void rules_arena_free(rules_arena *a);

/* ---- attributes and their types ---- */
typedef enum {
	RT_KIND,
	RT_SCOPE,
	RT_FRAMEWORK,
	RT_BASIS,
	RT_CATEGORY,
	RT_STATUS,
	RT_COUNTRY,
	RT_STRING,
	RT_BOOL,
	RT_PLACE,
	RT_BAG,
	RT__COUNT
} rules_type;

typedef enum {
	RA_KIND,
	RA_REQUESTED_MEASURE,
	RA_SCOPE,
	RA_FRAMEWORK,
	RA_TRANSFER_BASIS,
	RA_REQUESTING_STATE,
	RA_REQUESTED_BY,
	RA_OFFENCE,
	RA_GROUNDS,
	RA_TREATY,
	RA_WAIVER,
	RA_GRAVE_CRIME,
	RA_PERSONAL_INVOLVEMENT,
	RA_CONCERNS_MANDATE,
	RA_POLITICAL_OFFENCE,
	RA_POLITICAL_MOTIVATION,
	RA_ESSENTIAL_INTERESTS,
	RA_RECIPROCITY,
	RA_DIPLOMATIC_BAG,
	RA_PLACE,
	RA_CONCERNS_OFFICIAL_ACTS,
	RA_PREVENTS_GRAVE_THREAT,
	RA_SUSPECTS_USE_MEANS,
	RA_ORIGINATING_STATE,
	RA_ORIGINATING_AUTHORISATION,
	RA_PERIOD_FROM, /* hidden: the measure's period, for dated lists (no name a rule can write) */
	RA_PERIOD_TO,
	RA__MEASURE_COUNT, /* party attributes follow */
	RA_P_ID = RA__MEASURE_COUNT,
	RA_P_MISSION,
	RA_P_WAIVER,
	RA_P_CATEGORY,
	RA_P_STATUS,
	RA_P_NATIONALITY,
	RA_P_SENDING_STATE,
	RA_P_COUNTRY_OF_ORIGIN,
	RA_P_PERMANENT_RESIDENT,
	RA_P_CONSENT,
	RA__COUNT
} rules_attr;

typedef struct rules_attr_def {
	const char *name; /* "measure.kind" */
	rules_type type;
} rules_attr_def;

extern const rules_attr_def rules_attrs[RA__COUNT];
const char *rules_type_name(rules_type t);
/* Looks an attribute up by its full dotted name; -1 when unknown. */
int rules_attr_lookup(const char *name, size_t len);

/* ---- tokens ---- */
typedef enum {
	TK_EOF,
	TK_WORD,   /* identifier, possibly dotted: a, measure.kind, vcdr.29.person */
	TK_STRING, /* text is the unescaped value */
	TK_NUMBER,
	TK_LBRACK,
	TK_RBRACK,
	TK_LPAREN,
	TK_RPAREN,
	TK_COMMA,
	TK_EQ,
	TK_NE,
	/* keywords */
	TK_RULE,
	TK_END,
	TK_CITE,
	TK_EXPLAIN,
	TK_WHEN,
	TK_FORBID,
	TK_REQUIRE,
	TK_NOTIFY,
	TK_CONDITION,
	TK_REJECT,
	TK_SET,
	TK_GRACE_DAYS,
	TK_NAME_MATCH,
	TK_AND,
	TK_OR,
	TK_NOT,
	TK_IN,
	TK_TRUE,
	TK_FALSE,
	TK_NULL,
	TK_CONFIRM,
	TK__COUNT
} rules_tok_kind;

typedef struct rules_pos {
	uint32_t src; /* index of the source */
	uint32_t line, col;
} rules_pos;

typedef struct rules_token {
	rules_tok_kind kind;
	rules_pos pos;
	const char *text; /* WORD: points into the source; STRING: the lexer's buffer */
	size_t len;
	long num;
	bool dotted; /* WORD containing '.' */
} rules_token;

typedef struct rules_lexer {
	const char *p, *end;
	uint32_t src, line, col;
	char *strbuf; /* RULES_MAX_STRING + 1 bytes for the unescaped string */
} rules_lexer;

/* Reads the next token; on error sets the message (with position) and returns CUSTOS_EINVALID. */
int rules_lex_next(rules_lexer *lx, rules_token *tok, const char *srcname);
const char *rules_tok_name(rules_tok_kind k);

/* ---- the parsed and compiled rule set ---- */
typedef enum { RV_ATTR, RV_IDENT, RV_STRING, RV_NUMBER, RV_TRUE, RV_FALSE, RV_NULL } rules_value_kind;

/* A value as written (kept for the canonical form and for typing at use). */
typedef struct rules_value {
	rules_value_kind kind;
	int attr; /* RV_ATTR */
	const char *text; /* RV_IDENT, RV_STRING (arena, NUL-terminated) */
	long num;
	rules_pos pos;
	/* a dated member (lists of countries only): "GB from "1973-01-01" to "2020-01-31"" */
	bool dated;
	custos_date from, to; /* CUSTOS_DATE_NONE: open */
} rules_value;

typedef struct rules_set {
	const char *name;
	rules_value *vals;
	size_t nvals;
	rules_pos pos;
	size_t order; /* position among top-level items, for "used before definition" */
} rules_set;

/*
 * A value at evaluation time: i for enums, bools and countries (-1: null), s
 * for strings (NULL: null). Which member is live follows from the attribute's
 * type, so a union keeps the value arrays small.
 */
typedef union rules_rt {
	int32_t i;
	const char *s;
} rules_rt;

typedef enum { RN_OR, RN_AND, RN_NOT, RN_TRUTH, RN_EQ, RN_NE, RN_IN, RN_NOTIN } rules_node_op;

/* A compiled membership list: constants as a bit mask / arrays, attributes by id. */
typedef struct rules_member {
	uint64_t mask;       /* enum and bool codes */
	int32_t *ints;       /* countries */
	size_t nints;
	custos_date *int_from, *int_to; /* per country, when the list is dated (else NULL) */
	const char **strs;   /* strings */
	size_t nstrs;
	int *attrs;
	size_t nattrs;
	bool has_null;
} rules_member;

typedef struct rules_node {
	rules_node_op op;
	int attr; /* tests: the attribute on the left */
	rules_pos pos;
	/* RN_OR, RN_AND, RN_NOT */
	struct rules_node **kids;
	size_t nkids;
	/* RN_EQ, RN_NE: the right-hand side */
	rules_value rhs;
	rules_rt rhs_const; /* compiled constant (when rhs is not an attribute) */
	/* RN_IN, RN_NOTIN */
	const char *set_name; /* named set, or NULL for an inline list */
	rules_value *list;    /* inline list as written (or the set's values) */
	size_t nlist;
	rules_member member;
	struct rules_node *next; /* sibling while parsing */
} rules_node;

typedef struct rules_effect {
	custos_effect kind;
	custos_role role;     /* REQUIRE / NOTIFY */
	int max_days;         /* CONDITION max_days */
	const char *minimise; /* CONDITION minimise (interned in the rule set) */
	const char *json_head, *json_tail; /* the finding it makes, as JSON around its party (custos_finding) */
} rules_effect;

/* `confirm ATTR by ROLE`: the rule's findings rest on an asserted fact that ROLE must confirm. */
typedef struct rules_confirm {
	int attr;
	bool negated;     /* `confirm not FLAG`: the flag's absence is asserted (a ground that does not apply) */
	custos_role role;
	const char *flag; /* the attribute's name without "measure." / "party." */
} rules_confirm;

typedef struct rules_rule {
	const char *id;
	const char *cite;
	const char *explain;
	rules_node *when; /* NULL: always */
	rules_effect *effects;
	size_t neffects;
	rules_confirm *confirms;
	size_t nconfirms;
	bool per_party;
	uint64_t kinds;      /* measure kinds for which `when` can hold (a pre-filter) */
	uint64_t categories; /* party categories for which `when` can hold */
	rules_pos pos;
	size_t order;
} rules_rule;

struct custos_ruleset {
	rules_arena arena;
	int grace_days;
	bool grace_set;
	unsigned name_min_words, name_min_score; /* name_match; 0 when not stated */
	rules_set *sets;
	size_t nsets, capsets;
	rules_rule *rules;
	size_t nrules, caprules;
	const char **minimise; /* interned minimise names */
	size_t nminimise, capminimise;
	uint32_t *by_kind[CUSTOS_KIND__COUNT]; /* per measure kind: the rules that can hold, in order */
	size_t nby_kind[CUSTOS_KIND__COUNT];
	char *canonical;
	size_t canonical_len;
	char hash[72];
	size_t items; /* count of top-level items seen */
};

/* A string → index table (rule ids, set names, minimise names). Keys are not copied. */
typedef struct rules_strtab {
	struct rules_strtab_slot {
		const char *key;
		size_t len;
		size_t val;
	} *slots;
	size_t cap, n;
} rules_strtab;

/* Index of `key`, or (size_t)-1. */
size_t rules_strtab_get(const rules_strtab *t, const char *key, size_t len);
int rules_strtab_put(rules_strtab *t, const char *key, size_t len, size_t val);
void rules_strtab_free(rules_strtab *t);

/* The codes of enum attribute `attr` for which `n` can hold (conservative: all bits when unsure). */
uint64_t rules_feasible(const rules_node *n, int attr);

/* Whether `n` holds for the attribute values `vals` (RA__COUNT of them). */
bool rules_holds(const rules_node *n, const rules_rt *vals);

/* Builds the canonical text and hash of a checked rule set. */
int rules_canonicalise(custos_ruleset *rs);

#endif
