// ucd_probe.js - ask the HF tokenizers core which code points its Unicode
// predicates accept, for the ones HF takes from the old unicode_categories
// crate (frozen tables that differ from current Unicode) and from Rust std:
//   punct  Punctuation pre-tokenizer (ASCII punctuation or category P*)
//   other  BertNormalizer clean_text removal (Cc, Cf, Co; not \t \n \r)
//   mark   StripAccents (is_combining_mark: Mn, Mc, Me)
//   mn     BertNormalizer strip_accents (is_mark_nonspacing; chars without
//          a canonical decomposition only)
//   num    Digits pre-tokenizer (char::is_numeric)
//   word   Whitespace pre-tokenizer (Rust regex \w)
//   lower, nfd, nfkd, ccclt240: Lowercase, NFD, NFKD of single code points,
//          and whether 0 < ccc < 240 (put before U+0345)
//   bl_l, bl_n, bl_o   the ByteLevel regex classes \p{L}, \p{N},
//          [^\s\p{L}\p{N}] (Oniguruma as built into the HF core)
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
probeRemoved('mark', tk.stripAccentsNormalizer());
{
  const n = tk.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
  for (const c of all) {
    const ch = String.fromCodePoint(c);
    if (ch.normalize('NFD') !== ch) continue;
    if (n.normalizeString(MARK + ch + MARK) === MARK + MARK) console.log('mn ' + c.toString(16));
  }
}
function probeJoined(name, pre, left, right) {
  for (let i = 0; i < all.length; i += CH) {
    const part = all.slice(i, i + CH);
    for (const c of part) {
      const pieces = pre.preTokenizeString(left + String.fromCodePoint(c) + right);
      if (pieces.length === 1) console.log(name + ' ' + c.toString(16));
    }
  }
}
probeJoined('word', tk.whitespacePreTokenizer(), 'a', 'a');
const bl = tk.byteLevelPreTokenizer(false, true);
probeJoined('bl_l', bl, 'a', 'a');
probeJoined('bl_n', bl, '1', '1');
probeJoined('bl_o', bl, '!', '!');
{ // Lowercase (Rust char::to_lowercase): print the ones utf8proc may not know
  const low = tk.lowercase();
  for (let i = 0; i < all.length; i += CH) {
    const part = all.slice(i, i + CH).filter((c) => c > 0x7f);
    const outs = part.map((c) => low.normalizeString(String.fromCodePoint(c)));
    part.forEach((c, k) => {
      const o = Array.from(outs[k]).map((x) => x.codePointAt(0));
      if (o.length !== 1 || o[0] !== c) console.log('lower ' + c.toString(16) + ' ' + o.map((x) => x.toString(16)).join(','));
    });
  }
}
{ // NFD / NFKD of single code points and the canonical combining class test
  // ("ccclt240": HF puts the char before U+0345, so 0 < ccc < 240)
  const nfd = tk.nfdNormalizer(), nfkd = tk.nfkdNormalizer();
  const hex = (s) => Array.from(s).map((x) => x.codePointAt(0).toString(16)).join(',');
  for (const c of all) {
    if (c < 0x80) continue;
    const s = String.fromCodePoint(c);
    const d = nfd.normalizeString(s), k = nfkd.normalizeString(s);
    if (d !== s) console.log('nfd ' + c.toString(16) + ' ' + hex(d));
    if (k !== s) console.log('nfkd ' + c.toString(16) + ' ' + hex(k));
    const a = Array.from(nfd.normalizeString('a\u0345' + s)).map((x) => x.codePointAt(0));
    if (a.length === 3 && a[1] === c && a[2] === 0x345) console.log('ccclt240 ' + c.toString(16));
  }
}
