// ucd_probe.js - ask the HF tokenizers core which code points its Unicode
// predicates accept, for the ones HF takes from the old unicode_categories
// crate (frozen tables that differ from current Unicode) and from Rust std:
//   punct  Punctuation pre-tokenizer (ASCII punctuation or category P*)
//   other  BertNormalizer clean_text removal (Cc, Cf, Co; not \t \n \r)
//   mn     StripAccents (category Mn)
//   num    Digits pre-tokenizer (char::is_numeric)
// Prints "<name> <hex>" for each code point accepted. Used to generate
// ingest/tokenizer/ucd_compat.c (see tests/oracle/ucd_gen.c).
'use strict';
const tk = require('tokenizers');
const MARK = 'a';
function cps() {
  const a = [];
  for (let c = 0; c < 0x110000; c++) if ((c < 0xd800 || c > 0xdfff) && c !== 0x61) a.push(c);
  return a;
}
const all = cps();
const CH = 4096;
function probeSplit(name, pre) {
  for (let i = 0; i < all.length; i += CH) {
    const part = all.slice(i, i + CH);
    const s = part.map((c) => MARK + String.fromCodePoint(c)).join('') + MARK;
    const pieces = pre.preTokenizeString(s);
    const iso = new Set();
    for (const [p] of pieces) if (Array.from(p).length === 1 && p !== MARK) iso.add(p.codePointAt(0));
    for (const c of part) if (iso.has(c)) console.log(name + ' ' + c.toString(16));
  }
}
function probeRemoved(name, norm) {
  for (const c of all) {
    const s = MARK + String.fromCodePoint(c) + MARK;
    const out = norm.normalizeString(s);
    if (out === MARK + MARK) console.log(name + ' ' + c.toString(16));
  }
}
probeSplit('punct', tk.punctuationPreTokenizer('isolated'));
probeSplit('num', tk.digitsPreTokenizer(true));
probeRemoved('other', tk.bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false }));
probeRemoved('mn', tk.stripAccentsNormalizer());
