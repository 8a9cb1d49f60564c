import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../emulator/scenario/load.js';
import { buildProgram } from '../../../tools/cli.js';
import { intArg } from '../../../tools/commands/common.js';
import { COMMAND_FLAGS, resolveCommandConfig, scenarioWithAgentConfig, type CommandConfig } from '../../../tools/config/command-options.js';
import { FswConfigError, resolveConfig } from '../../../tools/config/resolve.js';
import { TOOL_SECTIONS } from '../../../tools/config/sections.js';
import { captureIO } from '../../helpers/cli.js';

/** A stand-in for `fsw emulate`'s options: resolveCommandConfig sees what the action sees. */
function emulateLike(args: string[], env: NodeJS.ProcessEnv): { got: CommandConfig; err: string } {
  const c = captureIO();
  let got: CommandConfig | undefined;
  const program = new Command('fsw').exitOverride();
  program
    .command('emulate')
    .argument('[scenario]', 'scenario', 'nominal')
    .addOption(new Option('--config <file>'))
    .addOption(new Option('--sats <n>').argParser(intArg(1, 1000)))
    .addOption(new Option('--seed <n>').argParser(intArg(0, 0xffffffff)))
    .addOption(new Option('--baud <n>').argParser(intArg(50, 4_000_000)).default(115200))
    .addOption(new Option('--status-every <s>').default(5))
    .action((_s: string, _o: unknown, cmd: Command) => {
      got = resolveCommandConfig('emulate', cmd, c.io, env);
    });
  program.parse(['emulate', ...args], { from: 'user' });
  return { got: got!, err: c.err() };
}

describe('resolveCommandConfig', () => {
  it('a typed flag wins over the environment; commander\'s defaults do not (they are the built-in defaults)', () => {
    const { got } = emulateLike(['--seed', '11'], { FSW_EMULATOR__SEED: '7', FSW_EMULATOR__SATS: '2', FSW_EMULATE__BAUD: '57600' });
    expect(got.options).toMatchObject({ seed: 11, sats: 2, baud: 57600, statusEvery: 5 });
    expect(got.resolved.sources.get('emulator.seed')).toEqual({ source: 'flag', name: '--seed' });
    expect(got.resolved.sources.get('emulate.baud')).toEqual({ source: 'env', name: 'FSW_EMULATE__BAUD' });
    // unset fields are absent, so the command's own behaviour applies
    expect(got.options).not.toHaveProperty('ptyDir');
    expect(got.options).not.toHaveProperty('duration');
  });

  it('the scenario: the argument when typed, else the configuration, else nominal', () => {
    expect(emulateLike([], {}).got.scenario).toBe('nominal');
    expect(emulateLike([], { FSW_EMULATOR__SCENARIO: 'battery-crisis' }).got.scenario).toBe('battery-crisis');
    expect(emulateLike(['leader-loss'], { FSW_EMULATOR__SCENARIO: 'battery-crisis' }).got.scenario).toBe('leader-loss');
  });

  it('a bad value names its source; ignored FSW_ variables are warned about on stderr', () => {
    expect(() => emulateLike([], { FSW_EMULATOR__SATS: '0' })).toThrow(FswConfigError);
    expect(() => emulateLike([], { FSW_EMULATOR__SATS: '0' })).toThrow(/FSW_EMULATOR__SATS \(env\) → emulator\.sats: must be an integer from 1 to 1000/);
    expect(() => emulateLike(['no-such'], {})).toThrow(/the scenario argument \(flag\) → emulator\.scenario: no scenario "no-such"/);
    expect(emulateLike([], { FSW_SATS: '3' }).err).toContain('fsw emulate: warning: ignoring FSW_SATS');
  });

  it('the real commands\' flag defaults are the configuration\'s defaults (a default typed in one place only would beat the file)', () => {
    const program = buildProgram(captureIO().io);
    for (const [command, bindings] of Object.entries(COMMAND_FLAGS)) {
      const cmd = program.commands.find((c) => c.name() === command)!;
      for (const b of bindings) {
        const opt = cmd.options.find((o) => o.attributeName() === b.option);
        expect(opt, `${command} ${b.flag}`).toBeDefined();
        expect(b.flag.split('/')).toContain(opt!.long);
        const [section, field] = b.path.split('.') as [keyof typeof TOOL_SECTIONS, string];
        const spec = TOOL_SECTIONS[section][field]!;
        const asOption = b.fromConfig && spec.default !== null ? b.fromConfig(spec.default) : spec.default;
        expect(opt!.defaultValue ?? null, `${command} ${b.flag} default`).toEqual(asOption);
      }
    }
  });
});

describe('scenarioWithAgentConfig (fsw run)', () => {
  const scenario = { ...resolveScenario('nominal'), agent: { cycle_hz: 2, modes: { safe_below: 0.3 } } };

  it('lays explicit agent fields over the scenario\'s own, field by field; defaults do not override it', () => {
    expect(scenarioWithAgentConfig(scenario, resolveConfig({ env: {} }))).toBe(scenario);
    const r = resolveConfig({ env: { FSW_AGENT__MODES__DEGRADED_BELOW: '0.7', FSW_AGENT__BUDGET_MS: '30' } });
    expect(scenarioWithAgentConfig(scenario, r).agent).toEqual({ cycle_hz: 2, budget_ms: 30, modes: { safe_below: 0.3, degraded_below: 0.7 } });
  });

  it('a combination valid alone but not with the scenario\'s own fields is refused, naming the sources', () => {
    const withMax = { ...scenario, agent: { swarm: { election: { election_timeout_max_ms: 600 } } } };
    const r = resolveConfig({ env: { FSW_AGENT__SWARM__ELECTION__ELECTION_TIMEOUT_MIN_MS: '620' } });
    expect(() => scenarioWithAgentConfig(withMax, r)).toThrow(FswConfigError);
    expect(() => scenarioWithAgentConfig(withMax, r)).toThrow(/scenario nominal \(file\).* → agent\.swarm\.election\.election_timeout_max_ms: .*election_timeout_min_ms/);
  });
});
