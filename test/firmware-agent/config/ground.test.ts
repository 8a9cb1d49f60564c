import { describe, expect, it } from 'vitest';
import { ConfigError, parseAgentConfig } from '../../../firmware-agent/config/load.js';

describe('config: ground', () => {
  it('the default config has ground { station_id: GROUND } and no public key (ground commands refused)', () => {
    const c = parseAgentConfig({});
    expect(c.ground).toEqual({ station_id: 'GROUND' });
    expect(c.ground.public_key_file).toBeUndefined();
  });

  it('takes a public key file and a station id', () => {
    const c = parseAgentConfig({ ground: { public_key_file: '/etc/fsw/ground.pub.pem', station_id: 'GS-KIRUNA' } });
    expect(c.ground).toEqual({ public_key_file: '/etc/fsw/ground.pub.pem', station_id: 'GS-KIRUNA' });
  });

  it('refuses a non-string key path, an empty station id and unknown keys, naming the field', () => {
    const issues = (v: unknown) => {
      try {
        parseAgentConfig(v);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.join('\n');
      }
      throw new Error('accepted');
    };
    expect(issues({ ground: { public_key_file: 42 } })).toMatch(/ground\.public_key_file/);
    expect(issues({ ground: { station_id: '' } })).toMatch(/ground\.station_id/);
    expect(issues({ ground: { key: 'x' } })).toMatch(/ground/);
  });
});
