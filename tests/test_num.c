/* SPDX-License-Identifier: BSD-3-Clause */
/* The shared number parser (lib/common/dps_num.h): what it takes and refuses. */
#include <errno.h>
#include <stdint.h>

#include "common/dps_num.h"
#include "test_common.h"

int
main(void)
{
	static const char *const not_numbers[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.5", "12a", "a", "--", NULL,
	};
	uint64_t v = 42;
	uint32_t w = 7;

	CHECK_EQ(dps_parse_u64("0", 0, 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(dps_parse_u64("007", 0, 10, &v), 0);
	CHECK_EQ(v, 7);
	CHECK_EQ(dps_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	/* One past 2^64 - 1, and far past: out of range, not wrapped. */
	v = 42;
	CHECK_EQ(dps_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(dps_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(v, 42);
	for (unsigned int i = 0; not_numbers[i] != NULL; i++)
		CHECK_MSG(dps_parse_u64(not_numbers[i], 0, UINT64_MAX, &v) == -EINVAL,
			  "'%s' taken as a number", not_numbers[i]);
	CHECK_EQ(dps_parse_u64(NULL, 0, 1, &v), -EINVAL);
	CHECK_EQ(v, 42);
	/* The bounds are inclusive. */
	CHECK_EQ(dps_parse_u32("64", 64, 32768, &w), 0);
	CHECK_EQ(w, 64);
	CHECK_EQ(dps_parse_u32("32768", 64, 32768, &w), 0);
	CHECK_EQ(dps_parse_u32("63", 64, 32768, &w), -ERANGE);
	CHECK_EQ(dps_parse_u32("32769", 64, 32768, &w), -ERANGE);
	CHECK_EQ(dps_parse_u32("4294967296", 0, UINT32_MAX, &w), -ERANGE);
	CHECK_EQ(w, 32768);
	return test_report();
}
