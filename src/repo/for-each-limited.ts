// A bounded pool for I/O over many items (uploads, deletes, cache reads): one implementation for every caller.

/**
 * Run `work` over items, `limit` at a time. After the first failure no new item starts, and the failure is
 * thrown only once every item in flight has settled: nothing is still uploading when the caller (and the
 * lock it holds) moves on.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
