import { every, type Clock, type Periodic } from '../../hal/index.js';

export type ComponentHealth = 'ok' | 'warn' | 'fatal';

interface Component {
  name: string;
  /** A counter that advances while the component works (cycles run, samples arrive, …). */
  beat: () => number;
  last: number;
  missed: number;
  status: ComponentHealth;
}

/**
 * Software health check in the F Prime Health style: every `pingMs` each component is asked
 * for its heartbeat; one that has not advanced has missed a ping. `warnMissed` consecutive
 * misses is a warning, `fatalMissed` is fatal — and a fatal component stops the agent petting
 * the hardware watchdog, so the hardware resets the flight computer.
 */
export class HealthMonitor {
  private readonly components: Component[] = [];
  private periodic: Periodic | undefined;
  warns = 0;
  fatals = 0;

  constructor(
    private readonly clock: Clock,
    private readonly pingMs: number,
    private readonly warnMissed: number,
    private readonly fatalMissed: number,
    private readonly onChange: (name: string, status: ComponentHealth, missed: number) => void = () => {},
  ) {}

  register(name: string, beat: () => number): void {
    this.components.push({ name, beat, last: beat(), missed: 0, status: 'ok' });
  }

  start(): void {
    this.periodic ??= every(this.clock, this.pingMs, () => this.check());
  }

  stop(): void {
    this.periodic?.stop();
    this.periodic = undefined;
  }

  get anyFatal(): boolean {
    return this.components.some((c) => c.status === 'fatal');
  }

  status(): Record<string, ComponentHealth> {
    return Object.fromEntries(this.components.map((c) => [c.name, c.status]));
  }

  check(): void {
    for (const c of this.components) {
      const now = c.beat();
      c.missed = now === c.last ? c.missed + 1 : 0;
      c.last = now;
      const status: ComponentHealth = c.missed >= this.fatalMissed ? 'fatal' : c.missed >= this.warnMissed ? 'warn' : 'ok';
      if (status !== c.status) {
        if (status === 'warn') this.warns++;
        if (status === 'fatal') this.fatals++;
        c.status = status;
        this.onChange(c.name, status, c.missed);
      }
    }
  }
}
