/**
 * `fsw decode`: read a byte capture (a file) or a live serial port and print every frame
 * (kind, seq, fields) and every drop with its reason, as text or one JSON object per line.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { SerialPort } from 'serialport';
import { SlipDecoder } from '../../hal/framing/slip.js';
import { decodeBody } from '../../hal/protocol/codec.js';
import { openErrorForPeople } from '../../hal/link/serial-link.js';
import type { Message } from '../../hal/protocol/messages.js';
import { isRecordingError, looksLikeRecording, readRecording, REC_MAGIC } from '../../firmware-agent/recorder/index.js';
import { DEFAULT_BAUD } from '../../firmware-agent/main.js';
import { baudArg, checkFileArg, EXIT, StatusError, UsageError, type CliIO, type CommandModule } from './common.js';

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

/** True when the file starts with the flight-recording magic. */
function isRecordingFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(REC_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && looksLikeRecording(head);
  } finally {
    closeSync(fd);
  }
}

/**
 * A flight recording: every frame the agent received (rx) and sent (tx) and every framing
 * drop, with its agent-clock time, session by session; decisions and mode changes are left
 * to `fsw replay`.
 */
function decodeRecording(file: string, opts: DecodeOptions, io: CliIO): void {
  let rec;
  try {
    rec = readRecording(readFileSync(file));
  } catch (err) {
    if (isRecordingError(err)) throw new StatusError(1, `${file}: ${err.code}: ${err.message}`);
    throw err;
  }
  const counts = { rx: 0, tx: 0, drops: 0 };
  let n = 0;
  rec.sessions.forEach((s, i) => {
    const h = s.header;
    const head = { session: i + 1, id: h.id, sat: h.sat, sw: h.sw, start: h.start, wall: h.wall, clock: h.clock, link: h.link, journal_bytes: h.journal_bytes };
    io.out(opts.json ? `${JSON.stringify(head)}\n` : `== session ${i + 1}: agent ${h.id}${h.sat ? ` (${h.sat})` : ''}, ${h.sw}, booted ${h.wall} at agent clock ${h.start.toFixed(3)} ms, link ${h.link.name} ${h.link.state}, journal ${h.journal_bytes} bytes\n`);
    for (const e of s.events) {
      const t = Number(e.t.toFixed(3));
      if (e.type === 'rx' || e.type === 'tx') {
        n++;
        counts[e.type]++;
        const r = decodeBody(e.b);
        const frame = r.ok ? (plain(r.msg as Message) as Record<string, unknown>) : undefined;
        const line = frame ? { n, t, dir: e.type, frame, ...(e.type === 'tx' && e.ok === false ? { refused: true } : {}) } : { n, t, dir: e.type, drop: r.ok ? '' : r.reason, detail: r.ok ? '' : r.why };
        io.out(opts.json ? `${JSON.stringify(line)}\n` : `${t.toFixed(3).padStart(12)} ${e.type} ${frame ? text({ n, frame }) : `#${n} DROP ${line.drop}: ${line.detail}`}\n`);
      } else if (e.type === 'drop') {
        n++;
        counts.drops++;
        io.out(opts.json ? `${JSON.stringify({ n, t, dir: 'rx', drop: e.r, detail: e.d })}\n` : `${t.toFixed(3).padStart(12)} rx #${n} DROP ${e.r}: ${e.d}\n`);
      } else if (e.type === 'link' && !opts.json) io.out(`${t.toFixed(3).padStart(12)} link ${e.s}${e.self ? ' (the agent opened or closed it)' : ''}\n`);
      else if ((e.type === 'end' || e.type === 'full') && !opts.json) io.out(`${t.toFixed(3).padStart(12)} ${e.type === 'end' ? `stopped: ${e.reason}` : `recording full at ${e.bytes} bytes`}\n`);
    }
  });
  for (const p of rec.problems) io.err(`fsw decode: warning: ${p.code}: ${p.why}\n`);
  io.err(`recording of ${rec.sessions.length} session${rec.sessions.length === 1 ? '' : 's'}: ${counts.rx} frames received, ${counts.tx} sent, ${counts.drops} dropped by framing\n`);
}

async function runDecode(file: string | undefined, opts: DecodeOptions, io: CliIO): Promise<void> {
  if (!file && !opts.port) throw new UsageError('give a capture FILE or --port PATH');
  if (file && opts.port) throw new UsageError('give a capture FILE or --port PATH, not both');
  if (file) checkFileArg(file, 'FILE', 'a capture file or a flight recording');
  const out = (l: Line): void => io.out(`${opts.json ? JSON.stringify(l) : text(l)}\n`);
  const { slip, counts } = frameDecoder(out);
  const summary = (): void => io.err(`decoded ${counts.frames} frames; dropped escape ${counts.escape}, crc ${counts.crc}, oversize ${counts.oversize}, cbor ${counts.cbor}, schema ${counts.schema}\n`);
  if (file && isRecordingFile(file)) {
    decodeRecording(file, opts, io);
    return;
  }
  if (file) {
    for await (const chunk of createReadStream(file)) slip.push(chunk as Buffer);
    slip.end();
    summary();
    return;
  }
  // A live port: its raw bytes go through the same decoder as a file's.
  const port = new SerialPort({ path: opts.port!, baudRate: opts.baud, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new StatusError(EXIT.FAILURE, `cannot open ${opts.port}: ${openErrorForPeople(err).message}`)) : resolve())));
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
          'oversize, cbor, schema). A summary goes to stderr.\n\n' +
          'A flight recording (fsw agent --record FILE) is recognised by its header: each frame is printed\n' +
          'with its agent-clock time in ms and its direction (rx: received by the agent, tx: sent by it),\n' +
          'session by session.',
      )
      .argument('[file]', 'a capture of raw bytes from the line, or a flight recording')
      .addOption(
        new Option(
          '--port <path>',
          'decode a live line until Ctrl-C: a port where something is already talking, such as a second adapter tapping a board\'s UART. ' +
            'Not a port an agent has open (one process per port), nor an emulator pty on its own (the emulated hardware is silent until an agent says hello): ' +
            'to see an agent\'s traffic, record it (fsw agent --record FILE) and decode the file',
        ),
      )
      .addOption(new Option('--baud <n>', 'baud rate for --port').argParser(baudArg).default(DEFAULT_BAUD))
      .addOption(new Option('--json', 'one JSON object per line ({n, frame} or {n, drop, detail}); byte strings as {hex}'))
      .addHelpText('after', `
Examples:
  fsw decode capture.bin
  fsw decode capture.bin --json | jq -c 'select(.drop)'
  fsw decode --port /dev/ttyUSB1   # an adapter whose RX taps a board's TX
  fsw decode /tmp/SAT-1.rec --json | jq -c 'select(.dir == "tx")'

Exit status: 0 ok, 1 failure (a port would not open), 2 bad usage.`)
      .action(async (file: string | undefined, opts: DecodeOptions) => {
        await runDecode(file, opts, io);
      });
  },
};
