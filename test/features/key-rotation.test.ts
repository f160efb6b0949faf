import { afterAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/core/crypto.js';
import { resealAll } from '../../src/features/keys/reseal.js';
import { startTestBot, type ChatUser, type TestBot } from '../support/bot.js';
import { registerInThai } from '../support/journeys.js';

// Keys rotate on a running system: the same database seen by instances started with other keys.
const k1 = Buffer.alloc(32, 11).toString('base64');
const k2 = Buffer.alloc(32, 12).toString('base64');
const stranger = Buffer.alloc(32, 13).toString('base64');
const VALID_ID = '1103700012346';
const MASKED = 'X-XXXX-XXXXX-34-6';

const bots: TestBot[] = [];
afterAll(async () => {
  for (const b of bots.reverse()) await b.close();
});

async function instance(keys: { primary: string; old?: string[] }, first?: TestBot): Promise<TestBot> {
  const bot = await startTestBot('key-rotation', { DATA_ENCRYPTION_KEY: keys.primary, DATA_ENCRYPTION_KEYS: (keys.old ?? []).join(',') }, { db: first?.db });
  bots.push(bot);
  return bot;
}

function editDataFor(messages: unknown[], step: string): string {
  const found = JSON.stringify(messages).match(new RegExp(`"data":"([^"]*x=edit&s=${step})"`));
  if (!found) throw new Error(`no edit button for ${step}`);
  return found[1]!;
}

async function registerWithId(u: ChatUser): Promise<void> {
  await registerInThai(u);
  await u.says('ลงทะเบียน');
  await u.postback(editDataFor(u.last.messages, 'national_id'));
  await u.says(VALID_ID);
  await u.taps('ยืนยัน ถูกต้อง');
}

async function myData(bot: TestBot, userId: string): Promise<string> {
  const u = bot.user(userId);
  const { text } = await u.says('ข้อมูลของฉัน');
  await u.says('ยกเลิก'); // close the journey, so the next instance shows the data afresh
  return text;
}
const sealedId = async (bot: TestBot, userId: string) => (await bot.rt.models.Producer.findOne({ userId }).lean())!.nationalIdSealed!;
const keyIdIn = (sealed: string) => sealed.split('.')[1];

describe('key rotation', () => {
  it('when sealed with k1, rotated to k2 (k1 kept for reading), re-sealed, and k1 removed, then every value still reads', async () => {
    const one = await instance({ primary: k1 });
    const alice = one.user();
    await registerWithId(alice);
    expect(keyIdIn(await sealedId(one, alice.id))).toBe(keyIdOf(k1));

    // Rotate: k2 seals new values, k1 still opens old ones.
    const two = await instance({ primary: k2, old: [k1] }, one);
    expect(await myData(two, alice.id)).toContain(MASKED);
    const bob = two.user();
    await registerWithId(bob);
    expect(keyIdIn(await sealedId(two, bob.id))).toBe(keyIdOf(k2));
    expect(await myData(two, bob.id)).toContain(MASKED);

    const report = await resealAll(two.rt.models, two.rt.sealer);
    expect(report).toMatchObject({ resealed: 1, unreadable: [] });
    expect(report.current).toBeGreaterThanOrEqual(1);
    expect(keyIdIn(await sealedId(two, alice.id))).toBe(keyIdOf(k2));
    expect((await resealAll(two.rt.models, two.rt.sealer)).resealed).toBe(0);

    // k1 removed: both users' data still open.
    const three = await instance({ primary: k2 }, one);
    expect(await myData(three, alice.id)).toContain(MASKED);
    expect(await myData(three, bob.id)).toContain(MASKED);
    // The duplicate-check lookup now uses k2's lookup key for both.
    const lookups = await three.rt.models.Producer.find({ userId: { $in: [alice.id, bob.id] } }).lean();
    expect(new Set(lookups.map((p) => p.nationalIdLookup)).size).toBe(1);
    expect(lookups[0]!.nationalIdLookup).toBe(three.rt.sealer.lookup(VALID_ID));
  }, 120_000);

  it('when no configured key opens a stored value, then "my data" shows it as hidden, the rest of the conversation works, and it is reported', async () => {
    const one = await instance({ primary: k1 });
    const carol = one.user();
    await registerWithId(carol);
    const other = await instance({ primary: stranger }, one);
    const text = await myData(other, carol.id);
    expect(text).toContain('สมศรี ใจดี');
    expect(text).toContain('(ซ่อนไว้)');
    expect(text).not.toContain(MASKED);
    expect((await other.user(carol.id).says('เมนู')).choices.length).toBeGreaterThan(0);
    const metrics = await other.rt.metrics.render();
    expect(metrics.body).toMatch(/otop_unseal_failures_total\{field="nationalId"\} 1/);
    expect((await other.rt.models.InboxEvent.find({ status: 'failed' }).lean()).length).toBe(0);
  }, 120_000);

  it('when a value sealed for one user is put on another user record, then it does not open for them', async () => {
    const one = await instance({ primary: k1 });
    const dave = one.user();
    const erin = one.user();
    await registerWithId(dave);
    await registerInThai(erin);
    await one.rt.models.Producer.updateOne({ userId: erin.id }, { $set: { nationalIdSealed: await sealedId(one, dave.id) } });
    const text = await myData(one, erin.id);
    expect(text).toContain('(ซ่อนไว้)');
    expect(text).not.toContain(MASKED);
    expect(await myData(one, dave.id)).toContain(MASKED);
  }, 120_000);
});
