/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tiny test harness shared by the unit tests: checks count passes and
 * failures, failures are reported on stderr with file and line, and
 * test_report() prints the final "N passed, M failed" line and gives the
 * process exit code (0 = all passed, 1 = something failed, 77 = skipped, as
 * meson expects).
 */
#ifndef DPS_TEST_COMMON_H
#define DPS_TEST_COMMON_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP 77

static unsigned int test_passed, test_failed;

#define CHECK(cond) CHECK_MSG(cond, "%s", "")

#define CHECK_MSG(cond, fmt, ...) do {					\
	if (cond) {							\
		test_passed++;						\
	} else {							\
		test_failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s: " fmt "\n", __FILE__,	\
			__LINE__, #cond, __VA_ARGS__);			\
	}								\
} while (0)

/* Integer equality, printing both values on failure. */
#define CHECK_EQ(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	CHECK_MSG(a_ == b_, "%lld != %lld", a_, b_);			\
} while (0)

/* String equality / containment, printing the string on failure. */
#define CHECK_STREQ(s, expect) do {					\
	const char *s_ = (s), *e_ = (expect);				\
	CHECK_MSG(s_ != NULL && strcmp(s_, e_) == 0,			\
		  "got \"%s\", expected \"%s\"", s_ ? s_ : "(null)", e_); \
} while (0)

#define CHECK_CONTAINS(s, needle) do {					\
	const char *s_ = (s), *n_ = (needle);				\
	CHECK_MSG(s_ != NULL && strstr(s_, n_) != NULL,			\
		  "\"%s\" does not contain \"%s\"", s_ ? s_ : "(null)", n_); \
} while (0)

#define CHECK_NOT_CONTAINS(s, needle) do {				\
	const char *s_ = (s), *n_ = (needle);				\
	CHECK_MSG(s_ != NULL && strstr(s_, n_) == NULL,			\
		  "\"%s\" contains \"%s\"", s_ ? s_ : "(null)", n_);	\
} while (0)

static inline int
test_report(void)
{
	printf("%u passed, %u failed\n", test_passed, test_failed);
	fflush(stdout);
	return test_failed ? 1 : 0;
}

/*
 * A strict, minimal JSON validator (RFC 8259 grammar, no semantic checks):
 * returns true if @s holds exactly one JSON value, optionally surrounded by
 * whitespace.
 */
static inline void
json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static inline bool json_value(const char **p, int depth);

static inline bool
json_string(const char **p)
{
	const char *s = *p;

	if (*s++ != '"')
		return false;
	for (;;) {
		unsigned char c = (unsigned char)*s++;

		if (c == '"')
			break;
		if (c < 0x20)
			return false;	/* includes the terminating NUL */
		if (c == '\\') {
			c = (unsigned char)*s++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, s++)
					if (!((*s >= '0' && *s <= '9') ||
					      (*s >= 'a' && *s <= 'f') ||
					      (*s >= 'A' && *s <= 'F')))
						return false;
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
				return false;
			}
		}
	}
	*p = s;
	return true;
}

static inline bool
json_number(const char **p)
{
	const char *s = *p;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	*p = s;
	return true;
}

static inline bool
json_value(const char **p, int depth)
{
	if (depth > 64)
		return false;
	json_ws(p);
	switch (**p) {
	case '{':
		(*p)++;
		json_ws(p);
		if (**p == '}') {
			(*p)++;
			return true;
		}
		for (;;) {
			json_ws(p);
			if (!json_string(p))
				return false;
			json_ws(p);
			if (*(*p)++ != ':')
				return false;
			if (!json_value(p, depth + 1))
				return false;
			json_ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			return *(*p)++ == '}';
		}
	case '[':
		(*p)++;
		json_ws(p);
		if (**p == ']') {
			(*p)++;
			return true;
		}
		for (;;) {
			if (!json_value(p, depth + 1))
				return false;
			json_ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			return *(*p)++ == ']';
		}
	case '"':
		return json_string(p);
	case 't':
		if (strncmp(*p, "true", 4) != 0)
			return false;
		*p += 4;
		return true;
	case 'f':
		if (strncmp(*p, "false", 5) != 0)
			return false;
		*p += 5;
		return true;
	case 'n':
		if (strncmp(*p, "null", 4) != 0)
			return false;
		*p += 4;
		return true;
	default:
		return json_number(p);
	}
}

static inline bool
json_valid(const char *s)
{
	if (s == NULL || !json_value(&s, 0))
		return false;
	json_ws(&s);
	return *s == '\0';
}

#define CHECK_JSON(s) do {						\
	const char *j_ = (s);						\
	CHECK_MSG(json_valid(j_), "invalid JSON: %s", j_ ? j_ : "(null)"); \
} while (0)

/* Open file descriptors of this process (leak checks: compare before/after). */
static inline int
test_open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

#endif /* DPS_TEST_COMMON_H */
