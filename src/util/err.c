#include "util/err.h"

const char *rip_strerror(int rc)
{
    switch (rc) {
    case RIP_OK: return "success";
#define RIP_ERR_TEXT(name, text) case RIP_E##name: return text;
    RIP_ERRNO_MAP(RIP_ERR_TEXT)
#undef RIP_ERR_TEXT
    default: return "unknown error";
    }
}

const char *rip_errname(int rc)
{
    switch (rc) {
    case RIP_OK: return "RIP_OK";
#define RIP_ERR_NAME(name, text) case RIP_E##name: return "RIP_E" #name;
    RIP_ERRNO_MAP(RIP_ERR_NAME)
#undef RIP_ERR_NAME
    default: return "RIP_E?";
    }
}
