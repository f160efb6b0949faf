import { createHash, randomBytes } from 'node:crypto';

/** One-time secrets are stored as their SHA-256 only: a database copy does not let anyone in. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** URL-safe random secret (sign-in links, session cookies, CSRF tokens). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

// Crockford base32: no I, L, O, U, so a code read aloud or typed on a phone is hard to get wrong.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** An invite code an officer types into LINE: OTOP-XXXXX-XXXXX (50 random bits). */
export function newInviteCode(): string {
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => ALPHABET[b % 32]).join('');
  return `OTOP-${chars.slice(0, 5)}-${chars.slice(5)}`;
}

const INVITE_SHAPE = /^\s*OTOP[\s\-–]*([0-9A-Z]{5})[\s\-–]*([0-9A-Z]{5})\s*$/i;

/**
 * The canonical form of something that looks like an invite code (spaces, dashes, lower case and
 * the letters people confuse with digits are forgiven), or undefined when it is not one.
 */
export function normalizeInviteCode(input: string): string | undefined {
  const m = INVITE_SHAPE.exec(input.normalize('NFKC'));
  if (!m) return undefined;
  const fix = (s: string) => s.toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1').replace(/U/g, 'V');
  return `OTOP-${fix(m[1]!)}-${fix(m[2]!)}`;
}
