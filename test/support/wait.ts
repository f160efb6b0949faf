/** Polls `ok` every 50 ms until it holds or `ms` have passed (the assertion after it tells which). */
export const waitFor = async (ok: () => boolean | Promise<boolean>, ms = 8_000): Promise<void> => {
  for (const end = Date.now() + ms; Date.now() < end && !(await ok()); ) await new Promise((r) => setTimeout(r, 50));
};
