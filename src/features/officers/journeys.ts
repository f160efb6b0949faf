import type { LoadedFlows } from '../../flows/loader.js';

/** A checklist journey (TikTok Shop, Lazada) as officers see it: its steps in order. */
export interface Journey {
  id: string;
  titleKey: string;
  steps: { id: string; titleKey: string }[];
}

/** The checklist journeys of the loaded flows, steps in the order the flow file declares them. */
export function journeysOf(loaded: LoadedFlows): Journey[] {
  const out: Journey[] = [];
  for (const flow of loaded.flows.values()) {
    if (!flow.progress) continue;
    const steps = Object.entries(flow.steps)
      .filter(([, s]) => s.type === 'task')
      .map(([id, s]) => ({ id, titleKey: (s as { card?: { title?: string } }).card?.title ?? id }));
    out.push({ id: flow.id, titleKey: flow.title, steps });
  }
  return out;
}
