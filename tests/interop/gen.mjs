// Seeded random binary-node trees for the codec cross-check, plus the normalisation both sides'
// decoded trees go through before comparison.
//
// A generated tree is a "spec" node: { tag, attrs: [[k, v], ...], content } where content is
//   null                      no content
//   { bytes: Buffer }         binary content
//   { str: string }           string content (only Baileys can encode this form; our Node model
//                             holds bytes, so for our encoder it becomes the UTF-8 bytes)
//   [spec, ...]               children
//
// The generator only produces trees that both codecs can represent identically BY DESIGN. Each
// exclusion below names the reason, taken from Baileys 7.0.0-rc14 lib/WABinary/{encode,decode,
// jid-utils}.js and docs/wa-protocol.md §3. Mismatches are never skipped at compare time.

import { SINGLE_BYTE_TOKENS, DOUBLE_BYTE_TOKENS } from 'baileys/lib/WABinary/constants.js';

// mulberry32: tiny, seedable, good enough to spread test cases.
export function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));  // inclusive
  const pick = (arr) => arr[Math.floor(next() * arr.length)];
  const chance = (p) => next() < p;
  const bytes = (n) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = Math.floor(next() * 4294967296);
      for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return b;
  };
  return { next, int, pick, chance, bytes };
}

// Index 0 of the single-byte table is "" and never a token on the wire.
const SINGLE = SINGLE_BYTE_TOKENS.slice(1);
const DOUBLE = DOUBLE_BYTE_TOKENS.flat();

const DIGITS = '0123456789';
const NIBBLE_CHARS = '0123456789-.';
const HEX_CHARS = '0123456789ABCDEF';
// Printable ASCII without '@': Baileys' encoder runs every string that contains '@' through
// jidDecode and writes it as a JID, and a string that is not a well-formed JID does not survive
// that (e.g. "a:b@x" gets device NaN -> 0 and loses ":b"; "a_b@x" loses the agent; "x@" has an
// empty server that the decoder rejects). '@' only appears in the well-formed JIDs below.
const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))
  .filter((c) => c !== '@')
  .join('');
// Valid UTF-8 beyond ASCII. Invalid UTF-8 cannot be an attribute value at all: Baileys holds
// attribute values as JS strings and decodes them with toString('utf-8').
const UNICODE = ['é', 'ß', 'Ж', '日本', '中文', '€', '😀', 'ñ', 'ü'];

function fromAlphabet(rng, alphabet, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

const digits = (rng, lo, hi) => fromAlphabet(rng, DIGITS, rng.int(lo, hi));

// Packed strings: lengths up to 127 (PACKED_MAX) pack; 128+ fall back to raw bytes, so the
// lengths cluster around that edge and around odd/even.
function packLength(rng) {
  return rng.chance(0.2) ? rng.pick([1, 2, 126, 127, 128, 129, 200]) : rng.int(1, 20);
}

// Baileys looks strings up in TOKEN_MAP, a plain object, so a string naming an Object.prototype
// member ("constructor", "toString", "__proto__", ...) "is" a token with index undefined and is
// written as byte 0x00 (decoded back as ""). Such strings are excluded everywhere.
const isPrototypeName = (s) => s in Object.prototype;

export function randomPlainString(rng) {
  let s;
  do s = randomPlainStringRaw(rng);
  while (isPrototypeName(s));
  return s;
}

function randomPlainStringRaw(rng) {
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
      return rng.pick(SINGLE);
    case 2:
    case 3:
      return rng.pick(DOUBLE);
    case 4:
      return fromAlphabet(rng, NIBBLE_CHARS, packLength(rng));
    case 5:
      return fromAlphabet(rng, HEX_CHARS, packLength(rng));
    case 6: {
      // lowercase hex is NOT hex-packable (Baileys' isHex is uppercase only): raw bytes.
      return fromAlphabet(rng, '0123456789abcdef', rng.int(1, 16));
    }
    case 7: {
      let s = fromAlphabet(rng, ASCII, rng.int(1, 12));
      if (rng.chance(0.3)) s += rng.pick(UNICODE);
      return s;
    }
    case 8:
      if (rng.chance(0.3)) {
        // Server names without '@' are NOT JIDs for Baileys (it only parses strings with '@'),
        // so they must stay plain strings (tokens or raw) on both sides.
        return rng.pick(['s.whatsapp.net', 'g.us', 'lid', 'hosted', 'hosted.lid', 'c.us', 'newsletter',
          'bot', 'broadcast', 'interop', 'msgr', 'call', 'status']);
      }
      // long raw strings cross the BINARY_8 / BINARY_20 boundary.
      return fromAlphabet(rng, ASCII, rng.pick([255, 256, 257, rng.int(100, 400)]));
    default:
      return fromAlphabet(rng, ASCII, rng.int(1, 40));
  }
}

// Well-formed JIDs of every kind Baileys writes. Devices are 1..255 in canonical decimal only:
// device 0 is dropped by Baileys' decoder (jidEncode omits ":0"), and the AD_JID device is one
// byte. A device only appears with s.whatsapp.net, lid, hosted and hosted.lid, the servers the
// AD_JID domain byte can name; "u:5@g.us" would come back as "u:5@s.whatsapp.net". No "_agent"
// part: Baileys turns the agent into a domain type and drops the text.
// Interop ("N-user:D@interop", INTEROP_JID) and Messenger ("user:D@msgr", FB_JID) are absent:
// Baileys can decode them but never encodes them (its encoder writes them as AD_JID domain 0).
export function randomJid(rng) {
  if (oursOnlyJids && rng.chance(0.5)) return randomOursOnlyJid(rng);
  const dev = () => rng.int(1, 255);
  switch (rng.int(0, 21)) {
    case 0:
    case 1:
      return `${digits(rng, 5, 15)}@s.whatsapp.net`;
    case 2:
    case 3:
      return `${digits(rng, 5, 15)}:${dev()}@s.whatsapp.net`;
    case 4:
      return `${digits(rng, 10, 15)}@lid`;
    case 5:
      return `${digits(rng, 10, 15)}:${dev()}@lid`;
    case 6:
      return `120363${digits(rng, 12, 12)}@g.us`;
    case 7:
      return `${digits(rng, 8, 13)}-${digits(rng, 10, 10)}@g.us`;
    case 8:
      return 'status@broadcast';
    case 9:
      return `${digits(rng, 10, 13)}@broadcast`;
    case 10:
      // Server-only JIDs, as Baileys writes them (S_WHATSAPP_NET = '@s.whatsapp.net').
      return rng.pick(['@s.whatsapp.net', '@g.us', '@lid', '@broadcast', '@call', '@c.us']);
    case 11:
      return `${digits(rng, 10, 13)}:99@hosted`;
    case 12:
      return `${digits(rng, 10, 15)}:99@hosted.lid`;
    case 13:
      return `${digits(rng, 10, 13)}@hosted`;
    case 14:
      return `${digits(rng, 10, 19)}@newsletter`;
    case 15:
      return `${digits(rng, 10, 13)}@bot`;
    case 16:
      return `${digits(rng, 5, 15)}@c.us`;
    case 17:
      return rng.pick(['server@c.us', '0@c.us', '16505361212@c.us', '13135550002@c.us']);
    case 18:
      // A user part that is itself a token, hex-packed or raw; the server a token or raw.
      return `${rng.pick(['status', 'server', '3EB0ABCD', 'abc-def', 'Tok'])}@${rng.pick([
        's.whatsapp.net', 'g.us', 'lid', 'newsletter', 'broadcast'])}`;
    case 19:
      // A long user (no packing: >127 chars) still forms a valid JID_PAIR.
      return `${digits(rng, 128, 140)}@s.whatsapp.net`;
    case 20:
      return `${digits(rng, 5, 15)}:${dev()}@hosted`;
    default:
      return `${digits(rng, 1, 3)}:${dev()}@s.whatsapp.net`;
  }
}

// JID strings Baileys' encoder cannot write (it would emit AD_JID domain 0 and lose the server or
// the ":0"), but its decoder reads the FB_JID / INTEROP_JID tokens our encoder uses for them back
// as exactly these strings. Only used for the ours -> Baileys direction.
// Still excluded: an explicit agent ("u_5@s.whatsapp.net", "u_130:2@s.whatsapp.net"): our encoder
// writes it as an AD_JID domain byte (as whatsmeow does) and Baileys' decoder drops the agent,
// printing "u@s.whatsapp.net".
let oursOnlyJids = false;
function randomOursOnlyJid(rng) {
  switch (rng.int(0, 5)) {
    case 0:
      return `${digits(rng, 5, 15)}:0@${rng.pick(['s.whatsapp.net', 'lid', 'hosted', 'hosted.lid'])}`;
    case 1:
      return `${digits(rng, 5, 15)}:${rng.int(1, 65535)}@${rng.pick(['g.us', 'broadcast', 'c.us', 'newsletter', 'bot'])}`;
    case 2:
      return `${digits(rng, 5, 15)}:${rng.int(256, 65535)}@${rng.pick(['s.whatsapp.net', 'lid'])}`;
    case 3:
      return `${digits(rng, 10, 16)}:${rng.int(0, 65535)}@msgr`;
    default:
      return `${rng.int(0, 65535)}-${digits(rng, 5, 15)}:${rng.int(0, 65535)}@interop`;
  }
}

// Attribute values: anything above, JIDs, or "" (BINARY_8 length 0 on both sides).
function randomValue(rng) {
  const r = rng.next();
  if (r < 0.35) return randomJid(rng);
  if (r < 0.4) return '';
  return randomPlainString(rng);
}

// Attribute keys, with these exclusions: keys that are canonical array indices ("0", "12", ...)
// because a JS object (Baileys' attrs) enumerates them first, so attribute order would not
// survive; "__proto__" because assigning it on a plain object does not create a property; and
// duplicates, which a JS object collapses.
const INTEGER_LIKE = /^(0|[1-9][0-9]*)$/;
function randomKey(rng) {
  const r = rng.next();
  if (r < 0.03) return '';
  if (r < 0.08) return randomJid(rng);
  return randomPlainString(rng);
}
function keyAllowed(k) {
  return !(INTEGER_LIKE.test(k) && Number(k) < 4294967295) && k !== '__proto__';
}

// Tags are never empty: Baileys' encoder throws "tag cannot be undefined" on "" and its decoder
// rejects a node whose tag decodes to "".
function randomTag(rng) {
  if (rng.chance(0.04)) return randomJid(rng);
  let t;
  do t = randomPlainString(rng);
  while (t === '');
  return t;
}

function randomAttrs(rng, many) {
  // "many": 127 attributes give a list size of 255 or 256 (LIST_8 / LIST_16 edge), more go past.
  const n = many ? rng.pick([127, 128, rng.int(129, 140)]) : rng.chance(0.2) ? 0 : rng.int(1, 6);
  const seen = new Set();
  const attrs = [];
  for (let tries = 0; attrs.length < n && tries < 20 * n; tries++) {
    const k = randomKey(rng);
    if (!keyAllowed(k) || seen.has(k)) continue;
    seen.add(k);
    attrs.push([k, randomValue(rng)]);
  }
  return attrs;
}

const BIG_SIZES = [(1 << 20) - 1, 1 << 20, (1 << 20) + 1];

function randomBytesContent(rng, allowBig) {
  if (allowBig) return { bytes: rng.bytes(rng.pick(BIG_SIZES)) };
  const r = rng.next();
  let n;
  if (r < 0.25) n = rng.pick([0, 1, 254, 255, 256, 257]);
  else if (r < 0.3) n = rng.int(1000, 5000);
  else n = rng.int(0, 64);
  return { bytes: rng.bytes(n) };
}

// String content: Baileys writes it with writeString (token, packed, JID or raw), and its decoder
// returns a string for those forms; our model always holds bytes, so compare as UTF-8 bytes.
function randomStringContent(rng) {
  return { str: rng.chance(0.3) ? randomJid(rng) : randomPlainString(rng) };
}

function randomNode(rng, depth, budget, opts) {
  budget.nodes--;
  const node = { tag: randomTag(rng), attrs: randomAttrs(rng, opts.manyAttrs && depth === 0), content: null };
  const r = rng.next();
  if (opts.bigBlob && depth === 0) {
    node.content = randomBytesContent(rng, true);
  } else if (opts.wideList && depth === 0) {
    const n = rng.pick([255, 256, 257, rng.int(258, 300)]);
    node.content = [];
    for (let i = 0; i < n; i++) {
      node.content.push({ tag: randomTag(rng), attrs: rng.chance(0.5) ? [] : randomAttrs(rng, false), content: null });
    }
  } else if (r < 0.25 || depth >= 4 || budget.nodes <= 0) {
    node.content = rng.chance(0.6) ? null : randomBytesContent(rng, false);
  } else if (r < 0.45) {
    node.content = randomBytesContent(rng, false);
  } else if (r < 0.55) {
    node.content = opts.allowString ? randomStringContent(rng) : randomBytesContent(rng, false);
  } else {
    // children; an empty list is LIST_EMPTY and decodes back to [] on both sides.
    const n = rng.chance(0.05) ? 0 : rng.int(1, 4);
    node.content = [];
    for (let i = 0; i < n && budget.nodes > 0; i++) node.content.push(randomNode(rng, depth + 1, budget, opts));
  }
  return node;
}

// Generates `count` trees. A few carry blobs at the 2^20 boundary, lists at the 255/256 boundary
// and nodes with >127 attributes (list header > 255).
// With oursOnly, JIDs are half the time from randomOursOnlyJid (ours -> Baileys only).
export function generateTrees(seed, count, { oursOnly = false } = {}) {
  const rng = makeRng(seed);
  oursOnlyJids = oursOnly;
  const trees = [];
  for (let i = 0; i < count; i++) {
    const opts = {
      bigBlob: i % 3000 === 7,
      wideList: i % 1000 === 11,
      manyAttrs: i % 1000 === 13,
      allowString: true,
    };
    trees.push(randomNode(rng, 0, { nodes: rng.int(1, 24) }, opts));
  }
  oursOnlyJids = false;
  return trees;
}

// ---- conversions ----

// To Baileys' BinaryNode (string content stays a string).
export function toBaileys(spec) {
  const attrs = {};
  for (const [k, v] of spec.attrs) attrs[k] = v;
  const out = { tag: spec.tag, attrs };
  if (spec.content === null) return out;
  if (Array.isArray(spec.content)) out.content = spec.content.map(toBaileys);
  else if (spec.content.bytes) out.content = spec.content.bytes;
  else out.content = spec.content.str;
  return out;
}

// To the interop tool's JSON (content always bytes).
export function toToolJson(spec) {
  const attrs = {};
  for (const [k, v] of spec.attrs) attrs[k] = v;
  let content = null;
  if (Array.isArray(spec.content)) content = spec.content.map(toToolJson);
  else if (spec.content?.bytes) content = { hex: spec.content.bytes.toString('hex') };
  else if (spec.content) content = { hex: Buffer.from(spec.content.str, 'utf8').toString('hex') };
  return { tag: spec.tag, attrs, content };
}

// ---- normalisation: one canonical JSON string per tree ----
// attrs become an ordered [k, v] list; content null | {hex} | [children].

export function normSpec(spec) {
  let content = null;
  if (Array.isArray(spec.content)) content = spec.content.map(normSpec);
  else if (spec.content?.bytes) content = { hex: spec.content.bytes.toString('hex') };
  else if (spec.content) content = { hex: Buffer.from(spec.content.str, 'utf8').toString('hex') };
  return { tag: spec.tag, attrs: spec.attrs.map(([k, v]) => [k, v]), content };
}

export function normBaileys(node) {
  let content = null;
  if (Array.isArray(node.content)) content = node.content.map(normBaileys);
  else if (typeof node.content === 'string') content = { hex: Buffer.from(node.content, 'utf8').toString('hex') };
  else if (node.content instanceof Uint8Array) content = { hex: Buffer.from(node.content).toString('hex') };
  else if (node.content !== undefined) throw new Error(`unexpected Baileys content ${typeof node.content}`);
  return { tag: node.tag, attrs: Object.entries(node.attrs).map(([k, v]) => [k, String(v)]), content };
}

export function normTool(node) {
  let content = null;
  if (Array.isArray(node.content)) content = node.content.map(normTool);
  else if (node.content && typeof node.content.hex === 'string') content = { hex: node.content.hex.toLowerCase() };
  else if (node.content !== null && node.content !== undefined) throw new Error('unexpected tool content');
  return { tag: node.tag, attrs: Object.entries(node.attrs).map(([k, v]) => [k, v]), content };
}

export function countNodes(spec) {
  return 1 + (Array.isArray(spec.content) ? spec.content.reduce((a, c) => a + countNodes(c), 0) : 0);
}
