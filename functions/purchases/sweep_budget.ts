/**
 * The sweep's time. A scheduler call is a request with a deadline
 * (REQUEST_DEADLINE_MS, 10 s), and the sweep answers inside it with what each
 * step did and what it left. Every step gets a fair part of what is left when
 * it starts (left ÷ steps still to run), runs under that part as its own
 * deadline (so a provider call in flight ends by then: shared/payments caps
 * each call's timeout by the deadline) and starts no new outside call after
 * the first half of it, leaving the second half for the calls in flight. A
 * step never uses more than its part, so the steps after it get at least
 * theirs, every pass (a slow step cannot starve the others), and time a step
 * does not need goes to the ones after it.
 */
import { remainingMs, withDeadline } from "../../shared/deadline.ts";

// Kept for the answer after the last step: the last bookkeeping statements and the counts
// of what is left. A share of the deadline, so a short test deadline still leaves steps time.
const RESERVE_SHARE = 0.15;
// pg_cron's call waits this long for the answer (timeout_milliseconds in the schedules
// migration): a deadline set longer than that does not lengthen a pass.
const SCHEDULER_WAIT_MS = 10_000;

export interface StepClock {
  /** True once this step should start no new outside call (its part is half spent). */
  spent(): boolean;
}

const UNBOUNDED: StepClock = { spent: () => false };

export class SweepBudget {
  /** performance.now() at which the last step must be done; Infinity outside a request. */
  readonly #end: number;
  #stepsLeft: number;

  /** `steps`: how many steps share the time; `totalMs`: the time (default: the request's). */
  constructor(steps: number, totalMs: number | undefined = remainingMs()) {
    this.#stepsLeft = steps;
    this.#end = totalMs === undefined
      ? Number.POSITIVE_INFINITY
      : performance.now() + Math.min(totalMs, SCHEDULER_WAIT_MS) * (1 - RESERVE_SHARE);
  }

  /** Runs the next step within its part of the time; outside a request, without a bound. */
  run<T>(fn: (clock: StepClock) => Promise<T>): Promise<T> {
    const steps = Math.max(1, this.#stepsLeft--);
    if (this.#end === Number.POSITIVE_INFINITY) return fn(UNBOUNDED);
    const start = performance.now();
    const partMs = Math.max(0, (this.#end - start) / steps);
    const clock = { spent: () => performance.now() >= start + partMs / 2 };
    return withDeadline(partMs, () => fn(clock));
  }
}
