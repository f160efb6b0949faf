import { createHmac, timingSafeEqual } from 'node:crypto';

/** LINE's x-line-signature: Base64(HMAC-SHA256(channel secret, raw body)), compared in constant time. */
export function isValidSignature(rawBody: Buffer, channelSecret: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', channelSecret).update(rawBody).digest();
  let given: Buffer;
  try {
    given = Buffer.from(signature, 'base64');
  } catch {
    return false;
  }
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sign(rawBody: Buffer | string, channelSecret: string): string {
  return createHmac('sha256', channelSecret).update(rawBody).digest('base64');
}
