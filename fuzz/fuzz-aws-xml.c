/* fuzz-aws-xml.c — the AWS XML tree (aws-xml.c) and the AWS error parser
 * (XML and JSON shapes) on hostile bytes. Everything an AWS endpoint or a
 * man in the middle could send must parse or fail cleanly within limits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cloud/aws-http.h"
#include "cloud/aws-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const rip_aws_xml_node *n, unsigned depth)
{
    size_t count = 0;
    for (; n; n = n->next) {
        count += 1 + strlen(n->name) + n->text_len;
        if (depth < 128)
            count += walk(n->first, depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rip_aws_xml x;
    rip_aws_xml_limits lim = rip_aws_xml_default_limits;
    lim.max_nodes = 20000;
    rip_aws_xml_init(&x);
    if (rip_aws_xml_parse(&x, (const char *)data, size, &lim) == 0) {
        (void)walk(x.root, 0);
        (void)rip_aws_xml_text(x.root, "Errors/Error/Code", "");
        (void)rip_aws_xml_find(x.root, "RequestId");
        (void)rip_aws_xml_next_same(rip_aws_xml_path(x.root, "reservationSet/item"));
    }
    rip_aws_xml_release(&x);
    rip_aws_error err;
    memset(&err, 0, sizeof(err));
    rip_aws_parse_error((const char *)data, size, NULL, "Fuzz#Type:http://x", &err);
    return 0;
}
