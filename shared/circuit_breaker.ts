/**
 * A circuit breaker for calls to an outside service. Closed: calls go through
 * and consecutive failures are counted. After `failureThreshold` of them it
 * opens: calls are refused at once (no request leaves the process) for
 * `cooldownMs`. Then it lets exactly one probe through (half-open) on its
 * own, at the next call: success closes it, failure opens it for another cooldown.
 */

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  name: string;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before it probes again. */
  cooldownMs: number;
  now?: () => number;
  onStateChange?: (from: BreakerState, to: BreakerState, name: string) => void;
}

/** Thrown instead of calling the service while the circuit is open. */
export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  constructor(readonly breaker: string, readonly retryInMs: number) {
    super(`circuit ${breaker} is open; retry in ${retryInMs} ms`);
  }
}

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  readonly #options: Required<Omit<CircuitBreakerOptions, "onStateChange">> & CircuitBreakerOptions;

  constructor(options: CircuitBreakerOptions) {
    if (options.failureThreshold < 1) throw new RangeError("failureThreshold must be >= 1");
    this.#options = { now: Date.now, ...options };
  }

  /** The state now; an open circuit whose cooldown elapsed reads as half_open. */
  get state(): BreakerState {
    if (this.#state === "open" && this.#cooldownLeft() <= 0) return "half_open";
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /**
   * Runs `fn` through the breaker. A thrown error, or a value `isFailure`
   * accepts, counts as a failure; the value is still returned (or rethrown).
   * Throws CircuitOpenError without calling `fn` while the circuit is open.
   */
  async run<T>(fn: () => Promise<T>, isFailure: (value: T) => boolean = () => false): Promise<T> {
    this.#acquire();
    let value: T;
    try {
      value = await fn();
    } catch (error) {
      this.#record(false);
      throw error;
    }
    this.#record(!isFailure(value));
    return value;
  }

  #acquire(): void {
    if (this.#state === "closed") return;
    const left = this.#cooldownLeft();
    // One probe at a time: concurrent callers keep failing fast until it answers.
    if (left > 0 || this.#probing) {
      throw new CircuitOpenError(this.#options.name, Math.max(0, left));
    }
    this.#probing = true;
    this.#transition("half_open");
  }

  #record(ok: boolean): void {
    const wasProbe = this.#probing;
    this.#probing = false;
    if (ok) {
      this.#failures = 0;
      if (this.#state !== "closed") this.#transition("closed");
      return;
    }
    this.#failures++;
    if (wasProbe || this.#failures >= this.#options.failureThreshold) {
      this.#openedAt = this.#options.now!();
      this.#transition("open");
    }
  }

  #cooldownLeft(): number {
    return this.#openedAt + this.#options.cooldownMs - this.#options.now!();
  }

  #transition(to: BreakerState): void {
    const from = this.#state;
    this.#state = to;
    if (from !== to) this.#options.onStateChange?.(from, to, this.#options.name);
  }
}
