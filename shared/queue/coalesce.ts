/**
 * Request coalescing per key: at most one call in flight per key; whatever
 * arrives meanwhile goes out together in the next call. Alone, a request goes
 * out at once (no timer, no added wait); under load, one round trip serves
 * many. The waiting room's polls use it so that tens of thousands of clients
 * cost Redis one script call (one Upstash command, what Upstash bills) per
 * event per round trip, not one per poll.
 */

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * `run(key, items)` must answer one output per item, in order; when it
 * throws, every item of that call gets the error.
 */
export function coalesce<I, O>(
  run: (key: string, items: I[]) => Promise<O[]>,
  maxBatch = 500,
): (key: string, item: I) => Promise<O> {
  const lanes = new Map<string, Waiter<I, O>[]>();

  async function drain(key: string, waiting: Waiter<I, O>[]): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      try {
        const out = await run(key, batch.map((w) => w.item));
        if (out.length !== batch.length) throw new Error("coalesce: one answer per item expected");
        batch.forEach((w, i) => w.resolve(out[i]));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    lanes.delete(key);
  }

  return (key, item) =>
    new Promise<O>((resolve, reject) => {
      const waiting = lanes.get(key);
      if (waiting) {
        waiting.push({ item, resolve, reject });
        return;
      }
      const fresh = [{ item, resolve, reject }];
      lanes.set(key, fresh);
      // After this turn's other arrivals: requests parsed together go out together.
      queueMicrotask(() => void drain(key, fresh));
    });
}
