// The LINE chat simulator page. Talks to the local LINE stand-in through /simulator/api:
// GET state once, then Server-Sent Events for every new entry (user actions, bot messages, notes).
// Users act through POST /simulator/api/users/:id/actions; the stand-in turns each action into a
// signed webhook to the bot, exactly as LINE would.

import { actionLabel, renderFlex, renderTemplate } from './flex.js';

const API = '/simulator/api';
const AVATAR = '/simulator/avatar.svg';
const LOCATION_PRESETS = [
  { name: 'Chiang Mai · เชียงใหม่', latitude: 18.7883, longitude: 98.9853, title: 'ประตูท่าแพ', address: 'ถนนท่าแพ ตำบลช้างคลาน อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50100' },
  { name: 'Khon Kaen · ขอนแก่น', latitude: 16.4419, longitude: 102.8359, title: 'บึงแก่นนคร', address: 'ตำบลในเมือง อำเภอเมืองขอนแก่น จังหวัดขอนแก่น 40000' },
  { name: 'Bangkok · กรุงเทพฯ', latitude: 13.7563, longitude: 100.5018, title: 'อนุสาวรีย์ประชาธิปไตย', address: 'ถนนราชดำเนินกลาง แขวงบวรนิเวศ เขตพระนคร กรุงเทพมหานคร 10200' },
  { name: 'Nakhon Ratchasima · โคราช', latitude: 14.9799, longitude: 102.0977, title: 'อนุสาวรีย์ท้าวสุรนารี', address: 'ตำบลในเมือง อำเภอเมืองนครราชสีมา จังหวัดนครราชสีมา 30000' },
  { name: 'Hat Yai · หาดใหญ่', latitude: 7.0086, longitude: 100.4747, title: 'ตลาดกิมหยง', address: 'ตำบลหาดใหญ่ อำเภอหาดใหญ่ จังหวัดสงขลา 90110' },
];

const state = {
  botName: 'OTOP bot',
  users: new Map(), // userId -> user
  feeds: new Map(), // userId -> entries (ordered by seq)
  seen: new Map(), // userId -> last seq looked at (for unread counts)
  selected: null,
  lastSeq: 0,
};
let stream = null;
let typingTimer = null;
let shownQuickReplies = '';

// What each chat has been read up to survives a reload (else every other chat shows all as unread).
const SEEN_KEY = 'otop-simulator-seen';
function loadSeen() {
  try {
    return new Map(Object.entries(JSON.parse(localStorage.getItem(SEEN_KEY) ?? '{}')));
  } catch {
    return new Map();
  }
}
function saveSeen() {
  try {
    localStorage.setItem(SEEN_KEY, JSON.stringify(Object.fromEntries(state.seen)));
  } catch {
    // storage may be unavailable (private window): unread counts then last for this page only
  }
}

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

// ------------------------------------------------------------------------------------ server

async function api(path, body) {
  const res = await fetch(`${API}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.message ?? `HTTP ${res.status}`);
  return json;
}

async function loadState() {
  const s = await api('/state');
  state.botName = s.bot?.name ?? state.botName;
  $('bot-name').textContent = state.botName;
  if (s.lastSeq < state.lastSeq) {
    // The bot was restarted: its stand-in starts empty.
    state.users.clear();
    state.seen.clear();
  }
  state.feeds.clear();
  if (state.seen.size === 0) {
    // A reload: read marks from before it, unless the stand-in restarted and numbers entries anew.
    for (const [id, seq] of loadSeen()) if (Number(seq) <= s.lastSeq) state.seen.set(id, Number(seq));
  }
  // Before the users: a user without a read mark counts as read up to now, not from entry 0.
  state.lastSeq = s.lastSeq;
  for (const u of s.users) upsertUser(u, false);
  for (const e of s.feed) pushEntry(e);
  for (const id of state.users.keys()) if (!state.seen.has(id)) state.seen.set(id, state.lastSeq);
  saveSeen();
  if (!state.selected || !state.users.has(state.selected)) {
    const fromHash = decodeURIComponent(location.hash.slice(1));
    state.selected = state.users.has(fromHash) ? fromHash : ([...state.users.keys()].at(-1) ?? null);
  }
  renderUsers();
  renderChat();
}

function openStream() {
  stream?.close();
  stream = new EventSource(`${API}/stream?after=${state.lastSeq}`);
  stream.addEventListener('entry', (ev) => onEntry(JSON.parse(ev.data)));
  stream.addEventListener('entry-updated', (ev) => onEntryUpdated(JSON.parse(ev.data)));
  stream.addEventListener('user', (ev) => {
    upsertUser(JSON.parse(ev.data), true);
  });
  stream.addEventListener('open', () => document.body.classList.remove('offline'));
  stream.addEventListener('error', () => {
    // Reconnect with a fresh state (the bot may have restarted and numbered entries anew).
    stream?.close();
    document.body.classList.add('offline');
    setTimeout(() => loadState().then(openStream, () => setTimeout(openStream, 1000)), 1000);
  });
}

async function act(action) {
  const userId = state.selected;
  if (!userId) return;
  try {
    await api(`/users/${encodeURIComponent(userId)}/actions`, action);
  } catch (err) {
    toast(err.message);
  }
  void loadRichMenu();
}

// ------------------------------------------------------------------------------------ rich menu

/** Shows the selected user's rich menu under the chat (what LINE would show them). */
async function loadRichMenu() {
  const userId = state.selected;
  const box = $('rich-menu');
  if (!userId) {
    box.hidden = true;
    return;
  }
  let menu = null;
  try {
    const res = await fetch(`${API}/users/${encodeURIComponent(userId)}/richmenu`);
    if (res.ok) menu = (await res.json()).menu;
  } catch {
    menu = null;
  }
  if (userId !== state.selected) return;
  if (!menu) {
    box.hidden = true;
    box.dataset.menuId = '';
    return;
  }
  box.hidden = false;
  if (box.dataset.menuId === menu.richMenuId) return;
  const firstShow = !box.dataset.menuId;
  box.dataset.menuId = menu.richMenuId;
  $('rich-menu-bar').textContent = menu.chatBarText;
  $('rich-menu-image').src = `${API}/richmenus/${encodeURIComponent(menu.richMenuId)}/image`;
  const areas = $('rich-menu-areas');
  areas.replaceChildren();
  for (const a of menu.areas) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.testid = 'rich-menu-area';
    b.style.left = `${(a.bounds.x / menu.size.width) * 100}%`;
    b.style.top = `${(a.bounds.y / menu.size.height) * 100}%`;
    b.style.width = `${(a.bounds.width / menu.size.width) * 100}%`;
    b.style.height = `${(a.bounds.height / menu.size.height) * 100}%`;
    b.setAttribute('aria-label', a.action.label ?? a.action.data ?? a.action.type);
    b.dataset.action = JSON.stringify(a.action);
    b.addEventListener('click', () => void tapRichMenu(a.action));
    areas.append(b);
  }
  if (firstShow) setRichMenuOpen(menu.selected);
}

function setRichMenuOpen(open) {
  $('rich-menu-panel').hidden = !open;
  $('rich-menu-bar').setAttribute('aria-expanded', String(open));
}

async function tapRichMenu(action) {
  if (action.type === 'richmenuswitch') {
    // LINE switches the menu on the phone, then sends the postback.
    await api(`/users/${encodeURIComponent(state.selected)}/richmenu/switch`, { aliasId: action.richMenuAliasId });
    await loadRichMenu();
  }
  await doAction(action);
}

// ------------------------------------------------------------------------------------ state

function upsertUser(u, render) {
  const had = state.users.has(u.userId);
  state.users.set(u.userId, u);
  if (!state.feeds.has(u.userId)) state.feeds.set(u.userId, []);
  if (!had && !state.seen.has(u.userId)) state.seen.set(u.userId, state.lastSeq);
  if (render) {
    renderUsers();
    if (u.userId === state.selected) renderChrome();
  }
}

function pushEntry(e) {
  let feed = state.feeds.get(e.userId);
  if (!feed) state.feeds.set(e.userId, (feed = []));
  if (feed.length > 0 && feed[feed.length - 1].seq >= e.seq) return false; // already have it
  feed.push(e);
  return true;
}

function onEntry(e) {
  // The bot may have linked another rich menu to this user (an officer who just linked).
  if (e.userId === state.selected && e.from === 'bot') void loadRichMenu();
  if (!pushEntry(e)) return;
  state.lastSeq = Math.max(state.lastSeq, e.seq);
  document.body.dataset.lastEntryAt = String(Date.now());
  if (e.userId === state.selected) {
    state.seen.set(e.userId, e.seq);
    saveSeen();
    appendEntry(e);
  }
  renderUsers();
}

function onEntryUpdated(e) {
  const feed = state.feeds.get(e.userId) ?? [];
  const i = feed.findIndex((x) => x.seq === e.seq);
  if (i >= 0) feed[i] = e;
  if (e.userId === state.selected) renderChat();
}

// ------------------------------------------------------------------------------------ users list

const COLORS = ['#f0932b', '#6ab04c', '#4834d4', '#be2edd', '#eb4d4b', '#22a6b3', '#e1b12c', '#7f8fa6'];
function colorFor(id) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

function renderUsers() {
  const list = $('users');
  list.replaceChildren();
  for (const u of state.users.values()) {
    const li = el('li');
    li.dataset.userId = u.userId;
    if (u.userId === state.selected) li.classList.add('active');
    const b = el('button');
    b.type = 'button';
    b.dataset.testid = 'user';
    const initial = el('span', 'initial', [...u.displayName][0] ?? '?');
    initial.style.background = colorFor(u.userId);
    const who = el('span', 'who');
    who.append(el('strong', '', u.displayName), el('small', '', `${u.userId.slice(0, 9)}…`));
    b.append(initial, who, el('span', 'lang', u.language.toUpperCase()));
    if (u.blocked) b.append(el('span', 'badge blocked', 'blocked'));
    const seen = state.seen.get(u.userId) ?? 0;
    const unread = (state.feeds.get(u.userId) ?? []).filter((e) => e.from === 'bot' && e.seq > seen).length;
    if (unread > 0 && u.userId !== state.selected) b.append(el('span', 'badge', String(unread)));
    b.addEventListener('click', () => select(u.userId));
    li.append(b);
    list.append(li);
  }
}

function select(userId) {
  state.selected = userId;
  const feed = state.feeds.get(userId) ?? [];
  state.seen.set(userId, feed.at(-1)?.seq ?? state.lastSeq);
  saveSeen();
  history.replaceState(null, '', `#${encodeURIComponent(userId)}`);
  renderUsers();
  renderChat();
  $('rich-menu').dataset.menuId = '';
  void loadRichMenu();
  $('message').focus();
}

// ------------------------------------------------------------------------------------ chat

function renderChrome() {
  const u = state.users.get(state.selected);
  const has = Boolean(u);
  $('chat-user').textContent = has ? `${u.displayName} · LINE ${u.language}` : '—';
  const blocked = Boolean(u?.blocked);
  $('block').disabled = !has;
  $('block').textContent = blocked ? 'Unblock · เลิกบล็อก' : 'Block · บล็อก';
  $('composer').hidden = blocked;
  $('blocked-bar').hidden = !blocked;
  for (const id of ['message', 'send', 'share-location', 'send-sticker']) $(id).disabled = !has || blocked;
  if (has && !blocked) $('send').disabled = $('message').value.trim() === '';
}

function renderChat() {
  renderChrome();
  const chat = $('chat');
  chat.replaceChildren();
  const feed = state.feeds.get(state.selected);
  if (!state.selected || !feed) {
    chat.append(Object.assign(el('p', 'empty'), { innerHTML: 'Add a user to start chatting<br>เพิ่มผู้ใช้เพื่อเริ่มแชท' }));
    renderQuickReplies();
    return;
  }
  let prev = null;
  for (const e of feed) {
    for (const node of renderEntry(e, prev, feed)) chat.append(node);
    prev = e;
  }
  updateReadMarks();
  renderTyping();
  renderQuickReplies();
  scrollToEnd();
}

function appendEntry(e) {
  const chat = $('chat');
  const feed = state.feeds.get(e.userId) ?? [];
  const prev = feed.length > 1 ? feed[feed.length - 2] : null;
  chat.querySelector('.empty')?.remove();
  const typing = chat.querySelector('.typing-row');
  for (const node of renderEntry(e, prev, feed)) chat.insertBefore(node, typing);
  updateReadMarks();
  renderTyping();
  renderQuickReplies();
  scrollToEnd();
}

function scrollToEnd() {
  const chat = $('chat');
  chat.scrollTop = chat.scrollHeight;
  // Images and fonts may still grow the content.
  requestAnimationFrame(() => (chat.scrollTop = chat.scrollHeight));
}

const dayOf = (at) => new Date(at).toDateString();
const timeOf = (at) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

/** DOM nodes for one feed entry (a row, a note, maybe a date pill before it). */
function renderEntry(e, prev, feed) {
  const nodes = [];
  if (e.from !== 'system' && (!prev || dayOf(prev.at) !== dayOf(e.at))) {
    const today = dayOf(e.at) === dayOf(Date.now());
    nodes.push(el('div', 'date-pill', today ? 'Today · วันนี้' : new Date(e.at).toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })));
  }
  if (e.from === 'system') {
    if (e.kind === 'rejected') nodes.push(noteNode(e.text, 'error'));
    return nodes;
  }
  const first = !prev || prev.from !== e.from || prev.from === 'system' || e.at - prev.at > 60_000;
  if (e.from === 'user') nodes.push(...renderUserEntry(e, first, feed));
  else nodes.push(renderBotEntry(e, first));
  return nodes;
}

function noteNode(text, extra = '') {
  const n = el('div', `note ${extra}`.trim(), text);
  n.dataset.testid = 'note';
  return n;
}

function renderUserEntry(e, first, feed) {
  const a = e.action;
  // What the user did without a bubble of their own shows as a note (still marked as theirs).
  const note = (text, extra) => {
    const n = noteNode(text, extra);
    n.dataset.from = 'user';
    n.dataset.seq = String(e.seq);
    return n;
  };
  const failed = e.webhookStatus !== undefined && e.webhookStatus !== 200 ? `webhook ${e.webhookStatus}` : e.webhookError ? 'webhook failed' : '';
  switch (a.type) {
    case 'follow': {
      const before = feed.filter((x) => x.seq < e.seq && x.from === 'user' && x.action.type === 'unfollow').length > 0;
      return [note(before ? 'You unblocked the bot · เลิกบล็อกแล้ว (follow)' : 'You added the bot as a friend · เพิ่มเพื่อนแล้ว (follow)')];
    }
    case 'unfollow':
      return [note('You blocked the bot · บล็อกแล้ว (unfollow)')];
    case 'postback':
      if (!a.displayText) {
        const params = a.params ? ` ${Object.entries(a.params).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
        return [note(`postback: ${a.data}${params}${failed ? ` · ${failed}` : ''}`, failed ? 'error' : '')];
      }
      return [userRow(e, first, textBubble(a.displayText, 'user'), failed)];
    case 'text':
      return [userRow(e, first, textBubble(a.text, 'user'), failed)];
    case 'location':
      return [userRow(e, first, locationBubble(a, 'user'), failed)];
    case 'sticker':
      return [userRow(e, first, stickerNode(a), failed)];
    default:
      return [note(`[${a.type}]`)];
  }
}

function userRow(e, first, content, failed) {
  const row = el('div', `row user${first ? ' first' : ''}`);
  row.dataset.from = 'user';
  row.dataset.seq = String(e.seq);
  const col = el('div', 'col');
  const line = el('div', 'line');
  const meta = el('span', 'meta');
  const read = el('span', 'read', 'Read');
  read.hidden = true;
  meta.append(read);
  if (failed) meta.append(el('span', 'failed', failed));
  meta.append(el('time', '', timeOf(e.at)));
  line.append(content, meta);
  col.append(line);
  row.append(col);
  return row;
}

/** "Read" under the user's messages that the bot has answered since. */
function updateReadMarks() {
  const rows = [...$('chat').querySelectorAll('.row')];
  let botAfter = false;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i];
    if (r.dataset.from === 'bot') botAfter = true;
    else if (botAfter) r.querySelector('.read')?.removeAttribute('hidden');
  }
}

function renderBotEntry(e, first) {
  const m = e.message ?? {};
  const row = el('div', `row bot${first ? ' first' : ''}${e.delivered ? '' : ' undelivered'}`);
  row.dataset.from = 'bot';
  row.dataset.seq = String(e.seq);
  row.dataset.type = m.type ?? '';
  const avatar = el('img', 'avatar');
  avatar.alt = '';
  avatar.src = m.sender?.iconUrl ?? AVATAR;
  avatar.addEventListener('error', () => (avatar.src = AVATAR), { once: true });
  const col = el('div', 'col');
  col.append(el('div', 'name', m.sender?.name ?? state.botName));
  const line = el('div', 'line');
  const content = renderBotMessage(m);
  if (m.type === 'flex' || m.type === 'template') {
    line.classList.add('wide');
    content.style.minWidth = '0';
  }
  const meta = el('span', 'meta');
  if (e.via !== 'reply') meta.append(el('span', 'via', e.via));
  if (!e.delivered) meta.append(el('span', 'failed', 'not delivered (blocked)'));
  meta.append(el('time', '', timeOf(e.at)));
  line.append(content, meta);
  col.append(line);
  row.append(avatar, col);
  return row;
}

const ctx = { onAction: (action) => void doAction(action) };

function renderBotMessage(m) {
  switch (m.type) {
    case 'text':
      return textBubble(m.text ?? '', 'bot');
    case 'textV2':
      return textBubble(
        String(m.text ?? '').replace(/\{([a-zA-Z0-9_]+)\}/g, (_, k) => {
          const s = m.substitution?.[k];
          if (s?.type === 'mention') return s.mentionee?.type === 'all' ? '@All' : '@user';
          if (s?.type === 'emoji') return '🙂';
          return `{${k}}`;
        }),
        'bot',
      );
    case 'sticker':
      return stickerNode(m);
    case 'image': {
      const a = el('a', 'media');
      a.href = m.originalContentUrl ?? '#';
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      const img = el('img');
      img.alt = 'image';
      img.src = m.previewImageUrl ?? m.originalContentUrl ?? '';
      img.addEventListener('error', () => a.replaceChildren(el('div', 'placeholder', `🖼 image\n${m.originalContentUrl ?? ''}`)), { once: true });
      a.append(img);
      a.dataset.testid = 'image';
      return a;
    }
    case 'video':
      return el('div', 'placeholder', `▶ video\n${m.originalContentUrl ?? ''}`);
    case 'audio':
      return el('div', 'placeholder', `🔊 audio ${m.duration ? `(${Math.round(m.duration / 1000)} s)` : ''}`);
    case 'location':
      return locationBubble(m, 'bot');
    case 'imagemap':
      return el('div', 'placeholder', `imagemap · ${m.altText ?? ''}`);
    case 'template': {
      const node = renderTemplate(m.template, ctx);
      node.title = m.altText ?? '';
      return node;
    }
    case 'flex': {
      const node = renderFlex(m.contents, ctx);
      node.title = m.altText ?? '';
      return node;
    }
    default:
      return el('div', 'placeholder', `[${m.type}] ${m.altText ?? ''}`);
  }
}

function textBubble(text, who) {
  const b = el('div', `bubble ${who} text`);
  b.dataset.testid = `${who}-text`;
  const re = /(https?:\/\/[^\s]+)/g;
  let last = 0;
  for (const match of text.matchAll(re)) {
    if (match.index > last) b.append(text.slice(last, match.index));
    const a = el('a', '', match[0]);
    a.href = match[0];
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    b.append(a);
    last = match.index + match[0].length;
  }
  if (last < text.length) b.append(text.slice(last));
  return b;
}

function locationBubble(loc, who) {
  const b = el('div', `bubble ${who} location`);
  b.dataset.testid = `${who}-location`;
  const head = el('div');
  head.append(el('span', 'pin', '📍 '), el('strong', '', loc.title || 'Location · ตำแหน่ง'));
  b.append(head);
  if (loc.address) b.append(el('div', '', loc.address));
  b.append(el('div', 'coords', `${Number(loc.latitude).toFixed(5)}, ${Number(loc.longitude).toFixed(5)}`));
  return b;
}

function stickerNode(s) {
  const n = el('div', 'sticker');
  n.dataset.testid = 'sticker';
  n.append(el('span', '', '🙂'), `sticker ${s.packageId ?? ''}/${s.stickerId ?? ''}`);
  return n;
}

// ------------------------------------------------------------------------------------ typing dots, quick replies

function renderTyping() {
  const chat = $('chat');
  chat.querySelector('.typing-row')?.remove();
  clearTimeout(typingTimer);
  const feed = state.feeds.get(state.selected) ?? [];
  let loading = null;
  for (const e of feed) {
    if (e.from === 'system' && e.kind === 'loading') loading = e;
    else if (e.from === 'bot' && loading && e.seq > loading.seq) loading = null;
  }
  if (!loading) return;
  const until = loading.at + (loading.seconds ?? 20) * 1000;
  if (Date.now() >= until) return;
  const row = el('div', 'row bot first typing-row');
  const avatar = el('img', 'avatar');
  avatar.src = AVATAR;
  avatar.alt = '';
  const bubble = el('div', 'bubble bot typing');
  bubble.append(el('i'), el('i'), el('i'));
  const col = el('div', 'col');
  col.append(bubble);
  row.append(avatar, col);
  chat.append(row);
  typingTimer = setTimeout(renderTyping, until - Date.now() + 50);
}

function renderQuickReplies() {
  const bar = $('quick-replies');
  bar.replaceChildren();
  const user = state.users.get(state.selected);
  const feed = state.feeds.get(state.selected) ?? [];
  const last = [...feed].reverse().find((e) => e.from !== 'system');
  const items = !user?.blocked && last?.from === 'bot' && last.delivered ? (last.message?.quickReply?.items ?? []) : [];
  bar.hidden = items.length === 0;
  for (const item of items) {
    const action = item.action ?? {};
    const chip = el('button', 'chip');
    chip.type = 'button';
    chip.dataset.testid = 'quick-reply';
    chip.dataset.action = action.type ?? '';
    chip.dataset.label = actionLabel(action);
    if (item.imageUrl) {
      const icon = el('img');
      icon.src = item.imageUrl;
      icon.alt = '';
      icon.addEventListener('error', () => icon.remove(), { once: true });
      chip.append(icon);
    } else if (action.type === 'datetimepicker') chip.append(el('span', 'kind', '📅'));
    else if (action.type === 'location') chip.append(el('span', 'kind', '📍'));
    else if (action.type === 'camera' || action.type === 'cameraRoll') chip.append(el('span', 'kind', '📷'));
    chip.append(el('span', '', actionLabel(action)));
    chip.addEventListener('click', () => void doAction(action));
    bar.append(chip);
  }
  // A new set of chips starts at its first one (as in LINE), not at the old set's sideways scroll.
  const key = JSON.stringify(items);
  if (key !== shownQuickReplies) bar.scrollLeft = 0;
  shownQuickReplies = key;
}

// ------------------------------------------------------------------------------------ actions

/** What tapping a button (quick reply, Flex, template) does in the LINE app. */
async function doAction(action) {
  switch (action?.type) {
    case 'message':
      return act({ type: 'text', text: action.text ?? action.label ?? '' });
    case 'postback': {
      const displayText = action.displayText ?? action.text;
      await act({ type: 'postback', data: action.data ?? '', ...(displayText ? { displayText } : {}) });
      if (action.inputOption === 'openKeyboard') {
        // LINE opens the keyboard, pre-filled with fillInText.
        $('message').value = action.fillInText ?? '';
        $('message').dispatchEvent(new Event('input'));
        $('message').focus();
      }
      return;
    }
    case 'datetimepicker': {
      const mode = action.mode ?? 'date';
      const value = await pickDatetime(mode, action);
      if (value === null) return;
      return act({ type: 'postback', data: action.data ?? '', params: { [mode]: value } });
    }
    case 'location': {
      const loc = await pickLocation();
      if (loc) return act({ type: 'location', ...loc });
      return;
    }
    case 'uri':
      window.open(action.uri, '_blank', 'noopener,noreferrer');
      return;
    case 'richmenuswitch':
      return act({ type: 'postback', data: action.data ?? '', params: { newRichMenuAliasId: action.richMenuAliasId ?? '', status: 'SUCCESS' } });
    case 'clipboard':
      await navigator.clipboard?.writeText(action.clipboardText ?? '').catch(() => undefined);
      toast('Copied · คัดลอกแล้ว');
      return;
    case 'camera':
    case 'cameraRoll':
      toast('Camera is not available in the simulator · ไม่รองรับกล้องในตัวจำลอง');
      return;
    default:
      toast(`Unsupported action: ${action?.type}`);
  }
}

/** The native picker for a datetimepicker action; resolves with LINE's value format or null. */
function pickDatetime(mode, action) {
  const dialog = $('datetime-dialog');
  const input = $('datetime-input');
  input.type = mode === 'time' ? 'time' : mode === 'datetime' ? 'datetime-local' : 'date';
  for (const k of ['min', 'max']) {
    if (action[k]) input[k] = action[k];
    else input.removeAttribute(k);
  }
  input.value = action.initial ?? '';
  $('datetime-title').textContent =
    (mode === 'time' ? 'Pick a time · เลือกเวลา' : mode === 'datetime' ? 'Pick a date and time · เลือกวันและเวลา' : 'Pick a date · เลือกวันที่') +
    (action.label ? ` — ${action.label}` : '');
  return new Promise((resolve) => {
    const done = (value) => {
      $('datetime-form').onsubmit = null;
      $('datetime-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    $('datetime-form').onsubmit = (ev) => {
      ev.preventDefault();
      if (!input.value) return;
      done(input.value);
    };
    $('datetime-cancel').onclick = () => done(null);
    dialog.onclose = () => done(null);
    dialog.showModal();
    input.focus();
  });
}

function pickLocation() {
  const dialog = $('location-dialog');
  const fields = { latitude: $('location-lat'), longitude: $('location-lng'), title: $('location-title'), address: $('location-address') };
  for (const f of Object.values(fields)) f.value = '';
  return new Promise((resolve) => {
    const done = (value) => {
      $('location-form').onsubmit = null;
      $('location-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    $('location-form').onsubmit = (ev) => {
      ev.preventDefault();
      const latitude = Number(fields.latitude.value);
      const longitude = Number(fields.longitude.value);
      if (fields.latitude.value === '' || fields.longitude.value === '' || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return;
      const loc = { latitude, longitude };
      if (fields.title.value.trim()) loc.title = fields.title.value.trim();
      if (fields.address.value.trim()) loc.address = fields.address.value.trim();
      done(loc);
    };
    $('location-cancel').onclick = () => done(null);
    dialog.onclose = () => done(null);
    dialog.showModal();
    fields.latitude.focus();
  });
}

function setupLocationPresets() {
  const box = $('location-presets');
  for (const p of LOCATION_PRESETS) {
    const b = el('button', '', p.name);
    b.type = 'button';
    b.dataset.testid = 'location-preset';
    b.addEventListener('click', () => {
      $('location-lat').value = String(p.latitude);
      $('location-lng').value = String(p.longitude);
      $('location-title').value = p.title;
      $('location-address').value = p.address;
    });
    box.append(b);
  }
}

let toastTimer = null;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 3500);
}

// ------------------------------------------------------------------------------------ wiring

function sendTyped() {
  const input = $('message');
  const text = input.value;
  if (text.trim() === '') return;
  input.value = '';
  $('send').disabled = true;
  void act({ type: 'text', text });
}

function wire() {
  $('rich-menu-bar').addEventListener('click', () => setRichMenuOpen($('rich-menu-panel').hidden));
  $('add-user').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('add-user-button');
    button.disabled = true;
    try {
      const { user } = await api('/users', { displayName: $('new-name').value, language: $('new-lang').value });
      upsertUser(user, false);
      $('new-name').value = '';
      select(user.userId);
    } catch (err) {
      toast(err.message);
    } finally {
      button.disabled = false;
    }
  });
  $('message').addEventListener('input', () => ($('send').disabled = $('message').value.trim() === ''));
  $('message').addEventListener('keydown', (ev) => {
    // Enter sends, except while an input method (Thai keyboards) is composing.
    if (ev.key === 'Enter' && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      sendTyped();
    }
  });
  $('send').addEventListener('click', sendTyped);
  $('share-location').addEventListener('click', () => void doAction({ type: 'location' }));
  $('send-sticker').addEventListener('click', () => void act({ type: 'sticker' }));
  $('block').addEventListener('click', () => {
    const u = state.users.get(state.selected);
    if (u) void act({ type: u.blocked ? 'follow' : 'unfollow' });
  });
  $('unblock').addEventListener('click', () => void act({ type: 'follow' }));
  // A mouse wheel scrolls the chips sideways (a phone would swipe).
  $('quick-replies').addEventListener(
    'wheel',
    (ev) => {
      if (Math.abs(ev.deltaY) <= Math.abs(ev.deltaX)) return;
      $('quick-replies').scrollLeft += ev.deltaY;
      ev.preventDefault();
    },
    { passive: false },
  );
  setupLocationPresets();
}

wire();
loadState()
  .then(() => {
    openStream();
    document.body.dataset.ready = '1';
  })
  .catch((err) => toast(`Could not reach the bot: ${err.message}`));
