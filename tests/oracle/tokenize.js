// tokenize.js - the oracle: HF tokenizers (Rust core, official Node binding)
// applied the way sentence-transformers applies it: Python str.strip(), then
// encode with special tokens, truncated to max_seq_length (0 = none).
//
//   node tokenize.js TOKENIZER_JSON INPUT_JSONL MAX_LENGTH [--time]
//
// Prints one {"ids":[...]} line per input line ({"text": ...} objects).
// With --time, prints only "texts N bytes B seconds S" for the encode calls.
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

// Python str.isspace() (the set sentence-transformers' strip removes)
const PY_SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
  0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
function pyStrip(s) {
  const cps = Array.from(s);
  let a = 0, b = cps.length;
  while (a < b && PY_SPACE.has(cps[a].codePointAt(0))) a++;
  while (b > a && PY_SPACE.has(cps[b - 1].codePointAt(0))) b--;
  return cps.slice(a, b).join('');
}

async function main() {
  const [file, input, maxLen, flag] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(file);
  const ml = parseInt(maxLen || '0', 10);
  if (ml > 0) tok.setTruncation(ml);
  const lines = fs.readFileSync(input, 'utf8').split('\n').filter((l) => l.length);
  const texts = lines.map((l) => pyStrip(JSON.parse(l).text));
  if (flag === '--time') {
    // batches of 1000 through encodeBatch (run with RAYON_NUM_THREADS=1 for
    // one thread): the Rust core's own speed, little binding overhead
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < texts.length; i += 1000) await tok.encodeBatch(texts.slice(i, i + 1000));
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const secs = best;
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
    console.log(`texts ${texts.length} bytes ${bytes} seconds ${secs}`);
    return;
  }
  const out = [];
  for (const t of texts) {
    const e = await tok.encode(t);
    out.push(e.getIds());
  }
  process.stdout.write(out.map((ids) => JSON.stringify({ ids })).join('\n') + '\n');
}
main().catch((e) => { console.error('error: ' + e.message); process.exit(1); });
