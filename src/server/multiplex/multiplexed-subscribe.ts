import { createSourceEventStream, execute } from "graphql";
import type { ExecutionArgs, ExecutionResult, GraphQLError, GraphQLFormattedError } from "graphql";
import type { WebSocket } from "ws";
import { subscriptionExecutions } from "../../metrics.js";
import { frameHead, NextFrame } from "./next-frame.js";
import { jobEventClass } from "./job-event-class.js";
import { SocketWriter, type EventClass } from "./socket-writer.js";

/** One key's frame for one event: `ready` once computed, so later subscribers take it without a promise hop. */
interface Computed {
  promise: Promise<NextFrame>;
  ready?: NextFrame;
}

/** Where one subscription's frames go, and which results it shares. */
export interface Route {
  socket: WebSocket;
  /** graphql-ws's subscription id on that socket. */
  id: string;
  /** subscriptionKey(): document, variables, role. */
  key: string;
  /** The caller's role, the only part of the caller the shared execution sees. */
  role: string;
}

export interface MultiplexDeps<C> {
  /** The context the shared execution of `route.key` uses for `event`: built from `route.role` alone. */
  sharedContext: (route: Route, event: unknown) => C;
  /** An execution error as the client sees it. */
  toClient: (error: GraphQLError) => GraphQLFormattedError;
  /** A root event's class for coalescing on a slow socket; jobs by default. */
  classify?: (event: unknown) => EventClass | null;
  /** Bytes unsent before a socket counts as slow (tests lower it). */
  highWater?: number;
}

/**
 * graphql-ws `subscribe` that executes each distinct subscription (its key) once per event and
 * writes the one serialized result to every socket that has it, instead of executing and
 * serializing per subscriber. Each subscriber keeps its own source stream (its own current state
 * first, its own ordering), so only the execution and the bytes are shared, never the events.
 *
 * The returned iterator yields nothing to graphql-ws: it writes `next` frames through the socket's
 * SocketWriter itself and ends when the stream ends, after its frames left, so graphql-ws's own
 * `complete` (or error) follows them.
 */
export function multiplexedSubscribe<C>(d: MultiplexDeps<C>) {
  const routes = new WeakMap<object, Route>();
  const writers = new WeakMap<WebSocket, SocketWriter>();
  /** Per event object, per key: the frame, computed once (`ready` once it is). Dropped with the event. */
  const frames = new WeakMap<object, Map<string, Computed>>();
  const classify = d.classify ?? jobEventClass;

  const writerOf = (socket: WebSocket) => {
    let writer = writers.get(socket);
    if (!writer) writers.set(socket, (writer = new SocketWriter(socket, d.highWater)));
    return writer;
  };

  const frameFor = (args: ExecutionArgs, route: Route, event: unknown): Computed => {
    const key = route.key;
    const holder = typeof event === "object" && event !== null ? event : null;
    let byKey = holder ? frames.get(holder) : undefined;
    const known = byKey?.get(key);
    if (known) return known;
    const computed = {} as Computed;
    computed.promise = (async () => {
      subscriptionExecutions.inc();
      const result = (await execute({
        ...args,
        rootValue: event,
        contextValue: d.sharedContext(route, event),
      })) as ExecutionResult;
      const payload = result.errors ? { ...result, errors: result.errors.map(d.toClient) } : result;
      return (computed.ready = new NextFrame(JSON.stringify(payload)));
    })();
    if (holder) {
      if (!byKey) frames.set(holder, (byKey = new Map()));
      byKey.set(key, computed);
    }
    return computed;
  };

  return {
    /** Tells the subscribe function where `contextValue`'s frames go (from onSubscribe). */
    route(contextValue: object, route: Route): void {
      routes.set(contextValue, route);
    },
    /** The writer of `socket`, if it had a subscription (tests and metrics). */
    writerOf: (socket: WebSocket) => writers.get(socket),

    subscribe: async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
      const route = routes.get(args.contextValue as object);
      if (!route) throw new Error("multiplexedSubscribe: no route for this subscription (onSubscribe must call route())");
      const stream = await createSourceEventStream(args);
      if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
      const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      const writer = writerOf(route.socket);
      const head = frameHead(route.id);
      let stopped = false;
      const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
        await writer.drained(route.id);
        writer.forget(route.id);
        return { done: true, value: undefined };
      };
      const pump = async (): Promise<IteratorResult<ExecutionResult>> => {
        try {
          for (;;) {
            const next = await source.next();
            if (next.done || stopped) return await finish();
            const computed = frameFor(args, route, next.value);
            const frame = computed.ready ?? (await computed.promise);
            if (stopped) return await finish();
            writer.write(route.id, frame.for(head), classify(next.value));
          }
        } catch (error) {
          // The frames before the failure go first; graphql-ws then sends the error.
          await writer.drained(route.id);
          throw error;
        }
      };
      // Not an async generator function: its return() would wait for the pending next(), so an
      // unsubscribe would hang until the next event. Like graphql-js, forward return() at once.
      const iterator = {
        next: pump,
        return: async () => {
          stopped = true;
          writer.forget(route.id);
          await source.return?.();
          return { done: true as const, value: undefined };
        },
        throw: async (error: unknown) => {
          stopped = true;
          if (source.throw) await source.throw(error);
          throw error;
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator as unknown as AsyncGenerator<ExecutionResult>;
    },
  };
}
