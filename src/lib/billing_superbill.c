/*
 * billing_superbill.c -- a client's monthly superbill drawn from the records: the signed sessions of the
 * month, coded as for a claim, with the practice, clinician, client and insurance on file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "billing_int.h"

static void d8(const char *iso, char out[9])
{
    snprintf(out, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

struct sb_line {
    char code[PSY_CODE_MAX], mods[PSY_CLAIM_MAX_MODS][3], pos[3], date[9];
};

psy_status psy_billing_superbill(psy_store *st, const psy_coder *cx, psy_id practice, psy_id client, const char *month,
                                 char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    char from[PSY_DATE_MAX], to[PSY_DATE_MAX];
    snprintf(from, sizeof from, "%.7s-01", month ? month : "");
    snprintf(to, sizeof to, "%.7s-31", month ? month : "");
    if (!month || strlen(month) != 7 || !psy_records_date_valid(from)) {
        snprintf(err, errlen, "month: a month YYYY-MM");
        return PSY_EINVAL;
    }
    struct psy__loaded *L = psy__calloc(1, sizeof *L);
    struct psy_session *ss = NULL;
    size_t n = 0;
    psy_status rc;
    if ((rc = psy_records_practice_get(st, practice, &L->practice)) ||
        (rc = psy_records_client_get(st, practice, client, &L->client)) ||
        (rc = psy_records_session_list(st, practice, from, to, &ss, &n))) {
        snprintf(err, errlen, "%s", rc == PSY_ENOTFOUND ? "client: no such client" : psy_store_errmsg(st));
        psy__billing_loaded_free(L, 1);
        return rc;
    }
    struct sb_line *sl = psy__calloc(PSY_CLAIM_MAX_LINES, sizeof *sl);
    struct psy_coding_result *cr = psy__malloc(sizeof *cr);
    psy_id clinician = 0, payer = 0;
    for (size_t i = 0; !rc && i < n && L->n_lines < PSY_CLAIM_MAX_LINES; i++) {
        if (!ss[i].signed_at[0]) continue;
        struct psy_billable *bs = NULL;
        size_t nb = 0;
        if ((rc = psy_records_session_billables(st, practice, ss[i].id, &bs, &nb))) break;
        for (size_t k = 0; k < nb && L->n_lines < PSY_CLAIM_MAX_LINES; k++) {
            if (bs[k].client_id != client) continue;
            struct psy_payer py;
            const char *profile = "default";
            if (bs[k].payer_id && !psy_records_payer_get(st, practice, bs[k].payer_id, &py)) {
                profile = psy_records_payer_profile(&py);
                payer = bs[k].payer_id;
            }
            if (!clinician) clinician = bs[k].clinician_id;
            struct psy_coding_input in;
            psy_session_init(&in);
            snprintf(in.date, sizeof in.date, "%s", bs[k].service_date);
            struct psy_clinician cl;
            if (psy_records_clinician_get(st, practice, bs[k].clinician_id, &cl)) memset(&cl, 0, sizeof cl);
            psy__billing_input(&bs[k], &cl, profile, 0, "", &in);
            if (psy_coding_session(cx, &in, cr) != PSY_OK) continue;
            for (size_t j = 0; j < cr->n_lines && L->n_lines < PSY_CLAIM_MAX_LINES; j++) {
                const struct psy_coded_line *c = &cr->lines[j];
                if (c->member > 1) continue;
                struct sb_line *x = &sl[L->n_lines];
                struct psy_claim_line *l = &L->lines[L->n_lines++];
                snprintf(x->code, sizeof x->code, "%s", c->code);
                snprintf(x->pos, sizeof x->pos, "%s", c->place_of_service);
                d8(bs[k].service_date, x->date);
                l->code = x->code;
                for (int m = 0; m < c->n_modifiers && m < PSY_CLAIM_MAX_MODS; m++) {
                    memcpy(x->mods[m], c->modifiers[m], 3);
                    l->modifiers[m] = x->mods[m];
                }
                l->units = (unsigned)c->units;
                l->charge_cents = c->charge_cents;
                l->date = x->date;
                l->place_of_service = x->pos;
                for (int m = 0; m < L->client.n_dx && m < PSY_CLAIM_MAX_PTRS; m++) l->dx_pointers[m] = (unsigned char)(m + 1);
            }
        }
        free(bs);
    }
    free(cr);
    free(ss);
    if (!rc && !L->n_lines) {
        snprintf(err, errlen, "month: the client has no signed, billable session in %s", month);
        rc = PSY_EINVAL;
    }
    if (!rc && (rc = psy_records_clinician_get(st, practice, clinician, &L->clinician)))
        snprintf(err, errlen, "%s", psy_store_errmsg(st));
    if (!rc) {
        char license[64], period[16], today[9], now[PSY_REC_TIME_MAX];
        snprintf(license, sizeof license, "%s, %s", L->clinician.credential, L->practice.state);
        snprintf(period, sizeof period, "%s", month);
        psy__billing_now(now);
        d8(now, today);
        d8(L->client.birth_date, L->birth);
        L->billing = (struct psy_claim_provider){.last_name = L->practice.name, .npi = L->practice.npi,
                                                 .tax_id = L->practice.tax_id,
                                                 .address = {L->practice.address, NULL, L->practice.city,
                                                             L->practice.state, L->practice.zip}};
        L->rendering = (struct psy_claim_provider){.is_person = 1, .last_name = L->clinician.last_name,
                                                   .first_name = L->clinician.first_name,
                                                   .credentials = L->clinician.credential, .npi = L->clinician.npi,
                                                   .license = license};
        L->patient = (struct psy_claim_person){.last_name = L->client.last_name, .first_name = L->client.first_name,
                                               .birth_date = L->birth, .sex = L->client.sex[0] ? L->client.sex[0] : 'U',
                                               .phone = L->client.phone,
                                               .address = {L->client.address, NULL, L->client.city, L->client.state,
                                                           L->client.zip}};
        struct psy_superbill sb = {.practice = &L->billing, .clinician = &L->rendering, .patient = &L->patient,
                                   .statement_date = today, .period = period, .lines = L->lines,
                                   .n_lines = L->n_lines};
        if (payer && !psy_records_policy_on(st, practice, client, from, 1, &L->policy) &&
            !psy_records_payer_get(st, practice, payer, &L->payer)) {
            sb.subscriber_is_patient = !strcmp(L->policy.relation, "self") || !L->policy.relation[0];
            /* the insured is the policy's subscriber: the patient, or for a dependant the parent or spouse */
            L->sub.person = sb.subscriber_is_patient
                                ? L->patient
                                : (struct psy_claim_person){.last_name = L->policy.subscriber_last,
                                                            .first_name = L->policy.subscriber_first};
            L->sub.member_id = L->policy.member_id;
            sb.subscriber = &L->sub;
            sb.payer_name = L->payer.name;
        }
        for (int m = 0; m < L->client.n_dx && m < PSY_CLAIM_MAX_DX; m++) sb.diagnoses[sb.n_diagnoses++] = L->client.dx[m];
        rc = psy_pdf_superbill(&sb, out, len, err, errlen);
    }
    free(sl);
    psy__billing_loaded_free(L, 1);
    return rc;
}
