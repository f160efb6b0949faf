import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, Sealer, UnsealError } from '../../src/core/crypto.js';

const k1 = Buffer.alloc(32, 1).toString('base64');
const k2 = Buffer.alloc(32, 2).toString('base64');
const alice = { owner: 'Ualice', field: 'nationalId' };

describe('Sealer', () => {
  it('when a value is sealed, then it names its key and opens only for the same owner and field', () => {
    const s = new Sealer(k1);
    const sealed = s.seal('1103700012346', alice);
    expect(sealed.split('.').slice(0, 2)).toEqual(['v2', keyIdOf(k1)]);
    expect(sealed).not.toContain('1103700012346');
    expect(s.unseal(sealed, alice)).toBe('1103700012346');
    expect(() => s.unseal(sealed, { owner: 'Ubob', field: 'nationalId' })).toThrow(UnsealError);
    expect(() => s.unseal(sealed, { owner: 'Ualice', field: 'phone' })).toThrow(UnsealError);
  });

  it('when a value cannot be opened, then tryUnseal reports it instead of throwing', () => {
    const failures: unknown[] = [];
    const s = new Sealer(k2, [], { onUnsealFailure: (f) => failures.push(f) });
    const r = s.tryUnseal(new Sealer(k1).seal('x', alice), alice);
    expect(r.ok).toBe(false);
    expect(failures).toEqual([expect.objectContaining({ owner: 'Ualice', field: 'nationalId', keyId: keyIdOf(k1) })]);
  });

  it('when keys rotate, then old values open with the ring, reseal moves them to the new key, and the old key can go', () => {
    const old = new Sealer(k1);
    const sealedOld = old.seal('secret', alice);
    const ring = new Sealer(k2, [k1]);
    expect(ring.unseal(sealedOld, alice)).toBe('secret');
    const sealedNew = ring.seal('fresh', alice);
    expect(ring.isCurrent(sealedOld)).toBe(false);
    expect(ring.isCurrent(sealedNew)).toBe(true);
    const resealed = ring.reseal(sealedOld, alice);
    const k2only = new Sealer(k2);
    expect(k2only.unseal(resealed, alice)).toBe('secret');
    expect(k2only.unseal(sealedNew, alice)).toBe('fresh');
    expect(() => k2only.unseal(sealedOld, alice)).toThrow(/not configured/);
  });

  it('when encryption, lookup and log keys are derived, then none equals the key or another', () => {
    const s = new Sealer(k1);
    expect(s.lookup('x')).toBe(new Sealer(k1, [k2]).lookup('x'));
    expect(s.lookup('x')).not.toBe(new Sealer(k2).lookup('x'));
    expect(s.logPepper.equals(Buffer.from(k1, 'base64'))).toBe(false);
    expect(s.logPepper.equals(new Sealer(k2).logPepper)).toBe(false);
  });

  it('when a value was sealed in the old v1 format (raw key, no AAD), then it still opens so it can be re-sealed', () => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', Buffer.from(k1, 'base64'), iv);
    const body = Buffer.concat([c.update('legacy', 'utf8'), c.final()]);
    const v1 = ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    expect(Sealer.isSealed(v1)).toBe(true);
    const ring = new Sealer(k2, [k1]);
    expect(ring.unseal(v1, alice)).toBe('legacy');
    expect(ring.isCurrent(v1)).toBe(false);
  });
});
