import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Field encryption for personal data kept at rest (national ID numbers): AES-256-GCM with a
 * random IV per value. `lookup` gives a keyed hash for equality search without decrypting.
 * Format: "v1.<iv>.<tag>.<ciphertext>" (base64url parts).
 */
export class Sealer {
  private readonly key: Buffer;
  private readonly macKey: Buffer;

  constructor(keyBase64: string) {
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes, base64-encoded');
    this.key = key;
    this.macKey = createHmac('sha256', key).update('lookup').digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  unseal(sealed: string): string {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  static isSealed(v: unknown): v is string {
    return typeof v === 'string' && v.startsWith('v1.') && v.split('.').length === 4;
  }

  lookup(plain: string): string {
    return createHmac('sha256', this.macKey).update(plain).digest('base64url');
  }
}
