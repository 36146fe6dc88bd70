/**
 * A ContentStore with a deadline on every step, around any other: a store that stops answering (a
 * frozen Kubo node, a hung disk) fails the call with STORE_UNAVAILABLE instead of holding it for ever.
 *
 * Streams are timed by the store's own share of the work: while adding, how long the store holds a
 * chunk before asking for the next (a slow client is not the store's fault); while reading, how long
 * the store takes to produce the next chunk. Each wait races the deadline, so a store that ignores its
 * abort signal still cannot hold a caller. Other failures of the store are STORE_UNAVAILABLE too, except
 * altered content (ContentIntegrityError) and the caller's own abort, which pass through as they are.
 */
import { AppError, Errors, isAppError } from "../errors.ts";
import { ContentIntegrityError, type ContentStore, type StoreOptions } from "../ports/content-store.ts";

export interface StoreDeadlines {
  /** Longest the store may take over one step (a chunk, a call). */
  stepTimeoutMs: number;
  /** Longest a readiness check may take. */
  checkTimeoutMs: number;
  /** Told of every call the store failed (for metrics): not altered content, not the caller's abort. */
  onFailure?: (operation: string) => void;
}

class StepGuard {
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #ms: number;
  readonly #what: string;
  #timer: NodeJS.Timeout | undefined;
  /** Rejects when the deadline passes or the caller aborts; never resolves. */
  readonly expired: Promise<never>;
  readonly signal: AbortSignal;

  constructor(ms: number, what: string, caller?: AbortSignal) {
    this.#ms = ms;
    this.#what = what;
    this.#caller = caller;
    this.signal = caller ? AbortSignal.any([caller, this.#controller.signal]) : this.#controller.signal;
    this.expired = new Promise<never>((_, reject) => {
      const fail = () => reject(this.signal.reason);
      if (this.signal.aborted) fail();
      else this.signal.addEventListener("abort", fail, { once: true });
    });
    this.expired.catch(() => undefined); // observed through race(); never an unhandled rejection
  }

  arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#controller.abort(new AppError(Errors.STORE_UNAVAILABLE, { reason: `no answer within ${this.#ms} ms while ${this.#what}` }));
    }, this.#ms);
  }

  disarm(): void {
    clearTimeout(this.#timer);
  }

  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.expired]).catch((error: unknown) => {
      throw this.translate(error);
    });
  }

  translate(error: unknown): unknown {
    if (this.#caller?.aborted) return this.#caller.reason ?? error;
    if (this.#controller.signal.aborted) return this.#controller.signal.reason;
    if (error instanceof ContentIntegrityError || isAppError(error)) return error;
    // A system error names its code, not its message: the message holds the server's paths (the cause keeps them, for the log).
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const message =
      typeof code === "string" && /^E[A-Z]+$/.test(code)
        ? `${code} from the file system`
        : error instanceof Error
          ? error.message
          : String(error);
    return new AppError(Errors.STORE_UNAVAILABLE, { reason: `${message} (while ${this.#what})` }, error);
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}

export function withDeadlines(inner: ContentStore, deadlines: StoreDeadlines): ContentStore {
  const { stepTimeoutMs } = deadlines;
  const counted = <T>(operation: string, promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      if (isAppError(error, Errors.STORE_UNAVAILABLE)) deadlines.onFailure?.(operation);
      throw error;
    });

  /** One call, one deadline. */
  async function call<T>(
    operation: string,
    what: string,
    options: StoreOptions | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const guard = new StepGuard(stepTimeoutMs, what, options?.signal);
    guard.arm();
    try {
      return await counted(operation, guard.race(fn(guard.signal)));
    } finally {
      guard.dispose();
    }
  }

  /** A stream the store produces: each chunk within the deadline. */
  async function* read(
    operation: string,
    what: string,
    options: StoreOptions | undefined,
    open: (signal: AbortSignal) => AsyncIterable<Uint8Array>,
  ) {
    const guard = new StepGuard(stepTimeoutMs, what, options?.signal);
    const iterator = open(guard.signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        guard.arm();
        const next = await counted(operation, guard.race(iterator.next()));
        guard.disarm();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      guard.dispose();
      void iterator.return?.()?.catch(() => undefined);
    }
  }

  return {
    async add(source, options) {
      const guard = new StepGuard(stepTimeoutMs, "adding content", options?.signal);
      let sourceError: unknown;
      async function* paced(): AsyncGenerator<Uint8Array> {
        const iterator = source[Symbol.asyncIterator]();
        for (;;) {
          let next: IteratorResult<Uint8Array>;
          try {
            next = await iterator.next(); // waiting for the client: not timed
          } catch (error) {
            sourceError = error;
            throw error;
          }
          if (next.done) break;
          guard.arm(); // the store holds a chunk: it must ask for the next one in time
          yield next.value;
          guard.disarm();
        }
        guard.arm(); // and finish in time once it has them all
      }
      try {
        return await counted("add", guard.race(inner.add(paced(), { signal: guard.signal })));
      } catch (error) {
        throw sourceError ?? error; // an upload that broke off is the client's failure, not the store's
      } finally {
        guard.dispose();
      }
    },
    addBytes: (bytes, options) => call("add", "adding content", options, (signal) => inner.addBytes(bytes, { signal })),
    cat: (cid, options) => read("cat", `reading ${cid}`, options, (signal) => inner.cat(cid, { signal })),
    car: (cid, options) => read("car", `exporting ${cid}`, options, (signal) => inner.car(cid, { signal })),
    unpin: (cid, options) => call("unpin", `unpinning ${cid}`, options, (signal) => inner.unpin(cid, { signal })),
    async check(options) {
      const guard = new StepGuard(deadlines.checkTimeoutMs, "checking the store", options?.signal);
      guard.arm();
      try {
        await counted("check", guard.race(inner.check({ signal: guard.signal })));
      } finally {
        guard.dispose();
      }
    },
    close: () => inner.close(),
  };
}
