/** HTML that is safe by construction: interpolated values are escaped unless wrapped in raw(). */
export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export const raw = (s: string) => new Raw(s);

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Value = unknown;
const part = (v: Value): string => (v instanceof Raw ? v.html : Array.isArray(v) ? v.map(part).join('') : v === undefined || v === null || v === false ? '' : esc(v));

export function html(strings: TemplateStringsArray, ...values: Value[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => (out += part(v) + strings[i + 1]!));
  return raw(out);
}

/** JSON inside <script type="application/json">: no "</script>" can end it early. */
export function jsonScript(id: string, data: unknown): Raw {
  return raw(`<script type="application/json" id="${esc(id)}">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`);
}
