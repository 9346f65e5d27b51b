/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One-line error messages for the control path.
 *
 * Control functions return 0 or a negative errno and, when they fail, fill a
 * struct dps_err with a sentence naming what is wrong and what would be
 * right; the CLI prints it as "error: <msg>".
 */
#ifndef DPS_ERR_H
#define DPS_ERR_H

#include <stdarg.h>
#include <stdio.h>

struct dps_err {
	char msg[320];
};

/** Fill @p e (may be NULL) and return @p rc, which should be negative. */
static inline int __attribute__((format(printf, 3, 4)))
dps_err_set(struct dps_err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

#endif /* DPS_ERR_H */
