import { expect } from 'vitest';
import type { ProducerProfile } from '../../src/features/producers/producer-store.js';
import { checkMessages, LINE_LIMITS } from '../../src/line/limits.js';
import type { Answer, ChatUser, TestBot } from '../support/bot.js';
import { sampleProfile } from '../support/producers.js';

/** Writes a registered producer (Chiang Mai, province code 50) straight to the store. */
export async function registerProducer(bot: TestBot, u: ChatUser, over: Partial<ProducerProfile> = {}): Promise<void> {
  await bot.rt.producers.save(
    u.id,
    sampleProfile(over),
    { registration: true, notices: true, sharing: false },
    'test-v1',
    bot.rt.services.now(),
  );
}

type Json = Record<string, unknown>;

/** The Flex bubbles of an answer. */
export function bubbles(a: Answer): Json[] {
  return a.messages.filter((m) => m.type === 'flex').map((m) => (m as unknown as { contents: Json }).contents);
}

/** Every text inside a bubble, in order. */
export function bubbleTexts(bubble: Json): string[] {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Json;
    if (o.type === 'text' && typeof o.text === 'string') out.push(o.text);
    Object.values(o).forEach(walk);
  };
  walk(bubble);
  return out;
}

/** The actions of a bubble's buttons. */
export function bubbleButtons(bubble: Json): { type: string; label: string; uri?: string; data?: string }[] {
  const out: { type: string; label: string; uri?: string; data?: string }[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Json;
    if (o.type === 'button') out.push(o.action as { type: string; label: string; uri?: string });
    Object.values(o).forEach(walk);
  };
  walk(bubble);
  return out;
}

/**
 * A checklist card: a bubble with the step title, an https link to the official page and the three
 * answers (done / need help / later), within LINE's limits (30 KB, button labels ≤ 40).
 */
export function expectTaskCard(a: Answer, title: string, linkPrefix: string, answers: [string, string, string]): Json {
  const [card] = bubbles(a);
  expect(card, `a card for "${title}"; got: ${a.text.slice(0, 200)}`).toBeDefined();
  const texts = bubbleTexts(card!);
  expect(texts[0]).toBe(title);
  const buttons = bubbleButtons(card!);
  const link = buttons.find((b) => b.type === 'uri');
  expect(link?.uri).toMatch(/^https:\/\//);
  expect(link?.uri?.startsWith(linkPrefix), `${link?.uri} starts with ${linkPrefix}`).toBe(true);
  expect(buttons.filter((b) => b.type === 'postback').map((b) => b.label)).toEqual(answers);
  expect(a.choices.slice(0, 3)).toEqual(answers);
  expectWithinLineLimits(a);
  return card!;
}

/** LINE's payload limits, as the gateway enforces them (a breach would be an error, not a message). */
export function expectWithinLineLimits(a: Answer): void {
  expect(checkMessages(a.messages)).toEqual([]);
  for (const b of bubbles(a)) {
    expect(Buffer.byteLength(JSON.stringify(b), 'utf8')).toBeLessThan(LINE_LIMITS.bubbleBytes);
    for (const btn of bubbleButtons(b)) expect(btn.label.length).toBeLessThanOrEqual(LINE_LIMITS.flexButtonLabel);
  }
  for (const c of a.choices) expect(c.length).toBeLessThanOrEqual(LINE_LIMITS.quickReplyLabel);
}

/** Moves the bot's clock (sessions, "welcome back", progress times) by `days`. */
export function daysLater(bot: TestBot, days: number): void {
  const shift = days * 86_400_000;
  const base = bot.rt.services.now;
  bot.rt.services.now = () => new Date(base().getTime() + shift);
}

export function resetClock(bot: TestBot): void {
  bot.rt.services.now = () => new Date();
}

/** The three answers of a checklist card, as labelled in Thai and in English. */
export const TH: [string, string, string] = ['ทำแล้ว ✅', 'ขอความช่วยเหลือ', 'ไว้ทำทีหลัง'];
export const EN: [string, string, string] = ['Done ✅', 'Get help', 'Later'];
