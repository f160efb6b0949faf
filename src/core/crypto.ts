import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** Whose value it is and which field: bound into every ciphertext so it cannot be moved. */
export interface SealContext {
  owner: string;
  field: string;
}

/** A sealed value that none of the configured keys opens (wrong key, moved, or tampered with). */
export class UnsealError extends Error {
  readonly keyId?: string;
  constructor(message: string, keyId?: string) {
    super(message);
    this.name = 'UnsealError';
    this.keyId = keyId;
  }
}

interface KeyMaterial {
  id: string;
  enc: Buffer;
  /** The raw key: only for reading values sealed before key ids (format v1). */
  raw: Buffer;
}

const derive = (ikm: Buffer, info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), `otop-bot/${info}`, 32));

function parseKey(keyBase64: string): Buffer {
  const key = Buffer.from(keyBase64.trim(), 'base64');
  if (key.length !== 32) throw new Error('an encryption key must be 32 bytes, base64-encoded');
  return key;
}

/** A key's public name: the same key gives the same id on every instance, no bookkeeping needed. */
export function keyIdOf(keyBase64: string): string {
  return createHash('sha256').update(derive(parseKey(keyBase64), 'key-id')).digest('base64url').slice(0, 8);
}

function material(keyBase64: string): KeyMaterial {
  const raw = parseKey(keyBase64);
  return { id: keyIdOf(keyBase64), enc: derive(raw, 'seal'), raw };
}

const aad = (c: SealContext) => Buffer.from(`${c.owner}\u0000${c.field}`, 'utf8');

/**
 * Field encryption for personal data at rest (national ID numbers): AES-256-GCM, random IV per
 * value, the owner and field as additional authenticated data. Keys form a ring: the primary
 * (DATA_ENCRYPTION_KEY) seals, older ones (DATA_ENCRYPTION_KEYS) only open; each value names the
 * key that sealed it. Encryption, lookup and log-pepper keys are derived apart with HKDF, so no
 * key serves two purposes.
 *
 * Format: "v2.<keyId>.<iv>.<tag>.<ciphertext>" (base64url). "v1.<iv>.<tag>.<ciphertext>" (raw key,
 * no AAD) is still read so existing data can be re-sealed (`npm run reseal`).
 */
export class Sealer {
  private readonly primary: KeyMaterial;
  private readonly ring: Map<string, KeyMaterial>;
  private readonly lookupKey: Buffer;
  readonly logPepper: Buffer;

  constructor(
    primaryBase64: string,
    olderBase64: readonly string[] = [],
    private readonly opts: { onUnsealFailure?: (f: SealContext & { keyId?: string; reason: string }) => void } = {},
  ) {
    this.primary = material(primaryBase64);
    this.ring = new Map([this.primary, ...olderBase64.map(material)].map((k) => [k.id, k]));
    this.lookupKey = derive(this.primary.raw, 'lookup');
    this.logPepper = derive(this.primary.raw, 'log-ref');
  }

  get primaryKeyId(): string {
    return this.primary.id;
  }

  get keyIds(): string[] {
    return [...this.ring.keys()];
  }

  seal(plain: string, ctx: SealContext): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.primary.enc, iv);
    cipher.setAAD(aad(ctx));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v2', this.primary.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens a value; throws UnsealError when no key in the ring opens it for this owner and field. */
  unseal(sealed: string, ctx: SealContext): string {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const [, kid, iv, tag, body] = parts as [string, string, string, string, string];
      const key = this.ring.get(kid);
      if (!key) throw new UnsealError(`sealed with key ${kid}, which is not configured`, kid);
      return open(key.enc, iv, tag, body, aad(ctx), kid);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      const [, iv, tag, body] = parts as [string, string, string, string];
      for (const key of this.ring.values()) {
        try {
          return open(key.raw, iv, tag, body, undefined, 'v1');
        } catch {
          // try the next key
        }
      }
      throw new UnsealError('no configured key opens this v1 value');
    }
    throw new UnsealError('not a sealed value');
  }

  /** Like unseal, but undefined instead of an error (the caller reports it). */
  tryUnseal(sealed: string, ctx: SealContext): { ok: true; value: string } | { ok: false; error: UnsealError } {
    try {
      return { ok: true, value: this.unseal(sealed, ctx) };
    } catch (err) {
      const error = err instanceof UnsealError ? err : new UnsealError(String(err));
      this.opts.onUnsealFailure?.({ ...ctx, keyId: error.keyId, reason: error.message });
      return { ok: false, error };
    }
  }

  /** True when the value is sealed with the primary key in the current format (nothing to re-seal). */
  isCurrent(sealed: string): boolean {
    const parts = sealed.split('.');
    return parts[0] === 'v2' && parts[1] === this.primary.id;
  }

  /** Opens with any key in the ring and seals again with the primary key. */
  reseal(sealed: string, ctx: SealContext): string {
    return this.seal(this.unseal(sealed, ctx), ctx);
  }

  static isSealed(v: unknown): v is string {
    if (typeof v !== 'string') return false;
    const n = v.split('.').length;
    return (v.startsWith('v2.') && n === 5) || (v.startsWith('v1.') && n === 4);
  }

  /** A keyed hash for equality search without decrypting (its own HKDF-derived key). */
  lookup(plain: string): string {
    return createHmac('sha256', this.lookupKey).update(plain).digest('base64url');
  }
}

function open(key: Buffer, iv: string, tag: string, body: string, additional: Buffer | undefined, kid: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    if (additional) decipher.setAAD(additional);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new UnsealError(`the value does not open with key ${kid} for this owner and field`, kid);
  }
}
