'use strict'
// Times node-x12 on the files the psyclaim X12 benchmark wrote: regenerating an 837P from its parsed
// form (X12Generator, the same content as the C writer produced), parsing that 837P, and parsing an
// 835. Prints {"generate_837_s", "parse_837_s", "parse_835_s", "bytes_837", "bytes_835"}: the best of
// REPEAT runs each.
const fs = require('fs')
const { X12Parser, X12Generator } = require('node-x12')

const [file837, file835, repeatArg] = process.argv.slice(2)
const repeat = Number(repeatArg || 3)
const best = fn => {
  let t = Infinity
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint()
    fn()
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return t
}
const edi837 = fs.readFileSync(file837, 'utf8')
const edi835 = fs.readFileSync(file835, 'utf8')
const parsed837 = new X12Parser(true).parse(edi837)
const jsen = parsed837.toJSEDINotation()
let generated = ''
const out = {
  generate_837_s: best(() => { generated = new X12Generator(jsen).toString() }),
  parse_837_s: best(() => new X12Parser(true).parse(edi837)),
  parse_835_s: best(() => new X12Parser(true).parse(edi835)),
  bytes_837: Buffer.byteLength(edi837),
  bytes_835: Buffer.byteLength(edi835),
  generated_bytes_837: Buffer.byteLength(generated)
}
process.stdout.write(JSON.stringify(out) + '\n')
