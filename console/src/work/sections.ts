import type { WorklistItem } from '../../../shared/push/worklist.js';

/**
 * The work list's sections, in the order the agent works them. Tide pushes the items best first;
 * the console only groups them and never re-sorts: within a section the pushed order stands, so
 * new work appears where it ranks (research/console.md §3: a client-side sort pulls attention to
 * the newest conversation and causes breaches).
 */
export const sectionIds = ['waiting-on-me', 'waiting-on-customer', 'inactive', 'follow-ups'] as const;
export type SectionId = (typeof sectionIds)[number];

export const sectionTitles: Record<SectionId, string> = {
  'waiting-on-me': 'Waiting on me',
  'waiting-on-customer': 'Waiting on the customer',
  inactive: 'Inactive',
  'follow-ups': 'Follow-ups',
};

/** What a row says about whose turn it is (the list's items show the waiting state, DESIGN §4b). */
export const waitingStateLabels: Record<SectionId, string> = {
  'waiting-on-me': 'Waiting on you',
  'waiting-on-customer': 'Waiting on the customer',
  inactive: 'Inactive',
  'follow-ups': 'Follow-up scheduled',
};

type Sectioned = Pick<WorklistItem, 'state' | 'waitingOn' | 'followUpAt'>;

/**
 * A pending follow-up is inactive with `followUpAt` set (DESIGN §4); once it comes due the
 * conversation is actionable again and belongs where its waiting state puts it.
 */
export function sectionOf(item: Sectioned): SectionId {
  if (item.state === 'inactive') return item.followUpAt ? 'follow-ups' : 'inactive';
  return item.waitingOn === 'agent' ? 'waiting-on-me' : 'waiting-on-customer';
}

export interface Section<T> {
  id: SectionId;
  title: string;
  items: T[];
}

/** Every section (empty ones too, so the layout does not jump), each in the pushed order. */
export function sectionsOf<T extends Sectioned>(items: readonly T[]): Section<T>[] {
  const sections = sectionIds.map((id) => ({ id, title: sectionTitles[id], items: [] as T[] }));
  for (const item of items) sections[sectionIds.indexOf(sectionOf(item))]!.items.push(item);
  return sections;
}

/** The rows as shown, top to bottom: the order j/k and the arrow keys move through. */
export const displayOrder = <T>(sections: readonly Section<T>[]): T[] => sections.flatMap((s) => s.items);
