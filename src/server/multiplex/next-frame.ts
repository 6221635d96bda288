/**
 * graphql-transport-ws `next` messages for one result, shared by every subscription that has it.
 * The message differs between subscriptions only in its id, so the payload is serialized once and
 * each socket gets the id spliced in front of it: the same bytes graphql-ws's own
 * `stringifyMessage({ id, type: "next", payload })` would write, without a JSON.stringify per socket.
 */
export class NextFrame {
  private readonly tail: Buffer;

  constructor(payloadJson: string) {
    this.tail = Buffer.from(`,"type":"next","payload":${payloadJson}}`);
  }

  /** The whole message for subscription `head` (see {@link frameHead}). */
  for(head: Buffer): Buffer {
    return Buffer.concat([head, this.tail], head.length + this.tail.length);
  }
}

/** The start of every message for subscription `id`: built once per subscription. */
export const frameHead = (id: string): Buffer => Buffer.from(`{"id":${JSON.stringify(id)}`);
