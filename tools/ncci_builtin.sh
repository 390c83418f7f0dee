#!/bin/sh
# ncci_builtin.sh -- regenerates the built-in NCCI tables (data/ncci/{ptp,mue,aoc}.json) from the CMS
# files kept beside the checkout (../shared/data/ncci). The built-in set keeps only the rows that
# concern the codes the coding engine emits or meets on the same day: psychiatric codes 90785-90899,
# the E/M codes that anchor a psychotherapy add-on plus emergency (99281-99285) and critical care
# (99291-99292) visits, psychological/neuropsychological testing and health-behaviour codes
# (96130-96171), adaptive-behaviour codes (97151-97158) and Medicare crisis codes G0017/G0018. PTP rows
# are the edits in force (deletion date 9999-12-31). Usage: tools/ncci_builtin.sh [SHARED_NCCI_DIR] [OUT_DIR]
set -eu
src=${1:-../shared/data/ncci}
out=${2:-data/ncci}
ptp_psych=$src/ptp_practitioner_2024q3_psych_90785-90899.tsv
ptp_em=$src/ptp_practitioner_2024q3_em_99202-99499_pairs.tsv
mue=$src/mue_practitioner_eff_2024-07-01.tsv
aoc=$src/aoc_addon_code_edits_2024-06-03.tsv

universe='
function em(c) { return c ~ /^99(20[2-5]|21[1-5]|22[1-3]|23[1-9]|24[2-5]|25[2-5]|30[4-9]|310|31[56]|34[1-9]|350|44[1-3]|28[1-5]|29[12])$/ }
function psych(c) { return c ~ /^90(7[89][0-9]|8[0-9][0-9])$/ && c >= "90785" && c <= "90899" }
function other(c) { return (c ~ /^961[3-7][0-9]$/ && c <= "96171") || c ~ /^9715[1-8]$/ || c ~ /^G001[78]$/ }
function u(c) { return psych(c) || em(c) || other(c) }
'

{
  printf '{\n  "source": "CMS NCCI practitioner PTP edits, 2024 Q3 (in force from 2024-07-01): the rows in force for the codes listed in tools/ncci_builtin.sh",\n'
  printf '  "columns": ["column1", "column2", "modifier_indicator"],\n  "rows": [\n'
  cat "$ptp_psych" "$ptp_em" | awk -F'\t' "$universe"'
    $3 == "9999-12-31" && u($1) && u($2) && (psych($1) || psych($2) || (em($1) && em($2))) { print $1 "\t" $2 "\t" $4 }' |
    sort -u | awk -F'\t' '{ printf "%s    [\"%s\", \"%s\", %s]", (NR > 1 ? ",\n" : ""), $1, $2, $3 } END { printf "\n" }'
  printf '  ]\n}\n'
} >"$out/ptp.json"

{
  printf '{\n  "source": "CMS NCCI practitioner services MUE table in force from 2024-07-01, for the codes listed in tools/ncci_builtin.sh",\n'
  printf '  "columns": ["code", "units", "mai"],\n  "rows": [\n'
  awk -F'\t' "$universe"'NR > 1 && u($1) { print $1 "\t" $2 "\t" $3 }' "$mue" | sort -u |
    awk -F'\t' '{ printf "%s    [\"%s\", %s, %s]", (NR > 1 ? ",\n" : ""), $1, $2, $3 } END { printf "\n" }'
  printf '  ]\n}\n'
} >"$out/mue.json"

{
  printf '{\n  "source": "CMS NCCI add-on code edits (AOC file of 2024-06-03), for the add-on codes listed in tools/ncci_builtin.sh",\n'
  printf '  "columns": ["addon", "primary", "edit_type"],\n  "rows": [\n'
  awk -F'\t' "$universe"'NR > 1 && u($2) { print $2 "\t" $1 "\t" $3 }' "$aoc" | sort -u |
    awk -F'\t' '{ printf "%s    [\"%s\", \"%s\", %s]", (NR > 1 ? ",\n" : ""), $1, $2, $3 } END { printf "\n" }'
  printf '  ]\n}\n'
} >"$out/aoc.json"
