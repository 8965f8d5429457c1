// Tiny media files for the integration suites, built in memory: the gateway sniffs the type
// from the magic bytes and the peer compares the decrypted bytes, so the files only need the
// right headers and distinct contents (nothing decodes the pixels or samples).
import { randomBytes } from 'node:crypto';

const b64 = (s) => Buffer.from(s, 'base64');

// A 1x1 baseline JPEG, a 1x1 PNG and a 1x1 lossless WebP.
const jpeg = b64('/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////' +
  '////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=');
const png = b64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==');
const webp = b64('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==');

function box(type, payload) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

// An ISO BMFF (MP4) header: ftyp + an mdat with random bytes.
const mp4 = Buffer.concat([
  box('ftyp', Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]),
    Buffer.from('isomiso2avc1mp41', 'latin1')])),
  box('mdat', randomBytes(64)),
]);

// An Ogg page carrying an OpusHead packet, then some random bytes.
function oggOpus() {
  const opusHead = Buffer.concat([Buffer.from('OpusHead', 'latin1'),
    Buffer.from([1, 1, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0])]);
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[4] = 0; // version
  header[5] = 2; // beginning of stream
  header.writeUInt32LE(0x53554c31, 14); // serial
  header[26] = 1; // one segment
  return Buffer.concat([header, Buffer.from([opusHead.length]), opusHead, randomBytes(48)]);
}

const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
  '2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n', 'latin1');

export const MEDIA = { jpeg, png, webp, mp4, ogg: oggOpus(), pdf };
