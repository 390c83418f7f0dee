'use strict'
// Parses an X12 file with node-x12 (strict mode) and prints its envelopes and segments as JSON:
// {"interchanges": [{"isa": [...], "iea": [...], "groups": [{"gs", "ge", "transactions":
// [{"st", "se", "segments": [["TAG", "EL01", ...], ...]}]}]}]}. The psyclaim tests compare it with
// what the C writer meant to write. Exit status 1 when node-x12 refuses the file.
const fs = require('fs')
const { X12Parser } = require('node-x12')

const file = process.argv[2]
if (!file) {
  process.stderr.write('usage: node parse_x12.js FILE\n')
  process.exit(2)
}
let parsed
try {
  parsed = new X12Parser(true).parse(fs.readFileSync(file, 'utf8'))
} catch (e) {
  process.stderr.write(`node-x12: ${e.message}\n`)
  process.exit(1)
}
const values = seg => seg.elements.map(e => e.value)
const interchanges = parsed.interchanges ? parsed.interchanges : [parsed]
const out = interchanges.map(ic => ({
  isa: values(ic.header),
  iea: values(ic.trailer),
  groups: ic.functionalGroups.map(g => ({
    gs: values(g.header),
    ge: values(g.trailer),
    transactions: g.transactions.map(t => ({
      st: values(t.header),
      se: values(t.trailer),
      segments: t.segments.map(s => [s.tag, ...values(s)])
    }))
  }))
}))
process.stdout.write(JSON.stringify({ interchanges: out }) + '\n')
