/**
 * PGMYUV, the image format ffmpeg's `image2pipe` reads one picture at a time (each with its own size): a
 * binary PGM whose height is 3/2 of the picture's, the Y plane on top, then every chroma row as its U half
 * followed by its V half.
 */

/** An I420 picture: Y plane then U and V planes, each row `stride` bytes. */
export interface I420Picture {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * The picture as one PGMYUV image. Odd sizes lose their last column or row (PGMYUV needs even sizes);
 * `data` is read with LiveKit's I420 layout (luma stride = width, chroma stride = ceil(width / 2)).
 */
export function toPgmyuv(picture: I420Picture): Buffer {
  const width = picture.width & ~1;
  const height = picture.height & ~1;
  const lumaStride = picture.width;
  const chromaStride = Math.ceil(picture.width / 2);
  const chromaRows = Math.ceil(picture.height / 2);
  const uOffset = lumaStride * picture.height;
  const vOffset = uOffset + chromaStride * chromaRows;
  const needed = vOffset + chromaStride * chromaRows;
  if (width === 0 || height === 0 || picture.data.length < needed) {
    throw new RangeError(`not an I420 picture of ${picture.width}x${picture.height} (${picture.data.length} bytes)`);
  }
  const header = Buffer.from(`P5\n${width} ${(height * 3) / 2}\n255\n`, 'ascii');
  const half = width / 2;
  const out = Buffer.allocUnsafe(header.length + width * height + half * height);
  header.copy(out, 0);
  let at = header.length;
  const src = Buffer.from(picture.data.buffer, picture.data.byteOffset, picture.data.byteLength);
  if (lumaStride === width) {
    src.copy(out, at, 0, width * height);
    at += width * height;
  } else {
    for (let row = 0; row < height; row += 1, at += width)
      src.copy(out, at, row * lumaStride, row * lumaStride + width);
  }
  for (let row = 0; row < height / 2; row += 1) {
    const u = uOffset + row * chromaStride;
    const v = vOffset + row * chromaStride;
    src.copy(out, at, u, u + half);
    src.copy(out, at + half, v, v + half);
    at += width;
  }
  return out;
}

/** A black picture (the output before the first frame, and while a video track is missing). */
export function blackPgmyuv(width: number, height: number): Buffer {
  const w = Math.max(2, width & ~1);
  const h = Math.max(2, height & ~1);
  const data = new Uint8Array(w * h + (w / 2) * (h / 2) * 2);
  data.fill(16, 0, w * h);
  data.fill(128, w * h);
  return toPgmyuv({ width: w, height: h, data });
}
