/* aws-accounts.c — the accounts list of the configuration, read with
 * libyaml's document API (every node keeps its line). See aws-accounts.h. */
#include "cloud/aws-accounts.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/buf.h"
#include "util/err.h"

#define MAX_FILE (1u << 20)

typedef struct loader {
    yaml_document_t doc;
    const char *path;
    char *err;
    size_t errcap;
} loader;

static int fail(loader *l, const yaml_node_t *n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(loader *l, const yaml_node_t *n, int rc, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(l->err, l->errcap, "'%s' line %lu: %s", l->path,
             n ? (unsigned long)n->start_mark.line + 1 : 1UL, what);
    return rc;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Copies a scalar value into out[cap]; errors name the key. */
static int copy_scalar(loader *l, const yaml_node_t *v, const char *key, char *out, size_t cap)
{
    const char *s = scalar(v);
    if (!s)
        return fail(l, v, RIP_ESYNTAX, "'%s' expects a string", key);
    if (strlen(s) >= cap)
        return fail(l, v, RIP_ELIMIT, "'%s' is longer than %zu characters", key, cap - 1);
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

/* A sequence of scalars (or one scalar) into rows of out. */
static int copy_list(loader *l, const yaml_node_t *v, const char *key, char *out, size_t rowcap,
                     size_t *n)
{
    *n = 0;
    if (v->type == YAML_SCALAR_NODE)
        return copy_scalar(l, v, key, out, rowcap) == 0 ? (*n = 1, 0) : RIP_ESYNTAX;
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(l, v, RIP_ESYNTAX, "'%s' expects a list of strings", key);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        if (*n >= RIP_AWS_ACCOUNT_MAX_LIST)
            return fail(l, v, RIP_ELIMIT, "'%s' has more than %d entries", key,
                        RIP_AWS_ACCOUNT_MAX_LIST);
        int rc = copy_scalar(l, yaml_document_get_node(&l->doc, *it), key, out + *n * rowcap,
                             rowcap);
        if (rc < 0)
            return rc;
        (*n)++;
    }
    return 0;
}

static int parse_account(loader *l, const yaml_node_t *m, rip_aws_account *a)
{
    memset(a, 0, sizeof(*a));
    a->max_destructive = -1;
    a->line = (unsigned)m->start_mark.line + 1;
    if (m->type != YAML_MAPPING_NODE)
        return fail(l, m, RIP_ESYNTAX, "an account is a mapping with 'id', 'role_arn', "
                    "'external_id', 'regions', 'allow'");
    const yaml_node_t *role_node = NULL, *ext_node = NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
        const char *key = scalar(k);
        int rc = 0;
        if (!key)
            return fail(l, k, RIP_ESYNTAX, "account keys are strings");
        if (!strcmp(key, "id")) {
            rc = copy_scalar(l, v, key, a->id, sizeof(a->id));
            if (rc == RIP_ELIMIT || (rc == 0 && strlen(a->id) != 12))
                return fail(l, v, RIP_ESYNTAX, "'id' must be a 12-digit account id, got '%s'",
                            scalar(v) ? scalar(v) : "");
            for (const char *c = a->id; rc == 0 && *c; c++)
                if (!isdigit((unsigned char)*c))
                    return fail(l, v, RIP_ESYNTAX, "'id' must be a 12-digit account id, got '%s'",
                                a->id);
        } else if (!strcmp(key, "role_arn")) {
            rc = copy_scalar(l, v, key, a->role_arn, sizeof(a->role_arn));
            if (rc == 0 && strncmp(a->role_arn, "arn:", 4))
                return fail(l, v, RIP_ESYNTAX, "'role_arn' must be an ARN (arn:aws:iam::ID:role/NAME), "
                            "got '%s'", a->role_arn);
            role_node = v;
        } else if (!strcmp(key, "external_id")) {
            rc = copy_scalar(l, v, key, a->external_id, sizeof(a->external_id));
            ext_node = v;
        } else if (!strcmp(key, "regions")) {
            rc = copy_list(l, v, key, a->regions[0], sizeof(a->regions[0]), &a->nregions);
        } else if (!strcmp(key, "allow")) {
            rc = copy_list(l, v, key, a->allow_buf[0], sizeof(a->allow_buf[0]), &a->nallow);
            a->has_allow = true;
            for (size_t i = 0; i < a->nallow; i++)
                a->allow[i] = a->allow_buf[i];
        } else if (!strcmp(key, "max_destructive_per_hour")) {
            const char *s = scalar(v);
            char *end;
            errno = 0;
            long n = s ? strtol(s, &end, 10) : -1;
            if (!s || !*s || *end || errno || n < 0 || n > 100000)
                return fail(l, v, RIP_ESYNTAX, "'max_destructive_per_hour' expects a number "
                            "from 0 (no cap) to 100000");
            a->max_destructive = (int)n;
        } else {
            return fail(l, k, RIP_ESYNTAX, "unknown key '%s' in an account (expected id, role_arn, "
                        "external_id, regions, allow, max_destructive_per_hour)", key);
        }
        if (rc < 0)
            return rc;
    }
    if (!a->id[0])
        return fail(l, m, RIP_ESYNTAX, "account without 'id'");
    if (ext_node && !role_node)
        return fail(l, ext_node, RIP_ESYNTAX, "'external_id' needs 'role_arn'");
    return 0;
}

int rip_aws_accounts_load(rip_aws_accounts *out, const char *path, char *err, size_t errcap)
{
    loader l = { .path = path, .err = err, .errcap = errcap };
    rip_buf text;
    yaml_parser_t parser;
    bool have_doc = false;
    int rc = 0;

    rip_aws_accounts_release(out);
    rip_buf_init(&text, MAX_FILE);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "cannot open '%s': %s", path, strerror(errno));
        rip_buf_release(&text);
        return RIP_EIO;
    }
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (rip_buf_add(&text, chunk, got) < 0) {
            snprintf(err, errcap, "'%s' is larger than 1 MiB", path);
            fclose(f);
            rip_buf_release(&text);
            return RIP_ELIMIT;
        }
    fclose(f);

    if (!yaml_parser_initialize(&parser)) {
        rip_buf_release(&text);
        return RIP_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text.ptr, text.len);
    if (!yaml_parser_load(&parser, &l.doc)) {
        snprintf(err, errcap, "'%s' line %lu: %s", path,
                 (unsigned long)parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "malformed YAML");
        rc = RIP_ESYNTAX;
        goto out;
    }
    have_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&l.doc);
    if (!root)
        goto out; /* empty file: no accounts */
    if (root->type != YAML_MAPPING_NODE) {
        rc = fail(&l, root, RIP_ESYNTAX, "expected a mapping with an 'accounts' list");
        goto out;
    }
    const yaml_node_t *list = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *k = scalar(yaml_document_get_node(&l.doc, p->key));
        if (k && !strcmp(k, "accounts"))
            list = yaml_document_get_node(&l.doc, p->value);
    }
    if (!list)
        goto out;
    if (list->type == YAML_SCALAR_NODE && !*scalar(list))
        goto out; /* "accounts:" with nothing */
    if (list->type != YAML_SEQUENCE_NODE) {
        rc = fail(&l, list, RIP_ESYNTAX, "'accounts' expects a list of accounts");
        goto out;
    }
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (n > RIP_AWS_MAX_ACCOUNTS) {
        rc = fail(&l, list, RIP_ELIMIT, "more than %d accounts", RIP_AWS_MAX_ACCOUNTS);
        goto out;
    }
    out->v = calloc(n ? n : 1, sizeof(*out->v));
    if (!out->v) {
        rc = RIP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *m = yaml_document_get_node(&l.doc, list->data.sequence.items.start[i]);
        if ((rc = parse_account(&l, m, &out->v[i])) < 0)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->v[j].id, out->v[i].id)) {
                rc = fail(&l, m, RIP_ESYNTAX, "account '%s' is listed twice (first at line %u)",
                          out->v[i].id, out->v[j].line);
                goto out;
            }
        out->n = i + 1;
    }
out:
    if (have_doc)
        yaml_document_delete(&l.doc);
    yaml_parser_delete(&parser);
    rip_buf_release(&text);
    if (rc < 0)
        rip_aws_accounts_release(out);
    return rc;
}

void rip_aws_accounts_release(rip_aws_accounts *a)
{
    if (!a)
        return;
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

const rip_aws_account *rip_aws_accounts_find(const rip_aws_accounts *a, const char *id)
{
    for (size_t i = 0; a && id && i < a->n; i++)
        if (!strcmp(a->v[i].id, id))
            return &a->v[i];
    return NULL;
}
