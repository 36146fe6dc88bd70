/** POSTs one signed webhook message to an address the egress guard has checked. */
export interface WebhookMessage {
  /** The URL as registered: its host names the server (Host header, TLS name). */
  url: string;
  /** The address checked by the egress guard: the only one connected to. */
  address: string;
  /** `webhook-id`: the same on every retry of the message (receivers deduplicate on it). */
  id: string;
  /** The JSON body, as signed. */
  payload: string;
  /** whsec_…: the webhook's signing secret. */
  secret: string;
}

export interface WebhookSender {
  /** The HTTP status answered; throws on a timeout or a connection error. */
  send(message: WebhookMessage, options: { signal: AbortSignal }): Promise<number>;
}
