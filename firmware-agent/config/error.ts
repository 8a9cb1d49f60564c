/** A config that does not parse or validate; each issue names the field and what it allows. */
export class ConfigError extends Error {
  readonly code = 'E_CONFIG_INVALID';
  constructor(readonly source: string, readonly issues: string[]) {
    super(`${source}: invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
