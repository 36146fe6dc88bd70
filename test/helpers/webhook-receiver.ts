/**
 * A customer's webhook endpoint on loopback: it verifies every message's signature with the
 * `standardwebhooks` package's own verify (as a customer would), keeps what arrived, and answers each
 * request with the next status of its script (the last one repeating); 0 holds the request unanswered.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import { Webhook } from "standardwebhooks";

export interface Received {
  id: string;
  body: any;
  /** true when the signature verified against the secret; else the verifier's error message. */
  verified: true | string;
  answered: number;
  /** When its body had arrived (Date.now()), for lag measurements. */
  at: number;
}

export interface Receiver {
  port: number;
  url: string;
  received: Received[];
  /** The secret the webhook was registered with (known once registered). */
  secret?: string;
  /** Statuses to answer, in turn; the last repeats; 0 never answers (a receiver that hangs). */
  answers: number[];
  close(): Promise<void>;
}

export async function webhookReceiver(answers: number[] = [200], port = 0): Promise<Receiver> {
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks).toString("utf8");
    const at = Date.now();
    let verified: true | string;
    try {
      new Webhook(receiver.secret ?? "whsec_").verify(payload, req.headers as Record<string, string>);
      verified = true;
    } catch (error) {
      verified = (error as Error).message;
    }
    const answered = receiver.answers.length > 1 ? receiver.answers.shift()! : receiver.answers[0]!;
    receiver.received.push({ id: String(req.headers["webhook-id"]), body: JSON.parse(payload), verified, answered, at });
    if (answered !== 0) res.writeHead(answered).end();
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const bound = (server.address() as { port: number }).port;
  const receiver: Receiver = {
    port: bound,
    url: `http://127.0.0.1:${bound}/hooks`,
    received: [],
    answers: [...answers],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}

/** Polls `check` until it returns something other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = "the condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
