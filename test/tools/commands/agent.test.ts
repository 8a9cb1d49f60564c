import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fswInProcess as fsw } from '../../helpers/cli.js';
import { tempFiles } from '../../helpers/tmp.js';

const tmp = tempFiles('fsw-agent-cmd-');

describe('fsw agent --port on something that is not a serial device', () => {
  it.each([['/dev/null'], ['a regular file']])('%s: exit 3, E_LINK_OPEN saying it is not a serial device (a tty); no journal made', async (which) => {
    const port = which === '/dev/null' ? which : tmp.file('not-a-tty.txt', 'text');
    const journal = join(tmp.dir, `${which.length}.journal`);
    const r = await fsw(['agent', '--port', port, '--journal', journal]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`fsw agent: cannot open serial port ${port}: E_LINK_OPEN: ${port}: not a serial device (not a tty)`);
    expect(existsSync(journal)).toBe(false);
  });
});
