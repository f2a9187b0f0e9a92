/* test-events-cli.c — `riposte events` as a user runs it: the built binary
 * (next to this test's folder: <build>/riposte, or $RIPOSTE_BIN) over
 * riposte's own examples/data and small inputs on stdin; checks stdout,
 * stderr and exit codes. */
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static char bin[PATH_MAX];

typedef struct result {
    int status;
    char out[1 << 16];
    char err[1 << 14];
    size_t nout, nerr;
} result;

static result res;

/* Runs "riposte ARGS" through sh with stdin from `input` (may be NULL). */
static int run(const char *args, const char *input)
{
    char cmd[PATH_MAX * 2], errfile[] = "/tmp/riposte-test-XXXXXX", infile[] = "/tmp/riposte-in-XXXXXX";
    int efd = mkstemp(errfile), ifd = -1;
    if (efd < 0)
        return -1;
    close(efd);
    if (input) {
        ifd = mkstemp(infile);
        if (ifd < 0 || write(ifd, input, strlen(input)) < 0)
            return -1;
        close(ifd);
    }
    snprintf(cmd, sizeof(cmd), "{ cd '%s' && '%s' %s; } <%s 2>'%s'", RIPOSTE_SOURCE_ROOT, bin, args,
             input ? infile : "/dev/null", errfile);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    res.nout = fread(res.out, 1, sizeof(res.out) - 1, p);
    res.out[res.nout] = '\0';
    while (fgetc(p) != EOF)
        ;
    int st = pclose(p);
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    FILE *e = fopen(errfile, "r");
    res.nerr = e ? fread(res.err, 1, sizeof(res.err) - 1, e) : 0;
    res.err[res.nerr] = '\0';
    if (e)
        fclose(e);
    unlink(errfile);
    if (input)
        unlink(infile);
    return res.status;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

int main(void)
{
    const char *env = getenv("RIPOSTE_BIN");
    if (env && *env) {
        snprintf(bin, sizeof(bin), "%s", env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0) {
            tap_skip("cannot find the riposte binary # set RIPOSTE_BIN");
            return tap_done();
        }
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        *slash = '\0';                    /* <build>/tests */
        slash = strrchr(self, '/');
        *slash = '\0';                    /* <build> */
        size_t sl = strlen(self);
        if (sl + sizeof("/riposte") > sizeof(bin)) {
            CHECK(0, "build path fits in PATH_MAX");
            return tap_done();
        }
        memcpy(bin, self, sl);
        memcpy(bin + sl, "/riposte", sizeof("/riposte"));
    }
    if (access(bin, X_OK) != 0) {
        CHECK(0, "riposte binary at %s", bin);
        return tap_done();
    }

    run("events --help", NULL);
    CHECK(res.status == 0 && strstr(res.out, "usage: riposte events") && strstr(res.out, "exit status") &&
          strstr(res.out, "CloudTrail") && strstr(res.out, "GuardDuty") && strstr(res.out, "Pub/Sub") &&
          strstr(res.out, "examples:"), "events --help teaches formats, examples, exit codes");
    run("--help", NULL);
    CHECK(res.status == 0 && strstr(res.out, "events"), "riposte --help lists events");

    run("events examples/data", NULL);
    CHECK(res.status == 1, "examples/data: exit 1 (one record rejected on purpose), got %d", res.status);
    CHECK(count_lines(res.out) == 16, "examples/data: 16 events in jsonl (got %d)", count_lines(res.out));
    CHECK(strstr(res.err, "riposte: 'examples/data/cloudtrail-stream.jsonl' record 2 (line 2, column") != NULL,
          "the bad record is named with file, record and line");
    CHECK(strstr(res.err, "16 events decoded, 0 skipped, 1 error") != NULL, "counts at the end");
    CHECK(strstr(res.out, "\"raw\":{") && strstr(res.out, "\"format\":\"cloudtrail\"") &&
          strstr(res.out, "\"format\":\"guardduty\"") && strstr(res.out, "\"format\":\"asff\"") &&
          strstr(res.out, "\"format\":\"gcp_audit\""), "jsonl has every format and the raw record");
    CHECK(strstr(res.out, "\"session_issuer\":\"arn:aws:iam::111122223333:role/deploy\"") != NULL,
          "jsonl carries the session issuer");

    run("events --no-raw --format=jsonl examples/data/securityhub-findings.json", NULL);
    CHECK(res.status == 0 && count_lines(res.out) == 3 && !strstr(res.out, "\"raw\""),
          "--no-raw leaves raw out");

    run("events --format text examples/data/eventbridge-guardduty-finding.json", NULL);
    CHECK(res.status == 0 && strstr(res.out, "guardduty 111122223333 us-east-1 HIGH 8.0 UnauthorizedAccess:") != NULL,
          "text line for a finding");

    run("events --format text -",
        "{\"eventName\":\"A\",\"eventSource\":\"iam.amazonaws.com\",\"eventTime\":\"2024-01-01T00:00:00Z\"}\n"
        "not json\n"
        "{\"eventName\":\"B\",\"eventSource\":\"iam.amazonaws.com\",\"eventTime\":\"2024-01-01T00:00:01Z\"}\n");
    CHECK(res.status == 1 && count_lines(res.out) == 2 && strstr(res.err, "'-' record 2 (line 2"),
          "stdin NDJSON with a bad line: exit 1, 2 events, error named");

    run("events -", "{\"just\":\"json\"}");
    CHECK(res.status == 2 && strstr(res.err, "unrecognized"), "nothing usable: exit 2");
    run("events no/such/file.json", NULL);
    CHECK(res.status == 2 && strstr(res.err, "cannot read 'no/such/file.json'"), "missing file: exit 2, named");
    run("events --bogus x", NULL);
    CHECK(res.status == 2 && strstr(res.err, "unknown option '--bogus'"), "unknown option: exit 2");
    run("events --format xml x", NULL);
    CHECK(res.status == 2 && strstr(res.err, "unknown format 'xml'"), "bad --format: exit 2");
    run("events", NULL);
    CHECK(res.status == 2 && strstr(res.err, "no input"), "no PATH: exit 2");
    run("events -", "");
    CHECK(res.status == 0 && res.nout == 0, "empty stdin: nothing, exit 0");
    return tap_done();
}
