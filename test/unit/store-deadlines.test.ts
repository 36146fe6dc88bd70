import { expect } from "chai";
import { setTimeout as sleep } from "node:timers/promises";
import { withDeadlines } from "../../src/adapters/store-deadlines.ts";
import { isAppError, Errors } from "../../src/errors.ts";
import { ContentIntegrityError, type ContentStore } from "../../src/ports/content-store.ts";

const never = () => new Promise<never>(() => undefined);

/** A store whose every call can be made to hang, fail, or ignore its abort signal. */
function store(overrides: Partial<ContentStore>): ContentStore {
  return {
    add: async () => "cid",
    addBytes: async () => "cid",
    async *cat() {
      yield Buffer.from("x");
    },
    async *car() {
      yield Buffer.from("car");
    },
    unpin: async () => undefined,
    check: async () => undefined,
    close: async () => undefined,
    ...overrides,
  };
}

const deadlines = { stepTimeoutMs: 40, checkTimeoutMs: 30 };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe("withDeadlines (a ContentStore that cannot hang its callers)", () => {
  it("fails a call the store never answers with STORE_UNAVAILABLE, even when the store ignores its signal", async () => {
    const guarded = withDeadlines(store({ addBytes: never, unpin: never, check: never }), deadlines);
    for (const call of [() => guarded.addBytes(Buffer.from("a")), () => guarded.unpin("cid"), () => guarded.check()]) {
      const error = await failure(call());
      expect(isAppError(error, Errors.STORE_UNAVAILABLE), String(error)).to.equal(true);
    }
    expect(((await failure(guarded.addBytes(Buffer.from("a")))) as Error).message).to.equal(
      "The content store is unavailable: no answer within 40 ms while adding content",
    );
  });

  it("times the store's share of an upload, not the client's: a slow client is fine, a stuck store is not", async () => {
    const consuming = store({
      async add(source) {
        let n = 0;
        for await (const chunk of source) n += chunk.length;
        return `bytes:${n}`;
      },
    });
    async function* slowClient() {
      for (let i = 0; i < 3; i++) {
        await sleep(60); // longer than the step deadline, between chunks
        yield Buffer.from("ab");
      }
    }
    expect(await withDeadlines(consuming, deadlines).add(slowClient())).to.equal("bytes:6");

    const stuck = store({
      async add(source) {
        for await (const _ of source) await never(); // takes one chunk and never asks for the next
        return "never";
      },
    });
    const error = await failure(withDeadlines(stuck, deadlines).add(slowClient()));
    expect(isAppError(error, Errors.STORE_UNAVAILABLE)).to.equal(true);
  });

  it("passes an upload that broke off on the client's side through as it is, not as a store failure", async () => {
    const consuming = store({
      async add(source) {
        for await (const _ of source);
        return "cid";
      },
    });
    const broken = new Error("aborted by the client");
    async function* client() {
      yield Buffer.from("a");
      throw broken;
    }
    expect(await failure(withDeadlines(consuming, deadlines).add(client()))).to.equal(broken);
  });

  it("fails a read whose next chunk never comes, and passes altered content through as it is", async () => {
    const stalled = store({
      async *cat() {
        yield Buffer.from("first");
        await never();
      },
    });
    const error = await failure(drain(withDeadlines(stalled, deadlines).cat("cid")));
    expect(isAppError(error, Errors.STORE_UNAVAILABLE)).to.equal(true);
    expect((error as Error).message).to.equal("The content store is unavailable: no answer within 40 ms while reading cid");

    const altered = new ContentIntegrityError("block x does not match its CID");
    const tampered = store({
      cat: () => ({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(altered) }),
      }),
    });
    expect(await failure(drain(withDeadlines(tampered, deadlines).cat("cid")))).to.equal(altered);
  });

  it("turns any other store failure into STORE_UNAVAILABLE, keeping the cause", async () => {
    const refused = new TypeError("fetch failed");
    const down = store({ addBytes: async () => Promise.reject(refused) });
    const error = await failure(withDeadlines(down, deadlines).addBytes(Buffer.from("a")));
    expect(isAppError(error, Errors.STORE_UNAVAILABLE)).to.equal(true);
    expect((error as Error).cause).to.equal(refused);
  });

  it("gives the caller's own abort back as the caller's, and stops the store's work", async () => {
    let seen: AbortSignal | undefined;
    const hanging = store({
      addBytes: (_bytes, options) => {
        seen = options?.signal;
        return never();
      },
    });
    const controller = new AbortController();
    const call = withDeadlines(hanging, { stepTimeoutMs: 10_000, checkTimeoutMs: 10 }).addBytes(Buffer.from("a"), {
      signal: controller.signal,
    });
    const reason = new Error("client hung up");
    controller.abort(reason);
    expect(await failure(call)).to.equal(reason);
    expect(seen?.aborted).to.equal(true);
  });

  it("reads a healthy store's streams through unchanged", async () => {
    const guarded = withDeadlines(store({}), deadlines);
    expect(await drain(guarded.cat("cid"))).to.equal("x");
    expect(await drain(guarded.car("cid"))).to.equal("car");
  });
});
