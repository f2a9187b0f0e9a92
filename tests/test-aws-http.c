/* test-aws-http.c — the AWS client against a scripted loopback server:
 * endpoints and overrides, signing headers on the wire, connection reuse,
 * the standard retry mode (backoff bounds, throttling, quota), AWS error
 * shapes, response caps, and that secrets never reach errors or the log. */
#include <stdlib.h>
#include <string.h>

#include "cloud/aws-creds.h"
#include "cloud/aws-http.h"
#include "cloud/aws-proto.h"
#include "cloud/curl-load.h"
#include "tests/aws-fake-server.h"
#include "tests/tap.h"
#include "util/err.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTSECRET"
#define TOKEN "FQoGZXIvYXdzEXAMPLESESSIONTOKEN1234567890"

static long sleeps[16];
static int nsleeps;
static void fake_sleep(long ms)
{
    if (nsleeps < 16)
        sleeps[nsleeps++] = ms;
}

static rip_buf logbuf = RIP_BUF_INIT;
static void capture_log(void *ctx, const char *line)
{
    (void)ctx;
    rip_buf_adds(&logbuf, line);
    rip_buf_addc(&logbuf, '\n');
}

static const rip_aws_creds creds = {
    .access_key_id = "AKIDTESTKEY",
    .secret_access_key = SECRET,
    .session_token = TOKEN,
};

static void client_for(rip_aws_client *c, const fake_server *s)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->port);
    setenv("AWS_ENDPOINT_URL", url, 1);
    rip_aws_client_init(c, "eu-west-1");
    c->creds = &creds;
    c->sleep_ms = fake_sleep;
    c->log = capture_log;
    nsleeps = 0;
}

static void endpoints(void)
{
    rip_buf u = RIP_BUF_INIT;
    const char *sr;
    bool custom;
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_EC2");
    rip_aws_endpoint("ec2", "eu-west-1", NULL, &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "https://ec2.eu-west-1.amazonaws.com") && !custom &&
          !strcmp(sr, "eu-west-1"), "regional endpoint (%s)", u.ptr);
    rip_aws_endpoint("iam", "eu-west-1", NULL, &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "https://iam.amazonaws.com") && !strcmp(sr, "us-east-1"),
          "iam is global, signed for us-east-1");
    rip_aws_endpoint("sts", "cn-north-1", NULL, &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "https://sts.cn-north-1.amazonaws.com.cn"), "china partition (%s)", u.ptr);
    setenv("AWS_ENDPOINT_URL", "http://localhost:4566/", 1);
    setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9999", 1);
    rip_aws_endpoint("ec2", "eu-west-1", NULL, &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "http://127.0.0.1:9999") && custom, "AWS_ENDPOINT_URL_EC2 wins");
    rip_aws_endpoint("s3", "eu-west-1", NULL, &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "http://localhost:4566") && custom,
          "AWS_ENDPOINT_URL for the others, trailing slash dropped");
    setenv("AWS_ENDPOINT_URL_S3_CONTROL", "http://s3c:1", 1);
    rip_aws_endpoint("s3control", "eu-west-1", NULL, &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "http://s3c:1"), "AWS_ENDPOINT_URL_S3_CONTROL");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    rip_aws_endpoint("ec2", "eu-west-1", NULL, &u, &sr, &custom);
    CHECK(!custom, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    rip_aws_endpoint("ec2", "eu-west-1", "http://profile:1", &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "http://127.0.0.1:9999") && custom,
          "AWS_ENDPOINT_URL_EC2 beats the profile's endpoint_url");
    unsetenv("AWS_ENDPOINT_URL_EC2");
    unsetenv("AWS_ENDPOINT_URL_S3_CONTROL");
    rip_aws_endpoint("ec2", "eu-west-1", "http://profile:1", &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "http://localhost:4566"), "AWS_ENDPOINT_URL beats the profile's endpoint_url");
    unsetenv("AWS_ENDPOINT_URL");
    rip_aws_endpoint("ec2", "eu-west-1", "http://profile:1/", &u, &sr, &custom);
    CHECK(!strcmp(u.ptr, "http://profile:1") && custom, "the profile's endpoint_url is used last");
    rip_aws_endpoint("ec2", "eu-west-1", "", &u, &sr, &custom);
    CHECK(!custom && !strcmp(u.ptr, "https://ec2.eu-west-1.amazonaws.com"),
          "empty profile endpoint_url means none");
    rip_buf_release(&u);
}

static void signing_and_reuse(void)
{
    fake_route routes[] = {
        { "POST", "/", 200, "x-amzn-RequestId: req-ok\r\n",
          "<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>", -1 },
    };
    fake_server s;
    if (fake_start(&s, routes, 1) < 0) {
        tap_check(0, "fake server starts");
        return;
    }
    rip_aws_client c;
    client_for(&c, &s);
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_error err;
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        rip_aws_params_init(&p, "DescribeRegions", "2016-11-15");
        rip_aws_params_add(&p, "RegionName.1", "eu west/1");
        rip_aws_xml_init(&x);
        ok &= rip_aws_query(&c, "ec2", &p, &x, &err) == 0 && x.root &&
              !strcmp(x.root->name, "DescribeRegionsResponse");
        rip_aws_xml_release(&x);
        rip_aws_params_release(&p);
    }
    CHECK(ok, "three query calls succeed");
    char *log = fake_log(&s);
    CHECK(fake_count(log, "=== 1 POST") == 3 && fake_count(log, "=== 2 ") == 0,
          "one connection reused for three calls");
    CHECK(strstr(log, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/") &&
          strstr(log, "/eu-west-1/ec2/aws4_request, SignedHeaders=content-type;host;"
                      "x-amz-date;x-amz-security-token, Signature="),
          "Authorization header with scope and signed headers");
    CHECK(strstr(log, "X-Amz-Security-Token: " TOKEN) != NULL, "session token sent");
    CHECK(strstr(log, "Action=DescribeRegions&Version=2016-11-15&RegionName.1=eu%20west%2F1"),
          "query body form-encoded");
    free(log);
    rip_aws_client_release(&c);
    fake_stop(&s);
}

static void retries(void)
{
    fake_route routes[] = {
        { "POST", "/", 503, NULL, "<Error><Code>ServiceUnavailable</Code></Error>", 2 },
        { "POST", "/", 200, NULL, "<OkResponse/>", -1 },
    };
    fake_server s;
    fake_start(&s, routes, 2);
    rip_aws_client c;
    client_for(&c, &s);
    rip_aws_response resp;
    rip_aws_error err;
    rip_aws_response_init(&resp);
    rip_aws_request r = { .service = "ec2", .method = "POST", .path = "/", .body = "Action=X",
                          .body_len = 8 };
    int rc = rip_aws_send(&c, &r, &resp, &err);
    CHECK(rc == 0 && resp.status == 200 && err.attempts == 3, "503 twice then 200: success on "
          "attempt 3 (rc %d, attempts %d)", rc, err.attempts);
    CHECK(nsleeps == 2 && sleeps[0] >= 0 && sleeps[0] < 50 && sleeps[1] >= 0 && sleeps[1] < 100,
          "transient backoff: full jitter below 50 ms then 100 ms (%ld, %ld)", sleeps[0], sleeps[1]);
    CHECK(c.quota == 500 - 14 - 14 + 14, "retry quota: 14 per retry, cost returned on success "
          "(%d)", c.quota);
    rip_aws_client_release(&c);
    fake_stop(&s);

    fake_route throttle[] = {
        { "POST", "/", 400, NULL,
          "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
          "<RequestId>r-1</RequestId></ErrorResponse>", -1 },
    };
    fake_start(&s, throttle, 1);
    client_for(&c, &s);
    rc = rip_aws_send(&c, &r, &resp, &err);
    CHECK(rc == RIP_EIO && err.attempts == 3 && !strcmp(err.code, "Throttling") &&
          !strcmp(err.request_id, "r-1") && err.status == 400,
          "throttling retried up to 3 attempts, then code + message + request id");
    CHECK(nsleeps == 2 && sleeps[0] < 1000 && sleeps[1] < 2000,
          "throttling backoff base 1 s (%ld, %ld)", sleeps[0], sleeps[1]);
    CHECK(c.quota == 500 - 5 - 5, "throttling retries cost 5 (%d)", c.quota);
    c.quota = 4;
    nsleeps = 0;
    rc = rip_aws_send(&c, &r, &resp, &err);
    CHECK(rc == RIP_EIO && err.attempts == 1 && nsleeps == 0,
          "no retry once the quota is exhausted");
    rip_aws_client_release(&c);
    fake_stop(&s);

    fake_route denied[] = {
        { "POST", "/", 403, "x-amzn-RequestId: rq-9\r\n",
          "{\"__type\":\"com.amazon.coral#AccessDeniedException\",\"message\":\"no: {AUTH}\"}", -1 },
    };
    fake_start(&s, denied, 1);
    client_for(&c, &s);
    rip_buf_reset(&logbuf);
    rc = rip_aws_send(&c, &r, &resp, &err);
    CHECK(rc == RIP_EIO && err.attempts == 1 && !strcmp(err.code, "AccessDeniedException") &&
          !strcmp(err.request_id, "rq-9"), "4xx not retried; JSON error shape and request id "
          "header");
    CHECK(strstr(err.message, "Signature=<redacted>") && !strstr(err.message, SECRET),
          "a signature echoed by the server is scrubbed from the error (%s)", err.message);
    CHECK(!strstr(logbuf.ptr, SECRET) && !strstr(logbuf.ptr, TOKEN) &&
          fake_count(logbuf.ptr, "Signature=") == fake_count(logbuf.ptr, "Signature=<redacted>") &&
          strstr(logbuf.ptr, "403"),
          "verbose log has status but no secret, token or signature");
    rip_aws_client_release(&c);
    fake_stop(&s);

    fake_route big[] = { { "GET", "/", 200, NULL,
                           "0123456789012345678901234567890123456789012345678901234567890123456789",
                           -1 } };
    fake_start(&s, big, 1);
    client_for(&c, &s);
    c.max_response = 16;
    rip_aws_request g = { .service = "s3", .method = "GET", .path = "/bucket" };
    rc = rip_aws_send(&c, &g, &resp, &err);
    CHECK(rc == RIP_ELIMIT && err.attempts == 1, "response over the cap refused, not retried");
    rip_aws_client_release(&c);
    fake_stop(&s);

    /* Nothing listens on this port once the server is gone. */
    client_for(&c, &s);
    rc = rip_aws_send(&c, &g, &resp, &err);
    CHECK(rc == RIP_EIO && err.status == 0 && err.attempts == 3 && err.message[0],
          "transport errors retried (%s)", err.message);
    rip_aws_client_release(&c);
    rip_aws_response_release(&resp);
}

static void s3_wire(void)
{
    fake_route routes[] = { { "PUT", "/", 200, NULL, "", -1 } };
    fake_server s;
    fake_start(&s, routes, 1);
    rip_aws_client c;
    client_for(&c, &s);
    rip_buf path = RIP_BUF_INIT;
    rip_aws_s3_path(&path, "my-bucket", "dir/a b+c.txt");
    rip_aws_response resp;
    rip_aws_error err;
    rip_aws_response_init(&resp);
    int rc = rip_aws_rest(&c, "s3", "PUT", path.ptr, "acl=", NULL, 0, NULL, 0, &resp, &err);
    char *log = fake_log(&s);
    CHECK(rc == 0 && strstr(log, "PUT /my-bucket/dir/a%20b%2Bc.txt?acl= ") &&
          strstr(log, "X-Amz-Content-SHA256: e3b0c442") &&
          strstr(log, "/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                      "x-amz-security-token,"),
          "s3: path-style, key encoded once, payload hash header signed");
    free(log);
    rip_aws_response_release(&resp);
    rip_buf_release(&path);
    rip_aws_client_release(&c);
    fake_stop(&s);
}

/* The response sink every HTTP client of riposte's writes bodies with:
 * past its max, or past the buffer's own cap, it stops the transfer and
 * keeps what it had. */
static void body_sink(void)
{
    char chunk[6] = "abcdef";
    rip_buf b = RIP_BUF_INIT;
    rip_curl_sink k = { &b, 10, 0 };
    size_t a = rip_curl_sink_write(chunk, 1, 6, &k);
    size_t c = rip_curl_sink_write(chunk, 2, 3, &k);
    CHECK(a == 6 && c == 0 && k.too_big && b.len == 6 && !strcmp(b.ptr, "abcdef"),
          "sink: a write past max stops the transfer and keeps the 6 bytes before it");
    rip_buf_release(&b);
    rip_buf capped;
    rip_buf_init(&capped, 8);
    rip_curl_sink u = { &capped, 0, 0 };
    a = rip_curl_sink_write(chunk, 1, 6, &u);
    c = rip_curl_sink_write(chunk, 1, 6, &u);
    CHECK(a == 6 && c == 0 && u.too_big && capped.len == 6,
          "sink: with max 0 the buffer's own cap is the limit");
    rip_buf_release(&capped);
}

int main(void)
{
    body_sink();
    endpoints();
    signing_and_reuse();
    retries();
    s3_wire();
    rip_buf_release(&logbuf);
    return tap_done();
}
