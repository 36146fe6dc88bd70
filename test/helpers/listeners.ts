/**
 * Loopback listeners that count what reaches them: a UDP socket counts datagrams, a TCP server counts
 * connections. Aimed at by hostile pages, they show whether anything left the capture browser on its
 * own (a capture reaches only what its egress proxy allows, and none of these is allowed).
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { once } from "node:events";

export interface Listener {
  port: number;
  /** UDP: datagrams received; TCP: connections accepted. */
  received: number;
  close(): Promise<void>;
}

export async function udpListener(): Promise<Listener> {
  const socket = createSocket("udp4");
  const listener = { port: 0, received: 0, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
  socket.on("message", () => listener.received++);
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  listener.port = socket.address().port;
  return listener;
}

export async function tcpListener(): Promise<Listener> {
  const server = createServer((connection) => {
    listener.received++;
    connection.destroy();
  });
  const listener = { port: 0, received: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  listener.port = (server.address() as { port: number }).port;
  return listener;
}
