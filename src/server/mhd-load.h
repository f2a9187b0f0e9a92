/* mhd-load.h — libmicrohttpd, loaded on demand.
 *
 * The riposte program does not link libmicrohttpd: only `riposte serve`
 * runs an HTTP server, and libmicrohttpd brings GnuTLS with p11-kit, idn2,
 * libunistring, libtasn1, nettle, hogweed, gmp and libffi, whose loading
 * and relocation every command would otherwise pay at startup, `riposte
 * scan` included. The first rip_mhd() call dlopen()s libmicrohttpd.so.12
 * (the ABI the headers are compiled against) and looks up the functions
 * below, once per process (pthread_once, so any thread may make the first
 * call). The library stays loaded until exit. Headers and types still come
 * from <microhttpd.h>. Same scheme as cloud/curl-load.h.
 *
 * The functions are called through the table: rip_mhd()->queue_response(...).
 * start_daemon, get_daemon_info and get_connection_info are libmicrohttpd's
 * own variadic functions: pass the option values with the types its manual
 * gives, as with the library itself.
 */
#ifndef RIPOSTE_SERVER_MHD_LOAD_H
#define RIPOSTE_SERVER_MHD_LOAD_H

#include <microhttpd.h>

typedef struct rip_mhd_api {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    MHD_socket (*quiesce_daemon)(struct MHD_Daemon *daemon);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *daemon,
                                                   enum MHD_DaemonInfoType info_type, ...);
    const union MHD_ConnectionInfo *(*get_connection_info)(
        struct MHD_Connection *connection, enum MHD_ConnectionInfoType info_type, ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *connection,
                                           enum MHD_ValueKind kind, const char *key);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
                                           const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
                                      unsigned int status_code, struct MHD_Response *response);
    void (*destroy_response)(struct MHD_Response *response);
} rip_mhd_api;

/* Returns libmicrohttpd's entry points, loading it on the first call. The
 * table is static and valid until exit. Returns NULL when libmicrohttpd
 * cannot be loaded (or lacks a function); every later call returns NULL
 * too, and rip_mhd_load_error() says why. Thread-safe. */
const rip_mhd_api *rip_mhd(void);

/* Returns why libmicrohttpd could not be loaded, as one line without a
 * prefix: "cannot load libmicrohttpd (libmicrohttpd.so.12): <dlerror>;
 * install libmicrohttpd12". "" before the first rip_mhd() call and after a
 * successful one. Static. */
const char *rip_mhd_load_error(void);

#endif
