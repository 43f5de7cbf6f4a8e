/**
 * Runs async calls one after another, in the order they were made: each
 * starts when the previous one has settled, and a failure reaches its own
 * caller only.
 */
export class Serial {
  private tail: Promise<void> = Promise.resolve();

  run(call: () => Promise<void>): Promise<void> {
    const done = this.tail.then(call);
    this.tail = done.catch(() => undefined);
    return done;
  }
}
