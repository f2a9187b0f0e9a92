/* incident.c — severity, status and phase names, and the changes people
 * make to incidents (incident.h). */
#include "correlate/incident.h"

#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

static const char *const severities[RIP_SEVERITY_COUNT] = {
    "informational", "low", "medium", "high", "critical",
};

const char *const rip_incident_statuses[] = {
    "open", "acknowledged", "resolved", "false_positive", NULL,
};

const char *const rip_incident_phases[] = {
    "detected", "contained", "eradicated", "recovered", "closed", NULL,
};

int rip_severity_rank(const char *name)
{
    for (int i = 0; name && i < RIP_SEVERITY_COUNT; i++)
        if (!strcmp(name, severities[i]))
            return i;
    return -1;
}

const char *rip_severity_name(int rank)
{
    return rank >= 0 && rank < RIP_SEVERITY_COUNT ? severities[rank] : severities[0];
}

const char *rip_severity_from_score(double score)
{
    if (score < 1)
        return "informational";
    if (score < 4)
        return "low";
    if (score < 7)
        return "medium";
    if (score < 9)
        return "high";
    return "critical";
}

static int in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; name && list[i]; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

rip_state_kind rip_incident_state_kind(const char *name)
{
    if (in_list(rip_incident_statuses, name))
        return RIP_STATE_STATUS;
    if (in_list(rip_incident_phases, name))
        return RIP_STATE_PHASE;
    return RIP_STATE_UNKNOWN;
}

static int is_closed_status(const char *s)
{
    return s && (!strcmp(s, "resolved") || !strcmp(s, "false_positive"));
}

typedef struct head_ud {
    char status[32], phase[32];
    int64_t merged_into;
    int found;
} head_ud;

static int on_head(void *ud, const rip_store_incident_row *row)
{
    head_ud *h = ud;
    snprintf(h->status, sizeof(h->status), "%s", row->status ? row->status : "");
    snprintf(h->phase, sizeof(h->phase), "%s", row->phase ? row->phase : "");
    h->merged_into = row->merged_into;
    h->found = 1;
    return 0;
}

static int read_head(rip_store *st, int64_t id, head_ud *h)
{
    rip_store_incident_filter f = { .id = id };
    memset(h, 0, sizeof(*h));
    int rc = rip_store_list_incidents(st, &f, on_head, h);
    if (rc)
        return rc;
    return h->found ? 0 : RIP_ENOTFOUND;
}

int rip_incident_set_state(rip_store *st, int64_t id, const char *state, const char *who,
                           int64_t now_ns, int *changed)
{
    rip_state_kind kind = rip_incident_state_kind(state);
    head_ud h;
    rip_buf text = RIP_BUF_INIT, detail = RIP_BUF_INIT;
    rip_jw w;
    int rc;

    if (kind == RIP_STATE_UNKNOWN)
        return RIP_EINVAL;
    rc = rip_store_begin(st);
    if (rc)
        return rc;
    rc = read_head(st, id, &h);
    if (rc)
        goto out;
    if (!strcmp(h.status, "merged")) {
        rc = RIP_EINVAL;
        goto out;
    }
    const char *status = h.status, *phase = h.phase;
    if (kind == RIP_STATE_STATUS) {
        status = state;
        if (is_closed_status(state))
            phase = "closed";
        else if (!strcmp(phase, "closed"))
            phase = "detected";   /* reopened */
    } else {
        phase = state;
        if (!strcmp(state, "closed")) {
            if (!is_closed_status(status))
                status = "resolved";
        } else if (is_closed_status(status)) {
            status = "open";      /* reopened */
        }
    }
    int st_changed = strcmp(status, h.status) != 0, ph_changed = strcmp(phase, h.phase) != 0;
    if (changed)
        *changed = st_changed || ph_changed;
    if (!st_changed && !ph_changed)
        goto out;
    rip_store_incident_set set = {
        .status = st_changed ? status : NULL,
        .phase = ph_changed ? phase : NULL,
        .now_ns = now_ns,
    };
    rc = rip_store_incident_update(st, id, &set);
    if (rc)
        goto out;
    if (st_changed)
        rc = rip_buf_addf(&text, "status %s -> %s", h.status, status);
    if (rc == 0 && ph_changed)
        rc = rip_buf_addf(&text, "%sphase %s -> %s", st_changed ? ", " : "", h.phase, phase);
    rip_jw_init(&w, &detail);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "status");
    rip_jw_str(&w, status);
    rip_jw_key(&w, "previous_status");
    rip_jw_str(&w, h.status);
    rip_jw_key(&w, "phase");
    rip_jw_str(&w, phase);
    rip_jw_key(&w, "previous_phase");
    rip_jw_str(&w, h.phase);
    rip_jw_obj_end(&w);
    if (rc == 0)
        rc = rip_jw_finish(&w);
    if (rc)
        goto out;
    rip_store_timeline_entry e = {
        .time_ns = now_ns, .kind = "status_change", .actor = who, .text = text.ptr,
        .detail = detail.ptr,
    };
    rc = rip_store_timeline_append(st, id, &e, NULL);
out:
    if (rc == 0)
        rc = rip_store_commit(st);
    if (rc)
        rip_store_rollback(st);
    rip_buf_release(&text);
    rip_buf_release(&detail);
    return rc;
}

int rip_incident_note(rip_store *st, int64_t id, const char *text, const char *who,
                      int64_t now_ns)
{
    if (!text || !*text)
        return RIP_EINVAL;
    rip_store_timeline_entry e = { .time_ns = now_ns, .kind = "note", .actor = who, .text = text };
    return rip_store_timeline_append(st, id, &e, NULL);
}

int rip_incident_assign(rip_store *st, int64_t id, const char *owner, const char *who,
                        int64_t now_ns)
{
    rip_buf text = RIP_BUF_INIT, detail = RIP_BUF_INIT;
    rip_jw w;
    int rc;

    if (!owner || !*owner)
        return RIP_EINVAL;
    rc = rip_store_begin(st);
    if (rc)
        return rc;
    rip_store_incident_set set = { .owner = owner, .now_ns = now_ns };
    rc = rip_store_incident_update(st, id, &set);
    if (rc == 0)
        rc = rip_buf_addf(&text, "assigned to %s", owner);
    rip_jw_init(&w, &detail);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "owner");
    rip_jw_str(&w, owner);
    rip_jw_obj_end(&w);
    if (rc == 0)
        rc = rip_jw_finish(&w);
    if (rc == 0) {
        rip_store_timeline_entry e = {
            .time_ns = now_ns, .kind = "assigned", .actor = who, .text = text.ptr,
            .detail = detail.ptr,
        };
        rc = rip_store_timeline_append(st, id, &e, NULL);
    }
    if (rc == 0)
        rc = rip_store_commit(st);
    if (rc)
        rip_store_rollback(st);
    rip_buf_release(&text);
    rip_buf_release(&detail);
    return rc;
}
