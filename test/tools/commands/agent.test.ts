import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { openCauseSaid } from '../../../firmware-agent/main.js';
import { openErrorForPeople } from '../../../hal/link/serial-link.js';
import { fswInProcess as fsw } from '../../helpers/cli.js';
import { disposeAllPtyPairs, startPtyPair } from '../../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../../helpers/system-tool.js';
import { tempFiles } from '../../helpers/tmp.js';

const tmp = tempFiles('fsw-agent-cmd-');

describe('fsw agent --port on something that is not a serial device', () => {
  it.each([['/dev/null'], ['a regular file']])('%s: exit 3, E_LINK_OPEN saying it is not a serial device (a tty); no journal made', async (which) => {
    const port = which === '/dev/null' ? which : tmp.file('not-a-tty.txt', 'text');
    const journal = join(tmp.dir, `${which.length}.journal`);
    const r = await fsw(['agent', '--port', port, '--journal', journal]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`fsw agent: cannot open serial port ${port}: E_LINK_OPEN: ${port}: not a serial device (not a tty)`);
    // The cause is said: no "is it there ... group dialout" guesses after it.
    expect(r.stderr).not.toContain('dialout');
    expect(existsSync(journal)).toBe(false);
  });
});

describe('fsw agent --port: the "is it there" hint only when the error does not say why', () => {
  it('a path that does not exist: exit 3 with the hint', async () => {
    const port = join(tmp.dir, 'no-such-tty');
    const r = await fsw(['agent', '--port', port, '--journal', join(tmp.dir, 'missing.journal')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot open serial port ${port}: E_LINK_OPEN`);
    expect(r.stderr).toContain('(is it there, is another process using it, may this user open it? On Linux: group dialout)');
  });

  it('openCauseSaid recognises the HAL\'s busy and not-a-tty wordings (as a link prefixes them), and nothing else', () => {
    const said = (raw: string): boolean => openCauseSaid(`/dev/ttyX: ${openErrorForPeople(new Error(raw)).message}`);
    expect(said('Error: Resource temporarily unavailable Cannot lock port')).toBe(true);
    expect(said('Error: Inappropriate ioctl for device, cannot set')).toBe(true);
    expect(said('Error: No such file or directory, cannot open /dev/ttyX')).toBe(false);
    expect(said('Error: Permission denied, cannot open /dev/ttyX')).toBe(false);
  });
});

describeWithTool('socat', SOCAT_INSTALL)('fsw agent --port on a port another process has open', () => {
  afterEach(disposeAllPtyPairs);

  it('exit 3 saying it is busy, without the hint that guesses at causes', async () => {
    const pty = await startPtyPair();
    const holder = new SerialPort({ path: pty.fcPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())));
    try {
      const r = await fsw(['agent', '--port', pty.fcPath, '--journal', join(tmp.dir, 'busy.journal')]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`cannot open serial port ${pty.fcPath}: E_LINK_OPEN: ${pty.fcPath}: busy: another process has it open`);
      expect(r.stderr).not.toContain('dialout');
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });
});
