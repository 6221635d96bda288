/** A file operation on storage that stopped answering (hung NFS/FUSE server). */
export class StorageHungError extends Error {}

/**
 * Resolves like `work`, or rejects with {@link StorageHungError} after `ms`. An in-process open or
 * stat on a hung mount never returns (it parks a libuv thread in the kernel): the caller must not
 * wait for it too. The parked thread is the price; the scan or job goes on and says why.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageHungError(`${what} did not answer within ${ms} ms (storage hung)`)), ms);
  });
  work.catch(() => undefined); // a late failure after the deadline is not unhandled
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
