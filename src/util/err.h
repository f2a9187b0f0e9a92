/* err.h — riposte's one error enum.
 *
 * Every fallible function returns 0 on success or a negative RIP_E* code
 * from this table. rip_strerror() names a code for people; it never returns
 * NULL. Output parameters are written only on success.
 */
#ifndef RIPOSTE_UTIL_ERR_H
#define RIPOSTE_UTIL_ERR_H

#define RIP_ERRNO_MAP(X)                                              \
    X(NOMEM,    "out of memory")                                      \
    X(INVAL,    "invalid argument")                                   \
    X(IO,       "input/output error")                                 \
    X(NOENT,    "no such file or directory")                          \
    X(LIMIT,    "limit exceeded")                                     \
    X(SYNTAX,   "syntax error")                                       \
    X(UTF8,     "invalid UTF-8")                                      \
    X(FORMAT,   "unrecognized format")                                \
    X(TRUNC,    "truncated input")                                    \
    X(NOTFOUND, "not found")                                          \
    X(TYPE,     "wrong type")                                         \
    X(RANGE,    "value out of range")

enum {
    RIP_OK = 0,
#define RIP_ERR_ENUM(name, text) RIP_E##name,
    RIP_E_FIRST_ = -100,
    RIP_ERRNO_MAP(RIP_ERR_ENUM)
#undef RIP_ERR_ENUM
    RIP_E_LAST_
};

/* Returns a static, human-readable description of rc (0 or RIP_E*). */
const char *rip_strerror(int rc);
/* Returns the static symbolic name of rc ("RIP_ENOMEM"). */
const char *rip_errname(int rc);

#endif
