import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from "graphql";

/**
 * graphql-js's `subscribe`, except that each event executes with a context made for it
 * (`forEvent`, given the event): per-request DataLoaders would otherwise live as long as the
 * subscription and serve a disk as it was at the first event, or one that was forgotten since.
 */
export function perEventSubscribe<C>(forEvent: (context: C, event: unknown) => C) {
  return async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const run = async (r: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> =>
      r.done ? { done: true, value: undefined } : { done: false, value: await execute({ ...args, rootValue: r.value, contextValue: forEvent(args.contextValue as C, r.value) }) };
    // Not an async generator function: its return() would wait for the pending next(), so an
    // unsubscribe would hang until the next event. Like graphql-js, forward return() at once.
    const mapped = {
      next: () => iterator.next().then(run),
      return: async () => (await iterator.return?.(), { done: true as const, value: undefined }),
      throw: async (error: unknown) => {
        if (iterator.throw) return run(await iterator.throw(error));
        throw error;
      },
      [Symbol.asyncIterator]() {
        return mapped;
      },
    };
    return mapped as unknown as AsyncGenerator<ExecutionResult>;
  };
}
