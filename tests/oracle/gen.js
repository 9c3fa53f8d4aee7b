// gen.js - texts for the oracle test: every sentence of the KorSTS and
// KorNLI files given, then N generated adversarial strings (seeded, so a
// failure reproduces): NFD Hangul, compatibility and archaic jamo, emoji
// with ZWJ and skin tones, combining marks, control and format characters,
// long whitespace runs, mixed scripts, digit and punctuation runs, literal
// special tokens, random code points of every plane, long texts.
//
//   node gen.js N SEED FILE.tsv... > texts.jsonl
'use strict';
const fs = require('fs');
const [nGen, seed, ...files] = process.argv.slice(2);

let st = BigInt(parseInt(seed || '1', 10)) || 1n;
function rnd() { // xorshift64*
  st ^= st >> 12n; st ^= (st << 25n) & 0xffffffffffffffffn; st ^= st >> 27n;
  return Number(((st * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 11n) / 2 ** 53;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const cp = (c) => String.fromCodePoint(c);
const range = (a, b) => cp(a + ri(b - a + 1));

const out = [];
const emit = (t) => out.push(JSON.stringify({ text: t }));

const korean = [];
for (const f of files) {
  const lines = fs.readFileSync(f, 'utf8').split('\n');
  const head = lines[0].split('\t');
  const cols = head.map((h, i) => (/^sentence[12]$/.test(h) ? i : -1)).filter((i) => i >= 0);
  for (const l of lines.slice(1)) {
    const c = l.split('\t');
    for (const i of cols) if (c[i] !== undefined) { emit(c[i]); korean.push(c[i]); }
  }
}

const pieces = [
  () => pick(korean).normalize('NFD'),
  () => pick(korean),
  () => range(0x3131, 0x318e) + range(0x3131, 0x318e),
  () => range(0x1100, 0x11ff) + range(0x1100, 0x11ff) + range(0xa960, 0xa97c) + range(0xd7b0, 0xd7fb),
  () => pick(['👍', '👨‍👩‍👧‍👦', '🏳️‍🌈', '👋🏽', '🇰🇷', '🧑🏿‍💻', '❤️', '☺︎', '1️⃣']),
  () => pick(['e', 'a', 'o', 'ㄱ', '가']) + range(0x300, 0x36f) + (ri(2) ? range(0x300, 0x36f) : ''),
  () => cp(pick([0, 1, 7, 8, 0x1b, 0x7f, 0x85, 0x9f, 0xad, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0xfeff, 0x2060, 0xfffd, 0xffff, 0x10ffff, 0xe000, 0xf8ff])),
  () => pick([' ', '\t', '\n', '\r\n', '\u3000', '\u00a0', '\u2003', '\u1680', '\x1c', '\x1f', '\u2028']).repeat(1 + ri(40)),
  () => pick(['Hello', 'мир', 'κόσμος', 'مرحبا', 'שלום', 'नमस्ते', 'สวัสดี', '世界', '日本語', 'カタカナ', 'Ｆｕｌｌ', 'ﬁ', '①', 'ℌ', '𝐀𝐁', '𠀀']),
  () => String(ri(10 ** (1 + ri(12)))) + pick(['', ',', '.', '-', '/', ':']) + String(ri(1000)),
  () => pick(['!', '?', '.', ',', '...', '--', '"', "'", '(', ')', '[', ']', '~', '@', '#', '·', '、', '。', '「', '」', '…']).repeat(1 + ri(8)),
  () => pick(['[CLS]', '[SEP]', '[MASK]', ' [MASK] ', '[PAD]', '[UNK]', '<s>', '</s>', '<mask>', ' <mask>', '<pad>', '<unk>', '|||IP_ADDRESS|||', '<|endoftext|>', '<|padding|>', '[unused3]', '|||EMAIL_ADDRESS|||']),
  () => "'s 're 've 'll 'd 'm 't".split(' ')[ri(7)],
  () => { let s = ''; for (let i = ri(6); i >= 0; i--) { let c; do { c = ri(2) ? ri(0x3000) : ri(0x110000); } while (c >= 0xd800 && c <= 0xdfff); s += cp(c); } return s; },
  () => 'x'.repeat(1 + ri(150)),
  // characters of recent Unicode versions (15.0 and later), where library tables differ
  () => pick(['a', '!', '1', ' ', '가']) + pick([() => range(0x31350, 0x323af), () => range(0x2ebf0, 0x2ee5d),
    () => range(0x11f00, 0x11f59), () => range(0x1e4d0, 0x1e4f9), () => range(0x1b4c, 0x1b4f),
    () => range(0x1c89, 0x1c8a), () => range(0x10d40, 0x10d8f), () => range(0x16d40, 0x16d79)])() + pick(['b', '?', '2', '']),
  () => 'https://example.com/a_b?c=1&d=' + ri(99) + ' user.name+tag@example.co.kr',
];
const n = parseInt(nGen || '0', 10);
for (let i = 0; i < n; i++) {
  let s = '';
  const k = 1 + ri(i % 50 === 0 ? 60 : 6);
  for (let j = 0; j < k; j++) s += pick(pieces)() + (ri(3) ? ' ' : '');
  emit(s);
}
process.stdout.write(out.join('\n') + '\n');
