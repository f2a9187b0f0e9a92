/* explain.c — plain-language explanations of findings (explain.h). */
#include "correlate/explain.h"

#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"

/* Common GuardDuty finding types, in words a responder on call can act on.
 * Exact types first; prefix rows ("...*") catch the families. */
static const rip_guardduty_type gd_types[] = {
    { "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
      "Temporary credentials that belong to an EC2 instance's role were used from an address "
      "outside AWS. Instance credentials should only ever be used from the instance itself: "
      "someone took them, typically through SSRF or a compromised workload.",
      "Revoke the role's active sessions, find how the credentials left the instance (web "
      "application logs, IMDSv1 still enabled), and review every call made with the key." },
    { "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
      "An EC2 instance's role credentials were used from another AWS account's address space, "
      "not from the instance. An attacker may be running them from their own infrastructure "
      "in AWS.",
      "Revoke the role's sessions, enforce IMDSv2 on the instance, and review what the key did." },
    { "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B",
      "A console sign-in succeeded in a way GuardDuty finds unusual for this principal "
      "(location, client, time).",
      "Ask the user whether they signed in; if not, reset the password, enforce MFA and review "
      "the session's activity." },
    { "UnauthorizedAccess:IAMUser/MaliciousIPCaller*",
      "An AWS API was called from an address on a threat list (known attacker infrastructure).",
      "Contain the access key or session that made the call and review everything it did." },
    { "UnauthorizedAccess:IAMUser/TorIPCaller",
      "An AWS API was called through a Tor exit node: someone hides where they come from "
      "while using these credentials.",
      "Contain the credentials unless a documented use of Tor exists; review their activity." },
    { "UnauthorizedAccess:EC2/SSHBruteForce",
      "An instance is the target (or the source) of repeated SSH login attempts. Exposed SSH "
      "with password logins is a common way in.",
      "Check whether any attempt succeeded (auth logs), close port 22 to the world, and use "
      "key-only logins or Session Manager." },
    { "UnauthorizedAccess:EC2/RDPBruteForce",
      "An instance is the target (or the source) of repeated RDP login attempts.",
      "Check the Windows security log for successful logons, close port 3389 to the world." },
    { "UnauthorizedAccess:EC2/TorClient",
      "An instance is connecting to the Tor network, which is rarely a legitimate workload "
      "need and often a sign of a compromised host.",
      "Find the process making the connections; isolate the instance if nobody owns the use." },
    { "UnauthorizedAccess:EC2/MetadataDNSRebind",
      "An instance resolved a domain that points at the instance metadata service: a DNS "
      "rebinding attack to steal the instance's role credentials.",
      "Enforce IMDSv2, and treat the instance role's credentials as exposed." },
    { "CryptoCurrency:EC2/BitcoinTool.B!DNS",
      "An instance queried domains of Bitcoin or other crypto-mining pools: it is most likely "
      "mining for someone who got in.",
      "Isolate the instance, snapshot its volumes for forensics, and find how it was "
      "compromised before replacing it." },
    { "CryptoCurrency:EC2/BitcoinTool.B",
      "An instance talks to addresses of crypto-mining pools: it is most likely mining for "
      "someone who got in.",
      "Isolate the instance, snapshot its volumes, and find the way in before replacing it." },
    { "CryptoCurrency:*",
      "Activity associated with crypto-currency mining.",
      "Isolate the resource and find how it was compromised." },
    { "Recon:EC2/PortProbeUnprotectedPort",
      "A port that is open to the internet on an instance is being probed by a known scanner. "
      "On its own this is background noise; it says the port is reachable.",
      "Check that the port needs to be open to everyone; restrict the security group if not." },
    { "Recon:EC2/Portscan",
      "An instance is scanning ports of other hosts: the behaviour of a compromised host "
      "looking for its next target.",
      "Find the process doing the scan; isolate the instance if it is not an authorized scanner." },
    { "Recon:IAMUser/*",
      "Credentials are being used to list resources and permissions in a way unusual for them: "
      "reconnaissance, often the first thing done with stolen keys.",
      "Confirm with the owner of the credentials; contain them if the activity is not theirs." },
    { "Backdoor:EC2/C&CActivity.B",
      "An instance contacted an address known as a command-and-control server: malware on it "
      "is likely taking orders from an attacker.",
      "Isolate the instance, snapshot it for forensics, rotate credentials it held." },
    { "Backdoor:EC2/C&CActivity.B!DNS",
      "An instance resolved a domain known as a command-and-control server.",
      "Isolate the instance, snapshot it for forensics, rotate credentials it held." },
    { "Backdoor:EC2/DenialOfService.*",
      "An instance is taking part in a denial-of-service attack against others.",
      "Isolate the instance; it is compromised." },
    { "Backdoor:*",
      "A resource behaves like it is under an attacker's remote control.",
      "Isolate it and investigate how it was compromised." },
    { "Trojan:EC2/*",
      "An instance talks to infrastructure associated with trojans (drop points, DGA domains, "
      "black-hole traffic, DNS exfiltration).",
      "Isolate the instance, snapshot its volumes, find the malicious process." },
    { "Policy:IAMUser/RootCredentialUsage",
      "The account's root user made API calls. Root cannot be restricted by IAM policies and "
      "should be used only for the few tasks that need it.",
      "Confirm who used root and why; make sure root has MFA and no access keys." },
    { "Stealth:IAMUser/CloudTrailLoggingDisabled",
      "CloudTrail logging was turned off or a trail was deleted: someone may be covering "
      "their tracks.",
      "Turn logging back on now, then review what the same principal did just before and after." },
    { "Stealth:IAMUser/PasswordPolicyChange",
      "The account's password policy was weakened.",
      "Restore the policy and confirm the change with whoever made it." },
    { "Stealth:S3/ServerAccessLoggingDisabled",
      "Server access logging was disabled on a bucket, hiding later access to it.",
      "Re-enable logging and review who accessed the bucket." },
    { "Discovery:S3/*",
      "A principal is listing or describing buckets in a way unusual for it: looking for data "
      "to take.",
      "Confirm with the owner of the credentials; review which buckets were read next." },
    { "Exfiltration:S3/*",
      "Objects are being read from S3 in a pattern unusual for this principal: data may be "
      "leaving the account.",
      "Contain the credentials, list the objects read (S3 data events), and assess the data." },
    { "Impact:S3/*",
      "Data in S3 is being deleted or changed in a pattern unusual for this principal "
      "(ransomware or destruction).",
      "Contain the credentials; check versioning and backups of the buckets." },
    { "Impact:EC2/*",
      "An instance is used to attack others (abuse of outbound traffic, denial of service, "
      "malicious domain requests).",
      "Isolate the instance; it is compromised." },
    { "PenTest:IAMUser/KaliLinux",
      "AWS APIs were called from a Kali Linux machine, a penetration-testing distribution.",
      "If no penetration test is scheduled, contain the credentials and review their activity." },
    { "PenTest:IAMUser/ParrotLinux",
      "AWS APIs were called from a Parrot Security Linux machine.",
      "If no penetration test is scheduled, contain the credentials and review their activity." },
    { "PenTest:IAMUser/PentooLinux",
      "AWS APIs were called from a Pentoo Linux machine.",
      "If no penetration test is scheduled, contain the credentials and review their activity." },
    { "PrivilegeEscalation:IAMUser/*",
      "Credentials were used to grant themselves or others more permissions in a way unusual "
      "for them.",
      "Revert the permission changes and contain the credentials." },
    { "Persistence:IAMUser/*",
      "Credentials were used to create access that outlives them (users, keys, roles, "
      "policies) in a way unusual for them.",
      "Remove what was created and contain the credentials." },
    { "DefenseEvasion:*",
      "Someone is weakening or avoiding security controls (logging, detection, network "
      "rules).",
      "Restore the control and review what the same principal did around that time." },
    { "CredentialAccess:*",
      "Credentials or secrets are being gathered in a way unusual for this principal.",
      "Rotate what was read and contain the principal." },
};

#define NGD (sizeof(gd_types) / sizeof(gd_types[0]))

size_t rip_explain_guardduty_count(void)
{
    return NGD;
}

const rip_guardduty_type *rip_explain_guardduty_at(size_t i)
{
    return i < NGD ? &gd_types[i] : NULL;
}

const rip_guardduty_type *rip_explain_guardduty_type(rip_slice type)
{
    const rip_guardduty_type *best = NULL;
    size_t best_len = 0;
    if (!type.ptr)
        return NULL;
    for (size_t i = 0; i < NGD; i++) {
        const char *t = gd_types[i].type;
        size_t n = strlen(t);
        if (n && t[n - 1] == '*') {
            if (type.len >= n - 1 && !memcmp(type.ptr, t, n - 1) && n - 1 > best_len) {
                best = &gd_types[i];
                best_len = n - 1;
            }
        } else if (rip_slice_eq(type, t)) {
            return &gd_types[i];
        }
    }
    return best;
}

/* Appends v with control bytes as '?'. */
static int add_safe(rip_buf *out, rip_slice v)
{
    for (size_t i = 0; i < v.len; i++) {
        char c = v.ptr[i];
        int rc = rip_buf_addc(out, ((unsigned char)c < 0x20 || c == 0x7f) ? '?' : c);
        if (rc)
            return rc;
    }
    return 0;
}

static int add_time(rip_buf *out, int64_t ns)
{
    char t[RIP_TIME_FMT_MAX];
    if (!ns)
        return rip_buf_adds(out, "an unknown time");
    return rip_buf_adds(out, rip_time_format(ns, t));
}

/* "<actor> called <service> <action> from <ip> at <time> in <account>/<region>" */
static int add_seen(rip_buf *out, const rip_event *ev)
{
    int rc = 0;
    rip_slice who = rip_slice_present(ev->actor.arn) ? ev->actor.arn
                  : rip_slice_present(ev->actor.user) ? ev->actor.user : ev->actor.access_key;
    if (rip_slice_present(who)) {
        rc = add_safe(out, who);
    } else {
        rc = rip_buf_adds(out, "an unknown principal");
    }
    if (rc == 0 && rip_slice_present(ev->actor.access_key) && !rip_slice_eqs(who, ev->actor.access_key)) {
        rc = rip_buf_adds(out, " (key ");
        if (rc == 0)
            rc = add_safe(out, ev->actor.access_key);
        if (rc == 0)
            rc = rip_buf_addc(out, ')');
    }
    if (rc == 0)
        rc = rip_buf_adds(out, " called ");
    if (rc == 0 && rip_slice_present(ev->action.service)) {
        rc = add_safe(out, ev->action.service);
        if (rc == 0)
            rc = rip_buf_addc(out, ' ');
    }
    if (rc == 0)
        rc = rip_slice_present(ev->action.name) ? add_safe(out, ev->action.name)
                                                : rip_buf_adds(out, "an API");
    if (rc == 0 && rip_slice_present(ev->action.error_code)) {
        rc = rip_buf_adds(out, " (failed: ");
        if (rc == 0)
            rc = add_safe(out, ev->action.error_code);
        if (rc == 0)
            rc = rip_buf_addc(out, ')');
    }
    if (rc == 0 && rip_slice_present(ev->source.ip)) {
        rc = rip_buf_adds(out, " from ");
        if (rc == 0)
            rc = add_safe(out, ev->source.ip);
    }
    if (rc == 0)
        rc = rip_buf_adds(out, " at ");
    if (rc == 0)
        rc = add_time(out, ev->time_ns);
    if (rc == 0 && (rip_slice_present(ev->account) || rip_slice_present(ev->region))) {
        rc = rip_buf_adds(out, " in ");
        if (rc == 0)
            rc = add_safe(out, rip_slice_present(ev->account) ? ev->account : RIP_SLICE_LIT("?"));
        if (rc == 0 && rip_slice_present(ev->region)) {
            rc = rip_buf_addc(out, '/');
            if (rc == 0)
                rc = add_safe(out, ev->region);
        }
    }
    return rc;
}

/* "What to check" for an event's actor: the investigate commands that
 * answer "what else did it do". */
static int add_check_actor(rip_buf *out, const rip_event *ev)
{
    int rc = rip_buf_adds(out, "Whether this was expected of the principal, and what else it "
                               "did around that time");
    if (rc == 0 && rip_slice_present(ev->actor.access_key)) {
        rc = rip_buf_adds(out, ": riposte investigate --access-key ");
        if (rc == 0)
            rc = add_safe(out, ev->actor.access_key);
    } else if (rc == 0 && rip_slice_present(ev->actor.arn)) {
        rc = rip_buf_adds(out, ": riposte investigate --principal ");
        if (rc == 0)
            rc = add_safe(out, ev->actor.arn);
    }
    if (rc == 0)
        rc = rip_buf_adds(out, ".");
    return rc;
}

/* Appends s with runs of white space folded to one space (YAML folded
 * descriptions keep their line breaks otherwise). */
static int add_folded(rip_buf *out, const char *s)
{
    int space = 0, rc = 0;
    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = 1;
            continue;
        }
        if (space && out->len && out->ptr[out->len - 1] != ' ')
            rc = rip_buf_addc(out, ' ');
        space = 0;
        if (rc == 0)
            rc = rip_buf_addc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
    }
    return rc;
}

int rip_explain_sigma(rip_buf *out, const rip_sigma_meta *m, const rip_event *ev)
{
    size_t start = out->len;
    int rc = rip_buf_adds(out, "Seen: ");
    if (rc == 0)
        rc = add_seen(out, ev);
    if (rc == 0)
        rc = rip_buf_adds(out, ". It matches the rule '");
    if (rc == 0)
        rc = add_folded(out, m->title ? m->title : (m->id ? m->id : "?"));
    if (rc == 0)
        rc = rip_buf_adds(out, "'.\nWhy it matters: ");
    if (rc == 0)
        rc = add_folded(out, m->description ? m->description
                                            : "the rule gives no description.");
    if (rc == 0 && m->falsepositives.n) {
        rc = rip_buf_adds(out, " Known benign causes: ");
        for (uint32_t i = 0; rc == 0 && i < m->falsepositives.n; i++) {
            if (i)
                rc = rip_buf_adds(out, "; ");
            if (rc == 0)
                rc = add_folded(out, m->falsepositives.v[i]);
        }
        if (rc == 0)
            rc = rip_buf_adds(out, ".");
    }
    if (rc == 0)
        rc = rip_buf_adds(out, "\nWhat to check: ");
    if (rc == 0)
        rc = add_check_actor(out, ev);
    if (rc) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return rc;
}

int rip_explain_provider(rip_buf *out, const rip_event *ev)
{
    size_t start = out->len;
    const rip_guardduty_type *row =
        ev->format == RIP_FORMAT_GUARDDUTY ? rip_explain_guardduty_type(ev->finding.type) : NULL;
    int rc = rip_buf_adds(out, "Seen: ");
    if (rc == 0)
        rc = rip_buf_adds(out, ev->format == RIP_FORMAT_GUARDDUTY ? "GuardDuty" : "Security Hub");
    if (rc == 0)
        rc = rip_buf_adds(out, " reported ");
    if (rc == 0)
        rc = rip_slice_present(ev->finding.type) ? add_safe(out, ev->finding.type)
                                                 : rip_buf_adds(out, "a finding");
    if (rc == 0 && rip_slice_present(ev->finding.title)) {
        rc = rip_buf_adds(out, " (");
        if (rc == 0)
            rc = add_safe(out, ev->finding.title);
        if (rc == 0)
            rc = rip_buf_addc(out, ')');
    }
    if (rc == 0 && rip_slice_present(ev->finding.severity_label)) {
        rc = rip_buf_adds(out, ", severity ");
        if (rc == 0)
            rc = add_safe(out, ev->finding.severity_label);
    }
    if (rc == 0)
        rc = rip_buf_adds(out, ", at ");
    if (rc == 0)
        rc = add_time(out, ev->time_ns);
    if (rc == 0 && rip_slice_present(ev->account)) {
        rc = rip_buf_adds(out, " in ");
        if (rc == 0)
            rc = add_safe(out, ev->account);
        if (rc == 0 && rip_slice_present(ev->region)) {
            rc = rip_buf_addc(out, '/');
            if (rc == 0)
                rc = add_safe(out, ev->region);
        }
    }
    for (uint32_t i = 0; rc == 0 && i < ev->nresources && i < 4; i++) {
        rc = rip_buf_adds(out, i ? ", " : "; resources: ");
        if (rc == 0)
            rc = add_safe(out, ev->resources[i].id.ptr ? ev->resources[i].id
                                                       : ev->resources[i].arn);
    }
    if (rc == 0)
        rc = rip_buf_adds(out, ".\nWhy it matters: ");
    if (rc == 0) {
        if (row)
            rc = rip_buf_adds(out, row->why);
        else if (rip_slice_present(ev->finding.description))
            rc = add_safe(out, ev->finding.description);
        else
            rc = rip_buf_adds(out, "the finding carries no description.");
    }
    if (rc == 0)
        rc = rip_buf_adds(out, "\nWhat to check: ");
    if (rc == 0) {
        if (row)
            rc = rip_buf_adds(out, row->check);
        else
            rc = rip_buf_adds(out, "The affected resources and the principal involved; the "
                                   "finding's own remediation advice in the console.");
    }
    if (rc) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return rc;
}

int rip_explain_correlation(rip_buf *out, const rip_sigma_meta *m, const char *group,
                            size_t nevents, int64_t first_ns, int64_t last_ns)
{
    size_t start = out->len;
    int rc = rip_buf_addf(out, "Seen: %zu events", nevents);
    if (rc == 0 && group && *group) {
        rc = rip_buf_adds(out, " of ");
        if (rc == 0)
            rc = add_safe(out, rip_slice_cstr(group));
    }
    if (rc == 0)
        rc = rip_buf_adds(out, " between ");
    if (rc == 0)
        rc = add_time(out, first_ns);
    if (rc == 0)
        rc = rip_buf_adds(out, " and ");
    if (rc == 0)
        rc = add_time(out, last_ns);
    if (rc == 0)
        rc = rip_buf_adds(out, ", which together match the correlation rule '");
    if (rc == 0)
        rc = add_folded(out, m->title ? m->title : (m->id ? m->id : "?"));
    if (rc == 0)
        rc = rip_buf_adds(out, "'.\nWhy it matters: ");
    if (rc == 0)
        rc = add_folded(out, m->description ? m->description
                                            : "the rule gives no description.");
    if (rc == 0)
        rc = rip_buf_adds(out, "\nWhat to check: Whether this volume of activity was expected "
                               "of the group above, and what else the same principal did.");
    if (rc) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return rc;
}
