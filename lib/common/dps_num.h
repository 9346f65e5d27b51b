/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Numbers from people: the one range-checked parser that options, devargs
 * and commands share. strtoul() alone accepts leading blanks, a sign (and
 * negates), an empty string and trailing junk; this accepts decimal digits
 * and nothing else.
 */
#ifndef DPS_NUM_H
#define DPS_NUM_H

#include <stdint.h>

/**
 * Parse @p s, the whole string, as an unsigned decimal number in
 * [@p lo, @p hi].
 * @return 0 with *@p out set; -EINVAL if @p s is not a number (empty,
 *         anything but digits); -ERANGE if it is outside [@p lo, @p hi]
 *         (or beyond 2^64 - 1). *@p out is untouched on error.
 */
int dps_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/** dps_parse_u64() into a 32-bit value. */
int dps_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);

#endif /* DPS_NUM_H */
