/* custos/selector.h — parsing and normalising selectors (DESIGN.md §4). */
#ifndef CUSTOS_SELECTOR_H
#define CUSTOS_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of selector. A range kind contains other selectors. */
typedef enum {
	CUSTOS_SEL_EMAIL,     /* mailto:user@example.org */
	CUSTOS_SEL_DOMAIN,    /* domain:example.org (and every subdomain) */
	CUSTOS_SEL_TEL,       /* tel:+3225551234 (E.164) */
	CUSTOS_SEL_TEL_RANGE, /* tel:+32255512* (every number with that prefix) */
	CUSTOS_SEL_IP,        /* ip:192.0.2.7, ip:192.0.2.0/24, ip:2001:db8::/32 */
	CUSTOS_SEL_IMSI,      /* imsi:206011234567890 */
	CUSTOS_SEL_IMEI,      /* imei:490154203237518 (Luhn check digit) */
	CUSTOS_SEL_NAME,      /* name:Ahmed Ould Mohamed */
	CUSTOS_SEL_ADDRESS,   /* address:Rue de la Loi 16, 1000 Brussels */
	CUSTOS_SEL_PARTY,     /* party:P-17 */
	CUSTOS_SEL_SIP,       /* sip:user@realm (ETSI TS 103 280 SIPURI) */
	CUSTOS_SEL_NAI,       /* nai:user or nai:user@realm (RFC 7542; ETSI NAI): an AAA user name */
	CUSTOS_SEL__COUNT
} custos_selector_kind;

/* Longest selector accepted on input, in bytes. */
#define CUSTOS_SELECTOR_MAX 512

/*
 * A parsed selector. `text` is the canonical, printable form
 * ("mailto:user@example.org", "ip:192.0.2.0/24"); names and addresses keep
 * their display form in `text` (whitespace collapsed) and their folded form
 * (case and diacritics removed) in `key`. `key` is the
 * normalised form used for matching. For IP selectors `ip` holds the address
 * as 16 bytes (IPv4 mapped to ::ffff:a.b.c.d) and `prefix` the prefix length
 * over those 128 bits; `is_v4` says which family was written.
 *
 * `keylen` and `hash` are filled in by custos_selector_parse (and kept by
 * custos_selector_copy) so that screening an exact key costs no hashing:
 * the length of `key` and the key's hash in the registry index. A selector
 * filled in by hand leaves both 0 and the registry computes them; one whose
 * key is changed after parsing must set both back to 0.
 */
typedef struct custos_selector {
	custos_selector_kind kind;
	char *text; /* canonical, printable; owned */
	char *key;  /* normalised match key; owned */
	uint8_t ip[16];
	uint8_t prefix; /* IP: prefix length out of 128 */
	uint8_t is_v4;
	uint32_t keylen; /* strlen(key), when hash is set */
	uint64_t hash;	 /* index hash of the match key; 0: not computed */
	struct custos_name_words *names; /* name: its words' key hashes (screen/screen.h); owned, NULL for others */
} custos_selector;

/*
 * Parses and normalises `len` bytes at `in` (need not be NUL-terminated).
 * Accepts the URI forms of DESIGN.md and the ETSI TS 103 280 type names
 * (EmailAddress:, E164Number:, IPv4Address:, IPv4CIDR:, IPv6Address:,
 * IPv6CIDR:, IMSI:, IMEI:, DomainName:, SIPURI:, NAI:). On failure returns CUSTOS_EINVALID
 * with a message naming what is wrong, and `out` needs no disposal.
 */
int custos_selector_parse(custos_selector *out, const char *in, size_t len);

/* Frees what custos_selector_parse put into `sel`. */
void custos_selector_dispose(custos_selector *sel);

/* Deep copy. */
int custos_selector_copy(custos_selector *out, const custos_selector *src);

/* Name of a kind as written before the colon ("mailto", "tel", ...). */
const char *custos_selector_kind_name(custos_selector_kind kind);

#endif
