/** Identifiers: UUIDv7 (RFC 9562), time-ordered so that ids sort by creation, with a type prefix. */
import { randomBytes } from "node:crypto";

export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const newId = {
  evidence: () => `ev_${uuidv7()}`,
  batch: () => `bt_${uuidv7()}`,
  account: () => `acc_${uuidv7()}`,
  apiKey: () => `key_${uuidv7()}`,
  capture: () => `cap_${uuidv7()}`,
  event: () => `evt_${uuidv7()}`,
  webhook: () => `wh_${uuidv7()}`,
  delivery: () => `dlv_${uuidv7()}`,
  instance: () => `inst_${uuidv7()}`,
  notice: () => `ntc_${uuidv7()}`,
  timer: () => `tmr_${uuidv7()}`,
};
