import request from 'supertest';
import type { TestBot, ChatUser } from '../support/bot.js';

/** Asks the bot for a dashboard link in LINE and returns its one-time secret. */
export async function signinSecret(officer: ChatUser): Promise<string> {
  const a = await officer.postback('cmd=ofc&a=dashboard');
  const m = /\/officer\/signin\?t=([A-Za-z0-9_-]+)/.exec(JSON.stringify(a.messages));
  if (!m) throw new Error(`no sign-in link in ${JSON.stringify(a.messages)}`);
  return decodeURIComponent(m[1]!);
}

export interface WebSession {
  cookie: string;
  csrf: string;
}

/** Signs in with a link as a browser would: GET the page, POST its form; returns cookie and CSRF token. */
export async function signIn(bot: TestBot, officer: ChatUser): Promise<WebSession> {
  const secret = await signinSecret(officer);
  await request(bot.web.app).get(`/officer/signin?t=${secret}`).expect(200);
  const res = await request(bot.web.app).post('/officer/signin').type('form').send({ t: secret }).expect(303);
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('otop_officer='))!;
  const cookie = set.split(';')[0]!;
  const home = await request(bot.web.app).get('/officer/').set('Cookie', cookie).expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)![1]!;
  return { cookie, csrf };
}
