/**
 * RPC endpoints that fail a verifier, on loopback: each is the chain being unreachable, not evidence
 * being wrong.
 */
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";

/** Answers eth_chainId for chain 31337 and hands every other call to `other` (which may never answer). */
function chainIdThen(other: (call: { id: number; method: string }, answer: (body: unknown) => void) => void) {
  return createHttpServer((req, res) => {
    let body = "";
    req
      .on("data", (chunk) => (body += chunk))
      .on("end", () => {
        const call = JSON.parse(body) as { id: number; method: string };
        const answer = (reply: unknown) =>
          res.setHeader("content-type", "application/json").end(JSON.stringify({ jsonrpc: "2.0", id: call.id, ...(reply as object) }));
        if (call.method === "eth_chainId") answer({ result: "0x7a69" });
        else other(call, answer);
      });
  });
}

export async function brokenEndpoints() {
  const url = (server: Server | ReturnType<typeof createHttpServer>) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const listening = <T extends Server | ReturnType<typeof createHttpServer>>(server: T) =>
    new Promise<T>((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
  const sockets = new Set<Socket>();
  // accepts the TCP connection, reads the request, never answers
  const silent = await listening(createTcpServer((socket) => sockets.add(socket.on("close", () => sockets.delete(socket)))));
  // answers eth_chainId for the receipt's chain (31337), then nothing: the deadline of every later call
  const chainIdOnly = await listening(chainIdThen(() => undefined));
  // answers eth_chainId, then a JSON-RPC error that is no revert (a provider's rate limit) to every call
  const rateLimited = await listening(chainIdThen((_call, answer) => answer({ error: { code: -32005, message: "rate limit exceeded" } })));
  // answers, but not JSON-RPC
  const garbage = await listening(
    createHttpServer((_req, res) => res.setHeader("content-type", "text/html").end("<html>Welcome to nginx!</html>")),
  );
  const closed = await listening(createTcpServer());
  const closedUrl = url(closed);
  await new Promise((resolve) => closed.close(resolve));
  return {
    silent: url(silent),
    chainIdOnly: url(chainIdOnly),
    rateLimited: url(rateLimited),
    garbage: url(garbage),
    closed: closedUrl,
    stop() {
      for (const socket of sockets) socket.destroy();
      chainIdOnly.closeAllConnections();
      for (const server of [silent, chainIdOnly, rateLimited, garbage]) server.close();
    },
  };
}
