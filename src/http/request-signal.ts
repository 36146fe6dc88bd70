/**
 * An AbortSignal for a request: aborted when the client goes away before its answer is complete, so
 * that the store, the chain and the index stop working for nobody, and nothing is committed for a
 * client that will never hear of it.
 */
import type { Request, Response } from "express";

const signals = new WeakMap<Request, AbortSignal>();

export function requestSignal(req: Request, res: Response): AbortSignal {
  let signal = signals.get(req);
  if (!signal) {
    const controller = new AbortController();
    const hungUp = () => {
      if (!res.writableFinished) controller.abort(new Error("the client closed the connection before the answer was complete"));
    };
    res.once("close", hungUp);
    req.once("aborted", hungUp);
    signal = controller.signal;
    signals.set(req, signal);
  }
  return signal;
}
