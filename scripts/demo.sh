#!/bin/sh
# The demo: a practice database with the built-in catalog (and, the first time, the official code files
# when ../shared/data is beside the checkout), three demo users, then the web app in the foreground on
# http://127.0.0.1:8080/ (DEMO_LISTEN=ADDR:PORT to change) until Ctrl-C.
set -eu
db=${1:-demo.db}
listen=${DEMO_LISTEN:-127.0.0.1:8080}
bin=./build/psyclaim
shared=../shared/data
export PSYCLAIM_DB="$db"

if [ ! -f "$db" ] && [ -r "$shared/icd10cm/icd10cm_order_2022_fixedwidth.txt" ]; then
  $bin import --quiet icd10cm "$shared/icd10cm/icd10cm_order_2022_fixedwidth.txt"
  $bin import --quiet hcpcs "$shared/hcpcs/HCPC2025_OCT_ANWEB.tsv"
fi

# The demo practice (once per database): clinicians, clients, groups, three months of sessions, and the
# claims built from the signed sessions (ready unless the scrubber holds them back).
if ! $bin audit >/dev/null 2>&1; then
  $bin demo-data
  $bin claims build
fi

# Demo users of practice 1; these passwords are for the demo only.
add_user() {
  if ! $bin user list --practice 1 | awk 'NR > 1 { print $3 }' | grep -qx "$1"; then
    u=$1 r=$2 pw=$3
    shift 3
    printf '%s\n' "$pw" | $bin user add --username "$u" --role "$r" "$@" >/dev/null
  fi
}
add_user admin admin demo-admin-pass
add_user clinician clinician demo-clinician-pass --clinician 1 # leads the first group
add_user biller biller demo-biller-pass

cat <<EOF

psyclaim demo, database $db
Open http://$listen/ and sign in as one of:

  user name   password              role
  admin       demo-admin-pass       admin: also sees the audit trail
  clinician   demo-clinician-pass   clinician, leads the first group: Groups > a group > Open session
  biller      demo-biller-pass      biller

Try the code page of 90853 (group psychotherapy): type 90853 and press Open.
Ctrl-C stops the server.

EOF
exec $bin serve --listen "$listen"
