import { describe, expect, it } from 'vitest';
import { AGENT_EXIT, main, type MainIO } from '../../../firmware-agent/main.js';
import { fswInProcess } from '../../helpers/cli.js';

/** `--record` on the board entry and on `fsw agent`: documented, and bad values are bad usage (2). */
function io(): { io: MainIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (t) => void (out += t), err: (t) => void (err += t), onSignal: () => () => {} }, out: () => out, err: () => err };
}

describe('--record', () => {
  it('main --help documents --record and --record-max-bytes', async () => {
    const c = io();
    expect(await main(['--help'], c.io)).toBe(AGENT_EXIT.OK);
    expect(c.out()).toContain('--record FILE');
    expect(c.out()).toContain('--record-max-bytes N');
    // The growth figures of the recorder README (a swarm leader writes the most: ~21 MiB/h measured).
    expect(c.out().replace(/\s+/g, ' ')).toContain('about 7.5 MiB an hour solo, 15–21 MiB with the swarm (the leader most');
  });

  it('main: an empty --record, or a cap that is not an integer of at least 64 KiB, exits 2 naming the option', async () => {
    for (const [args, msg] of [
      [['--port', '/dev/null', '--record', ''], /'--record' needs a non-empty value/],
      [['--port', '/dev/null', '--record', 'x.rec', '--record-max-bytes', '100'], /'--record-max-bytes' argument '100' is invalid: must be an integer from 65536/],
      [['--port', '/dev/null', '--record'], /'--record' argument missing|--record/],
    ] as const) {
      const c = io();
      expect(await main(args, c.io), args.join(' ')).toBe(AGENT_EXIT.USAGE);
      expect(c.err(), args.join(' ')).toMatch(msg);
    }
  });

  it('fsw agent --help documents both options; a bad cap exits 2', async () => {
    const h = await fswInProcess(['agent', '--help']);
    expect(h.stdout).toContain('--record <file>');
    expect(h.stdout).toContain('--record-max-bytes <n>');
    expect(h.stdout).toContain('fsw replay /tmp/SAT-1.rec');
    const bad = await fswInProcess(['agent', '--port', '/dev/null', '--record', 'x.rec', '--record-max-bytes', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--record-max-bytes/);
  });
});
