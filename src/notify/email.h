/* email.h — notifications by email: an RFC 5322 message sent over SMTP
 * with libcurl (docs/NOTIFY.md "Email").
 *
 * The message is plain UTF-8 text, quoted-printable, single part:
 *
 *   From: riposte <alerts@example.com>
 *   To: secops@example.com, oncall@example.com
 *   Subject: [riposte] HIGH incident #42: Root key used from a new country
 *   Date: Tue, 14 Nov 2023 22:13:20 +0000
 *   Message-ID: <riposte.incident-42.notification-9@example.com>
 *   In-Reply-To: <riposte.incident-42@example.com>
 *   References: <riposte.incident-42@example.com>
 *   MIME-Version: 1.0
 *   Content-Type: text/plain; charset=UTF-8
 *   Content-Transfer-Encoding: quoted-printable
 *   Auto-Submitted: auto-generated
 *   X-Riposte-Incident: 42
 *   X-Riposte-Notification: 9
 *
 * Invariants
 *   - Header injection is impossible: no value from an event, a finding or
 *     a playbook reaches a header except through the Subject, which is
 *     stripped of control characters (CR and LF included) and invalid
 *     UTF-8, cut, and written as RFC 2047 encoded-words when it is not
 *     plain ASCII. Addresses come from the configuration and are refused
 *     (RIP_EINVAL) unless they are plain addr-specs (rip_email_address_ok).
 *   - Every line is CRLF-terminated and at most 998 octets (headers are
 *     folded at 78 where they can be, the body is quoted-printable at 76).
 *     A body line starting with "." or "From " is encoded (=2E, =46), so
 *     the message does not depend on the SMTP client's dot-stuffing
 *     (which libcurl does as well) or on mbox quoting.
 *   - The Message-ID is a function of the incident and notification ids
 *     and the sender's domain: a retry of a row sends the same id, so a
 *     receiver can tell it is the same message. Every message of one
 *     incident names the same thread root in In-Reply-To and References,
 *     so mail clients thread an incident's notifications.
 *   - The username and password are never logged, stored or put in an
 *     error; errors name the SMTP reply code and libcurl's generic text
 *     for its code, never the server's text, the URL or its host.
 */
#ifndef RIPOSTE_NOTIFY_EMAIL_H
#define RIPOSTE_NOTIFY_EMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"

#define RIP_EMAIL_MAX_RCPT 100
#define RIP_EMAIL_ADDRESS_MAX 254
#define RIP_EMAIL_SUBJECT_MAX 200          /* bytes of the subject's text */
#define RIP_EMAIL_MESSAGE_MAX (256 * 1024) /* the whole message */
#define RIP_EMAIL_TIMEOUT_MS_DEFAULT 30000L
#define RIP_EMAIL_SUBJECT_PREFIX_DEFAULT "[riposte]"

/* How an smtp:// connection is secured (smtps:// is TLS from the start). */
typedef enum rip_email_starttls {
    RIP_EMAIL_STARTTLS_DEFAULT = 0,  /* required, but off for a loopback host */
    RIP_EMAIL_STARTTLS_REQUIRED,     /* STARTTLS or fail (permanently) */
    RIP_EMAIL_STARTTLS_TRY,          /* STARTTLS when the server offers it */
    RIP_EMAIL_STARTTLS_OFF,          /* plain text */
} rip_email_starttls;

/* "default", "required", "try", "off"; "?" otherwise. */
const char *rip_email_starttls_name(rip_email_starttls v);

typedef struct rip_email_cfg {
    const char *smtp_url;          /* smtp://host[:port][/ehlo-name] or smtps:// */
    const char *from;              /* an addr-spec: alerts@example.com */
    const char *const *to;         /* addr-specs, 1 to RIP_EMAIL_MAX_RCPT */
    size_t nto;
    const char *username, *password;   /* secrets; NULL or "": no AUTH */
    rip_email_starttls starttls;
    const char *subject_prefix;    /* NULL: "[riposte]"; "": none */
    long timeout_ms;               /* the whole transfer; <= 0: 30 s */
} rip_email_cfg;

/* What a message says: an outbox row, and when the store has them the
 * row's incident (title, findings, entities) and run (its steps). All
 * borrowed. */
typedef struct rip_email_content {
    const rip_store_notification_row *row;   /* required */
    const rip_store_incident *incident;      /* NULL: the row only */
    const rip_store_run *run;                /* NULL: none */
} rip_email_content;

/* 1 when a is a plain addr-spec riposte can put in a header and an SMTP
 * envelope: printable ASCII without spaces, quotes, brackets, commas or
 * semicolons, one '@' with text on both sides, no '.' at either end of a
 * side or twice in a row, a domain of letters, digits, '-' and '.', at
 * most RIP_EMAIL_ADDRESS_MAX bytes; else 0. */
int rip_email_address_ok(const char *a);

/* The policy that applies to c->smtp_url: c->starttls, or for DEFAULT
 * REQUIRED unless the URL's host is loopback (localhost, [::1], or
 * 127.x.y.z written as numbers), then OFF. For smtps:// the answer is
 * irrelevant: the connection is TLS from its first byte. */
rip_email_starttls rip_email_starttls_effective(const rip_email_cfg *c);

/* Writes the Message-ID of notification notification_id of incident
 * incident_id (0: none) sent from from: "<riposte.incident-42.notification-9@
 * example.com>", and when thread is not NULL and there is an incident, the
 * incident's thread root "<riposte.incident-42@example.com>" into thread
 * (else ""). Both caps at least 160 bytes. 0 or RIP_ELIMIT. */
int rip_email_message_id(const char *from, int64_t incident_id, int64_t notification_id,
                         char *out, size_t cap, char *thread, size_t thread_cap);

/* Builds the whole message (headers and quoted-printable body, CRLF lines)
 * for m, dated now_s, and appends it to out. 0; RIP_EINVAL (no row, a bad
 * from or to address, no recipient or more than RIP_EMAIL_MAX_RCPT);
 * RIP_ELIMIT (out's cap), RIP_ENOMEM. On failure out is as it was. */
int rip_email_build(const rip_email_cfg *c, const rip_email_content *m, int64_t now_s,
                    rip_buf *out);

/* Sends msg (len bytes, as rip_email_build() made it) from c->from to every
 * c->to over SMTP. Returns 0 when the server took it (250 after DATA);
 * RIP_EIO for a failure worth retrying (a 4xx reply, no connection,
 * timeout, libcurl missing); RIP_EINVAL for a permanent one (a 5xx reply,
 * a refused login, STARTTLS required but not offered, a bad
 * configuration). err (errcap bytes, may be 0) says why: "email: SMTP 550
 * (Failed sending data to the peer)". */
int rip_email_send(const rip_email_cfg *c, const char *msg, size_t len, char *err,
                   size_t errcap);

/* rip_email_build() then rip_email_send(); the return codes of both. */
int rip_email_notify(const rip_email_cfg *c, const rip_email_content *m, int64_t now_s,
                     char *err, size_t errcap);

/* Loads the incident and run of row (either id may be 0) from st for
 * rip_email_content: *inc and *run are set (NULL when absent or not found)
 * and freed by the caller (rip_store_incident_free, rip_store_run_free).
 * Missing ones are not an error: 0, or RIP_EIO / RIP_ENOMEM. */
int rip_email_load(rip_store *st, const rip_store_notification_row *row,
                   rip_store_incident **inc, rip_store_run **run);

#endif
