/* aws-xml.c — expat into a tree. See aws-xml.h. */
#include "cloud/aws-xml.h"

#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "util/buf.h"
#include "util/err.h"

const rip_aws_xml_limits rip_aws_xml_default_limits = {
    .max_size = 16u << 20,
    .max_depth = 64,
    .max_nodes = 1u << 20,
    .max_text = 4u << 20,
};

typedef struct pstate {
    rip_aws_xml *x;
    XML_Parser p;
    const rip_aws_xml_limits *lim;
    rip_aws_xml_node *cur;
    rip_aws_xml_node *last_child[72];  /* per depth: tail of the child list */
    rip_buf text[72];                  /* per depth: text collected so far */
    unsigned depth;
    unsigned nodes;
    int rc;
} pstate;

static void fail(pstate *s, int rc, const char *why)
{
    if (s->rc == 0) {
        s->rc = rc;
        snprintf(s->x->error, sizeof(s->x->error), "line %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(s->p), why);
    }
    XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    pstate *s = ud;
    (void)atts;
    if (s->rc)
        return;
    if (s->depth + 1 >= s->lim->max_depth || s->depth + 1 >= 72) {
        fail(s, RIP_ELIMIT, "elements nested too deeply");
        return;
    }
    if (++s->nodes > s->lim->max_nodes) {
        fail(s, RIP_ELIMIT, "too many elements");
        return;
    }
    rip_aws_xml_node *n = rip_arena_calloc(&s->x->arena, 1, sizeof(*n));
    const char *local = strrchr(name, ':');
    local = local ? local + 1 : name;
    if (!n || !(n->name = rip_arena_strndup(&s->x->arena, local, strlen(local)))) {
        fail(s, RIP_ENOMEM, "out of memory");
        return;
    }
    n->text = "";
    n->parent = s->cur;
    if (!s->cur) {
        if (s->x->root) {
            fail(s, RIP_ESYNTAX, "more than one root element");
            return;
        }
        s->x->root = n;
    } else {
        if (s->last_child[s->depth])
            s->last_child[s->depth]->next = n;
        else
            s->cur->first = n;
        s->last_child[s->depth] = n;
    }
    s->cur = n;
    s->depth++;
    s->last_child[s->depth] = NULL;
    rip_buf_reset(&s->text[s->depth]);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    pstate *s = ud;
    (void)name;
    if (s->rc || !s->cur)
        return;
    rip_buf *t = &s->text[s->depth];
    if (t->len) {
        char *copy = rip_arena_strndup(&s->x->arena, t->ptr, t->len);
        if (!copy) {
            fail(s, RIP_ENOMEM, "out of memory");
            return;
        }
        s->cur->text = copy;
        s->cur->text_len = t->len;
    }
    s->cur = s->cur->parent;
    s->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *txt, int len)
{
    pstate *s = ud;
    if (s->rc || !s->cur || len <= 0)
        return;
    rip_buf *t = &s->text[s->depth];
    if (rip_buf_add(t, txt, (size_t)len) < 0)
        fail(s, RIP_ELIMIT, "element text too long");
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    fail(ud, RIP_ESYNTAX, "DOCTYPE is not allowed");
}

void rip_aws_xml_init(rip_aws_xml *x)
{
    memset(x, 0, sizeof(*x));
    rip_arena_init(&x->arena, 0);
}

void rip_aws_xml_release(rip_aws_xml *x)
{
    if (!x)
        return;
    rip_arena_release(&x->arena);
    x->root = NULL;
}

int rip_aws_xml_parse(rip_aws_xml *x, const char *src, size_t len, const rip_aws_xml_limits *lim)
{
    pstate s;
    if (!lim)
        lim = &rip_aws_xml_default_limits;
    rip_arena_reset(&x->arena);
    x->root = NULL;
    x->error[0] = '\0';
    if (len > lim->max_size) {
        snprintf(x->error, sizeof(x->error), "document larger than %zu bytes", lim->max_size);
        return RIP_ELIMIT;
    }
    memset(&s, 0, sizeof(s));
    s.x = x;
    s.lim = lim;
    for (size_t i = 0; i < sizeof(s.text) / sizeof(s.text[0]); i++)
        rip_buf_init(&s.text[i], lim->max_text);
    s.p = XML_ParserCreate("UTF-8");
    if (!s.p) {
        snprintf(x->error, sizeof(x->error), "out of memory");
        return RIP_ENOMEM;
    }
    XML_SetUserData(s.p, &s);
    XML_SetElementHandler(s.p, on_start, on_end);
    XML_SetCharacterDataHandler(s.p, on_text);
    XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
    if (XML_Parse(s.p, src, (int)len, XML_TRUE) != XML_STATUS_OK && s.rc == 0) {
        s.rc = RIP_ESYNTAX;
        snprintf(x->error, sizeof(x->error), "line %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(s.p),
                 XML_ErrorString(XML_GetErrorCode(s.p)));
    }
    if (s.rc == 0 && !x->root) {
        s.rc = RIP_ESYNTAX;
        snprintf(x->error, sizeof(x->error), "no root element");
    }
    XML_ParserFree(s.p);
    for (size_t i = 0; i < sizeof(s.text) / sizeof(s.text[0]); i++)
        rip_buf_release(&s.text[i]);
    if (s.rc) {
        x->root = NULL;
        rip_arena_reset(&x->arena);
    }
    return s.rc;
}

const rip_aws_xml_node *rip_aws_xml_child(const rip_aws_xml_node *n, const char *name)
{
    for (const rip_aws_xml_node *c = n ? n->first : NULL; c; c = c->next)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

const rip_aws_xml_node *rip_aws_xml_next_same(const rip_aws_xml_node *n)
{
    for (const rip_aws_xml_node *c = n ? n->next : NULL; c; c = c->next)
        if (!strcmp(c->name, n->name))
            return c;
    return NULL;
}

const rip_aws_xml_node *rip_aws_xml_path(const rip_aws_xml_node *n, const char *path)
{
    char seg[128];
    while (n && *path) {
        size_t l = strcspn(path, "/");
        if (l >= sizeof(seg))
            return NULL;
        memcpy(seg, path, l);
        seg[l] = '\0';
        n = rip_aws_xml_child(n, seg);
        path += l;
        if (*path == '/')
            path++;
    }
    return n;
}

const rip_aws_xml_node *rip_aws_xml_find(const rip_aws_xml_node *n, const char *name)
{
    if (!n)
        return NULL;
    if (!strcmp(n->name, name))
        return n;
    for (const rip_aws_xml_node *c = n->first; c; c = c->next) {
        const rip_aws_xml_node *r = rip_aws_xml_find(c, name);
        if (r)
            return r;
    }
    return NULL;
}

const char *rip_aws_xml_text(const rip_aws_xml_node *n, const char *path, const char *dflt)
{
    const rip_aws_xml_node *t = rip_aws_xml_path(n, path);
    return t ? t->text : dflt;
}
