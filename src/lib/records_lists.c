/*
 * records_lists.c -- the id lists the web pages browse by: a practice's groups and clients (all, or
 * those of one clinician), a client's policies, authorisations and treatment plans, a group's sessions
 * and the groups a client belongs to. Each answer is an ascending id list; the records themselves come
 * from the *_get functions.
 */
#include "records_int.h"

psy_status psy_records_group_list(psy_store *st, psy_id practice, psy_id clinician, psy_id **ids, size_t *n)
{
    if (!clinician)
        return psy__db_ints(st, ids, n, "SELECT id FROM therapy_group WHERE practice_id = ? ORDER BY id",
                            PSY_ARGS(PSY_INT(practice)));
    return psy__db_ints(
        st, ids, n,
        "SELECT id FROM therapy_group WHERE practice_id = ? AND (clinician_id = ? OR co_clinician_id = ?) "
        "ORDER BY id",
        PSY_ARGS(PSY_INT(practice), PSY_INT(clinician), PSY_INT(clinician)));
}

psy_status psy_records_client_ids(psy_store *st, psy_id practice, psy_id clinician, psy_id **ids, size_t *n)
{
    if (!clinician)
        return psy__db_ints(st, ids, n, "SELECT id FROM client WHERE practice_id = ? ORDER BY id",
                            PSY_ARGS(PSY_INT(practice)));
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM client WHERE practice_id = ? AND ("
                        " id IN (SELECT m.client_id FROM group_member m JOIN therapy_group g ON g.id = m.group_id"
                        "        WHERE g.practice_id = ? AND (g.clinician_id = ? OR g.co_clinician_id = ?))"
                        " OR id IN (SELECT client_id FROM treatment_plan WHERE practice_id = ? AND clinician_id = ?)"
                        " OR id IN (SELECT client_id FROM session WHERE practice_id = ? AND clinician_id = ?"
                        "           AND client_id IS NOT NULL)) ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(practice), PSY_INT(clinician), PSY_INT(clinician),
                                 PSY_INT(practice), PSY_INT(clinician), PSY_INT(practice), PSY_INT(clinician)));
}

psy_status psy_records_client_policies(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM policy WHERE practice_id = ? AND client_id = ? ORDER BY priority, id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_auths(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n, "SELECT id FROM authorisation WHERE practice_id = ? AND client_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_plans(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n, "SELECT id FROM treatment_plan WHERE practice_id = ? AND client_id = ? ORDER BY id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_groups(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT group_id FROM group_member WHERE practice_id = ? AND client_id = ? ORDER BY group_id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_client_sessions(psy_store *st, psy_id practice, psy_id client, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM session WHERE practice_id = ? AND client_id = ? ORDER BY service_date, id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(client)));
}

psy_status psy_records_group_sessions(psy_store *st, psy_id practice, psy_id group, psy_id **ids, size_t *n)
{
    return psy__db_ints(st, ids, n,
                        "SELECT id FROM session WHERE practice_id = ? AND group_id = ? ORDER BY service_date, id",
                        PSY_ARGS(PSY_INT(practice), PSY_INT(group)));
}
