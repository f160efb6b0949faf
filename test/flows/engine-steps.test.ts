import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { startTestBot, type TestBot } from '../support/bot.js';

// A journey written only for this test, using step kinds the shipped journeys use little:
// a date from LINE's picker or typed (B.E. years, Thai digits), a location, a list, a branch.
const demo = `
id: demo
version: 1
title: registration:title
menu: { order: 50, label: registration:menu, keywords: [ทดสอบวันที่, datedemo], hidden: true }
start: when
steps:
  when:
    type: date
    prompt: registration:ask.fullName
    field: startedOn
    min: "-100y"
    max: "0d"
    next: where
  where:
    type: location
    prompt: registration:ask.province
    field: site
    optional: true
    next: items
  items:
    type: text
    prompt: registration:ask.products
    field: items
    list: true
    next:
      - { when: { items: { in: [skip] } }, goto: done }
      - goto: done
  done:
    type: info
    messages:
      - registration:done
      - carousel:
          - { title: registration:field.fullName, body: [registration:ask.fullName] }
          - { title: registration:field.phone, body: [registration:ask.phone], link: { label: registration:menu, url: "https://www.cdd.go.th/" } }
        altText: registration:title
    end: true
`;

let bot: TestBot;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flows-demo-'));
  cpSync(join(projectRoot, 'flows'), dir, { recursive: true });
  writeFileSync(join(dir, 'demo.yaml'), demo);
  bot = await startTestBot('enginesteps', {}, { flowsDir: dir });
});
afterAll(async () => bot?.close());
afterEach(() => expect(bot.fake.schemaErrors()).toEqual([]));

const state = async (id: string) => (await bot.rt.sessions.read(id)).flow;

describe('date, location and list steps', () => {
  it('when the date comes from LINE\'s picker, then it is stored; the picker offers today as the latest day', async () => {
    const u = bot.user();
    const ask = await u.says('ทดสอบวันที่');
    const picker = ask.action('เลือกวันที่') as { type: string; mode: string; max?: string };
    expect(picker.type).toBe('datetimepicker');
    expect(picker.mode).toBe('date');
    expect(picker.max).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await u.taps('เลือกวันที่', { date: '2020-05-01' });
    expect((await state(u.id))?.answers.startedOn).toBe('2020-05-01');
  });

  it('when the date is typed with a B.E. year in Thai digits, then it is understood', async () => {
    const u = bot.user();
    await u.says('datedemo');
    await u.says('๕ มี.ค. ๒๕๖๗');
    expect((await state(u.id))?.answers.startedOn).toBe('2024-03-05');
  });

  it('when the date is in the future (after max), then a clear answer and the question again', async () => {
    const u = bot.user();
    await u.says('datedemo');
    const a = await u.says(`1/1/${new Date().getUTCFullYear() + 544}`);
    expect(a.text).toContain('นอกช่วง');
    expect((await state(u.id))?.step).toBe('when');
  });

  it('when a location is shared, then it is stored; typed text instead gets a hint; skip works', async () => {
    const u = bot.user();
    await u.says('datedemo');
    await u.says('1/2/2567');
    const hint = await u.says('บ้านฉัน');
    expect(hint.text).toContain('ส่งตำแหน่ง');
    expect(hint.action('ส่งตำแหน่ง').type).toBe('location');
    await u.sharesLocation(13.75, 100.5, 'Bangkok');
    expect((await state(u.id))?.answers.site).toMatchObject({ latitude: 13.75, longitude: 100.5 });

    const v = bot.user();
    await v.says('datedemo');
    await v.says('1/2/2567');
    await v.taps('ข้าม');
    expect((await state(v.id))?.step).toBe('items');
  });

  it('when list items come in several messages, then they add up until "done"', async () => {
    const u = bot.user();
    await u.says('datedemo');
    await u.says('1/2/2567');
    await u.taps('ข้าม');
    const first = await u.says('ข้าวกล้อง, น้ำพริก');
    expect(first.text).toContain('ข้าวกล้อง, น้ำพริก');
    expect(first.choices).toContain('เสร็จแล้ว');
    await u.says('กล้วยตาก');
    await u.says('เสร็จแล้วค่ะ');
    expect((await state(u.id))).toBeNull();
    expect(u.last.text).toContain('ลงทะเบียนเรียบร้อย');
    const carousel = u.last.messages.find((m) => m.type === 'flex') as unknown as { altText: string; contents: { type: string; contents: unknown[] } };
    expect(carousel.contents.type).toBe('carousel');
    expect(carousel.contents.contents).toHaveLength(2);
    expect(carousel.altText).toBe('ลงทะเบียนผู้ผลิต OTOP');
  });

  it('when a journey is started from a rich-menu postback, then it opens', async () => {
    const u = bot.user();
    const a = await u.postback('cmd=start&flow=demo');
    expect(a.choices).toContain('เลือกวันที่');
  });
});
