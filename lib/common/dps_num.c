/* SPDX-License-Identifier: BSD-3-Clause */
/* Numbers from people (see dps_num.h). */
#include "dps_num.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

int
dps_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (over || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int
dps_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;
	int rc = dps_parse_u64(s, lo, hi, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}
