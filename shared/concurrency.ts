/**
 * Bounded fan-out for batch jobs: at most `width` items in flight, and no new
 * one started once `stop()` says the caller's time is spent (the ones in
 * flight finish; the rest stay for the next pass).
 */
export async function eachConcurrently<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, width), items.length) }, worker));
}
