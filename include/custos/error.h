/* custos/error.h — return codes and the per-thread error message. */
#ifndef CUSTOS_ERROR_H
#define CUSTOS_ERROR_H

/*
 * Every fallible public function returns int: CUSTOS_OK (0) on success, one
 * of the named negative codes below on an expected failure, CUSTOS_ERROR
 * otherwise. The message that explains the failure (naming the file, line,
 * field or value that was wrong) is kept per thread until the next failure.
 */
enum {
	CUSTOS_OK = 0,
	CUSTOS_ERROR = -1,     /* anything else: I/O, database, internal */
	CUSTOS_ENOMEM = -2,    /* an allocation failed */
	CUSTOS_ENOTFOUND = -3, /* the named thing does not exist */
	CUSTOS_EEXISTS = -4,   /* the named thing exists already */
	CUSTOS_EINVALID = -5,  /* the input is invalid; nothing was stored */
	CUSTOS_ELIMIT = -6     /* the input exceeds a ceiling */
};

/* The message of the last failure on this thread ("" if none). */
const char *custos_error_last(void);

/* Forget the last failure on this thread. */
void custos_error_clear(void);

#endif
