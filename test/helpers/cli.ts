import { createServer } from 'node:net';
import { runCli } from '../../tools/cli.js';
import type { CliIO } from '../../tools/commands/common.js';

/** A CliIO that keeps what a command writes (no signals). */
export function captureIO(): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { out: (t) => void (out += t), err: (t) => void (err += t), onSignal: () => () => {} },
    out: () => out,
    err: () => err,
  };
}

/** Runs `fsw ARGS` in process and returns its exit code and output. */
export async function fswInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIO();
  const code = await runCli(args, c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
