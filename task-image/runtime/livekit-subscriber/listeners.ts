/**
 * Typed listener sets. A listener that throws is logged and skipped: listeners run inside werift's and
 * ws's callbacks, where an exception would break the media or signalling path for everyone else.
 */
import type { Logger } from '#shared/logger.ts';

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/** A set of listeners of one event. */
export class Listeners<Args extends unknown[]> {
  private readonly set = new Set<(...args: Args) => void>();

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  /** Number of listeners registered now. */
  get size(): number {
    return this.set.size;
  }

  /** Adds a listener; the returned function removes it. */
  add(listener: (...args: Args) => void): Unsubscribe {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  /** Calls every listener with `args`. */
  emit(...args: Args): void {
    for (const listener of this.set) {
      try {
        listener(...args);
      } catch (err) {
        this.logger.error(`${this.name} listener threw`, { err });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.set.clear();
  }
}

/** Event map → one listener set per event, with `on` returning an {@link Unsubscribe}. */
export class TypedEvents<Events extends Record<string, unknown[]>> {
  private readonly sets = new Map<keyof Events, Listeners<unknown[]>>();

  constructor(private readonly logger: Logger) {}

  /** Listens to `event` until the returned function is called. */
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): Unsubscribe {
    return this.listeners(event).add(listener);
  }

  /** Listens to the next `event` only. */
  once<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): Unsubscribe {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  /** Calls the listeners of `event`. */
  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    this.sets.get(event)?.emit(...args);
  }

  /** Removes every listener of every event. */
  clear(): void {
    for (const set of this.sets.values()) set.clear();
  }

  private listeners<E extends keyof Events>(event: E): Listeners<Events[E]> {
    let set = this.sets.get(event);
    if (set === undefined) {
      set = new Listeners<unknown[]>(String(event), this.logger);
      this.sets.set(event, set);
    }
    return set as unknown as Listeners<Events[E]>;
  }
}
