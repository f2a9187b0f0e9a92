/* rule-tests.c — read the `tests:` cases of a rule file (see rule-tests.h). */
#include "detect/rule-tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma-int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* A plain scalar that YAML 1.2's core schema reads as a number. */
static bool looks_numeric(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!*p)
        return false;
    bool digits = false, dot = false;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p >= '0' && *p <= '9')
            digits = true;
        else if (*p == '.' && !dot)
            dot = true;
        else
            return false;
    }
    if (!digits)
        return false;
    if (*p) {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!*p)
            return false;
        for (; *p; p++)
            if (*p < '0' || *p > '9')
                return false;
    }
    /* JSON has no leading '+', leading zeros or bare '.5': keep those strings. */
    const char *q = s[0] == '-' ? s + 1 : s;
    if (s[0] == '+' || q[0] == '.' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9'))
        return false;
    size_t n = strlen(s);
    return s[n - 1] != '.';
}

static void to_json(rip_jw *w, const sy_node *n)
{
    switch (n->kind) {
    case SY_SCALAR:
        if (n->plain) {
            if (sy_is_null(n)) {
                rip_jw_null(w);
                return;
            }
            int b = sy_bool(n);
            if (b >= 0) {
                rip_jw_bool(w, b == 1);
                return;
            }
            if (looks_numeric(n->str)) {
                rip_jw_raw(w, n->str, n->len);
                return;
            }
        }
        rip_jw_strn(w, n->str, n->len);
        return;
    case SY_SEQ:
        rip_jw_arr_begin(w);
        for (uint32_t i = 0; i < n->n; i++)
            to_json(w, n->kids[i]);
        rip_jw_arr_end(w);
        return;
    case SY_MAP:
        rip_jw_obj_begin(w);
        for (uint32_t i = 0; i < n->n; i++) {
            const sy_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
            rip_jw_keyn(w, k->str ? k->str : "", k->str ? k->len : 0);
            to_json(w, v);
        }
        rip_jw_obj_end(w);
        return;
    default:
        rip_jw_null(w);
    }
}

static char *record_json(const sy_node *n)
{
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &b);
    to_json(&w, n);
    if (rip_jw_finish(&w) < 0) {
        rip_buf_release(&b);
        return NULL;
    }
    return rip_buf_take(&b, NULL);
}

void rip_rule_tests_release(rip_rule_tests *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
        for (size_t k = 0; k < t->v[i].nrecords; k++)
            free(t->v[i].records[k]);
        free(t->v[i].records);
    }
    free(t->v);
    free(t->rule_id);
    t->v = NULL;
    t->n = 0;
    t->rule_id = NULL;
}

int rip_rule_tests_read(const char *data, size_t len, rip_rule_tests *out,
                        char *err, size_t errlen)
{
    rip_arena a;
    rip_arena_init(&a, (size_t)64 << 20);
    sy_node **docs = NULL;
    uint32_t ndocs = 0, errline = 0;
    int ret = 0;
    char msg[256] = "";
    rip_rule_tests res = { 0 };

    rip_rule_tests_release(out);
    if (err && errlen)
        err[0] = '\0';
    int r = sy_parse(&a, data, len, &docs, &ndocs, msg, sizeof(msg), &errline);
    if (r < 0) {
        if (err)
            snprintf(err, errlen, "line %u: %s", errline, msg);
        ret = r;
        goto out;
    }
    const sy_node *id = ndocs && docs[0]->kind == SY_MAP ? sy_get(docs[0], "id") : NULL;
    if (id && id->kind == SY_SCALAR && !(res.rule_id = strdup(id->str))) {
        ret = RIP_ENOMEM;
        goto out;
    }
    const sy_node *tests = ndocs && docs[0]->kind == SY_MAP ? sy_get(docs[0], "tests") : NULL;
    if (!tests)
        goto out;
    if (tests->kind != SY_SEQ) {
        if (err)
            snprintf(err, errlen, "line %u: 'tests' must be a list of cases", tests->line);
        ret = RIP_ESYNTAX;
        goto out;
    }
    res.v = calloc(tests->n ? tests->n : 1, sizeof(*res.v));
    if (!res.v) {
        ret = RIP_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < tests->n; i++) {
        const sy_node *c = tests->kids[i];
        rip_rule_test *t = &res.v[res.n];
        if (c->kind != SY_MAP) {
            if (err)
                snprintf(err, errlen, "line %u: a test case must be a map with name, match and event", c->line);
            ret = RIP_ESYNTAX;
            goto out;
        }
        const sy_node *name = sy_get(c, "name"), *match = sy_get(c, "match");
        const sy_node *ev = sy_get(c, "event"), *evs = sy_get(c, "events");
        int m = match ? sy_bool(match) : -1;
        if (m < 0 || (!ev && !evs) || (ev && evs) || (evs && evs->kind != SY_SEQ)) {
            if (err)
                snprintf(err, errlen,
                         "line %u: a test case needs 'match: true|false' and either 'event' (one record) or 'events' (a list)",
                         c->line);
            ret = RIP_ESYNTAX;
            goto out;
        }
        for (uint32_t k = 0; k < c->n; k++) {
            const char *key = c->kids[2 * k]->str;
            if (strcmp(key, "name") && strcmp(key, "match") && strcmp(key, "event") &&
                strcmp(key, "events")) {
                if (err)
                    snprintf(err, errlen, "line %u: unknown key '%s' in test case (expected name, match, event or events)",
                             c->kids[2 * k]->line, key);
                ret = RIP_ESYNTAX;
                goto out;
            }
        }
        t->line = c->line;
        t->match = m == 1;
        t->sequence = evs != NULL;
        t->name = strdup(name && name->kind == SY_SCALAR ? name->str : "(unnamed)");
        size_t nrec = evs ? evs->n : 1;
        t->records = calloc(nrec ? nrec : 1, sizeof(*t->records));
        res.n++;
        if (!t->name || !t->records) {
            ret = RIP_ENOMEM;
            goto out;
        }
        for (size_t k = 0; k < nrec; k++) {
            const sy_node *rec = evs ? evs->kids[k] : ev;
            if (rec->kind != SY_MAP) {
                if (err)
                    snprintf(err, errlen, "line %u: a test record must be a map (the original record)", rec->line);
                ret = RIP_ESYNTAX;
                goto out;
            }
            t->records[k] = record_json(rec);
            if (!t->records[k]) {
                ret = RIP_ENOMEM;
                goto out;
            }
            t->nrecords++;
        }
    }
out:
    if (ret < 0)
        rip_rule_tests_release(&res);
    else
        *out = res;
    rip_arena_release(&a);
    return ret;
}
