/**
 * WebhookSender over node:http(s), signed per the Standard Webhooks specification with its reference
 * package (`standardwebhooks`): headers webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256
 * of "id.timestamp.body"). The connection goes to the address the egress guard checked, whatever DNS
 * answers now (no rebinding), with the URL's host as Host header and TLS server name. Redirects are not
 * followed: a 3xx is an answer like any other non-2xx. The answer's body is read, at most 64 KiB, and dropped.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import { endpointOf } from "../../domain/endpoint.ts";
import type { WebhookMessage, WebhookSender } from "../../ports/webhook-sender.ts";

const MAX_ANSWER_BYTES = 64 * 1024;

export function httpWebhookSender(options: { timeoutMs: number; userAgent: string }): WebhookSender {
  return {
    async send(message: WebhookMessage, { signal }): Promise<number> {
      const url = new URL(message.url);
      const { port } = endpointOf(url);
      const timestamp = new Date();
      const headers = {
        "content-type": "application/json",
        "user-agent": options.userAgent,
        "webhook-id": message.id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": new Webhook(message.secret).sign(message.id, timestamp, message.payload),
      };
      const family = isIP(message.address);
      // Every name resolves to the checked address: the socket cannot reach another one.
      const lookup: LookupFunction = (_host, opts, callback) => {
        if ((opts as { all?: boolean }).all) (callback as any)(null, [{ address: message.address, family }]);
        else callback(null, message.address, family);
      };
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      return await new Promise<number>((resolve, reject) => {
        const req = send(
          {
            host: url.hostname.replace(/^\[|\]$/g, ""),
            port,
            path: url.pathname + url.search,
            method: "POST",
            headers: { ...headers, "content-length": Buffer.byteLength(message.payload) },
            lookup,
            signal: deadline,
            agent: false,
          },
          (res: IncomingMessage) => {
            let read = 0;
            res.on("data", (chunk: Buffer) => {
              read += chunk.length;
              if (read > MAX_ANSWER_BYTES) res.destroy();
            });
            res.on("close", () => resolve(res.statusCode ?? 0));
            res.on("error", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", (error) =>
          reject(deadline.aborted && !signal.aborted ? new Error(`no answer within ${options.timeoutMs} ms`) : error),
        );
        req.end(message.payload);
      });
    },
  };
}
