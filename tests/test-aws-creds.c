/* test-aws-creds.c — the credential chain: environment, shared config and
 * credentials files (profiles, source_profile + role_arn + external_id,
 * credential_process), web identity, container and IMDSv2 credentials, and
 * the cache with refresh before expiry. The HTTP steps talk to a scripted
 * loopback server (tests/aws-fake-server.h); nothing leaves the machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/aws-creds.h"
#include "tests/aws-fake-server.h"
#include "tests/tap.h"
#include "util/err.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void clean_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
        "AWS_REGION", "AWS_DEFAULT_REGION",
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    char p[512];
    snprintf(p, sizeof(p), "%s/config", dir);
    setenv("AWS_CONFIG_FILE", p, 1);
    snprintf(p, sizeof(p), "%s/credentials", dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    write_file("config", "");
    write_file("credentials", "");
}

static int get(const char *profile, rip_aws_creds *c, char *why, size_t cap)
{
    rip_aws_creds_provider p;
    rip_aws_creds_provider_init(&p, profile, NULL);
    int rc = rip_aws_creds_get(&p, time(NULL), c);
    snprintf(why, cap, "%s", p.error);
    rip_aws_creds_provider_release(&p);
    return rc;
}

static void files_and_env(void)
{
    rip_aws_creds c;
    char why[512];
    clean_env();
    CHECK(get(NULL, &c, why, sizeof(why)) == RIP_ENOENT && strstr(why, "no AWS credentials"),
          "empty chain: RIP_ENOENT with advice (%s)", why);

    write_file("credentials",
               "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
               "aws_secret_access_key=secretdefault\n\n"
               "[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key = secretdev\n"
               "aws_session_token = tokdev\n");
    write_file("config", "[default]\nregion = eu-central-1\n[profile dev]\nregion=ap-south-1\n"
                         "s3 =\n  max_concurrent_requests = 10\n");
    CHECK(get(NULL, &c, why, sizeof(why)) == 0 && !strcmp(c.access_key_id, "AKIDDEFAULT") &&
          !strcmp(c.secret_access_key, "secretdefault") && !strcmp(c.source, "profile"),
          "credentials file, default profile");
    setenv("AWS_PROFILE", "dev", 1);
    CHECK(get(NULL, &c, why, sizeof(why)) == 0 && !strcmp(c.access_key_id, "AKIDDEV") &&
          !strcmp(c.session_token, "tokdev"), "AWS_PROFILE selects a profile");
    char region[64];
    CHECK(rip_aws_config_get(NULL, "region", region, sizeof(region)) == 0 &&
          !strcmp(region, "ap-south-1"), "region from [profile dev] of the config file");
    CHECK(rip_aws_config_get("dev", "max_concurrent_requests", region, sizeof(region)) ==
          RIP_ENOTFOUND, "nested sub-section keys are not profile keys");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
    CHECK(get(NULL, &c, why, sizeof(why)) == 0 && !strcmp(c.access_key_id, "AKIDENV") &&
          !strcmp(c.source, "environment"), "environment comes first");
    CHECK(get("dev", &c, why, sizeof(why)) == 0 && !strcmp(c.access_key_id, "AKIDDEV"),
          "an explicit --profile skips the environment");
    CHECK(get("nope", &c, why, sizeof(why)) == RIP_ENOENT && strstr(why, "'nope'"),
          "unknown explicit profile: clear error (%s)", why);

    clean_env();
    write_file("config",
               "[profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": "
               "\"AKIDPROC\", \"SecretAccessKey\": \"secretproc\", \"SessionToken\": \"tokproc\", "
               "\"Expiration\": \"2099-01-02T03:04:05Z\"}'\n"
               "[profile badproc]\ncredential_process = sh -c 'echo secret-leak; exit 3'\n");
    CHECK(get("proc", &c, why, sizeof(why)) == 0 && !strcmp(c.access_key_id, "AKIDPROC") &&
          !strcmp(c.session_token, "tokproc") && c.expiration == 4071006245 &&
          !strcmp(c.source, "process"), "credential_process JSON with expiration");
    CHECK(get("badproc", &c, why, sizeof(why)) == RIP_EIO && strstr(why, "status 3") &&
          !strstr(why, "secret-leak"), "failing credential_process: status, no output (%s)", why);
}

static void sts_profiles(void)
{
    static const char assume_xml[] =
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
        "<Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>secretrole</SecretAccessKey>"
        "<SessionToken>tokrole</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
    static const char web_xml[] =
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>secretweb</SecretAccessKey>"
        "<SessionToken>tokweb</SessionToken><Expiration>2099-01-01T00:00:00.000Z</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
    fake_route routes[] = {
        { "POST", "/", 200, NULL, assume_xml, 1 },
        { "POST", "/", 200, NULL, web_xml, 1 },
        { "POST", "/", 403, NULL,
          "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed</Message></Error>"
          "<RequestId>rq-sts</RequestId></ErrorResponse>", -1 },
    };
    fake_server s;
    if (fake_start(&s, routes, 3) < 0) {
        tap_check(0, "fake server starts");
        return;
    }
    rip_aws_creds c;
    char why[512], url[64];
    clean_env();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    setenv("AWS_ENDPOINT_URL_STS", url, 1);
    write_file("credentials", "[base]\naws_access_key_id=AKIDBASE\naws_secret_access_key=secretbase\n");
    write_file("config", "[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/Responder\n"
                         "source_profile = base\nexternal_id = ext-123\nrole_session_name = rip\n"
                         "[profile loop]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = loop2\n"
                         "[profile loop2]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = loop\n");
    int rc = get("admin", &c, why, sizeof(why));
    char *log = fake_log(&s);
    CHECK(rc == 0 && !strcmp(c.access_key_id, "ASIAROLE") && !strcmp(c.session_token, "tokrole") &&
          !strcmp(c.source, "assume-role") && c.expiration == 4070908800,
          "role_arn + source_profile: AssumeRole credentials (%s)", why);
    CHECK(strstr(log, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333"
                      "%3Arole%2FResponder&RoleSessionName=rip&ExternalId=ext-123") &&
          strstr(log, "Credential=AKIDBASE/") && strstr(log, "/sts/aws4_request"),
          "AssumeRole request: role, session name, external id, signed by the source profile");
    free(log);

    char tokfile[512];
    snprintf(tokfile, sizeof(tokfile), "%s/token", dir);
    write_file("token", "eyJhbGciOiJSUzI1NiJ9.web-token\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokfile, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/Web", 1);
    rc = get(NULL, &c, why, sizeof(why));
    log = fake_log(&s);
    const char *req = strstr(log, "Action=AssumeRoleWithWebIdentity");
    const char *hdrs = req ? strstr(log, "=== 1 POST") : NULL;
    (void)hdrs;
    CHECK(rc == 0 && !strcmp(c.access_key_id, "ASIAWEB") && !strcmp(c.source, "web-identity"),
          "web identity token file + role: credentials (%s)", why);
    CHECK(req && strstr(req, "WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.web-token") &&
          fake_count(log, "Authorization:") == 1, "AssumeRoleWithWebIdentity is unsigned and "
          "carries the token");
    free(log);
    rc = get(NULL, &c, why, sizeof(why));
    CHECK(rc == RIP_EIO && strstr(why, "AccessDenied") && strstr(why, "rq-sts"),
          "STS refusal: code and request id in the error (%s)", why);
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    unsetenv("AWS_ROLE_ARN");
    CHECK(get("loop", &c, why, sizeof(why)) == RIP_ELIMIT && strstr(why, "chain"),
          "source_profile cycle stops (%s)", why);
    fake_stop(&s);
}

static void container_and_imds(void)
{
    fake_route routes[] = {
        { "GET", "/creds", 200, NULL,
          "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"secretcont\",\"Token\":\"tokcont\","
          "\"Expiration\":\"2099-01-01T00:00:00Z\"}", -1 },
        { "PUT", "/latest/api/token", 200, NULL, "imds-session-token", -1 },
        { "GET", "/latest/meta-data/iam/security-credentials/web-role", 200, NULL,
          "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"secretimds\","
          "\"Token\":\"tokimds\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", -1 },
        { "GET", "/latest/meta-data/iam/security-credentials/", 200, NULL, "web-role\n", -1 },
    };
    fake_server s;
    if (fake_start(&s, routes, 4) < 0) {
        tap_check(0, "fake server starts");
        return;
    }
    rip_aws_creds c;
    char why[512], url[128];
    clean_env();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/creds", s.port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token", 1);
    int rc = get(NULL, &c, why, sizeof(why));
    char *log = fake_log(&s);
    CHECK(rc == 0 && !strcmp(c.access_key_id, "ASIACONT") && !strcmp(c.session_token, "tokcont") &&
          !strcmp(c.source, "container"), "container credentials (%s)", why);
    CHECK(strstr(log, "Authorization: container-auth-token") != NULL,
          "container authorization token sent");
    free(log);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://198.51.100.7/creds", 1);
    CHECK(get(NULL, &c, why, sizeof(why)) == RIP_EINVAL && strstr(why, "loopback"),
          "container FULL_URI over plain http to a remote host refused");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    rc = get(NULL, &c, why, sizeof(why));
    log = fake_log(&s);
    CHECK(rc == 0 && !strcmp(c.access_key_id, "ASIAIMDS") && !strcmp(c.source, "imds"),
          "IMDSv2 credentials (%s)", why);
    CHECK(strstr(log, "PUT /latest/api/token") &&
          strstr(log, "X-aws-ec2-metadata-token-ttl-seconds: 21600") &&
          fake_count(log, "X-aws-ec2-metadata-token: imds-session-token") == 2,
          "IMDSv2: token PUT, then both GETs carry the token");
    free(log);

    /* Cache: a second get inside the validity window makes no request. */
    rip_aws_creds_provider p;
    rip_aws_creds_provider_init(&p, NULL, NULL);
    time_t now = time(NULL);
    rip_aws_creds_get(&p, now, &c);
    log = fake_log(&s);
    int before = fake_count(log, "=== ");
    free(log);
    rc = rip_aws_creds_get(&p, now + 60, &c);
    log = fake_log(&s);
    CHECK(rc == 0 && fake_count(log, "=== ") == before, "cached credentials reused");
    free(log);
    /* Five minutes before expiry they are fetched again. */
    rc = rip_aws_creds_get(&p, p.cached.expiration - 200, &c);
    log = fake_log(&s);
    CHECK(rc == 0 && fake_count(log, "=== ") == before + 3, "refreshed before expiry");
    free(log);
    rip_aws_creds_provider_release(&p);
    fake_stop(&s);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void times(void)
{
    time_t t;
    CHECK(rip_aws_parse_time("2015-08-30T12:36:00Z", &t) == 0 && t == 1440938160, "ISO time");
    CHECK(rip_aws_parse_time("2015-08-30T12:36:00.123Z", &t) == 0 && t == 1440938160,
          "fractional seconds");
    CHECK(rip_aws_parse_time("2015-08-30T14:36:00+02:00", &t) == 0 && t == 1440938160,
          "offset");
    CHECK(rip_aws_parse_time("2015-08-30", &t) == RIP_ESYNTAX, "date alone refused");
}

/* Client settings from the profile: endpoint_url, retry_mode,
 * max_attempts; the environment wins; SSO profiles are refused clearly. */
static void profile_settings(void)
{
    clean_env();
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_RETRY_MODE");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    write_file("config", "[profile local]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:4566\n"
                         "max_attempts = 7\nretry_mode = standard\n"
                         "[profile old]\nretry_mode = legacy\n"
                         "[profile fast]\nretry_mode = adaptive\nmax_attempts = 1\n"
                         "[profile bad]\nmax_attempts = many\n"
                         "[profile badmode]\nretry_mode = eager\n"
                         "[profile badurl]\nendpoint_url = ftp://x\n"
                         "[profile ignored]\nendpoint_url = http://127.0.0.1:1\n"
                         "ignore_configured_endpoint_urls = true\n"
                         "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n"
                         "sso_role_name = Responder\n[sso-session corp]\n"
                         "sso_start_url = https://corp.awsapps.com/start\n"
                         "[profile legacy-sso]\nsso_start_url = https://corp.awsapps.com/start\n");
    rip_aws_client c;
    char err[512];
    rip_aws_client_init(&c, "us-east-1");
    int rc = rip_aws_client_use_profile(&c, "local", err, sizeof(err));
    CHECK(rc == 0 && !strcmp(c.endpoint_url, "http://127.0.0.1:4566") && c.max_attempts == 7 &&
          c.retry_mode == RIP_AWS_RETRY_STANDARD, "profile endpoint_url, max_attempts, retry_mode (%s)",
          err);
    char region[64];
    CHECK(rip_aws_config_get("local", "region", region, sizeof(region)) == 0 &&
          !strcmp(region, "eu-west-3"), "profile region");
    setenv("AWS_MAX_ATTEMPTS", "2", 1);
    rip_aws_client_release(&c);
    rip_aws_client_init(&c, "us-east-1");
    rc = rip_aws_client_use_profile(&c, "local", err, sizeof(err));
    CHECK(rc == 0 && c.max_attempts == 2, "AWS_MAX_ATTEMPTS beats the profile's max_attempts");
    unsetenv("AWS_MAX_ATTEMPTS");
    rip_aws_client_release(&c);
    rip_aws_client_init(&c, "us-east-1");
    rc = rip_aws_client_use_profile(&c, "old", err, sizeof(err));
    CHECK(rc == 0 && c.retry_mode == RIP_AWS_RETRY_LEGACY && c.max_attempts == 5 &&
          !c.endpoint_url[0], "retry_mode legacy: 5 attempts, no endpoint");
    rip_aws_client_release(&c);
    rip_aws_client_init(&c, "us-east-1");
    rc = rip_aws_client_use_profile(&c, "fast", err, sizeof(err));
    CHECK(rc == 0 && c.retry_mode == RIP_AWS_RETRY_STANDARD && c.max_attempts == 1,
          "retry_mode adaptive runs as standard; max_attempts 1");
    setenv("AWS_RETRY_MODE", "legacy", 1);
    rc = rip_aws_client_use_profile(&c, "fast", err, sizeof(err));
    CHECK(rc == 0 && c.retry_mode == RIP_AWS_RETRY_LEGACY && c.max_attempts == 1,
          "AWS_RETRY_MODE beats the profile");
    unsetenv("AWS_RETRY_MODE");
    rc = rip_aws_client_use_profile(&c, "bad", err, sizeof(err));
    CHECK(rc == RIP_EINVAL && strstr(err, "profile 'bad'") && strstr(err, "max_attempts 'many'"),
          "bad max_attempts names profile and value (%s)", err);
    rc = rip_aws_client_use_profile(&c, "badmode", err, sizeof(err));
    CHECK(rc == RIP_EINVAL && strstr(err, "retry_mode 'eager'"), "bad retry_mode (%s)", err);
    rc = rip_aws_client_use_profile(&c, "badurl", err, sizeof(err));
    CHECK(rc == RIP_EINVAL && strstr(err, "endpoint_url"), "bad endpoint_url (%s)", err);
    rip_aws_client_release(&c);
    rip_aws_client_init(&c, "us-east-1");
    rc = rip_aws_client_use_profile(&c, "ignored", err, sizeof(err));
    CHECK(rc == 0 && !c.endpoint_url[0], "ignore_configured_endpoint_urls = true");
    rip_aws_client_release(&c);

    rip_aws_creds cr;
    char why[512];
    rc = get("sso", &cr, why, sizeof(why));
    CHECK(rc == RIP_EINVAL && strstr(why, "profile 'sso'") && strstr(why, "SSO") &&
          strstr(why, "does not support"), "sso_session profile: clear 'not supported' (%s)", why);
    rc = get("legacy-sso", &cr, why, sizeof(why));
    CHECK(rc == RIP_EINVAL && strstr(why, "SSO"), "sso_start_url profile: clear 'not supported'");
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/riposte-creds-XXXXXX");
    if (!mkdtemp(dir)) {
        tap_check(0, "temp dir");
        return tap_done();
    }
    times();
    files_and_env();
    sts_profiles();
    container_and_imds();
    profile_settings();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
