/**
 * Uniform result of every input validator, so the conversation engine can call any of them by name.
 *
 * - `errorKey` is an i18next key in the `validation` namespace (locales/<lang>/validation.json);
 *   `params` are its interpolation values.
 * - `display` is what the bot may echo back for confirmation (never a full national ID).
 * - `suggestions` are candidate corrections the bot can offer as quick replies.
 */
export type Validated<T> =
  | { ok: true; value: T; display?: string }
  | { ok: false; errorKey: string; params?: Record<string, string | number>; suggestions?: string[] };

export type ValidationContext = { lang: 'th' | 'en'; now?: Date };

export type Validator<T = unknown> = (input: string, ctx: ValidationContext) => Validated<T>;
