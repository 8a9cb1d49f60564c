/**
 * A small typed event emitter (the typed-port idea of F Prime: a component's events are part
 * of its type). A listener that throws is reported to `onListenerError` and the others still run.
 */
export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};
  onListenerError: (err: unknown, event: keyof E) => void = () => {};

  /** Subscribe; returns the function that unsubscribes. */
  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    (this.listeners[event] ??= []).push(fn);
    return () => this.off(event, fn);
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): void {
    const l = this.listeners[event];
    if (!l) return;
    const i = l.indexOf(fn);
    if (i >= 0) l.splice(i, 1);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const l = this.listeners[event];
    if (!l) return;
    for (const fn of l.length === 1 ? l : [...l]) {
      try {
        fn(...args);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.listeners[event]?.length ?? 0;
  }
}
