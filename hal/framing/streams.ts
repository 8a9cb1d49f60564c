import { Transform, type TransformCallback } from 'node:stream';
import { encodeFrame, SlipDecoder, type FramingDropReason } from './slip.js';

/**
 * Stream forms of the framing, for pipelines (capture files, `decode` of a live port).
 * Links use `encodeFrame`/`SlipDecoder` directly: one less hop per frame.
 */

/** Object-mode bodies in, framed bytes out. */
export class FrameEncoderStream extends Transform {
  constructor() {
    super({ writableObjectMode: true });
  }
  override _transform(body: Uint8Array, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, encodeFrame(body));
  }
}

/** Bytes in, object-mode CRC-checked bodies out; each drop is emitted as `'drop'`. */
export class FrameDecoderStream extends Transform {
  private readonly decoder: SlipDecoder;
  constructor(opts: { maxPayload?: number } = {}) {
    super({ readableObjectMode: true });
    this.decoder = new SlipDecoder({
      ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {}),
      onFrame: (body) => this.push(body),
      onDrop: (reason: FramingDropReason, bytes: number) => this.emit('drop', reason, bytes),
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.decoder.push(chunk);
    cb();
  }
  override _flush(cb: TransformCallback): void {
    this.decoder.end();
    cb();
  }
}
