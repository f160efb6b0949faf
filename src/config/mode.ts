/** Which mode the process runs in, decided from the environment alone (no dev code loaded). */

const empty = (v: string | undefined) => v === undefined || v.trim() === '';

export function isProduction(env: NodeJS.ProcessEnv): boolean {
  return (env['NODE_ENV'] ?? '').trim() === 'production';
}

/** Local mode: no LINE credentials at all and not production (the stand-in plays LINE). */
export function localModeWanted(env: NodeJS.ProcessEnv): boolean {
  return empty(env['LINE_CHANNEL_SECRET']) && empty(env['LINE_CHANNEL_ACCESS_TOKEN']) && !isProduction(env);
}
