import type { IncidentsTable, IncidentTimelineTable } from '../storage/schema-alerting.js';

export type IncidentRecord = IncidentsTable;
export type TimelineRecord = Omit<IncidentTimelineTable, 'id'> & { id: number };

export interface IncidentRepository {
  /** A new incident (public_title null when not given). */
  insert(record: Omit<IncidentRecord, 'public_title'> & { public_title?: string | null }): Promise<void>;
  get(id: string): Promise<IncidentRecord | undefined>;
  /** The open or acknowledged incident of a group, if any. */
  findActive(groupKey: string): Promise<IncidentRecord | undefined>;
  list(options: { status?: string; since?: number; limit: number }): Promise<IncidentRecord[]>;
  /** Updates fields of an incident when its status is one of `from` (a guarded transition); false otherwise. */
  update(id: string, from: string[], fields: Partial<IncidentRecord>): Promise<boolean>;
  addTimeline(entry: Omit<TimelineRecord, 'id'>): Promise<void>;
  timeline(id: string): Promise<TimelineRecord[]>;
}
