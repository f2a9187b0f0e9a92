/* inventory-aws.h — the inventory's AWS snapshot: lists one account's
 * assets in one region (EC2: instances, security groups, subnets, VPCs,
 * network ACLs; CloudTrail: the trails whose home is the region, with
 * their logging status) and across the account (IAM: users, roles, access
 * keys; S3: buckets with their public access block, ACL grants and policy
 * status) into a rip_asset_set (inventory/asset.h).
 *
 * It lives in src/cloud, not src/inventory, because the layer order puts
 * cloud after inventory: this file may use both the AWS client and the
 * asset model, while the inventory layer stays free of any cloud.
 *
 * Invariants
 *   - Read-only: only Describe*, List* and Get* calls.
 *   - Every list is paged to its end (NextToken / Marker), at most
 *     RIP_INVENTORY_AWS_MAX_PAGES pages per list; past that the type is not
 *     marked synced (so nothing of it is pruned) and the snapshot fails.
 *   - A type whose listing failed is left out of set->synced; the others
 *     are still listed. Library code: nothing is printed.
 */
#ifndef RIPOSTE_CLOUD_INVENTORY_AWS_H
#define RIPOSTE_CLOUD_INVENTORY_AWS_H

#include <stddef.h>

#include "cloud/aws-http.h"
#include "inventory/asset.h"

#define RIP_INVENTORY_AWS_MAX_PAGES 10000

/* The account the client's credentials belong to (sts GetCallerIdentity)
 * into out. 0, or RIP_E* with *err filled. */
int rip_inventory_aws_account(rip_aws_client *c, char *out, size_t cap, rip_aws_error *err);

/* Lists the assets of account (the client's: rip_inventory_aws_account())
 * in the client's region into set (appended), and marks in set->synced the
 * types it listed completely. Returns 0 when every type was listed; RIP_EIO (or the first
 * other RIP_E*) when one or more failed, with errmsg[] naming the first:
 * "ec2 DescribeInstances: UnauthorizedOperation: ...". RIP_ENOMEM and
 * RIP_ELIMIT (set cap) stop the snapshot at once. */
int rip_inventory_aws_snapshot(rip_aws_client *c, const char *account, rip_asset_set *set,
                               char *errmsg, size_t errcap);

#endif
