/* test-store-crash.c — kill -9 `riposte ingest` at random moments, re-ingest,
 * and check with the sqlite3 shell (not riposte) that:
 *   - after every kill, every event the killed run had acknowledged as
 *     durable (its --progress lines) is in the database;
 *   - at the end, the stored set of eventIDs equals the input set, with no
 *     duplicates, and the database passes integrity_check.
 *
 * The log is generated here: FILES NDJSON files of CloudTrail records with
 * unique eventIDs. Each run gets the files in a new random order, so kills
 * land in different places of the data. The first kills come within a few
 * milliseconds of the start, while the schema is being created.
 *
 * RIPOSTE_CRASH_SEED=N replays a run; the seed is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#ifndef RIPOSTE_EXE
#error "RIPOSTE_EXE must name the riposte program (tests/meson.build sets it)"
#endif

#define FILES 6
#define PER_FILE 5000
#define TOTAL (FILES * PER_FILE)
#define KILLS 24
#define MAX_ATTEMPTS 60

static char dir[] = "/tmp/riposte-crash-XXXXXX";
static char db[600], progress[600];
static char files[FILES][600];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void event_id(char *out, size_t n, int file, int line)
{
    snprintf(out, n, "c0ffee00-%04d-4000-8000-%012d", file, line);
}

static int generate(void)
{
    static const char *const names[] = { "GetObject", "ListBuckets", "DescribeInstances",
                                         "AssumeRole", "PutObject", "GetCallerIdentity" };
    for (int f = 0; f < FILES; f++) {
        snprintf(files[f], sizeof(files[f]), "%s/trail-%02d.jsonl", dir, f);
        FILE *out = fopen(files[f], "w");
        if (!out)
            return -1;
        for (int i = 0; i < PER_FILE; i++) {
            char id[64];
            event_id(id, sizeof(id), f, i);
            int user = (f * PER_FILE + i) % 97;
            fprintf(out,
                "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
                "\"principalId\":\"AIDA%016d\",\"arn\":\"arn:aws:iam::123456789012:user/u%d\","
                "\"accountId\":\"123456789012\",\"accessKeyId\":\"AKIA%016d\",\"userName\":\"u%d\"},"
                "\"eventTime\":\"2024-05-%02dT%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\","
                "\"eventName\":\"%s\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.%d\","
                "\"userAgent\":\"aws-cli/2.15.0 Python/3.11.6\",\"requestParameters\":{\"bucketName\":"
                "\"bucket-%d\",\"key\":\"data/%d.csv\"},\"responseElements\":null,"
                "\"requestID\":\"%08X%08X\",\"eventID\":\"%s\",\"readOnly\":true,"
                "\"resources\":[{\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bucket-%d\"}],"
                "\"eventType\":\"AwsApiCall\",\"managementEvent\":false,"
                "\"recipientAccountId\":\"123456789012\",\"eventCategory\":\"Data\"}\n",
                user, user, user, user, 1 + f, i / 3600 % 24, i / 60 % 60, i % 60,
                names[i % 6], user, user % 13, i, (unsigned)f, (unsigned)i, id, user % 13);
        }
        if (fclose(out) != 0)
            return -1;
    }
    return 0;
}

/* Starts riposte ingest over the files in order[]; stderr (the --progress
 * lines) goes to the progress file. Returns the child's pid or -1. */
static pid_t start_ingest(const int *order)
{
    char *argv[FILES + 8];
    int n = 0;
    argv[n++] = (char *)RIPOSTE_EXE;
    argv[n++] = (char *)"ingest";
    argv[n++] = (char *)"--db";
    argv[n++] = db;
    argv[n++] = (char *)"--progress";
    for (int i = 0; i < FILES; i++)
        argv[n++] = files[order[i]];
    argv[n] = NULL;
    /* Empty it here: a child killed before it opens the file must not
     * leave the previous run's lines behind. */
    int fd = open(progress, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        int out = open("/dev/null", O_WRONLY);
        int err = open(progress, O_WRONLY);
        if (out < 0 || err < 0)
            _exit(127);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* The highest "N events durable" the last run printed. */
static long acknowledged(void)
{
    FILE *f = fopen(progress, "r");
    char line[512];
    long best = 0, n;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "riposte: ingest: %ld events durable", &n) == 1 && n > best)
            best = n;
    fclose(f);
    return best;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct idset {
    char **ids;
    size_t n, alloc;
    int ok;      /* the query ran */
} idset;

static void idset_free(idset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ids[i]);
    free(s->ids);
    memset(s, 0, sizeof(*s));
}

/* Runs sql through the sqlite3 shell (or Python's sqlite3 when the shell is
 * missing) and collects one value per output line. */
static idset run_sql(const char *sql)
{
    idset s = { 0 };
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "if command -v sqlite3 >/dev/null 2>&1; then sqlite3 -batch -noheader '%s' \"%s\";"
             " else python3 -c 'import sqlite3,sys\n"
             "for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(r[0])' '%s' \"%s\"; fi",
             db, sql, db, sql);
    FILE *p = popen(cmd, "r");
    char line[256];
    if (!p)
        return s;
    while (fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (s.n == s.alloc) {
            s.alloc = s.alloc ? 2 * s.alloc : 1024;
            s.ids = realloc(s.ids, s.alloc * sizeof(*s.ids));
            if (!s.ids)
                abort();
        }
        s.ids[s.n++] = strdup(line);
    }
    s.ok = pclose(p) == 0;
    qsort(s.ids, s.n, sizeof(*s.ids), cmp_str);
    return s;
}

static int contains(const idset *s, const char *id)
{
    return bsearch(&id, s->ids, s->n, sizeof(*s->ids), cmp_str) != NULL;
}

static void shuffle(int *order)
{
    for (int i = FILES - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* Every event among the first `acked` of this run's input order is stored. */
static long missing_acked(const int *order, long acked, const idset *stored)
{
    long missing = 0, k = 0;
    char id[64];
    for (int f = 0; f < FILES && k < acked; f++)
        for (int i = 0; i < PER_FILE && k < acked; i++, k++) {
            event_id(id, sizeof(id), order[f], i);
            if (!contains(stored, id)) {
                if (missing < 3)
                    tap_diag("acknowledged but not stored: %s", id);
                missing++;
            }
        }
    return missing;
}

int main(void)
{
    int order[FILES];
    const char *seed_env = getenv("RIPOSTE_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
                             : (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    tap_diag("seed %u (RIPOSTE_CRASH_SEED=%u replays it)", seed, seed);

    if (access(RIPOSTE_EXE, X_OK) != 0) {
        CHECK(0, "crash: %s is not a program", RIPOSTE_EXE);
        return tap_done();
    }
    if (!mkdtemp(dir) || generate() != 0) {
        CHECK(0, "crash: generating the log in %s: %s", dir, strerror(errno));
        return tap_done();
    }
    snprintf(progress, sizeof(progress), "%s/progress.txt", dir);
    for (int i = 0; i < FILES; i++)
        order[i] = i;

    /* Calibrate: how long does one whole ingest take here (ASan is slower)? */
    snprintf(db, sizeof(db), "%s/calibrate.db", dir);
    double t0 = now_s();
    pid_t pid = start_ingest(order);
    int status = 0;
    waitpid(pid, &status, 0);
    double full = now_s() - t0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && acknowledged() == TOTAL,
          "crash: a whole ingest of %d events takes %.2f s and acknowledges all", TOTAL, full);
    snprintf(db, sizeof(db), "%s/crash.db", dir);

    /* A run over a database that already holds everything is faster (all
     * duplicates); `span` follows the duration of the runs as they get
     * shorter, so kills keep landing inside a run. */
    int kills = 0, attempts = 0, bad = 0;
    double span = full;
    while (kills < KILLS && attempts < MAX_ATTEMPTS) {
        attempts++;
        shuffle(order);
        /* The first kills hit the opening and schema creation; the rest
         * land anywhere in a run. */
        double delay = kills < 3 ? (double)(rand() % 4000) / 1e6
                                 : span * (double)(rand() % 950) / 1000.0;
        double start = now_s();
        pid = start_ingest(order);
        if (pid < 0) {
            CHECK(0, "crash: fork: %s", strerror(errno));
            break;
        }
        pid_t done = 0;
        while ((done = waitpid(pid, &status, WNOHANG)) == 0 && now_s() - start < delay)
            usleep(500);
        if (done == pid) {
            double took = now_s() - start;
            tap_diag("run %d finished in %.0f ms, before its kill at %.0f ms", attempts,
                     took * 1e3, delay * 1e3);
            if (took < span)
                span = took;
            continue;
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        kills++;
        long acked = acknowledged();
        if (acked == 0) {
            /* Killed before the first commit: nothing was promised, but the
             * file must still be a sound database. */
            idset check = run_sql("PRAGMA quick_check");
            bad += !CHECK(check.ok && check.n == 1 && !strcmp(check.ids[0], "ok"),
                          "crash: kill %d at %.1f ms, before any acknowledgement: the"
                          " database is sound", kills, delay * 1e3);
            idset_free(&check);
            continue;
        }
        idset stored = run_sql("SELECT provider_id FROM events");
        long missing = missing_acked(order, acked, &stored);
        bad += !CHECK(stored.ok && missing == 0,
                      "crash: kill %d at %.0f ms: the %ld acknowledged events are stored (%zu rows)",
                      kills, delay * 1e3, acked, stored.n);
        idset_free(&stored);
    }
    CHECK(kills >= 20, "crash: %d kills -9 in %d runs", kills, attempts);

    /* Finish: one more ingest runs to the end. */
    shuffle(order);
    pid = start_ingest(order);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "crash: the last ingest completes");

    idset stored = run_sql("SELECT provider_id FROM events");
    int equal = stored.ok && stored.n == TOTAL;
    long absent = 0;
    for (int f = 0; f < FILES; f++)
        for (int i = 0; i < PER_FILE; i++) {
            char id[64];
            event_id(id, sizeof(id), f, i);
            if (!contains(&stored, id))
                absent++;
        }
    CHECK(equal && absent == 0, "crash: stored eventIDs equal the %d input eventIDs (%zu rows, %ld missing)",
          TOTAL, stored.n, absent);
    size_t dups = 0;
    for (size_t i = 1; i < stored.n; i++)
        dups += !strcmp(stored.ids[i - 1], stored.ids[i]);
    CHECK(stored.ok && dups == 0, "crash: no eventID is stored twice");
    idset_free(&stored);

    idset rows = run_sql("SELECT COUNT(DISTINCT event_id) FROM event_resources");
    CHECK(rows.ok && rows.n == 1 && atol(rows.ids[0]) == TOTAL,
          "crash: every event has its resources (%s events with some)", rows.n ? rows.ids[0] : "?");
    idset_free(&rows);
    rows = run_sql("SELECT COUNT(*) FROM (SELECT event_id, type, resource_id, arn, COUNT(*) AS c"
                   " FROM event_resources GROUP BY event_id, type, resource_id, arn) AS g"
                   " WHERE c > 1");
    CHECK(rows.ok && rows.n == 1 && atol(rows.ids[0]) == 0,
          "crash: no resource row is stored twice");
    idset_free(&rows);
    idset check = run_sql("PRAGMA integrity_check");
    CHECK(check.ok && check.n == 1 && !strcmp(check.ids[0], "ok"),
          "crash: the database passes integrity_check");
    idset_free(&check);

    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (!bad && system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    else if (bad)
        tap_diag("kept %s for inspection", dir);
    return tap_done();
}
