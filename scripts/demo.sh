#!/bin/sh
# The demo: a database with the built-in catalog (and the official code files when ../shared/data is
# beside the checkout), then a tour of the code pages.
set -eu
db=${1:-demo.db}
bin=./build/psyclaim
shared=../shared/data
export PSYCLAIM_DB="$db"
if [ -r "$shared/icd10cm/icd10cm_order_2022_fixedwidth.txt" ]; then
  $bin import icd10cm "$shared/icd10cm/icd10cm_order_2022_fixedwidth.txt"
  $bin import hcpcs "$shared/hcpcs/HCPC2025_OCT_ANWEB.tsv"
fi
$bin show 90853
echo
# the demo practice (once per database) and its audit
$bin audit >/dev/null 2>&1 || $bin demo-data
$bin audit
echo
echo "Database: $db. Try: $bin show 90837 --db $db, $bin show F43.10 --db $db"
