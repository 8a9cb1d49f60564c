/**
 * `fsw decode`: read a byte capture (a file) or a live serial port and print every frame
 * (kind, seq, fields) and every drop with its reason, as text or one JSON object per line.
 */
import { createReadStream, existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { SerialPort } from 'serialport';
import { SlipDecoder } from '../../hal/framing/slip.js';
import { decodeBody } from '../../hal/protocol/codec.js';
import type { Message } from '../../hal/protocol/messages.js';
import { intArg, UsageError, type CliIO, type CommandModule } from './common.js';

export interface DecodeOptions {
  port?: string;
  baud: number;
  json?: boolean;
}

type Line = { n: number; frame: Record<string, unknown> } | { n: number; drop: string; detail: string };

/** JSON-friendly form of a message: byte strings as hex. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return { hex: Buffer.from(x).toString('hex') };
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

function text(l: Line): string {
  if ('drop' in l) return `#${l.n} DROP ${l.drop}: ${l.detail}`;
  const { kind, seq, v: _v, time, ...rest } = l.frame as Record<string, unknown>;
  return `#${l.n} ${String(kind).padEnd(7)} seq ${String(seq).padStart(5)} t ${String(time).padStart(8)} ms  ${JSON.stringify(plain(rest))}`;
}

/** A decoder that reports every frame and drop through `emit`; returns it and its counts. */
export function frameDecoder(emit: (l: Line) => void) {
  let n = 0;
  const counts = { frames: 0, escape: 0, crc: 0, oversize: 0, cbor: 0, schema: 0 };
  const slip = new SlipDecoder({
    onFrame: (body) => {
      n++;
      const r = decodeBody(body);
      if (r.ok) {
        counts.frames++;
        emit({ n, frame: plain(r.msg as Message) as Record<string, unknown> });
      } else {
        counts[r.reason]++;
        emit({ n, drop: r.reason, detail: `${r.why}${r.ref !== undefined ? ` (ref ${r.ref})` : ''}` });
      }
    },
    onDrop: (reason, bytes) => {
      n++;
      counts[reason]++;
      emit({ n, drop: reason, detail: `${bytes} bytes buffered` });
    },
  });
  return { slip, counts };
}

async function runDecode(file: string | undefined, opts: DecodeOptions, io: CliIO): Promise<void> {
  if (!file && !opts.port) throw new UsageError('give a capture FILE or --port PATH');
  if (file && opts.port) throw new UsageError('give a capture FILE or --port PATH, not both');
  if (file && !existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const out = (l: Line): void => io.out(`${opts.json ? JSON.stringify(l) : text(l)}\n`);
  const { slip, counts } = frameDecoder(out);
  const summary = (): void => io.err(`decoded ${counts.frames} frames; dropped escape ${counts.escape}, crc ${counts.crc}, oversize ${counts.oversize}, cbor ${counts.cbor}, schema ${counts.schema}\n`);
  if (file) {
    for await (const chunk of createReadStream(file)) slip.push(chunk as Buffer);
    slip.end();
    summary();
    return;
  }
  // A live port: its raw bytes go through the same decoder as a file's.
  const port = new SerialPort({ path: opts.port!, baudRate: opts.baud, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${opts.port}: ${err.message}`)) : resolve())));
  port.on('data', (chunk: Buffer) => slip.push(chunk));
  await new Promise<void>((resolve) => {
    const off = io.onSignal(() => {
      off();
      resolve();
    });
    port.on('close', () => resolve());
  });
  if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
  slip.end();
  summary();
}

export const decodeCommand: CommandModule = {
  name: 'decode',
  register(program: Command, io: CliIO): Command {
    return program
      .command('decode')
      .summary('print every frame and every drop of a capture file or a live serial port')
      .description(
        'Reads raw bytes (a capture file, e.g. `cat /dev/ttyUSB0 > cap.bin`, or a live port) and prints\n' +
          'each frame (kind, seq, time, fields) and each dropped frame with its reason (escape, crc,\n' +
          'oversize, cbor, schema). A summary goes to stderr.',
      )
      .argument('[file]', 'a capture of raw bytes from the line')
      .addOption(new Option('--port <path>', 'decode a live serial port (or pty) until Ctrl-C'))
      .addOption(new Option('--baud <n>', 'baud rate for --port').argParser(intArg(50, 4_000_000)).default(115200))
      .addOption(new Option('--json', 'one JSON object per line ({n, frame} or {n, drop, detail}); byte strings as {hex}'))
      .addHelpText('after', `
Examples:
  fsw decode capture.bin
  fsw decode capture.bin --json | jq -c 'select(.drop)'
  fsw decode --port /tmp/sats/SAT-1

Exit status: 0 ok, 1 failure (a port would not open), 2 bad usage.`)
      .action(async (file: string | undefined, opts: DecodeOptions) => {
        await runDecode(file, opts, io);
      });
  },
};
