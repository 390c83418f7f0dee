/*
 * pdf.c -- the superbill, the client's statement and the CMS-1500 (02/12) claim data as PDF pages, drawn
 * with libharu.
 *
 * Coordinates in this file are measured from the top-left corner of a US Letter page (612 x 792
 * points) and turned upside down only in the three drawing primitives, so the layouts read like the
 * forms: rows from top to bottom. libharu reports failures through a callback; the first one is kept
 * and turns the whole document into an error. Strings are converted from UTF-8 to the standard fonts'
 * WinAnsi encoding on the way in.
 */
#include <hpdf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "psy_int.h"
#include "psyclaim/psy_catalog.h"
#include "psyclaim/psy_cents.h"
#include "psyclaim/psy_pdf.h"

#define PAGE_W 612.0f
#define PAGE_H 792.0f
#define LEFT 18.0f

struct pdf {
    HPDF_Doc doc;
    HPDF_Page page;
    HPDF_Font sans, bold, mono;
    HPDF_STATUS error, detail;
};

static void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *ud)
{
    struct pdf *p = ud;
    if (!p->error) p->error = error_no, p->detail = detail_no;
}

static int pdf_open(struct pdf *p, const char *title)
{
    memset(p, 0, sizeof *p);
    p->doc = HPDF_New(on_error, p);
    if (!p->doc) return -1;
    HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL);
    HPDF_SetInfoAttr(p->doc, HPDF_INFO_CREATOR, "psyclaim");
    HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE, title);
    p->sans = HPDF_GetFont(p->doc, "Helvetica", "WinAnsiEncoding");
    p->bold = HPDF_GetFont(p->doc, "Helvetica-Bold", "WinAnsiEncoding");
    p->mono = HPDF_GetFont(p->doc, "Courier", "WinAnsiEncoding");
    return p->error ? -1 : 0;
}

static void new_page(struct pdf *p)
{
    p->page = HPDF_AddPage(p->doc);
    HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_LETTER, HPDF_PAGE_PORTRAIT);
    HPDF_Page_SetLineWidth(p->page, 0.6f);
}

/* Saves into a malloc'd buffer and frees the document. */
static psy_status pdf_close(struct pdf *p, char **out, size_t *len, char *err, size_t errlen)
{
    psy_status rc = PSY_OK;
    if (!p->error) HPDF_SaveToStream(p->doc);
    if (!p->error) {
        HPDF_UINT32 n = HPDF_GetStreamSize(p->doc);
        char *buf = psy__malloc(n ? n : 1);
        HPDF_UINT32 got = n;
        HPDF_ReadFromStream(p->doc, (HPDF_BYTE *)buf, &got);
        if (!p->error) {
            *out = buf;
            *len = got;
        } else {
            free(buf);
        }
    }
    if (p->error) {
        snprintf(err, errlen, "PDF library error 0x%04X (detail %u)", (unsigned)p->error, (unsigned)p->detail);
        rc = PSY_EIO;
    }
    HPDF_Free(p->doc);
    return rc;
}

/* UTF-8 to WinAnsi: U+0000..U+00FF map to themselves, anything else becomes '?'. */
static void winansi(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    while (*s && k + 1 < cap) {
        unsigned long cp = *s++;
        int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
        if (cp >= 0x80) cp &= 0x3Fu >> more;
        for (; more && (*s & 0xC0) == 0x80; more--) cp = cp << 6 | (*s++ & 0x3F);
        out[k++] = cp >= 0x20 && cp <= 0xFF && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0) ? (char)cp : '?';
    }
    out[k] = 0;
}

/* Text with its baseline at y (from the top), cut to fit max points (0 = no limit). */
static void text(struct pdf *p, HPDF_Font f, float size, float x, float y, float max, const char *s)
{
    char buf[512];
    winansi(s, buf, sizeof buf);
    if (!*buf) return;
    HPDF_Page_SetFontAndSize(p->page, f, size);
    if (max > 0)
        for (size_t n = strlen(buf); n && HPDF_Page_TextWidth(p->page, buf) > max;) buf[--n] = 0;
    HPDF_Page_BeginText(p->page);
    HPDF_Page_TextOut(p->page, x, PAGE_H - y, buf);
    HPDF_Page_EndText(p->page);
}

static void text_right(struct pdf *p, HPDF_Font f, float size, float right, float y, const char *s)
{
    char buf[256];
    winansi(s, buf, sizeof buf);
    HPDF_Page_SetFontAndSize(p->page, f, size);
    text(p, f, size, right - HPDF_Page_TextWidth(p->page, buf), y, 0, s);
}

static void rect(struct pdf *p, float x, float y, float w, float h, float gray)
{
    if (gray > 0) {
        HPDF_Page_SetGrayFill(p->page, gray);
        HPDF_Page_Rectangle(p->page, x, PAGE_H - y - h, w, h);
        HPDF_Page_Fill(p->page);
        HPDF_Page_SetGrayFill(p->page, 0);
    }
    HPDF_Page_Rectangle(p->page, x, PAGE_H - y - h, w, h);
    HPDF_Page_Stroke(p->page);
}

static void hline(struct pdf *p, float x, float y, float w)
{
    HPDF_Page_MoveTo(p->page, x, PAGE_H - y);
    HPDF_Page_LineTo(p->page, x + w, PAGE_H - y);
    HPDF_Page_Stroke(p->page);
}

/* A form box: a small label at the top, up to three lines of data below it. */
static void box(struct pdf *p, float x, float y, float w, float h, const char *label, const char *l1, const char *l2,
                const char *l3)
{
    rect(p, x, y, w, h, 0);
    text(p, p->sans, 5.5f, x + 2, y + 6.5f, w - 4, label);
    const char *lines[3] = {l1, l2, l3};
    for (int i = 0; i < 3; i++)
        if (lines[i]) text(p, p->mono, 8.5f, x + 3, y + 16.5f + 10.0f * (float)i, w - 6, lines[i]);
}

/* --- formatting ------------------------------------------------------------------------------ */

static int empty(const char *s) { return !s || !*s; }

static void money(long long cents, char *out, size_t cap)
{
    unsigned long long v = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    snprintf(out, cap, "%s%llu.%02llu", cents < 0 ? "-" : "", v / 100, v % 100);
}

/* "MM DD YY" (short) or "MM/DD/CCYY" from CCYYMMDD. */
static void date_fmt(const char *d, int shortform, char *out, size_t cap)
{
    if (!psy_date_valid(d)) {
        snprintf(out, cap, "%s", d ? d : "");
        return;
    }
    if (shortform) snprintf(out, cap, "%.2s %.2s %.2s", d + 4, d + 6, d + 2);
    else snprintf(out, cap, "%.2s/%.2s/%.4s", d + 4, d + 6, d);
}

static void phone_fmt(const char *ph, char *out, size_t cap)
{
    if (ph && strlen(ph) == 10) snprintf(out, cap, "(%.3s) %.3s-%.4s", ph, ph + 3, ph + 6);
    else snprintf(out, cap, "%s", ph ? ph : "");
}

static void zip_fmt(const char *zip, char *out, size_t cap)
{
    if (zip && strlen(zip) == 9) snprintf(out, cap, "%.5s-%.4s", zip, zip + 5);
    else snprintf(out, cap, "%s", zip ? zip : "");
}

static void city_line(const struct psy_claim_address *a, char *out, size_t cap)
{
    char zip[16];
    zip_fmt(a->zip, zip, sizeof zip);
    snprintf(out, cap, "%s%s%s %s", a->city ? a->city : "", empty(a->city) ? "" : ", ", a->state ? a->state : "", zip);
}

static void street(const struct psy_claim_address *a, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s", a->line1 ? a->line1 : "", empty(a->line2) ? "" : ", ", a->line2 ? a->line2 : "");
}

/* "LAST, FIRST M" (form order) or "First M Last, CRED" (reading order). */
static void name_fmt(const char *last, const char *first, const char *middle, const char *suffix, int form,
                     char *out, size_t cap)
{
    char mi[4] = "";
    if (!empty(middle)) snprintf(mi, sizeof mi, " %c", middle[0]);
    if (form)
        snprintf(out, cap, "%s%s%s%s%s%s", last ? last : "", empty(suffix) ? "" : " ", suffix ? suffix : "",
                 empty(first) ? "" : ", ", first ? first : "", mi);
    else
        snprintf(out, cap, "%s%s%s%s%s%s", first ? first : "", empty(middle) ? "" : " ", middle ? middle : "",
                 empty(first) && empty(middle) ? "" : " ", last ? last : "", empty(suffix) ? "" : "");
}

static void provider_name(const struct psy_claim_provider *pr, int form, char *out, size_t cap)
{
    if (!pr->is_person) {
        snprintf(out, cap, "%s", pr->last_name ? pr->last_name : "");
        return;
    }
    char n[160];
    name_fmt(pr->last_name, pr->first_name, pr->middle_name, pr->suffix, form, n, sizeof n);
    snprintf(out, cap, "%s%s%s", n, empty(pr->credentials) ? "" : ", ", pr->credentials ? pr->credentials : "");
}

static void dx_fmt(const char *in, int dot, char *out, size_t cap)
{
    char code[PSY_CODE_MAX];
    if (psy_catalog_normalize(PSY_SYS_ICD10CM, in, code)) snprintf(code, sizeof code, "%.15s", in ? in : "");
    size_t k = 0;
    for (const char *s = code; *s && k + 1 < cap; s++)
        if (dot || *s != '.') out[k++] = *s;
    out[k] = 0;
}

static psy_status fail(char *err, size_t errlen, const char *field, const char *what)
{
    snprintf(err, errlen, "%s: %s", field, what);
    return PSY_EINVAL;
}

/* --- superbill ------------------------------------------------------------------------------- */

static psy_status superbill_check(const struct psy_superbill *sb, char *err, size_t errlen)
{
    if (!sb->practice || empty(sb->practice->last_name)) return fail(err, errlen, "practice.last_name", "required");
    if (empty(sb->practice->tax_id)) return fail(err, errlen, "practice.tax_id", "required (an EIN, not an SSN)");
    if (sb->practice->tax_id_is_ssn) return fail(err, errlen, "practice.tax_id", "a superbill shows an EIN, not an SSN");
    if (empty(sb->practice->address.line1)) return fail(err, errlen, "practice.address.line1", "required");
    if (!sb->clinician || empty(sb->clinician->last_name)) return fail(err, errlen, "clinician.last_name", "required");
    if (!psy_npi_valid(sb->clinician->npi)) return fail(err, errlen, "clinician.npi", "not a valid NPI");
    if (empty(sb->clinician->license)) return fail(err, errlen, "clinician.license", "required");
    if (!sb->patient || empty(sb->patient->last_name)) return fail(err, errlen, "patient.last_name", "required");
    if (!psy_date_valid(sb->patient->birth_date)) return fail(err, errlen, "patient.birth_date", "not a CCYYMMDD date");
    if (!psy_date_valid(sb->statement_date)) return fail(err, errlen, "statement_date", "not a CCYYMMDD date");
    if (sb->n_lines < 1 || !sb->lines) return fail(err, errlen, "lines", "a superbill lists at least one service");
    if (sb->n_diagnoses < 1 || sb->n_diagnoses > PSY_CLAIM_MAX_DX)
        return fail(err, errlen, "diagnoses", "1 to 12 diagnoses are required");
    for (size_t i = 0; i < sb->n_lines; i++) {
        const struct psy_claim_line *l = &sb->lines[i];
        const char *field = NULL, *what = NULL;
        if (!psy_date_valid(l->date)) field = "date", what = "not a CCYYMMDD date";
        else if (empty(l->place_of_service)) field = "place_of_service", what = "required";
        else if (empty(l->code)) field = "code", what = "required";
        else if (!l->dx_pointers[0] || l->dx_pointers[0] > sb->n_diagnoses)
            field = "dx_pointers", what = "must point at a listed diagnosis";
        if (field) {
            snprintf(err, errlen, "lines[%zu].%s: %s", i, field, what);
            return PSY_EINVAL;
        }
    }
    return PSY_OK;
}

static float superbill_header(struct pdf *p, const struct psy_superbill *sb)
{
    const struct psy_claim_provider *pr = sb->practice, *cl = sb->clinician;
    char a[200], b[200];
    new_page(p);
    text(p, p->bold, 15, LEFT + 6, 44, 0, pr->last_name);
    street(&pr->address, a, sizeof a);
    text(p, p->sans, 9, LEFT + 6, 58, 0, a);
    city_line(&pr->address, a, sizeof a);
    phone_fmt(pr->phone, b, sizeof b);
    char c[420];
    snprintf(c, sizeof c, "%s%s%s", a, empty(b) ? "" : "   Phone ", b);
    text(p, p->sans, 9, LEFT + 6, 70, 0, c);
    snprintf(a, sizeof a, "Tax ID (EIN): %.2s-%s", pr->tax_id, strlen(pr->tax_id) > 2 ? pr->tax_id + 2 : "");
    text(p, p->sans, 9, LEFT + 6, 82, 0, a);
    if (!empty(pr->npi) && (!cl->npi || strcmp(pr->npi, cl->npi))) {
        snprintf(a, sizeof a, "Group NPI: %s", pr->npi);
        text(p, p->sans, 9, LEFT + 200, 82, 0, a);
    }
    text_right(p, p->bold, 13, PAGE_W - LEFT - 6, 44, "SUPERBILL");
    text_right(p, p->sans, 8, PAGE_W - LEFT - 6, 56, "Itemised statement for insurance reimbursement");
    date_fmt(sb->statement_date, 0, a, sizeof a);
    snprintf(b, sizeof b, "Statement date: %.40s", a);
    text_right(p, p->sans, 9, PAGE_W - LEFT - 6, 70, b);
    if (!empty(sb->period)) {
        snprintf(b, sizeof b, "Period: %s", sb->period);
        text_right(p, p->sans, 9, PAGE_W - LEFT - 6, 82, b);
    }
    hline(p, LEFT, 92, PAGE_W - 2 * LEFT);
    return 100;
}

static void superbill_parties(struct pdf *p, const struct psy_superbill *sb, float y)
{
    const struct psy_claim_provider *cl = sb->clinician;
    const struct psy_claim_person *pt = sb->patient;
    char a[200], b[200];
    float w = (PAGE_W - 2 * LEFT) / 2;
    rect(p, LEFT, y, w, 86, 0);
    text(p, p->bold, 8, LEFT + 4, y + 11, 0, "PROVIDER");
    provider_name(cl, 0, a, sizeof a);
    text(p, p->sans, 9.5f, LEFT + 4, y + 25, w - 8, a);
    snprintf(a, sizeof a, "NPI: %s", cl->npi);
    text(p, p->sans, 9, LEFT + 4, y + 38, w - 8, a);
    snprintf(a, sizeof a, "License: %s", cl->license);
    text(p, p->sans, 9, LEFT + 4, y + 50, w - 8, a);
    if (!empty(cl->taxonomy)) {
        snprintf(a, sizeof a, "Taxonomy: %s", cl->taxonomy);
        text(p, p->sans, 9, LEFT + 4, y + 62, w - 8, a);
    }
    float x = LEFT + w;
    rect(p, x, y, w, 86, 0);
    text(p, p->bold, 8, x + 4, y + 11, 0, "CLIENT");
    name_fmt(pt->last_name, pt->first_name, pt->middle_name, pt->suffix, 0, a, sizeof a);
    date_fmt(pt->birth_date, 0, b, sizeof b);
    char c[420];
    snprintf(c, sizeof c, "%s   Date of birth: %s", a, b);
    text(p, p->sans, 9.5f, x + 4, y + 25, w - 8, c);
    street(&pt->address, a, sizeof a);
    text(p, p->sans, 9, x + 4, y + 38, w - 8, a);
    city_line(&pt->address, a, sizeof a);
    text(p, p->sans, 9, x + 4, y + 50, w - 8, a);
    if (sb->subscriber) {
        const struct psy_claim_subscriber *s = sb->subscriber;
        snprintf(c, sizeof c, "Insurance: %s   Member ID: %s", sb->payer_name ? sb->payer_name : "",
                 s->member_id ? s->member_id : "");
        text(p, p->sans, 9, x + 4, y + 62, w - 8, c);
        if (!sb->subscriber_is_patient) {
            name_fmt(s->person.last_name, s->person.first_name, s->person.middle_name, s->person.suffix, 0, a, sizeof a);
            snprintf(c, sizeof c, "Insured (subscriber): %s", a);
            text(p, p->sans, 9, x + 4, y + 74, w - 8, c);
        }
    }
}

static const float sb_cols[] = {LEFT, LEFT + 70, LEFT + 110, LEFT + 170, LEFT + 250, LEFT + 290, LEFT + 480};
static const char *const sb_heads[] = {"Date", "POS", "Code", "Modifiers", "Units", "Diagnoses", "Fee"};

static float superbill_table_head(struct pdf *p, float y)
{
    rect(p, LEFT, y, PAGE_W - 2 * LEFT, 14, 0.88f);
    for (int i = 0; i < 7; i++) {
        if (i == 6) text_right(p, p->bold, 8, PAGE_W - LEFT - 4, y + 10, sb_heads[i]);
        else text(p, p->bold, 8, sb_cols[i] + 4, y + 10, 0, sb_heads[i]);
    }
    return y + 14;
}

static void superbill_row(struct pdf *p, const struct psy_superbill *sb, const struct psy_claim_line *l, float y)
{
    char a[200];
    date_fmt(l->date, 0, a, sizeof a);
    text(p, p->mono, 9, sb_cols[0] + 4, y + 11, 0, a);
    text(p, p->mono, 9, sb_cols[1] + 4, y + 11, 0, l->place_of_service);
    text(p, p->mono, 9, sb_cols[2] + 4, y + 11, 0, l->code);
    a[0] = 0;
    for (int m = 0; m < PSY_CLAIM_MAX_MODS && !empty(l->modifiers[m]); m++) {
        size_t k = strlen(a);
        snprintf(a + k, sizeof a - k, "%s%s", m ? " " : "", l->modifiers[m]);
    }
    text(p, p->mono, 9, sb_cols[3] + 4, y + 11, 0, a);
    snprintf(a, sizeof a, "%u", l->units);
    text(p, p->mono, 9, sb_cols[4] + 4, y + 11, 0, a);
    a[0] = 0;
    for (int d = 0; d < PSY_CLAIM_MAX_PTRS && l->dx_pointers[d] && l->dx_pointers[d] <= sb->n_diagnoses; d++) {
        char code[PSY_CODE_MAX];
        dx_fmt(sb->diagnoses[l->dx_pointers[d] - 1], 1, code, sizeof code);
        size_t k = strlen(a);
        snprintf(a + k, sizeof a - k, "%s%s", d ? ", " : "", code);
    }
    text(p, p->mono, 9, sb_cols[5] + 4, y + 11, 186, a);
    money(l->charge_cents, a, sizeof a);
    text_right(p, p->mono, 9, PAGE_W - LEFT - 4, y + 11, a);
    hline(p, LEFT, y + 15, PAGE_W - 2 * LEFT);
}

psy_status psy_pdf_superbill(const struct psy_superbill *sb, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    psy_status rc = superbill_check(sb, err, errlen);
    if (rc) return rc;
    struct pdf p;
    if (pdf_open(&p, "Superbill")) return fail(err, errlen, "pdf", "the PDF library could not start");
    float y = superbill_header(&p, sb);
    superbill_parties(&p, sb, y);
    y += 96;
    char a[300];
    text(&p, p.bold, 8, LEFT, y + 8, 0, "DIAGNOSES (ICD-10-CM)");
    a[0] = 0;
    for (size_t d = 0; d < sb->n_diagnoses; d++) {
        char code[PSY_CODE_MAX];
        dx_fmt(sb->diagnoses[d], 1, code, sizeof code);
        size_t k = strlen(a);
        snprintf(a + k, sizeof a - k, "%s%c. %s", d ? "    " : "", (char)('A' + d), code);
    }
    text(&p, p.mono, 9, LEFT + 110, y + 8, PAGE_W - 2 * LEFT - 110, a);
    y = superbill_table_head(&p, y + 16);
    long long total = 0, paid = 0, balance = 0;
    int over = 0;
    for (size_t i = 0; i < sb->n_lines; i++) {
        if (y > PAGE_H - 200) {
            text_right(&p, p.sans, 8, PAGE_W - LEFT, y + 14, "continued on the next page");
            y = superbill_table_head(&p, superbill_header(&p, sb));
        }
        superbill_row(&p, sb, &sb->lines[i], y);
        psy_cents_acc(&total, sb->lines[i].charge_cents, &over);
        y += 16;
    }
    for (size_t i = 0; i < sb->n_payments; i++) psy_cents_acc(&paid, sb->payments[i].amount_cents, &over);
    if (over || psy_cents_sub(total, paid, &balance)) {
        HPDF_Free(p.doc);
        return fail(err, errlen, "charge_cents", "the superbill's totals do not fit in an amount");
    }
    static const char *const labels[] = {"Total charges", "Amount paid", "Balance due"};
    long long sums[3] = {total, paid, balance};
    for (int i = 0; i < 3; i++) {
        money(sums[i], a, sizeof a);
        text(&p, i == 2 ? p.bold : p.sans, 9.5f, LEFT + 380, y + 14 + 13.0f * (float)i, 0, labels[i]);
        text_right(&p, i == 2 ? p.bold : p.mono, 9.5f, PAGE_W - LEFT - 4, y + 14 + 13.0f * (float)i, a);
    }
    if (total > 0 && paid >= total) {
        rect(&p, LEFT + 380, y + 52, PAGE_W - 2 * LEFT - 380, 20, 0);
        text(&p, p.bold, 12, LEFT + 420, y + 66, 0, "PAID IN FULL");
    }
    text(&p, p.bold, 8, LEFT, y + 14, 0, "PAYMENTS RECEIVED");
    float py = y + 27;
    for (size_t i = 0; i < sb->n_payments; i++, py += 12) {
        char d[32], m[32];
        date_fmt(sb->payments[i].date, 0, d, sizeof d);
        money(sb->payments[i].amount_cents, m, sizeof m);
        snprintf(a, sizeof a, "%s  %-14.14s %10s", d, sb->payments[i].method ? sb->payments[i].method : "", m);
        text(&p, p.mono, 9, LEFT, py, 340, a);
    }
    if (!sb->n_payments) text(&p, p.sans, 9, LEFT, py, 0, "none");
    y = (py > y + 80 ? py : y + 80) + 12;
    text(&p, p.sans, 8, LEFT, y, PAGE_W - 2 * LEFT,
         "Sent by the client to their insurer for out-of-network reimbursement: the insurer pays the client, not");
    text(&p, p.sans, 8, LEFT, y + 10, PAGE_W - 2 * LEFT,
         "the practice. Clients should confirm their out-of-network benefits with the insurer first.");
    y += 44;
    hline(&p, LEFT, y, 260);
    hline(&p, LEFT + 300, y, 120);
    provider_name(sb->clinician, 0, a, sizeof a);
    char sig[320];
    snprintf(sig, sizeof sig, "Signature: %s", a);
    text(&p, p.sans, 8, LEFT, y + 10, 260, sig);
    date_fmt(sb->signature_date ? sb->signature_date : sb->statement_date, 0, a, sizeof a);
    text(&p, p.mono, 9, LEFT + 300, y - 3, 0, a);
    text(&p, p.sans, 8, LEFT + 300, y + 10, 0, "Date");
    return pdf_close(&p, out, len, err, errlen);
}

/* --- client statement ------------------------------------------------------------------------ */

static const float st_cols[] = {LEFT, LEFT + 64, LEFT + 104, LEFT + 330, LEFT + 410, LEFT + 490};

static float statement_head(struct pdf *p, const struct psy_statement *s)
{
    const struct psy_claim_provider *pr = s->practice;
    char a[200], b[200], c[420];
    new_page(p);
    text(p, p->bold, 15, LEFT + 6, 44, 300, pr->last_name);
    street(&pr->address, a, sizeof a);
    text(p, p->sans, 9, LEFT + 6, 58, 0, a);
    city_line(&pr->address, a, sizeof a);
    phone_fmt(pr->phone, b, sizeof b);
    snprintf(c, sizeof c, "%s%s%s", a, empty(b) ? "" : "   Phone ", b);
    text(p, p->sans, 9, LEFT + 6, 70, 0, c);
    text_right(p, p->bold, 13, PAGE_W - LEFT - 6, 44, "STATEMENT");
    date_fmt(s->statement_date, 0, a, sizeof a);
    snprintf(b, sizeof b, "Statement date: %.40s", a);
    text_right(p, p->sans, 9, PAGE_W - LEFT - 6, 58, b);
    snprintf(b, sizeof b, "Period: %.40s", s->period ? s->period : "");
    text_right(p, p->sans, 9, PAGE_W - LEFT - 6, 70, b);
    hline(p, LEFT, 80, PAGE_W - 2 * LEFT);
    text(p, p->sans, 9, LEFT + 6, 96, 0, "Statement for");
    name_fmt(s->patient->last_name, s->patient->first_name, s->patient->middle_name, s->patient->suffix, 0, a, sizeof a);
    text(p, p->bold, 10, LEFT + 6, 109, 0, a);
    street(&s->patient->address, a, sizeof a);
    text(p, p->sans, 9, LEFT + 6, 121, 0, a);
    city_line(&s->patient->address, a, sizeof a);
    text(p, p->sans, 9, LEFT + 6, 133, 0, a);
    long long due = s->total_due_cents;
    if (due < 0 && psy_cents_sub(0, due, &due)) due = 0;
    rect(p, PAGE_W - LEFT - 170, 92, 170, 44, 0.92f);
    text(p, p->sans, 9, PAGE_W - LEFT - 162, 106, 0, s->total_due_cents < 0 ? "Credit on your account" : "Total due");
    text_right(p, p->bold, 16, PAGE_W - LEFT - 8, 128, psy_cents_format(due, b));
    float y = 156;
    static const char *const heads[] = {"Date", "Code", "Service", "Charge", "Insurance paid", "You owe"};
    rect(p, LEFT, y, PAGE_W - 2 * LEFT, 14, 0.85f);
    for (int i = 0; i < 6; i++)
        if (i < 3) text(p, p->bold, 8, st_cols[i] + 3, y + 10, 0, heads[i]);
        else text_right(p, p->bold, 8, (i < 5 ? st_cols[i + 1] : PAGE_W - LEFT) - 4, y + 10, heads[i]);
    return y + 14;
}

psy_status psy_pdf_statement(const struct psy_statement *s, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    if (!s->practice || empty(s->practice->last_name)) return fail(err, errlen, "practice.last_name", "required");
    if (!s->patient || empty(s->patient->last_name)) return fail(err, errlen, "patient.last_name", "required");
    struct pdf p;
    if (pdf_open(&p, "Statement")) return fail(err, errlen, "pdf", "the PDF library could not start");
    float y = statement_head(&p, s);
    char a[300];
    for (size_t i = 0; i < s->n_lines; i++) {
        const struct psy_statement_line *l = &s->lines[i];
        if (y > PAGE_H - 190) {
            text_right(&p, p.sans, 8, PAGE_W - LEFT, y + 14, "continued on the next page");
            y = statement_head(&p, s);
        }
        date_fmt(l->date, 0, a, sizeof a);
        text(&p, p.mono, 8.5f, st_cols[0] + 3, y + 11, 0, a);
        text(&p, p.mono, 8.5f, st_cols[1] + 3, y + 11, 0, l->code);
        text(&p, p.sans, 8.5f, st_cols[2] + 3, y + 11, st_cols[3] - st_cols[2] - 6, l->description);
        long long v[3] = {l->charge_cents, l->insurance_cents, l->owed_cents};
        for (int k = 0; k < 3; k++) {
            psy_cents_format(v[k], a);
            text_right(&p, k == 2 ? p.bold : p.mono, 8.5f, (k < 2 ? st_cols[k + 4] : PAGE_W - LEFT) - 4, y + 11, a);
        }
        hline(&p, LEFT, y + 15, PAGE_W - 2 * LEFT);
        y += 15;
    }
    if (!s->n_lines) {
        text(&p, p.sans, 9, LEFT + 3, y + 12, 0, "No service with an amount owed.");
        y += 15;
    }
    y += 22;
    text(&p, p.bold, 8, LEFT, y, 0, "PAYMENTS AND CORRECTIONS THIS PERIOD");
    y += 13;
    for (size_t i = 0; i < s->n_items; i++, y += 12) {
        if (y > PAGE_H - 90) y = statement_head(&p, s) + 12;
        char d[32], m[32];
        date_fmt(s->items[i].date, 0, d, sizeof d);
        psy_cents_format(s->items[i].amount_cents, m);
        text(&p, p.mono, 8.5f, LEFT, y, 0, d);
        text(&p, p.sans, 8.5f, LEFT + 70, y, 330, s->items[i].what);
        text_right(&p, p.mono, 8.5f, PAGE_W - LEFT - 4, y, m);
    }
    if (!s->n_items) {
        text(&p, p.sans, 8.5f, LEFT, y, 0, "none");
        y += 12;
    }
    y += 10;
    psy_cents_format(s->total_due_cents, a);
    text(&p, p.bold, 10, LEFT + 330, y, 0, "Total due");
    text_right(&p, p.bold, 10, PAGE_W - LEFT - 4, y, a);
    y += 24;
    if (!empty(s->how_to_pay)) {
        text(&p, p.bold, 8, LEFT, y, 0, "HOW TO PAY");
        /* wrapped at about 120 characters a line, at a blank */
        const char *t = s->how_to_pay;
        while (*t && y < PAGE_H - 30) {
            size_t n = strlen(t);
            if (n > 120) {
                n = 120;
                while (n > 40 && t[n] != ' ') n--;
            }
            snprintf(a, sizeof a, "%.*s", (int)n, t);
            y += 12;
            text(&p, p.sans, 8.5f, LEFT, y, PAGE_W - 2 * LEFT, a);
            t += n;
            while (*t == ' ') t++;
        }
    }
    return pdf_close(&p, out, len, err, errlen);
}

/* --- CMS-1500 -------------------------------------------------------------------------------- */

static psy_status cms1500_check(const struct psy_claim *c, const struct psy_claim_provider *billing, char *err,
                                size_t errlen)
{
    if (!billing || empty(billing->last_name)) return fail(err, errlen, "billing.last_name", "required");
    if (!psy_npi_valid(billing->npi)) return fail(err, errlen, "billing.npi", "not a valid NPI");
    if (empty(billing->tax_id)) return fail(err, errlen, "billing.tax_id", "required");
    if (empty(c->id)) return fail(err, errlen, "claim.id", "required");
    if (!c->subscriber || empty(c->subscriber->member_id))
        return fail(err, errlen, "claim.subscriber.member_id", "required");
    if (!c->payer || empty(c->payer->name)) return fail(err, errlen, "claim.payer.name", "required");
    if (c->n_lines < 1 || !c->lines) return fail(err, errlen, "claim.lines", "at least one service line");
    if (c->n_diagnoses < 1 || c->n_diagnoses > PSY_CLAIM_MAX_DX)
        return fail(err, errlen, "claim.diagnoses", "1 to 12 diagnoses are required");
    return PSY_OK;
}

/* Item 1: the payer type from the claim filing indicator. */
static int payer_type(const char *filing)
{
    static const struct { const char *code; int box; } map[] = {
        {"MB", 0}, {"MA", 0}, {"16", 0}, {"MC", 1}, {"CH", 2}, {"VA", 3}, {"CI", 4}, {"BL", 4},
        {"HM", 4}, {"12", 4}, {"13", 4}, {"14", 4}, {"15", 4}, {"17", 4}, {"FI", 5},
    };
    for (size_t i = 0; filing && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(filing, map[i].code)) return map[i].box;
    return 6;
}

static void checks(char *out, size_t cap, const char *const *labels, size_t n, size_t on)
{
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(out);
        snprintf(out + k, cap - k, "%s[%c] %s", i ? "  " : "", i == on ? 'X' : ' ', labels[i]);
    }
}

static void cms1500_top(struct pdf *p, const struct psy_claim *c)
{
    const struct psy_claim_subscriber *s = c->subscriber;
    const struct psy_claim_person *pt = c->patient ? c->patient : &s->person;
    char a[300], b[200], d[64];
    text(p, p->bold, 13, LEFT, 30, 0, "HEALTH INSURANCE CLAIM FORM");
    text(p, p->sans, 7, LEFT, 41, 0, "CMS-1500 (02/12) claim data in the form's item layout");
    text(p, p->sans, 6, LEFT + 320, 22, 0, "CARRIER");
    text(p, p->mono, 8.5f, LEFT + 320, 32, 250, c->payer->name);
    street(&c->payer->address, a, sizeof a);
    text(p, p->mono, 8.5f, LEFT + 320, 42, 250, a);
    if (!empty(c->payer->address.city)) {
        city_line(&c->payer->address, a, sizeof a);
        text(p, p->mono, 8.5f, LEFT + 320, 52, 250, a);
    }
    static const char *const types[] = {"MEDICARE", "MEDICAID", "TRICARE", "CHAMPVA", "GROUP HEALTH PLAN", "FECA BLK LUNG", "OTHER"};
    checks(a, sizeof a, types, 7, (size_t)payer_type(c->payer->filing_indicator));
    float y = 60;
    rect(p, LEFT, y, 360, 24, 0);
    text(p, p->sans, 5.5f, LEFT + 2, y + 6.5f, 0, "1.");
    text(p, p->sans, 6.5f, LEFT + 4, y + 17, 352, a);
    box(p, 378, y, 216, 24, "1a. INSURED'S I.D. NUMBER", s->member_id, NULL, NULL);
    y += 24;
    name_fmt(pt->last_name, pt->first_name, pt->middle_name, pt->suffix, 1, a, sizeof a);
    box(p, LEFT, y, 216, 24, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", a, NULL, NULL);
    date_fmt(pt->birth_date, 0, d, sizeof d);
    snprintf(b, sizeof b, "%s   SEX %c", d, pt->sex ? pt->sex : ' ');
    box(p, 234, y, 144, 24, "3. PATIENT'S BIRTH DATE / SEX", b, NULL, NULL);
    name_fmt(s->person.last_name, s->person.first_name, s->person.middle_name, s->person.suffix, 1, a, sizeof a);
    box(p, 378, y, 216, 24, "4. INSURED'S NAME (Last Name, First Name, Middle Initial)", a, NULL, NULL);
    y += 24;
    char st1[200], ct1[200], st2[200], ct2[200];
    street(&pt->address, st1, sizeof st1);
    city_line(&pt->address, ct1, sizeof ct1);
    box(p, LEFT, y, 216, 36, "5. PATIENT'S ADDRESS (No., Street, City, State, ZIP)", st1, ct1, NULL);
    static const char *const rel[] = {"SELF", "SPOUSE", "CHILD", "OTHER"};
    size_t r = !c->patient ? 0 : !strcmp(c->patient_relationship ? c->patient_relationship : "", "01") ? 1
             : !strcmp(c->patient_relationship ? c->patient_relationship : "", "19") ? 2 : 3;
    checks(a, sizeof a, rel, 4, r);
    rect(p, 234, y, 144, 36, 0);
    text(p, p->sans, 5.5f, 236, y + 6.5f, 140, "6. PATIENT RELATIONSHIP TO INSURED");
    text(p, p->sans, 6.5f, 237, y + 20, 138, a);
    street(&s->person.address, st2, sizeof st2);
    city_line(&s->person.address, ct2, sizeof ct2);
    box(p, 378, y, 216, 36, "7. INSURED'S ADDRESS (No., Street, City, State, ZIP)", empty(s->person.address.line1) ? NULL : st2,
        empty(s->person.address.line1) ? NULL : ct2, NULL);
    y += 36;
    box(p, LEFT, y, 216, 24, "9. OTHER INSURED'S NAME", NULL, NULL, NULL);
    box(p, 234, y, 144, 24, "8. RESERVED FOR NUCC USE", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "11. INSURED'S POLICY GROUP OR FECA NUMBER", s->group_number, NULL, NULL);
    y += 24;
    box(p, LEFT, y, 216, 24, "9a. OTHER INSURED'S POLICY OR GROUP NUMBER", NULL, NULL, NULL);
    box(p, 234, y, 144, 72, "10. IS PATIENT'S CONDITION RELATED TO:", "a. EMPLOYMENT  NO", "b. AUTO ACCID. NO",
        "c. OTHER ACCID. NO");
    date_fmt(s->person.birth_date, 0, d, sizeof d);
    snprintf(b, sizeof b, "%s   SEX %c", empty(s->person.birth_date) ? "" : d, s->person.sex ? s->person.sex : ' ');
    box(p, 378, y, 216, 24, "11a. INSURED'S DATE OF BIRTH / SEX", empty(s->person.birth_date) ? NULL : b, NULL, NULL);
    y += 24;
    box(p, LEFT, y, 216, 24, "9b. RESERVED FOR NUCC USE", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "11b. OTHER CLAIM ID (Designated by NUCC)", NULL, NULL, NULL);
    y += 24;
    box(p, LEFT, y, 216, 24, "9c. RESERVED FOR NUCC USE", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "11c. INSURANCE PLAN NAME OR PROGRAM NAME", s->group_name, NULL, NULL);
    y += 24;
    box(p, LEFT, y, 216, 24, "9d. INSURANCE PLAN NAME OR PROGRAM NAME", NULL, NULL, NULL);
    box(p, 234, y, 144, 24, "10d. CLAIM CODES (Designated by NUCC)", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "11d. IS THERE ANOTHER HEALTH BENEFIT PLAN?", "NO", NULL, NULL);
    y += 24;
    box(p, LEFT, y, 360, 24, "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE (release of information)",
        "SIGNATURE ON FILE", NULL, NULL);
    box(p, 378, y, 216, 24, "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE", "SIGNATURE ON FILE", NULL, NULL);
    y += 24;
    box(p, LEFT, y, 216, 24, "14. DATE OF CURRENT ILLNESS, INJURY, OR PREGNANCY (LMP)", NULL, NULL, NULL);
    box(p, 234, y, 144, 24, "15. OTHER DATE", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION", NULL, NULL, NULL);
    y += 24;
    box(p, LEFT, y, 216, 24, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE", NULL, NULL, NULL);
    box(p, 234, y, 144, 24, "17a. / 17b. NPI", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES", NULL, NULL, NULL);
    y += 24;
    box(p, LEFT, y, 360, 24, "19. ADDITIONAL CLAIM INFORMATION (Designated by NUCC)", NULL, NULL, NULL);
    box(p, 378, y, 216, 24, "20. OUTSIDE LAB?   $ CHARGES", "NO", NULL, NULL);
}

static void cms1500_middle(struct pdf *p, const struct psy_claim *c, const struct psy_cms1500_opts *o)
{
    float y = 360;
    char a[200];
    rect(p, LEFT, y, 360, 48, 0);
    text(p, p->sans, 5.5f, LEFT + 2, y + 6.5f, 0, "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY (relate A-L to service line below, 24E)");
    text(p, p->sans, 5.5f, LEFT + 300, y + 6.5f, 0, "ICD Ind.  0");
    for (size_t d = 0; d < PSY_CLAIM_MAX_DX; d++) {
        char code[PSY_CODE_MAX] = "";
        if (d < c->n_diagnoses) dx_fmt(c->diagnoses[d], o && o->icd_with_dot, code, sizeof code);
        float x = LEFT + 4 + 88.0f * (float)(d % 4), yy = y + 18 + 11.0f * (float)(d / 4);
        snprintf(a, sizeof a, "%c.", (char)('A' + d));
        text(p, p->sans, 6, x, yy, 0, a);
        text(p, p->mono, 8.5f, x + 9, yy, 76, code);
        hline(p, x + 8, yy + 2, 74);
    }
    char freq[8] = "";
    if (c->frequency != PSY_FREQ_ORIGINAL) snprintf(freq, sizeof freq, "%d", (int)c->frequency);
    snprintf(a, sizeof a, "%-4s %s", freq,
             c->frequency != PSY_FREQ_ORIGINAL && c->payer_claim_number ? c->payer_claim_number : "");
    box(p, 378, y, 216, 24, "22. RESUBMISSION CODE / ORIGINAL REF. NO.", *freq ? a : NULL, NULL, NULL);
    box(p, 378, y + 24, 216, 24, "23. PRIOR AUTHORIZATION NUMBER", c->prior_auth, NULL, NULL);
}

/* Item 24 columns: x offset and width; A..J. */
static const struct { float x, w; const char *label; } col24[] = {
    {LEFT, 108, "24. A. DATE(S) OF SERVICE  From / To"}, {LEFT + 108, 24, "B. POS"}, {LEFT + 132, 24, "C. EMG"},
    {LEFT + 156, 132, "D. PROCEDURES, SERVICES (CPT/HCPCS  MODIFIER)"}, {LEFT + 288, 48, "E. DX POINTER"},
    {LEFT + 336, 66, "F. $ CHARGES"}, {LEFT + 402, 36, "G. DAYS/UNITS"}, {LEFT + 438, 24, "H. EPSDT"},
    {LEFT + 462, 30, "I. ID QUAL"}, {LEFT + 492, 84, "J. RENDERING PROVIDER ID #"},
};

static void cms1500_lines(struct pdf *p, const struct psy_claim *c, const struct psy_claim_provider *billing,
                          size_t first, size_t n)
{
    float y = 408;
    for (size_t i = 0; i < 10; i++) {
        rect(p, col24[i].x, y, col24[i].w, 20, 0);
        text(p, p->sans, 5, col24[i].x + 2, y + 7, col24[i].w - 3, col24[i].label);
    }
    y += 20;
    for (size_t k = 0; k < 6; k++, y += 24) {
        rect(p, LEFT, y, PAGE_W - 2 * LEFT, 10, 0.9f); /* the shaded supplemental band */
        for (size_t i = 0; i < 10; i++) rect(p, col24[i].x, y + 10, col24[i].w, 14, 0);
        char num[24];
        snprintf(num, sizeof num, "%zu", k + 1);
        text(p, p->bold, 7, LEFT - 10, y + 21, 0, num);
        if (first + k >= n) continue;
        const struct psy_claim_line *l = &c->lines[first + k];
        char a[200], d[32];
        date_fmt(l->date, 1, d, sizeof d);
        snprintf(a, sizeof a, "%s %s", d, d);
        text(p, p->mono, 8.5f, col24[0].x + 3, y + 21, col24[0].w - 4, a);
        text(p, p->mono, 8.5f, col24[1].x + 3, y + 21, 0, empty(l->place_of_service) ? c->place_of_service : l->place_of_service);
        snprintf(a, sizeof a, "%-6s", l->code ? l->code : "");
        for (int m = 0; m < PSY_CLAIM_MAX_MODS && !empty(l->modifiers[m]); m++) {
            size_t len = strlen(a);
            snprintf(a + len, sizeof a - len, " %s", l->modifiers[m]);
        }
        text(p, p->mono, 8.5f, col24[3].x + 3, y + 21, col24[3].w - 4, a);
        a[0] = 0;
        for (int q = 0; q < PSY_CLAIM_MAX_PTRS && l->dx_pointers[q]; q++) {
            size_t len = strlen(a);
            if (l->dx_pointers[q] <= PSY_CLAIM_MAX_DX)
                snprintf(a + len, sizeof a - len, "%c", 'A' + l->dx_pointers[q] - 1);
        }
        text(p, p->mono, 8.5f, col24[4].x + 3, y + 21, 0, a);
        money(l->charge_cents, a, sizeof a);
        text_right(p, p->mono, 8.5f, col24[5].x + col24[5].w - 3, y + 21, a);
        snprintf(a, sizeof a, "%u", l->units);
        text(p, p->mono, 8.5f, col24[6].x + 3, y + 21, 0, a);
        text(p, p->mono, 8.5f, col24[8].x + 3, y + 21, 0, "NPI");
        const struct psy_claim_provider *r = l->rendering ? l->rendering : c->rendering ? c->rendering : billing;
        text(p, p->mono, 8.5f, col24[9].x + 3, y + 21, 0, r->npi);
    }
}

static void cms1500_bottom(struct pdf *p, const struct psy_claim *c, const struct psy_claim_provider *billing,
                           const struct psy_cms1500_opts *o, int last, int page, int pages)
{
    float y = 572;
    char a[200], b[200], d[64];
    snprintf(a, sizeof a, "%s  [%c] SSN [%c] EIN", billing->tax_id, billing->tax_id_is_ssn ? 'X' : ' ',
             billing->tax_id_is_ssn ? ' ' : 'X');
    box(p, LEFT, y, 156, 24, "25. FEDERAL TAX I.D. NUMBER", a, NULL, NULL);
    box(p, 174, y, 120, 24, "26. PATIENT'S ACCOUNT NO.", c->id, NULL, NULL);
    box(p, 294, y, 84, 24, "27. ACCEPT ASSIGNMENT?", "YES", NULL, NULL);
    if (last) money(c->total_cents, a, sizeof a);
    else snprintf(a, sizeof a, "CONTINUED");
    box(p, 378, y, 72, 24, "28. TOTAL CHARGE", a, NULL, NULL);
    money(c->patient_paid_cents, b, sizeof b);
    box(p, 450, y, 72, 24, "29. AMOUNT PAID", last && c->patient_paid_cents ? b : NULL, NULL, NULL);
    box(p, 522, y, 72, 24, "30. RSVD FOR NUCC USE", NULL, NULL, NULL);
    y += 24;
    const struct psy_claim_provider *r = c->rendering ? c->rendering : billing;
    provider_name(r, 0, a, sizeof a);
    if (o && o->signature_date) date_fmt(o->signature_date, 0, d, sizeof d);
    else d[0] = 0;
    snprintf(b, sizeof b, "DATE %s", d);
    box(p, LEFT, y, 156, 60, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER (degrees or credentials)", a,
        "SIGNATURE ON FILE", b);
    box(p, 174, y, 204, 60, "32. SERVICE FACILITY LOCATION INFORMATION", NULL, NULL, NULL);
    char st[200], ct[200], ph[32], title[260];
    street(&billing->address, st, sizeof st);
    city_line(&billing->address, ct, sizeof ct);
    phone_fmt(billing->phone, ph, sizeof ph);
    provider_name(billing, 1, a, sizeof a);
    snprintf(title, sizeof title, "33. BILLING PROVIDER INFO & PH #   %s", ph);
    box(p, 378, y, 216, 60, title, a, st, ct);
    y += 60;
    box(p, 174, y, 102, 18, "32a. NPI", NULL, NULL, NULL);
    box(p, 276, y, 102, 18, "32b.", NULL, NULL, NULL);
    rect(p, 378, y, 108, 18, 0);
    text(p, p->sans, 5.5f, 380, y + 6.5f, 0, "33a. NPI");
    text(p, p->mono, 8.5f, 400, y + 13, 0, billing->npi);
    box(p, 486, y, 108, 18, "33b.", NULL, NULL, NULL);
    snprintf(a, sizeof a, "page %d of %d", page, pages);
    text(p, p->sans, 7, LEFT, y + 34, 0, a);
}

psy_status psy_pdf_cms1500(const struct psy_claim *c, const struct psy_claim_provider *billing,
                           const struct psy_cms1500_opts *o, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    psy_status rc = cms1500_check(c, billing, err, errlen);
    if (rc) return rc;
    struct pdf p;
    if (pdf_open(&p, "CMS-1500 claim data")) return fail(err, errlen, "pdf", "the PDF library could not start");
    int pages = (int)((c->n_lines + 5) / 6);
    for (int pg = 0; pg < pages; pg++) {
        new_page(&p);
        cms1500_top(&p, c);
        cms1500_middle(&p, c, o);
        cms1500_lines(&p, c, billing, (size_t)pg * 6, c->n_lines);
        cms1500_bottom(&p, c, billing, o, pg == pages - 1, pg + 1, pages);
    }
    return pdf_close(&p, out, len, err, errlen);
}
