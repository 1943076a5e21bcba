/**
 * Runs `fn` over `items` with at most `limit` calls in flight. Workers let an invocation wait
 * on only 6 outgoing connections at once; more would queue inside the runtime and eat the
 * delivery timeout of the requests waiting behind.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const MAX_CONNECTIONS = 6;
