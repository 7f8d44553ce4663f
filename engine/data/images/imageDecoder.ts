/**
 * Reading images: sharp (libvips, shipped as binaries inside its npm packages) for PNG, JPEG, WebP, GIF (first
 * frame) and TIFF; bmp-ts for BMP, which libvips does not read. Headers are read before pixels, so an image over
 * the pixel limit is refused without being decoded.
 */
import { decode as decodeBmp } from 'bmp-ts';
import sharp, { type Sharp } from 'sharp';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff']);

/** Default refusal limit: 40 megapixels (a 7,000 × 5,700 photo); decoding more could exhaust memory. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp' | 'tiff';

/** The format a file's first bytes announce, whatever its extension says; null when it is no image at all. */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((b, k) => head[i + k] === b);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  return null;
}

export interface ImageInfo {
  width: number;
  height: number;
  /** 1 for grayscale (with or without alpha), 3 for colour. */
  colorChannels: 1 | 3;
  hasAlpha: boolean;
  format: ImageFormat;
}

function bmpDimensions(buf: Buffer): { width: number; height: number; bits: number } {
  if (buf.length < 30) throw new Error('truncated BMP header');
  return { width: buf.readInt32LE(18), height: Math.abs(buf.readInt32LE(22)), bits: buf.readUInt16LE(28) };
}

/** Reads only the header. Throws when the data is damaged. */
export async function probeImage(buf: Buffer, format: ImageFormat): Promise<ImageInfo> {
  if (format === 'bmp') {
    const { width, height, bits } = bmpDimensions(buf);
    if (!(width > 0 && height > 0)) throw new Error('invalid BMP dimensions');
    // BMP files are colour (a palette may hold grays, but the header does not say so).
    return { width, height, colorChannels: 3, hasAlpha: bits === 32, format };
  }
  const meta = await sharp(buf, { limitInputPixels: false, pages: 1 }).metadata();
  if (!meta.width || !meta.height) throw new Error('no dimensions in the header');
  const space = meta.space ?? '';
  const gray = space === 'b-w' || space === 'grey16' || (meta.channels ?? 3) <= 2;
  return { width: meta.width, height: meta.height, colorChannels: gray ? 1 : 3, hasAlpha: meta.hasAlpha === true, format };
}

export interface DecodeTarget {
  height: number;
  width: number;
  channels: 1 | 3;
  /** Keep the aspect ratio by padding (letterbox) or by cropping the centre. */
  fit: 'pad' | 'crop';
}

/**
 * Decodes to exactly target.height × target.width × target.channels bytes (HWC, 0–255). Transparent pixels are
 * composed onto white; colour images become gray by luminance when the target has one channel.
 */
export async function decodeImage(buf: Buffer, format: ImageFormat, target: DecodeTarget, maxPixels = DEFAULT_MAX_PIXELS): Promise<Uint8Array> {
  let pipeline: Sharp;
  if (format === 'bmp') {
    const { width, height } = bmpDimensions(buf);
    if (width * height > maxPixels) throw new Error(`the image has ${width * height} pixels, over the limit of ${maxPixels}`);
    const bmp = decodeBmp(buf, { toRGBA: true });
    pipeline = sharp(Buffer.from(bmp.data), { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
  } else {
    pipeline = sharp(buf, { limitInputPixels: maxPixels, pages: 1 });
  }
  pipeline = pipeline.flatten({ background: '#ffffff' });
  pipeline = target.channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  pipeline = pipeline.resize(target.width, target.height, {
    fit: target.fit === 'pad' ? 'contain' : 'cover',
    position: 'centre',
    background: target.channels === 1 ? { r: 0, g: 0, b: 0 } : { r: 0, g: 0, b: 0 },
    kernel: 'lanczos3',
  });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels === target.channels) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // sharp may keep an extra channel (alpha or a gray image expanded); pick the ones asked for.
  const out = new Uint8Array(target.height * target.width * target.channels);
  for (let p = 0; p < target.height * target.width; p++) {
    for (let c = 0; c < target.channels; c++) out[p * target.channels + c] = data[p * info.channels + Math.min(c, info.channels - 1)];
  }
  return out;
}
