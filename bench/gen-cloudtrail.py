#!/usr/bin/env python3
"""gen-cloudtrail.py — realistic synthetic CloudTrail records for the benchmarks.

The records have the field structure, key order and sizes of real CloudTrail
(eventVersion 1.09/1.10, userIdentity of type AssumedRole/IAMUser/AWSService/
Root with sessionContext, tlsDetails, resources, additionalEventData, data
events, errors) and a realistic mix: mostly read-only Describe*/Get*/List*,
AssumeRole, KMS and S3 data events, a small fraction of security-relevant
writes (security groups, access keys, bucket policies, console logins) and a
very few StopLogging/DeleteTrail calls, so a one-rule jq or grep finds hits.

Output is deterministic for a given seed and compact (no spaces), as AWS
writes it. Python stdlib only; records are assembled from precomputed JSON
fragments by string concatenation (no json.dumps per record).

usage:
  gen-cloudtrail.py --objects DIR --count N        N S3-style gzipped objects
        DIR/AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/
            <acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<rand>.json.gz
        each {"Records":[...]} with 100-300 records
  gen-cloudtrail.py --ndjson FILE --mb M           one record per line, M MB
  gen-cloudtrail.py --records-json FILE --mb M     {"Records":[...]} objects,
        one per line (100-300 records each), M MB: the JSON benchmark's input
options: --seed S (default 1), --stats (print the event mix to stderr)
"""

import argparse
import gzip
import os
import random
import sys
import time

START = 1719792000  # 2024-07-01T00:00:00Z

ACCOUNTS = ["123456789012", "210987654321", "555566667777"]
REGIONS = (["us-east-1"] * 10 + ["us-west-2"] * 4 + ["eu-west-1"] * 3 +
           ["eu-central-1"] * 2 + ["ap-southeast-2", "ap-northeast-1", "us-east-2"])
OBJECT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]

AZ = "abcd"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

USER_AGENTS_SDK = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances",
    "aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off command/s3api.get-bucket-policy",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "Boto3/1.28.57 Python/3.9.16 Linux/4.14.255-318-256.530.amzn2.x86_64 exec-env/AWS_Lambda_python3.9 Botocore/1.31.57",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.150.0",
    "aws-sdk-java/1.12.669 Linux/5.10.209-198.858.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS java/17.0.10 vendor/Amazon.com_Inc. cfg/retry-mode/standard",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.51.1 (go1.21.7; linux; amd64)",
    "aws-sdk-nodejs/2.1571.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x callback",
    "aws-internal/3 aws-sdk-java/1.12.656 Linux/5.10.209-175.812.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard",
]
USER_AGENTS_CONSOLE = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
]

CIPHERS = [("TLSv1.3", "TLS_AES_128_GCM_SHA256")] * 6 + [("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")] * 2 + \
          [("TLSv1.3", "TLS_AES_256_GCM_SHA384")]

ROLE_NAMES = ["OrganizationAccountAccessRole", "eks-node-group-role", "lambda-orders-exec",
              "AWSReservedSSO_AdministratorAccess_4f2c8e1a9b7d3c60", "AWSReservedSSO_ReadOnly_91c0d3b2a4e5f678",
              "github-actions-deploy", "datadog-integration-role", "ecsTaskExecutionRole",
              "terraform-ci", "SecurityAudit-Scanner", "prod-api-instance-role", "backup-service-role"]
SESSION_NAMES = ["i-0a1b2c3d4e5f67890", "botocore-session-1719800000", "GitHubActions", "alice@example.com",
                 "bob@example.com", "aws-go-sdk-1719801234567890000", "1719803333333", "DatadogAWSIntegration",
                 "terraform-run-8812", "AssumeRoleSession"]
USER_NAMES = ["alice", "bob", "carol.ops", "deploy-bot", "ci-runner", "svc-backup", "dave", "eve.admin"]
SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "cloudformation.amazonaws.com",
            "config.amazonaws.com", "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com",
            "cloudtrail.amazonaws.com"]
BUCKETS = ["prod-orders-data", "acme-app-assets", "acme-cloudtrail-logs-123456789012", "ml-training-sets",
           "tf-state-acme", "customer-uploads-eu", "athena-query-results-us-east-1", "backup-vault-archive"]
INSTANCE_TYPES = ["t3.micro", "t3.medium", "m5.large", "m5.xlarge", "c6i.2xlarge", "r6g.large", "p4d.24xlarge"]


# Random characters come from slices of pools drawn once from the seeded
# generator: r.choices() per character would dominate the run time.
POOL_LEN = 1 << 18
_POOLS = {}


def pool_chars(r, alphabet, n):
    p = _POOLS.get(alphabet)
    if p is None:
        p = _POOLS[alphabet] = "".join(random.Random(len(alphabet)).choices(alphabet, k=POOL_LEN + 4096))
    o = r.getrandbits(18)
    return p[o:o + n]


def rand_id(r, prefix, n, alphabet=ALNUM):
    return prefix + pool_chars(r, alphabet, n)


def hexid(r, prefix, n):
    return prefix + "%0*x" % (n, r.getrandbits(4 * n))


def uuid(r):
    h = "%032x" % r.getrandbits(128)
    return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]


def public_ip(r):
    return "%d.%d.%d.%d" % (r.choice((3, 18, 34, 52, 54, 81, 86, 91, 104, 185, 203)), r.randrange(256),
                            r.randrange(256), r.randrange(1, 255))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Clock:
    """Fast eventTime strings: strftime once per hour, the rest by arithmetic."""

    def __init__(self):
        self.hour = -1
        self.prefix = ""

    def fmt(self, t):
        h = t // 3600
        if h != self.hour:
            self.hour = h
            self.prefix = time.strftime("%Y-%m-%dT%H:", time.gmtime(t))
        m, s = divmod(t % 3600, 60)
        return "%s%02d:%02dZ" % (self.prefix, m, s)


# ---- identities: precomputed userIdentity JSON + where they call from ----

class Ident:
    __slots__ = ("kind", "json", "arn", "acct", "ips", "uas", "name", "akid", "service")


def make_identities(r):
    ids = {"role": [], "user": [], "svc": [], "root": [], "console": []}
    for acct in ACCOUNTS:
        for role in ROLE_NAMES:
            for sess in r.sample(SESSION_NAMES, 3):
                i = Ident()
                i.kind = "AssumedRole"
                rid = rand_id(r, "AROA", 17)
                i.akid = rand_id(r, "ASIA", 16)
                i.arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, sess)
                i.acct = acct
                i.name = role
                created = iso(START - r.randrange(3600))
                mfa = "true" if role.startswith("AWSReservedSSO") else "false"
                inst = ',"ec2RoleDelivery":"2.0"' if sess.startswith("i-") else ""
                i.json = ('{"type":"AssumedRole","principalId":"%s:%s","arn":"%s","accountId":"%s",'
                          '"accessKeyId":"%s","sessionContext":{"sessionIssuer":{"type":"Role",'
                          '"principalId":"%s","arn":"arn:aws:iam::%s:role/%s","accountId":"%s",'
                          '"userName":"%s"},"webIdFederationData":{},"attributes":{"creationDate":"%s",'
                          '"mfaAuthenticated":"%s"}%s}}') % (rid, sess, i.arn, acct, i.akid, rid, acct, role,
                                                           acct, role, created, mfa, inst)
                i.ips = [public_ip(r) for _ in range(2)] + (["AWS Internal"] if r.random() < 0.2 else [])
                i.uas = r.sample(USER_AGENTS_SDK, 2)
                i.service = None
                ids["role"].append(i)
        # AWS-managed service-linked sessions (arn ...:assumed-role/aws:...): a few
        i = Ident()
        i.kind = "AssumedRole"
        rid = rand_id(r, "AROA", 17)
        i.akid = rand_id(r, "ASIA", 16)
        i.arn = "arn:aws:sts::%s:assumed-role/aws:ec2-instance/i-0%s" % (acct, hexid(r, "", 16))
        i.acct, i.name, i.service = acct, "aws:ec2-instance", None
        i.json = ('{"type":"AssumedRole","principalId":"%s:i-0abc","arn":"%s","accountId":"%s",'
                  '"accessKeyId":"%s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"%s",'
                  '"arn":"arn:aws:iam::%s:role/aws:ec2-instance","accountId":"%s","userName":"aws:ec2-instance"},'
                  '"attributes":{"creationDate":"%s","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}}') % (
                      rid, i.arn, acct, i.akid, rid, acct, acct, iso(START))
        i.ips, i.uas = ["AWS Internal"], [USER_AGENTS_SDK[2]]
        ids["svc-role"] = ids.get("svc-role", []) + [i]
        for user in USER_NAMES:
            i = Ident()
            i.kind = "IAMUser"
            i.akid = rand_id(r, "AKIA", 16)
            i.arn = "arn:aws:iam::%s:user/%s" % (acct, user)
            i.acct, i.name, i.service = acct, user, None
            i.json = ('{"type":"IAMUser","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"%s",'
                      '"userName":"%s"}') % (rand_id(r, "AIDA", 17), i.arn, acct, i.akid, user)
            i.ips = [public_ip(r) for _ in range(2)]
            i.uas = r.sample(USER_AGENTS_SDK, 2)
            ids["user"].append(i)
            c = Ident()
            c.kind, c.arn, c.acct, c.name, c.service = "IAMUser", i.arn, acct, user, None
            c.akid = rand_id(r, "ASIA", 16)
            c.json = ('{"type":"IAMUser","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"%s",'
                      '"userName":"%s","sessionContext":{"attributes":{"creationDate":"%s","mfaAuthenticated":'
                      '"%s"}}}') % (rand_id(r, "AIDA", 17), c.arn, acct, c.akid, user, iso(START),
                                    "true" if r.random() < 0.7 else "false")
            c.ips, c.uas = i.ips, USER_AGENTS_CONSOLE
            ids["console"].append(c)
        i = Ident()
        i.kind, i.arn, i.acct, i.name, i.service = "Root", "arn:aws:iam::%s:root" % acct, acct, "root", None
        i.akid = rand_id(r, "ASIA", 16)
        i.json = ('{"type":"Root","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"%s",'
                  '"sessionContext":{"attributes":{"creationDate":"%s","mfaAuthenticated":"true"}}}') % (
                      acct, i.arn, acct, i.akid, iso(START))
        i.ips, i.uas = [public_ip(r)], USER_AGENTS_CONSOLE
        ids["root"].append(i)
        for svc in SERVICES:
            i = Ident()
            i.kind, i.arn, i.acct, i.name, i.service, i.akid = "AWSService", "", acct, svc, svc, ""
            i.json = '{"type":"AWSService","invokedBy":"%s"}' % svc
            i.ips, i.uas = [svc], [svc]
            ids["svc"].append(i)
    return ids


# ---- per-event request/response shapes ----
# Each builder returns (requestParameters, responseElements, additionalEventData
# or "", resources or ""), all already JSON text.

def s3_aed(r, out=0):
    return (',"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"ECDHE-RSA-AES128-GCM-SHA256",'
            '"bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"%s",'
            '"bytesTransferredOut":%d}') % (pool_chars(r, B64, 76), out)


def b_describe_instances(r, c):
    if r.random() < 0.5:
        req = '{"instancesSet":{},"filterSet":{}}'
    else:
        items = ",".join('{"instanceId":"i-0%s"}' % hexid(r, "", 16) for _ in range(r.randrange(1, 4)))
        req = '{"instancesSet":{"items":[%s]},"filterSet":{}}' % items
    return req, "null", "", ""


def b_describe_generic(r, c):
    k = r.random()
    if k < 0.4:
        req = '{"maxResults":1000,"filterSet":{}}'
    elif k < 0.7:
        req = ('{"filterSet":{"items":[{"name":"vpc-id","valueSet":{"items":[{"value":"vpc-0%s"}]}}]}}'
               % hexid(r, "", 16))
    else:
        req = '{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"sg-0%s"}]},"filterSet":{}}' % \
              hexid(r, "", 16)
    return req, "null", "", ""


def b_s3_bucket_get(r, c):
    b = r.choice(BUCKETS)
    what = r.choice(("acl", "policy", "location", "versioning", "encryption", "publicAccessBlock", "tagging"))
    req = '{"bucketName":"%s","Host":"%s.s3.%s.amazonaws.com","%s":""}' % (b, b, c.region, what)
    return req, "null", s3_aed(r), ""


def b_list_buckets(r, c):
    return '{"Host":"s3.%s.amazonaws.com"}' % c.region, "null", s3_aed(r, 1488), ""


def b_s3_object(r, c):
    b = r.choice(BUCKETS)
    key = "%s/%04d/%02d/%02d/part-%05d-%s.snappy.parquet" % (r.choice(("raw", "events", "exports", "tmp")),
                                                              2024, 7, r.randrange(1, 29), r.randrange(1000),
                                                              uuid(r))
    req = '{"bucketName":"%s","Host":"%s.s3.%s.amazonaws.com","key":"%s"}' % (b, b, c.region, key)
    res = (',"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::%s/%s"},{"accountId":"%s",'
           '"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::%s"}]') % (b, key, c.acct, b)
    resp = "null"
    if c.name == "PutObject":
        resp = '{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":' \
               '"arn:aws:kms:%s:%s:key/%s","x-amz-version-id":"%s"}' % (c.region, c.acct, uuid(r),
                                                                         pool_chars(r, B64, 32))
    return req, resp, s3_aed(r, r.randrange(100, 5000000)), res


def session_token(r):
    return "IQoJb3JpZ2luX2VjE" + pool_chars(r, B64, r.randrange(380, 700))


def b_assume_role(r, c):
    acct = c.acct
    role = r.choice(ROLE_NAMES)
    sess = r.choice(SESSION_NAMES)
    rid = rand_id(r, "AROA", 17)
    arn = "arn:aws:iam::%s:role/%s" % (acct, role)
    req = '{"roleArn":"%s","roleSessionName":"%s","durationSeconds":3600}' % (arn, sess)
    if r.random() < 0.3:
        req = req[:-1] + ',"externalId":"%s"}' % uuid(r)
    exp = time.strftime("%b %d, %Y, %I:%M:%S %p", time.gmtime(c.t + 3600))
    resp = ('{"credentials":{"accessKeyId":"%s","sessionToken":"%s","expiration":"%s"},'
            '"assumedRoleUser":{"assumedRoleId":"%s:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s"}}') % (
                rand_id(r, "ASIA", 16), session_token(r), exp, rid, sess, acct, role, sess)
    res = ',"resources":[{"accountId":"%s","type":"AWS::IAM::Role","ARN":"%s"}]' % (acct, arn)
    return req, resp, "", res


def b_caller_identity(r, c):
    return "null", "null", "", ""


def b_iam_get(r, c):
    k = r.random()
    if k < 0.3:
        req = '{"roleName":"%s"}' % r.choice(ROLE_NAMES)
    elif k < 0.6:
        req = '{"policyArn":"arn:aws:iam::aws:policy/%s","versionId":"v%d"}' % (
            r.choice(("ReadOnlyAccess", "AmazonS3FullAccess", "SecurityAudit")), r.randrange(1, 9))
    else:
        req = '{"maxItems":100,"pathPrefix":"/"}'
    return req, "null", "", ""


def b_kms(r, c):
    key = "arn:aws:kms:%s:%s:key/%s" % (c.region, c.acct, uuid(r))
    if r.random() < 0.5:
        req = ('{"encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:%s:%s:function:orders-%d"},'
               '"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}') % (c.region, c.acct, r.randrange(40))
    else:
        req = ('{"keyId":"%s","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::%s"},"keySpec":"AES_256"}'
               % (key, r.choice(BUCKETS)))
    res = ',"resources":[{"accountId":"%s","type":"AWS::KMS::Key","ARN":"%s"}]' % (c.acct, key)
    return req, "null", "", res


def b_logs(r, c):
    g = "/aws/lambda/orders-%d" % r.randrange(40)
    if c.name == "CreateLogStream":
        return ('{"logGroupName":"%s","logStreamName":"2024/07/%02d/[$LATEST]%s"}' % (
            g, r.randrange(1, 29), hexid(r, "", 32)), "null", "", "")
    return '{"logGroupNamePrefix":"/aws/lambda/","limit":50}', "null", "", ""


def b_ssm_get(r, c):
    names = ",".join('"/prod/%s/%s"' % (r.choice(("api", "db", "worker")), r.choice(("url", "password", "token")))
                     for _ in range(r.randrange(1, 4)))
    return '{"names":[%s],"withDecryption":true}' % names, "null", "", ""


def b_secret(r, c):
    return ('{"secretId":"arn:aws:secretsmanager:%s:%s:secret:prod/db-%s"}' % (
        c.region, c.acct, rand_id(r, "", 6)), "null", "", "")


def b_ddb(r, c):
    return '{"tableName":"orders-%d"}' % r.randrange(20), "null", "", ""


def b_lambda(r, c):
    return '{"functionName":"orders-%d"}' % r.randrange(40), "null", "", ""


def b_trail_read(r, c):
    return ('{"trailNameList":[],"includeShadowTrails":true}', "null", "", "")


def b_ecr_token(r, c):
    return '{"registryIds":["%s"]}' % c.acct, "null", "", ""


def b_create_tags(r, c):
    req = ('{"resourcesSet":{"items":[{"resourceId":"i-0%s"}]},"tagSet":{"items":[{"key":"Name","value":"web-%d"},'
           '{"key":"team","value":"payments"}]}}') % (hexid(r, "", 16), r.randrange(100))
    return req, '{"requestId":"%s","_return":true}' % uuid(r), "", ""


def b_run_instances(r, c):
    n = 1 if r.random() < 0.8 else r.randrange(2, 5)
    itype = r.choice(INSTANCE_TYPES)
    ami = hexid(r, "ami-0", 16)
    subnet = hexid(r, "subnet-0", 16)
    sg = hexid(r, "sg-0", 16)
    vpc = hexid(r, "vpc-0", 16)
    req = ('{"instancesSet":{"items":[{"imageId":"%s","minCount":%d,"maxCount":%d}]},"instanceType":"%s",'
           '"blockDeviceMapping":{},"monitoring":{"enabled":false},"disableApiTermination":false,'
           '"disableApiStop":false,"clientToken":"%s","iamInstanceProfile":{"arn":"arn:aws:iam::%s:'
           'instance-profile/prod-api"},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":'
           '[{"key":"Name","value":"api-%d"}]}]},"userData":"<sensitiveDataRemoved>"}') % (
               ami, n, n, itype, uuid(r), c.acct, r.randrange(100))
    items = []
    az = c.region + r.choice(AZ)
    for _ in range(n):
        iid = hexid(r, "i-0", 16)
        eni = hexid(r, "eni-0", 16)
        ip = "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255))
        items.append(
            '{"instanceId":"%s","imageId":"%s","currentInstanceBootMode":"uefi","instanceState":{"code":0,'
            '"name":"pending"},"privateDnsName":"ip-%s.ec2.internal","amiLaunchIndex":0,"productCodes":{},'
            '"instanceType":"%s","launchTime":%d000,"placement":{"availabilityZone":"%s","tenancy":"default"},'
            '"monitoring":{"state":"disabled"},"subnetId":"%s","vpcId":"%s","privateIpAddress":"%s",'
            '"stateReason":{"code":"pending","message":"pending"},"architecture":"x86_64","rootDeviceType":"ebs",'
            '"rootDeviceName":"/dev/xvda","blockDeviceMapping":{},"virtualizationType":"hvm","hypervisor":"xen",'
            '"tagSet":{"items":[{"key":"Name","value":"api"}]},"groupSet":{"items":[{"groupId":"%s",'
            '"groupName":"api-sg"}]},"sourceDestCheck":true,"networkInterfaceSet":{"items":[{'
            '"networkInterfaceId":"%s","subnetId":"%s","vpcId":"%s","ownerId":"%s","status":"in-use",'
            '"macAddress":"0e:%02x:%02x:%02x:%02x:%02x","privateIpAddress":"%s","sourceDestCheck":true,'
            '"interfaceType":"interface","groupSet":{"items":[{"groupId":"%s","groupName":"api-sg"}]},'
            '"attachment":{"attachmentId":"%s","deviceIndex":0,"networkCardIndex":0,"status":"attaching",'
            '"attachTime":%d000,"deleteOnTermination":true},"privateIpAddressesSet":{"item":[{'
            '"privateIpAddress":"%s","primary":true}]},"ipv6AddressesSet":{},"tagSet":{}}]},'
            '"ebsOptimized":false,"enaSupport":true,"cpuOptions":{"coreCount":1,"threadsPerCore":2},'
            '"capacityReservationSpecification":{"capacityReservationPreference":"open"},'
            '"enclaveOptions":{"enabled":false},"metadataOptions":{"state":"pending","httpTokens":"required",'
            '"httpPutResponseHopLimit":2,"httpEndpoint":"enabled","httpProtocolIpv4":"enabled",'
            '"httpProtocolIpv6":"disabled","instanceMetadataTags":"disabled"},"maintenanceOptions":{'
            '"autoRecovery":"default"},"privateDnsNameOptions":{"hostnameType":"ip-name",'
            '"enableResourceNameDnsARecord":false,"enableResourceNameDnsAAAARecord":false}}' % (
                iid, ami, ip.replace(".", "-"), itype, c.t, az, subnet, vpc, ip, sg, eni, subnet, vpc, c.acct,
                r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(256), ip, sg,
                hexid(r, "eni-attach-0", 16), c.t, ip))
    resp = ('{"requestId":"%s","reservationId":"%s","ownerId":"%s","groupSet":{},"instancesSet":{"items":[%s]},'
            '"requesterId":"940372691376"}') % (uuid(r), hexid(r, "r-0", 16), c.acct, ",".join(items))
    return req, resp, "", ""


def b_sg_ingress(r, c):
    cidr = r.choice(("0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "0.0.0.0/0"))
    port = r.choice((22, 443, 3389, 5432, 8080))
    sg = hexid(r, "sg-0", 16)
    req = ('{"groupId":"%s","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":%d,"toPort":%d,'
           '"groups":{},"ipRanges":{"items":[{"cidrIp":"%s","description":"added by %s"}]},'
           '"ipv6Ranges":{},"prefixListIds":{}}]}}') % (sg, port, port, cidr, r.choice(USER_NAMES))
    resp = ('{"requestId":"%s","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"%s",'
            '"groupId":"%s","securityGroupRuleId":"%s","isEgress":false,"ipProtocol":"tcp","fromPort":%d,'
            '"toPort":%d,"cidrIpv4":"%s"}]}}') % (uuid(r), c.acct, sg, hexid(r, "sgr-0", 16), port, port, cidr)
    return req, resp, "", ""


def b_put_bucket_policy(r, c):
    b = r.choice(BUCKETS)
    principal = '"*"' if r.random() < 0.3 else '{"AWS":"arn:aws:iam::%s:root"}' % r.choice(ACCOUNTS)
    req = ('{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"AllowRead","Effect":"Allow",'
           '"Principal":%s,"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::%s",'
           '"arn:aws:s3:::%s/*"]},{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*",'
           '"Resource":"arn:aws:s3:::%s/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]},'
           '"bucketName":"%s","Host":"%s.s3.amazonaws.com","policy":""}') % (principal, b, b, b, b, b)
    return req, "null", s3_aed(r), ""


def b_create_access_key(r, c):
    user = r.choice(USER_NAMES)
    req = '{"userName":"%s"}' % user
    resp = ('{"accessKey":{"userName":"%s","accessKeyId":"%s","status":"Active","createDate":"%s"}}'
            % (user, rand_id(r, "AKIA", 16), time.strftime("%b %d, %Y, %I:%M:%S %p", time.gmtime(c.t))))
    return req, resp, "", ""


def b_create_policy(r, c):
    # policyDocument is a JSON string inside JSON: exercises escape handling.
    doc = ('{\\n  \\"Version\\": \\"2012-10-17\\",\\n  \\"Statement\\": [\\n    {\\n      \\"Effect\\": '
           '\\"Allow\\",\\n      \\"Action\\": [\\"s3:GetObject\\", \\"s3:PutObject\\"],\\n      \\"Resource\\": '
           '\\"arn:aws:s3:::%s/*\\"\\n    }\\n  ]\\n}') % r.choice(BUCKETS)
    name = "app-access-%d" % r.randrange(1000)
    req = '{"policyName":"%s","policyDocument":"%s"}' % (name, doc)
    resp = ('{"policy":{"policyName":"%s","policyId":"%s","arn":"arn:aws:iam::%s:policy/%s","path":"/",'
            '"defaultVersionId":"v1","attachmentCount":0,"permissionsBoundaryUsageCount":0,"isAttachable":true,'
            '"createDate":"Jul 1, 2024, 10:00:00 AM","updateDate":"Jul 1, 2024, 10:00:00 AM"}}') % (
                name, rand_id(r, "ANPA", 17), c.acct, name)
    return req, resp, "", ""


def b_attach_policy(r, c):
    pol = r.choice(("ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AdministratorAccess", "CloudWatchLogsFullAccess"))
    if c.name == "AttachUserPolicy":
        req = '{"userName":"%s","policyArn":"arn:aws:iam::aws:policy/%s"}' % (r.choice(USER_NAMES), pol)
    else:
        req = '{"roleName":"%s","policyArn":"arn:aws:iam::aws:policy/%s"}' % (r.choice(ROLE_NAMES), pol)
    return req, "null", "", ""


def b_create_user(r, c):
    user = "svc-%s" % rand_id(r, "", 6).lower()
    req = '{"userName":"%s","tags":[]}' % user
    resp = ('{"user":{"path":"/","userName":"%s","userId":"%s","arn":"arn:aws:iam::%s:user/%s",'
            '"createDate":"Jul 1, 2024, 10:00:00 AM"}}') % (user, rand_id(r, "AIDA", 17), c.acct, user)
    return req, resp, "", ""


def b_console_login(r, c):
    return "null", '{"ConsoleLogin":"%s"}' % ("Success" if r.random() < 0.9 else "Failure"), \
        (',"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%%23&isauthcode'
         '=true&state=hashArgsFromTB_us-east-1_%s","MobileVersion":"No","MFAUsed":"%s"}') % (
            hexid(r, "", 16), "Yes" if r.random() < 0.8 else "No"), ""


def b_trail_write(r, c):
    req = '{"name":"arn:aws:cloudtrail:us-east-1:%s:trail/org-trail"}' % c.acct
    if c.name == "PutEventSelectors":
        req = ('{"trailName":"org-trail","eventSelectors":[{"readWriteType":"WriteOnly",'
               '"includeManagementEvents":false,"dataResources":[],"excludeManagementEventSources":[]}]}')
    return req, "null", "", ""


def b_key_pair(r, c):
    name = "ops-key-%d" % r.randrange(100)
    if c.name == "ImportKeyPair":
        return ('{"keyName":"%s","publicKeyMaterial":"<sensitiveDataRemoved>"}' % name,
                '{"requestId":"%s","keyName":"%s","keyFingerprint":"%s","keyPairId":"%s"}' % (
                    uuid(r), name, ":".join("%02x" % r.randrange(256) for _ in range(16)), hexid(r, "key-0", 16)),
                "", "")
    return '{"keyName":"%s","keyType":"ed25519","keyFormat":"pem"}' % name, \
        '{"requestId":"%s","keyName":"%s","keyFingerprint":"%s","keyMaterial":"<sensitiveDataRemoved>"}' % (
            uuid(r), name, pool_chars(r, B64, 44)), "", ""


def b_modify_instance_attr(r, c):
    if r.random() < 0.5:
        return ('{"instanceId":"%s","userData":"<sensitiveDataRemoved>","attribute":"userData"}'
                % hexid(r, "i-0", 16)), '{"requestId":"%s","_return":true}' % uuid(r), "", ""
    return ('{"instanceId":"%s","disableApiTermination":{"value":true}}' % hexid(r, "i-0", 16),
            '{"requestId":"%s","_return":true}' % uuid(r), "", "")


def b_simple_write(r, c):
    return '{"name":"%s"}' % rand_id(r, "res-", 10).lower(), "null", "", ""


def b_send_command(r, c):
    return ('{"instanceIds":["%s"],"documentName":"AWS-RunShellScript","parameters":"HIDDEN_DUE_TO_SECURITY_'
            'REASONS","interactive":false}' % hexid(r, "i-0", 16),
            '{"command":{"commandId":"%s","documentName":"AWS-RunShellScript","documentVersion":"$DEFAULT",'
            '"comment":"","parameters":"HIDDEN_DUE_TO_SECURITY_REASONS","instanceIds":["i-0abc"],"targets":[],'
            '"status":"Pending","statusDetails":"Pending","outputS3Region":"%s","timeoutSeconds":3600,'
            '"maxConcurrency":"50","maxErrors":"0","targetCount":1,"completedCount":0,"errorCount":0,'
            '"deliveryTimedOutCount":0,"serviceRole":"","notificationConfig":{"notificationArn":"",'
            '"notificationEvents":[],"notificationType":""},"interactive":false}}' % (uuid(r), c.region), "", "")


# (eventSource, eventName, weight, readOnly, builder, identity pool, error rate)
# identity pool: "role" AssumedRole, "user" IAMUser with keys, "svc" AWSService,
# "console" IAMUser console session, "mix" mostly roles, some users, rare root.
EVENTS = [
    ("ec2.amazonaws.com", "DescribeInstances", 90, True, b_describe_instances, "mix", 0.01),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 40, True, b_describe_generic, "mix", 0.01),
    ("ec2.amazonaws.com", "DescribeVolumes", 25, True, b_describe_generic, "mix", 0.01),
    ("ec2.amazonaws.com", "DescribeSubnets", 20, True, b_describe_generic, "mix", 0.0),
    ("ec2.amazonaws.com", "DescribeVpcs", 15, True, b_describe_generic, "mix", 0.0),
    ("ec2.amazonaws.com", "DescribeNetworkInterfaces", 25, True, b_describe_generic, "mix", 0.0),
    ("ec2.amazonaws.com", "DescribeInstanceStatus", 20, True, b_describe_instances, "mix", 0.0),
    ("s3.amazonaws.com", "GetBucketAcl", 30, True, b_s3_bucket_get, "mix", 0.02),
    ("s3.amazonaws.com", "GetBucketPolicy", 15, True, b_s3_bucket_get, "mix", 0.05),
    ("s3.amazonaws.com", "GetBucketLocation", 25, True, b_s3_bucket_get, "mix", 0.0),
    ("s3.amazonaws.com", "GetBucketVersioning", 10, True, b_s3_bucket_get, "mix", 0.0),
    ("s3.amazonaws.com", "ListBuckets", 6, True, b_list_buckets, "mix", 0.0),
    ("s3.amazonaws.com", "GetObject", 90, True, b_s3_object, "role", 0.01),
    ("s3.amazonaws.com", "PutObject", 30, False, b_s3_object, "role", 0.0),
    ("s3.amazonaws.com", "HeadObject", 20, True, b_s3_object, "role", 0.0),
    ("sts.amazonaws.com", "AssumeRole", 110, True, b_assume_role, "assume", 0.005),
    ("sts.amazonaws.com", "GetCallerIdentity", 25, True, b_caller_identity, "mix", 0.0),
    ("iam.amazonaws.com", "GetRole", 15, True, b_iam_get, "mix", 0.01),
    ("iam.amazonaws.com", "GetPolicyVersion", 10, True, b_iam_get, "mix", 0.0),
    ("iam.amazonaws.com", "ListRoles", 8, True, b_iam_get, "mix", 0.0),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", 8, True, b_iam_get, "mix", 0.0),
    ("kms.amazonaws.com", "Decrypt", 70, True, b_kms, "role", 0.0),
    ("kms.amazonaws.com", "GenerateDataKey", 35, True, b_kms, "role", 0.0),
    ("logs.amazonaws.com", "CreateLogStream", 20, False, b_logs, "role", 0.0),
    ("logs.amazonaws.com", "DescribeLogGroups", 10, True, b_logs, "mix", 0.0),
    ("ssm.amazonaws.com", "GetParameters", 20, True, b_ssm_get, "role", 0.01),
    ("secretsmanager.amazonaws.com", "GetSecretValue", 12, True, b_secret, "role", 0.02),
    ("dynamodb.amazonaws.com", "DescribeTable", 15, True, b_ddb, "role", 0.0),
    ("lambda.amazonaws.com", "GetFunction", 8, True, b_lambda, "mix", 0.0),
    ("cloudtrail.amazonaws.com", "DescribeTrails", 5, True, b_trail_read, "mix", 0.0),
    ("cloudtrail.amazonaws.com", "GetTrailStatus", 4, True, b_trail_read, "mix", 0.0),
    ("ecr.amazonaws.com", "GetAuthorizationToken", 8, True, b_ecr_token, "role", 0.0),
    ("ec2.amazonaws.com", "CreateTags", 6, False, b_create_tags, "role", 0.01),
    ("ec2.amazonaws.com", "RunInstances", 3, False, b_run_instances, "role", 0.05),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 0.8, False, b_sg_ingress, "mix", 0.05),
    ("ec2.amazonaws.com", "RevokeSecurityGroupIngress", 0.3, False, b_sg_ingress, "mix", 0.0),
    ("s3.amazonaws.com", "PutBucketPolicy", 0.3, False, b_put_bucket_policy, "mix", 0.1),
    ("iam.amazonaws.com", "CreateAccessKey", 0.3, False, b_create_access_key, "user", 0.1),
    ("iam.amazonaws.com", "CreatePolicy", 0.3, False, b_create_policy, "mix", 0.0),
    ("iam.amazonaws.com", "AttachRolePolicy", 0.4, False, b_attach_policy, "mix", 0.05),
    ("iam.amazonaws.com", "AttachUserPolicy", 0.2, False, b_attach_policy, "user", 0.05),
    ("iam.amazonaws.com", "CreateUser", 0.1, False, b_create_user, "user", 0.0),
    ("signin.amazonaws.com", "ConsoleLogin", 2.0, False, b_console_login, "console", 0.0),
    ("ec2.amazonaws.com", "ImportKeyPair", 0.05, False, b_key_pair, "user", 0.0),
    ("ec2.amazonaws.com", "CreateKeyPair", 0.1, False, b_key_pair, "mix", 0.0),
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", 0.1, False, b_modify_instance_attr, "mix", 0.0),
    ("ssm.amazonaws.com", "SendCommand", 0.3, False, b_send_command, "role", 0.0),
    ("cloudtrail.amazonaws.com", "StopLogging", 0.02, False, b_trail_write, "user", 0.2),
    ("cloudtrail.amazonaws.com", "DeleteTrail", 0.005, False, b_trail_write, "user", 0.2),
    ("cloudtrail.amazonaws.com", "PutEventSelectors", 0.01, False, b_trail_write, "mix", 0.0),
    ("cloudtrail.amazonaws.com", "UpdateTrail", 0.01, False, b_trail_write, "mix", 0.0),
    ("guardduty.amazonaws.com", "DeleteDetector", 0.003, False, b_simple_write, "user", 0.3),
    ("ec2.amazonaws.com", "DeleteFlowLogs", 0.005, False, b_simple_write, "mix", 0.0),
    ("config.amazonaws.com", "StopConfigurationRecorder", 0.003, False, b_simple_write, "user", 0.0),
    ("s3.amazonaws.com", "DeleteBucket", 0.02, False, b_s3_bucket_get, "mix", 0.1),
]

ERRORS = [("AccessDenied", "User: %s is not authorized to perform: %s:%s because no identity-based policy "
           "allows the %s:%s action"),
          ("Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: %s is not "
           "authorized to perform: %s:%s with an explicit deny (%s:%s)"),
          ("ThrottlingException", "Rate exceeded for %s on %s:%s (%s:%s)")]


class Ctx:
    __slots__ = ("acct", "region", "t", "name")


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.ids = make_identities(self.r)
        self.events = EVENTS
        cum, tot = [], 0.0
        for e in EVENTS:
            tot += e[2]
            cum.append(tot)
        self.cum = cum
        self.clock = Clock()
        self.c = Ctx()
        self.counts = {}

    def pick_ident(self, pool, acct):
        r = self.r
        if pool == "mix":
            x = r.random()
            if x < 0.0005:
                pool = "root"
            elif x < 0.75:
                pool = "role"
            elif x < 0.97:
                pool = "user"
            else:
                pool = "svc-role"
        elif pool == "assume":
            pool = "svc" if r.random() < 0.45 else "role"
        cands = self.ids[pool]
        for _ in range(4):
            i = r.choice(cands)
            if i.acct == acct:
                return i
        return i

    def records(self, n, acct=None, region=None, t0=None, span=300):
        """n compact records; times spread over [t0, t0+span) ascending."""
        r = self.r
        events = r.choices(self.events, cum_weights=self.cum, k=n)
        times = sorted(t0 + r.randrange(span) for _ in range(n))
        c = self.c
        out = []
        clock = self.clock
        for ev, t in zip(events, times):
            src, name, _, ro, build, pool, err = ev
            a = acct or r.choice(ACCOUNTS)
            reg = region or r.choice(REGIONS)
            if src in ("iam.amazonaws.com", "signin.amazonaws.com") and region is None:
                reg = "us-east-1"
            ident = self.pick_ident(pool, a)
            c.acct, c.region, c.t, c.name = a, reg, t, name
            req, resp, aed, res = build(r, c)
            ip = r.choice(ident.ips)
            ua = r.choice(ident.uas)
            errpart = ""
            if err and r.random() < err:
                code, msg = r.choice(ERRORS)
                svc = src.split(".", 1)[0]
                errpart = ',"errorCode":"%s","errorMessage":"%s"' % (
                    code, msg % (ident.arn or ident.name, svc, name, svc, name))
                resp = "null"
            if name == "ConsoleLogin":
                etype = "AwsConsoleSignIn"
                ua = r.choice(USER_AGENTS_CONSOLE)
            else:
                etype = "AwsApiCall"
            data = name in ("GetObject", "PutObject", "HeadObject")
            shared = ""
            if ident.service:
                shared = ',"sharedEventID":"%s"' % uuid(r)
                tls = ""
            else:
                v, cs = r.choice(CIPHERS)
                host = src.replace(".amazonaws.com", "." + reg + ".amazonaws.com")
                tls = (',"tlsDetails":{"tlsVersion":"%s","cipherSuite":"%s","clientProvidedHostHeader":"%s"}'
                       % (v, cs, host))
            rec = ('{"eventVersion":"' + ("1.10" if data else "1.09") + '","userIdentity":' + ident.json +
                   ',"eventTime":"' + clock.fmt(t) + '","eventSource":"' + src + '","eventName":"' + name +
                   '","awsRegion":"' + reg + '","sourceIPAddress":"' + ip + '","userAgent":"' + ua + '"' +
                   errpart + ',"requestParameters":' + req + ',"responseElements":' + resp + aed +
                   ',"requestID":"' + uuid(r) + '","eventID":"' + uuid(r) + '","readOnly":' +
                   ("true" if ro else "false") + res + ',"eventType":"' + etype + '","managementEvent":' +
                   ("false" if data else "true") + ',"recipientAccountId":"' + a + '"' + shared +
                   ',"eventCategory":"' + ("Data" if data else "Management") + '"' + tls + '}')
            out.append(rec)
            self.counts[name] = self.counts.get(name, 0) + 1
        return out


def write_objects(g, root, count):
    r = g.r
    t = START
    total = 0
    nrec = 0
    for i in range(count):
        acct = ACCOUNTS[i % len(ACCOUNTS)] if r.random() < 0.8 else r.choice(ACCOUNTS)
        region = r.choice(OBJECT_REGIONS)
        n = r.randrange(100, 301)
        recs = g.records(n, acct, region, t, 300)
        body = ('{"Records":[' + ",".join(recs) + "]}").encode()
        total += len(body)
        nrec += n
        ts = time.strftime("%Y%m%dT%H%MZ", time.gmtime(t + 300))
        day = time.strftime("%Y/%m/%d", time.gmtime(t))
        d = os.path.join(root, "AWSLogs", acct, "CloudTrail", region, day)
        os.makedirs(d, exist_ok=True)
        name = "%s_CloudTrail_%s_%s_%s.json.gz" % (acct, region, ts, rand_id(r, "", 16, ALNUM + "abcdefghijklmnopqrstuvwxyz"))
        with open(os.path.join(d, name), "wb") as f:
            f.write(gzip.compress(body, compresslevel=6, mtime=0))
        t += r.randrange(20, 90)
    return total, nrec


def write_stream(g, path, mb, per_object):
    limit = int(mb * 1e6)
    total = 0
    nrec = 0
    t = START
    r = g.r
    with open(path, "w", buffering=1 << 22) as f:
        while total < limit:
            n = r.randrange(100, 301)
            recs = g.records(n, None, None, t, 120)
            t += 120
            if per_object:
                s = '{"Records":[' + ",".join(recs) + "]}\n"
            else:
                s = "\n".join(recs) + "\n"
            f.write(s)
            total += len(s)
            nrec += n
    return total, nrec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    m = ap.add_mutually_exclusive_group(required=True)
    m.add_argument("--objects", metavar="DIR")
    m.add_argument("--ndjson", metavar="FILE")
    m.add_argument("--records-json", metavar="FILE")
    ap.add_argument("--count", type=int, default=500, help="objects to write (--objects)")
    ap.add_argument("--mb", type=float, default=100, help="megabytes to write (--ndjson, --records-json)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats", action="store_true", help="print the event mix on stderr")
    a = ap.parse_args()
    g = Gen(a.seed)
    t0 = time.time()
    if a.objects:
        total, n = write_objects(g, a.objects, a.count)
        what = "%d objects under %s" % (a.count, a.objects)
    elif a.ndjson:
        total, n = write_stream(g, a.ndjson, a.mb, False)
        what = a.ndjson
    else:
        total, n = write_stream(g, a.records_json, a.mb, True)
        what = a.records_json
    print("gen-cloudtrail: %s: %d records, %.1f MB uncompressed, %.0f bytes/record, %.1fs"
          % (what, n, total / 1e6, total / max(n, 1), time.time() - t0), file=sys.stderr)
    if a.stats:
        for k, v in sorted(g.counts.items(), key=lambda kv: -kv[1]):
            print("%8d %6.3f%% %s" % (v, 100.0 * v / n, k), file=sys.stderr)


if __name__ == "__main__":
    main()
