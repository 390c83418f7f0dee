/*
 * fixture_claims.h -- an invented practice, clients and claims for the X12 and PDF tests.
 *
 * claims[0] is the minimal psychotherapy claim of the domain specification (section 5.4), so the
 * writer's output can be compared with that text. claims[1] is a child on a parent's plan with a
 * different rendering clinician on one line; claims[2] is a replacement claim with a prior
 * authorisation and several lines. fixture_init(f, n) fills everything and puts n claims in the batch.
 */
#ifndef PSY_TEST_FIXTURE_CLAIMS_H
#define PSY_TEST_FIXTURE_CLAIMS_H

#include <string.h>
#include <psyclaim/psyclaim.h>

struct fixture {
    struct psy_claim_submitter submitter;
    struct psy_claim_receiver receiver;
    struct psy_claim_provider billing, smith, lee;
    struct psy_claim_subscriber jane, parent;
    struct psy_claim_person child;
    struct psy_claim_payer payer;
    struct psy_claim_line l0[1], l1[2], l2[3];
    struct psy_claim claims[3];
    struct psy_claim_batch batch;
};

static inline void fixture_init(struct fixture *f, size_t n_claims)
{
    memset(f, 0, sizeof *f);
    f->submitter = (struct psy_claim_submitter){"EXAMPLE THERAPY GROUP", "SUBMITTER01", "BILLING OFFICE", "5555550100", NULL};
    f->receiver = (struct psy_claim_receiver){"EXAMPLE CLEARINGHOUSE", "RECEIVER01"};
    f->billing = (struct psy_claim_provider){
        .is_person = 0, .last_name = "EXAMPLE THERAPY GROUP", .npi = "1234567893", .taxonomy = "103T00000X",
        .tax_id = "123456789", .phone = "5555550100",
        .address = {"100 MAIN ST", NULL, "ANYTOWN", "NY", "123450001"}};
    f->smith = (struct psy_claim_provider){.is_person = 1, .last_name = "SMITH", .first_name = "ALEX",
                                           .credentials = "PhD", .npi = "1245319599", .taxonomy = "103T00000X",
                                           .license = "NY Psychologist 012345"};
    f->lee = (struct psy_claim_provider){.is_person = 1, .last_name = "LEE", .first_name = "MORGAN",
                                         .credentials = "LCSW", .npi = "6543210903", .taxonomy = "1041C0700X",
                                         .license = "NY LCSW 098765"};
    f->jane = (struct psy_claim_subscriber){
        .person = {"DOE", "JANE", NULL, NULL, "19800101", 'F', NULL, {"1 ELM ST", NULL, "ANYTOWN", "NY", "12345"}},
        .member_id = "MEM123456", .group_number = "GRP001"};
    f->parent = (struct psy_claim_subscriber){
        .person = {"ROE", "RICHARD", "Q", NULL, "19750315", 'M', NULL, {"9 OAK AVE", "APT 2", "ANYTOWN", "NY", "12345"}},
        .member_id = "MEM777001", .group_number = "GRP002", .group_name = "EXAMPLE EMPLOYER PLAN"};
    f->child = (struct psy_claim_person){"ROE", "SAM", NULL, NULL, "20120704", 'U', NULL,
                                         {"9 OAK AVE", "APT 2", "ANYTOWN", "NY", "12345"}};
    f->payer = (struct psy_claim_payer){"EXAMPLE HEALTH PLAN", "PAYER01", "CI", {0}};

    f->l0[0] = (struct psy_claim_line){.code = "90837", .modifiers = {"95"}, .units = 1, .charge_cents = 15000,
                                       .date = "20260102", .dx_pointers = {1, 2}};
    f->l1[0] = (struct psy_claim_line){.code = "90834", .units = 1, .charge_cents = 12000, .date = "20260105",
                                       .dx_pointers = {1}};
    f->l1[1] = (struct psy_claim_line){.code = "90785", .units = 1, .charge_cents = 2550, .date = "20260105",
                                       .dx_pointers = {1}, .rendering = &f->lee};
    f->l2[0] = (struct psy_claim_line){.code = "90847", .units = 1, .charge_cents = 14000, .date = "20260103",
                                       .place_of_service = "02", .dx_pointers = {2, 1}, .modifiers = {"95", "GT"}};
    f->l2[1] = (struct psy_claim_line){.code = "90853", .units = 1, .charge_cents = 6005, .date = "20260104",
                                       .dx_pointers = {3}};
    f->l2[2] = (struct psy_claim_line){.code = "H0004", .units = 4, .charge_cents = 9999, .date = "20260104",
                                       .dx_pointers = {1, 2, 3}, .line_control = "LINE-CTL-9"};

    f->claims[0] = (struct psy_claim){.id = "PC0001", .frequency = PSY_FREQ_ORIGINAL, .place_of_service = "10",
                                      .diagnoses = {"F41.1", "F33.1"}, .n_diagnoses = 2, .lines = f->l0,
                                      .n_lines = 1, .total_cents = 15000, .rendering = &f->smith,
                                      .subscriber = &f->jane, .payer = &f->payer};
    f->claims[1] = (struct psy_claim){.id = "PC0002", .frequency = PSY_FREQ_ORIGINAL, .place_of_service = "11",
                                      .diagnoses = {"F90.0"}, .n_diagnoses = 1, .lines = f->l1, .n_lines = 2,
                                      .total_cents = 14550, .patient_paid_cents = 2000, .rendering = &f->smith,
                                      .subscriber = &f->parent, .patient = &f->child, .patient_relationship = "19",
                                      .payer = &f->payer};
    f->claims[2] = (struct psy_claim){.id = "PC0003", .frequency = PSY_FREQ_REPLACEMENT,
                                      .payer_claim_number = "ICN20260001", .place_of_service = "11",
                                      .prior_auth = "AUTH-555", .diagnoses = {"F43.10", "Z63.0", "F32.A"},
                                      .n_diagnoses = 3, .lines = f->l2, .n_lines = 3, .total_cents = 30004,
                                      .subscriber = &f->jane, .payer = &f->payer};
    f->batch = (struct psy_claim_batch){&f->submitter, &f->receiver, &f->billing, f->claims, n_claims,
                                        "20260105", "1200", "B0001", 0};
}

/* A control-number source that counts up from *ud. */
static inline psy_status fixture_counter(void *ud, psy_x12_control kind, unsigned long *out)
{
    (void)kind;
    *out = ++*(unsigned long *)ud;
    return PSY_OK;
}

#endif
