/* decode.h — format sniffing and decoding of one input buffer into events.
 *
 * A user never names the format: rip_decode_buffer() looks at the bytes
 * (gzip magic, JSON shape, keys of the first record) and picks the decoder.
 * Containers: a single record, {"Records":[...]}, {"Findings":[...]}, a JSON
 * array of records, NDJSON (one value per line), EventBridge envelopes,
 * GCP Pub/Sub push envelopes (base64 "message.data").
 *
 * Bad input never stops a buffer: a record that cannot be decoded is
 * reported through on_error with its index and the reason, and decoding
 * continues with the next record. Counters say what happened.
 */
#ifndef RIPOSTE_NORMALIZE_DECODE_H
#define RIPOSTE_NORMALIZE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "normalize/event.h"
#include "util/arena.h"
#include "util/json.h"

typedef struct rip_decode_error {
    const char *path;      /* input name as given ("-" for stdin) */
    uint64_t index;        /* 0-based record index within the input */
    uint64_t line;         /* 1-based line for NDJSON / JSON errors, 0 if unknown */
    uint64_t column;       /* 1-based column for JSON errors, 0 if unknown */
    const char *reason;    /* "invalid JSON: expected ',' or '}'", "invalid eventTime 'x'" */
    int whole_input;       /* 1 when the error is about the input as a whole
                              (gzip, one unparseable JSON document), not one record */
} rip_decode_error;

typedef struct rip_decode_stats {
    uint64_t decoded;      /* events delivered */
    uint64_t skipped;      /* records deliberately not events (CloudTrail digest
                              files, S3 event notifications); blank lines are
                              not records and are not counted */
    uint64_t errors;       /* records rejected */
} rip_decode_stats;

/* Return a negative value from on_event to stop decoding (propagated). */
typedef int (*rip_event_fn)(void *ud, const rip_event *ev);
typedef void (*rip_decode_error_fn)(void *ud, const rip_decode_error *err);
/* See rip_decoder.on_rollback. */
typedef void (*rip_decode_rollback_fn)(void *ud);

typedef struct rip_decoder {
    rip_event_fn on_event;
    rip_decode_error_fn on_error;   /* may be NULL */
    void *ud;
    rip_json_limits limits;
    size_t max_inflated;            /* cap on a gunzipped buffer (default 1 GiB) */
    /* Optional (NULL by default). When set, rip_decode_buffer() may decode a
     * {"Records":[...]} document record by record, delivering events and
     * record errors before it has seen the end of the document. If the
     * document then turns out to be one it must reject or decode otherwise,
     * on_rollback is called once: the caller drops every event and record
     * error it received during this rip_decode_buffer() call (they will be
     * delivered again, or the input reported as a whole); the decoder's
     * stats are already put back. Never called for NDJSON chunks. */
    rip_decode_rollback_fn on_rollback;
    rip_decode_stats stats;         /* accumulated over every call */
    /* private */
    rip_json_doc doc;
    rip_json_doc inner;             /* for base64 / string-embedded payloads */
    rip_arena arena;                /* per record; reset between records */
    rip_buf inflated;               /* gunzipped input */
    rip_buf embedded;               /* decoded base64 / unescaped JSON string */
    char reason[256];               /* text behind rip_decode_error.reason */
    int last_class;                 /* class of the previous record (a hint) */
} rip_decoder;

/* Sets up a decoder; lim NULL means rip_json_default_limits. */
void rip_decoder_init(rip_decoder *dec, rip_event_fn on_event,
                      rip_decode_error_fn on_error, void *ud,
                      const rip_json_limits *lim);
void rip_decoder_release(rip_decoder *dec);

/* Decodes one input (a file's whole content, gzipped or not). path names
 * it in errors. Returns 0 when the buffer was processed (even if some
 * records were rejected: see stats, and on_error was told each one),
 * RIP_EFORMAT when nothing in it could be recognized (also reported
 * through on_error, and counted as one error), or the negative value an
 * on_event callback returned. Events and error reasons are valid only
 * during the callback. The data is borrowed for the duration of the call.
 *
 * Sniffing: gzip magic -> gunzip (multi-member, capped at max_inflated);
 * a UTF-8 BOM is skipped; one JSON value -> its container shape; otherwise,
 * if one of the first lines is a JSON object on its own, NDJSON (each line
 * one record, a bad line is one error); otherwise one JSON syntax error.
 *
 * Limits: the JSON limits of the decoder apply to the buffer and to each
 * embedded payload (SNS Message, SQS body, Pub/Sub data); an embedded
 * payload may not embed another. */
int rip_decode_buffer(rip_decoder *dec, const char *path,
                      const char *data, size_t len);

/* True when data (the start of an input) is NDJSON: one of its first
 * non-blank lines is a complete JSON value by itself. */
bool rip_decode_looks_ndjson(rip_decoder *dec, const char *data, size_t len);

/* Decodes one chunk of an NDJSON input that is read piece by piece (a file
 * too large to hold, standard input). The chunk must end at a line end,
 * except the last one. *index and *line say where the chunk starts (record
 * index from 0, line from 1) and are advanced past it, so errors and
 * rip_event.input_index count through the whole input. Returns 0 or the
 * negative value of a callback. */
int rip_decode_ndjson_chunk(rip_decoder *dec, const char *path, const char *data, size_t len,
                            uint64_t *index, uint64_t *line);

#endif
