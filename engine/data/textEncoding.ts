/**
 * Reading text whatever its encoding: UTF-8 (with or without a byte-order mark) as it is; UTF-16 with a byte-order
 * mark, and single-byte Western text (Windows-1252 / ISO-8859-1, as old Windows tools write) transcoded, with a
 * finding that says so; anything else (binary data, an encoding that cannot be told) refused, naming the file.
 */
import chardet from 'chardet';
import iconv from 'iconv-lite';

export type DecodedText = { ok: true; text: string; transcodedFrom?: string } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const WESTERN = new Set(['ISO-8859-1', 'ISO-8859-15', 'windows-1252', 'ISO-8859-9', 'ISO-8859-2']);

export function decodeText(buf: Buffer): DecodedText {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return { ok: true, text: iconv.decode(buf.subarray(2), 'utf-16le'), transcodedFrom: 'UTF-16LE' };
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return { ok: true, text: iconv.decode(buf.subarray(2), 'utf-16be'), transcodedFrom: 'UTF-16BE' };
  if (buf.includes(0)) return { ok: false, reason: 'it contains binary data (NUL bytes), not text' };
  try {
    const text = utf8.decode(buf);
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    // Not UTF-8: is it clearly a Western single-byte encoding?
  }
  const guesses = chardet.analyse(buf);
  const best = guesses[0];
  if (best && WESTERN.has(best.name) && best.confidence >= 10) {
    // Windows-1252 is a superset of ISO-8859-1's printable characters and what such files usually are.
    return { ok: true, text: iconv.decode(buf, 'windows-1252'), transcodedFrom: best.name === 'ISO-8859-1' ? 'Windows-1252 (Latin-1)' : best.name };
  }
  return { ok: false, reason: best ? `it is not UTF-8, and its encoding cannot be told for sure (perhaps ${best.name})` : 'it is not UTF-8' };
}
