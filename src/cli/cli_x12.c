/*
 * cli_x12.c -- `psyclaim x12 check`: the structure of any 837P or 835 file.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* --- x12 check -------------------------------------------------------------------------------- */

static int run_x12(int argc, char **argv)
{
    struct cli_x12_input in;
    int status = cli_x12_input_open(argc, argv, &cli_cmd_x12, "check", &in);
    if (status >= 0) return status;
    const char *path = in.path;
    enum { CAP = 200 };
    struct psy_x12_problem *probs = calloc(CAP, sizeof *probs);
    struct psy_x12_check_stats s;
    size_t n = 0;
    psy_x12_check(in.r, probs, CAP, &n, &s);
    cli_x12_input_close(&in);
    if (in.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n && i < CAP; i++)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "segment", (json_int_t)probs[i].segment,
                                                 "segment_id", probs[i].seg_id, "message", probs[i].message));
        json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "interchanges", (json_int_t)s.interchanges,
                                "groups", (json_int_t)s.groups, "transactions", (json_int_t)s.transactions,
                                "segments", (json_int_t)s.segments, "claims", (json_int_t)s.claims, "lines",
                                (json_int_t)s.lines, "problem_count", (json_int_t)n, "problems", arr);
        cli_print_json(doc);
    } else {
        printf("%s: %lu interchanges, %lu groups, %lu transactions, %lu segments, %lu claims, %lu lines\n", path,
               s.interchanges, s.groups, s.transactions, s.segments, s.claims, s.lines);
        for (size_t i = 0; i < n && i < CAP; i++) {
            if (probs[i].segment) printf("segment %lu (%s)%s%s\n", probs[i].segment, probs[i].seg_id,
                                         strncmp(probs[i].message, "element ", 8) ? ": " : " ", probs[i].message);
            else printf("%s\n", probs[i].message);
        }
        if (n > CAP) printf("... and %zu more problems\n", n - CAP);
        printf("%zu problem%s\n", n, n == 1 ? "" : "s");
    }
    free(probs);
    return n ? CLI_FAIL : CLI_OK;
}

const struct cli_command cli_cmd_x12 = {
    "x12", run_x12, "check the structure of an 837P or 835 file",
    "usage: psyclaim x12 check [--json] [--max-bytes N] FILE\n\n"
    "Reads FILE ('-' = standard input) to its end and lists every structural problem: envelopes\n"
    "(ISA/GS/ST opened and closed in order), segment and set counts (SE01, GE01, IEA01), control numbers,\n"
    "for 837P the HL tree, LX numbering and claim totals (CLM02 = the sum of SV102), and for 835 the\n"
    "amounts and the balancing of lines, claims and the payment (BPR02).\n\n"
    "  --json          print the counts and {\"problems\": [{\"segment\", \"segment_id\", \"message\"}]}\n"
    "  --max-bytes N   refuse input larger than N bytes (default 256 MiB)\n\n"
    "Exit status 0 when no problem was found, 1 otherwise.\n",
};
