/** Dotted field paths ("address.province") into a flow's answers. */
export function getPath(obj: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), obj);
}

export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = obj;
  for (const k of keys.slice(0, -1)) {
    if (!node[k] || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

export function unsetPath(obj: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  const parent = keys.length > 1 ? getPath(obj, keys.slice(0, -1).join('.')) : obj;
  if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[keys.at(-1)!];
}
