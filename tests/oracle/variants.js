// variants.js - tokenizer.json files that exercise what the fixture
// tokenizers do not: every normalizer, pre-tokenizer, split behavior,
// post-processor, model option and added-token flag semindex supports,
// built from the fixtures' vocabularies (and one small hand-made BPE).
// Writes OUT/<name>/tokenizer.json and prints "<name> <max_length>" lines.
//
//   node variants.js FIXTURES_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const [fx, out] = process.argv.slice(2);
const load = (m) => JSON.parse(fs.readFileSync(path.join(fx, m, 'model', 'tokenizer.json'), 'utf8'));
const clone = (o) => JSON.parse(JSON.stringify(o));
const bert = load('bert-tiny-ko'), bpe = load('modernbert-ko-tiny'), uni = load('xlmr-tiny');
const mb = load('modernbert-tiny');

const V = [];
const add = (name, base, patch, maxLen = 0) => { const t = clone(base); patch(t); V.push([name, t, maxLen]); };
const split = (pattern, behavior, invert = false) => ({ type: 'Split', pattern, behavior, invert });
const tmpl = (cls, sep) => ({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: cls, type_id: 0 } }, { SpecialToken: { id: cls, type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
  pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { [cls]: { id: cls, ids: [2], tokens: [cls] }, [sep]: { id: sep, ids: [3], tokens: [sep] } },
});

// WordPiece base
add('wp-nfkd-lower-strip-whitespace', bert, (t) => {
  t.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] };
  t.pre_tokenizer = { type: 'Whitespace' };
}, 16);
add('wp-bert-lower-digits-punct', bert, (t) => {
  t.normalizer = { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: null, lowercase: true };
  t.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
    { type: 'Punctuation', behavior: 'Contiguous' }, { type: 'Digits', individual_digits: true }] };
  t.post_processor = { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] };
}, 24);
add('wp-nfkc-replace-strip-prepend', bert, (t) => {
  t.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { String: '다' }, content: '다 ' },
    { type: 'Replace', pattern: { Regex: '[0-9]+' }, content: '#' }, { type: 'Strip', strip_left: true, strip_right: true },
    { type: 'Prepend', prepend: '> ' }, { type: 'NFD' }, { type: 'NFC' }] };
  t.pre_tokenizer = split({ Regex: '\\s+' }, 'Removed');
});
add('wp-split-string-merged-prev', bert, (t) => {
  t.pre_tokenizer = { type: 'Sequence', pretokenizers: [split({ String: ' ' }, 'MergedWithPrevious'), split({ String: '.' }, 'Isolated')] };
  t.post_processor = tmpl('[CLS]', '[SEP]');
}, 10);
add('wp-split-merged-next-invert', bert, (t) => {
  t.pre_tokenizer = { type: 'Sequence', pretokenizers: [split({ Regex: '[0-9]+|\\s' }, 'MergedWithNext', true), { type: 'WhitespaceSplit' }] };
});
add('wp-split-contiguous-removed', bert, (t) => {
  t.pre_tokenizer = { type: 'Sequence', pretokenizers: [split({ Regex: '[.,!?]' }, 'Contiguous'), split({ Regex: '\\s' }, 'Removed'),
    { type: 'Digits', individual_digits: false }, { type: 'Punctuation', behavior: 'Removed' }] };
});
add('wp-split-unicode-props', bert, (t) => {
  t.normalizer = null;
  t.pre_tokenizer = { type: 'Sequence', pretokenizers: [split({ Regex: '\\p{L}+|\\p{N}+|\\P{L}' }, 'Isolated'), { type: 'WhitespaceSplit' }] };
});
add('wp-chardelim-prefix', bert, (t) => {
  t.normalizer = { type: 'BertNormalizer', clean_text: false, handle_chinese_chars: true, strip_accents: true, lowercase: false };
  t.pre_tokenizer = { type: 'CharDelimiterSplit', delimiter: ' ' };
  t.model.max_input_chars_per_word = 5;
});
add('wp-added-flags', bert, (t) => {
  t.added_tokens.push({ id: 40000, content: '사람', single_word: true, lstrip: false, rstrip: false, normalized: true, special: false });
  t.added_tokens.push({ id: 40001, content: '다.', single_word: false, lstrip: true, rstrip: true, normalized: false, special: false });
  t.added_tokens.push({ id: 40002, content: 'xx', single_word: false, lstrip: false, rstrip: true, normalized: true, special: true });
  t.added_tokens.push({ id: 40003, content: '있', single_word: true, lstrip: true, rstrip: true, normalized: false, special: false });
  t.normalizer = { type: 'Lowercase' };
}, 20);
// BPE base (byte level)
add('bpe-prefix-space-noregex-roberta', bpe, (t) => {
  t.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: false };
  t.post_processor = { type: 'Sequence', processors: [{ type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    { type: 'RobertaProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2], trim_offsets: true, add_prefix_space: true }] };
}, 32);
add('bpe-gpt4-split-nfd', bpe, (t) => {
  t.normalizer = { type: 'NFD' };
  t.pre_tokenizer = { type: 'Sequence', pretokenizers: [split({ Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, 'Isolated'),
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }] };
});
add('bpe-ignore-merges-nfkc', mb, (t) => {
  t.model.ignore_merges = true;
  t.normalizer = { type: 'NFKC' };
});
// a small character BPE with prefix/suffix, unk, fuse_unk, byte_fallback
function smallBpe(opts) {
  const vocab = { '<unk>': 0 };
  let id = 1;
  const put = (s) => { if (!(s in vocab)) vocab[s] = id++; };
  const letters = 'abcdefghijklmnopqrstuvwxyz가나다라마바사아자차카타파하은는이가을를다'.split('');
  for (const c of letters) { put(c); if (opts.prefix) put(opts.prefix + c); if (opts.suffix) put(c + opts.suffix); }
  if (opts.bytes) for (let b = 0; b < 256; b++) put('<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>');
  const merges = [];
  const pairs = ['t h', 'h e', 'a n', 'i n', 'e r', 'o n', '가 나', '다 라', 'th e', 'a t', 'r e', 's t'];
  for (const p of pairs) {
    let [a, b] = p.split(' ');
    if (opts.prefix) { merges.push(a + ' ' + opts.prefix + b); put(a + b); }
    else { merges.push(a + ' ' + b); put(a + b); }
  }
  return { type: 'BPE', dropout: null, unk_token: opts.unk ? '<unk>' : null, continuing_subword_prefix: opts.prefix || null,
    end_of_word_suffix: opts.suffix || null, fuse_unk: !!opts.fuse, byte_fallback: !!opts.bytes, ignore_merges: false, vocab, merges };
}
const small = (model) => ({ version: '1.0', truncation: null, padding: null, added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
  normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null, model });
add('bpe-small-unk-fuse', small(smallBpe({ unk: true, fuse: true })), () => {});
add('bpe-small-unk-nofuse-prefix', small(smallBpe({ unk: true, prefix: '##' })), () => {});
add('bpe-small-suffix-bytefallback', small(smallBpe({ unk: true, suffix: '</w>', bytes: true })), () => {});
add('bpe-small-no-unk', small(smallBpe({})), (t) => { t.pre_tokenizer = { type: 'WhitespaceSplit' }; });
// Unigram base
add('uni-metaspace-first-nosplit', uni, (t) => {
  t.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
  t.normalizer = null;
}, 40);
add('uni-metaspace-never-bytefallback', uni, (t) => {
  t.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true };
  t.model.byte_fallback = true;
  for (let b = 0; b < 256; b++) t.model.vocab.push(['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>', -30.0]);
});
add('uni-legacy-metaspace-nfkc', uni, (t) => {
  t.pre_tokenizer = { type: 'Metaspace', replacement: '▁', add_prefix_space: true };
  t.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] };
});

for (const [name, t, ml] of V) {
  fs.mkdirSync(path.join(out, name), { recursive: true });
  fs.writeFileSync(path.join(out, name, 'tokenizer.json'), JSON.stringify(t));
  console.log(name + ' ' + ml);
}
