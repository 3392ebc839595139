import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Refusal } from './http';

/** The header in which the gateway signs each subgraph request. */
export const SIGNATURE_HEADER = 'x-zigong-signature';
/** How old a signature may be; bounds replays of a captured request. */
export const SIGNATURE_MAX_AGE_MS = 60_000;

function mac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** `t=<ms>,v1=<hex HMAC-SHA256 of "t.body">`: proves the request comes from the gateway, unaltered. */
export function signRequest(secret: string, body: string, now = Date.now()): string {
  return `t=${now},v1=${mac(secret, now, body)}`;
}

/** Null when the signature is valid and fresh; otherwise why not, for the 401's message. */
export function verifySignature(secret: string, header: string | undefined, body: string, now = Date.now()): string | null {
  if (!header) return 'unsigned request: subgraphs answer only the gateway';
  const match = /^t=(\d{1,15}),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return 'malformed signature';
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > SIGNATURE_MAX_AGE_MS) return 'stale signature';
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[2], 'hex'))) return 'wrong signature';
  return null;
}

/** Refuses (401) every request the gateway did not sign. */
export function signatureGuard(secret: string) {
  return (req: IncomingMessage, rawBody: string): Refusal | null => {
    const header = req.headers[SIGNATURE_HEADER];
    const reason = verifySignature(secret, typeof header === 'string' ? header : undefined, rawBody);
    return reason ? { status: 401, code: 'UNAUTHENTICATED', message: `Refused: ${reason}.` } : null;
  };
}
