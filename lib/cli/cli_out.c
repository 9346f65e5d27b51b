/* SPDX-License-Identifier: BSD-3-Clause */
/* Output of commands: text or JSON to the requester's file descriptor. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli_out.h"
#include "cli_priv.h"

struct cli_request cli_req = { .fd = 1 };

#define JW_DEPTH 16

static struct {
	int depth;
	bool need_comma[JW_DEPTH];
} jw;

void
cli_request_begin(int fd, bool json)
{
	cli_req.fd = fd;
	cli_req.json = json;
	cli_req.rc = 0;
	memset(&jw, 0, sizeof(jw));
}

bool
cli_json(void)
{
	return cli_req.json;
}

void
cli_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(cli_req.fd, fmt, ap);
	va_end(ap);
}

static void
jw_escaped(const char *s)
{
	char buf[512];
	size_t n = 0;

	buf[n++] = '"';
	for (; *s != '\0' && n < sizeof(buf) - 8; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20) {
			n += snprintf(buf + n, sizeof(buf) - n, "\\u%04x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	cli_printf("%s", buf);
}

static void
jw_key(const char *key)
{
	if (jw.need_comma[jw.depth])
		cli_printf(",");
	jw.need_comma[jw.depth] = true;
	if (key != NULL) {
		jw_escaped(key);
		cli_printf(":");
	}
}

static void
jw_open(const char *key, char c)
{
	jw_key(key);
	cli_printf("%c", c);
	if (jw.depth < JW_DEPTH - 1)
		jw.depth++;
	jw.need_comma[jw.depth] = false;
}

void jw_obj(const char *key) { jw_open(key, '{'); }
void jw_arr(const char *key) { jw_open(key, '['); }

static void
jw_close(char c)
{
	if (jw.depth > 0)
		jw.depth--;
	cli_printf("%c", c);
}

void jw_end_obj(void) { jw_close('}'); }
void jw_end_arr(void) { jw_close(']'); }

void
jw_str(const char *key, const char *val)
{
	jw_key(key);
	jw_escaped(val);
}

void
jw_u64(const char *key, uint64_t val)
{
	jw_key(key);
	cli_printf("%" PRIu64, val);
}

void
jw_bool(const char *key, bool val)
{
	jw_key(key);
	cli_printf("%s", val ? "true" : "false");
}

void
jw_done(void)
{
	cli_printf("\n");
}

void
cli_fail(int rc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_req.rc = rc < 0 ? rc : -EINVAL;
	if (cli_req.json) {
		jw_obj(NULL);
		jw_str("error", msg);
		jw_end_obj();
		jw_done();
	} else {
		cli_printf("error: %s\n", msg);
	}
}

void
cli_result(int rc, const struct dps_err *err)
{
	if (rc == 0)
		return;
	cli_fail(rc, "%s", err->msg[0] ? err->msg : strerror(-rc));
}

void
cli_quit(void)
{
	cli_req.quit = true;
}
