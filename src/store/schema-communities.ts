// Kysely table types for communities and tents; they mirror migrations/0004_communities_tents.sql.
import type { ColumnType, Generated } from 'kysely';
import type { MembershipEventType, MembershipState } from '../domain/community.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface CommunityStewardsTable {
  community_id: string;
  user_id: string;
  added_at: Timestamp;
  added_by: string | null;
}

export interface MembershipEventsTable {
  id: Generated<string>;
  community_id: string;
  org_id: string;
  type: MembershipEventType;
  by_user_id: string;
  by_org_id: string;
  at: Timestamp;
  reason: string | null;
  vote: 'yes' | 'no' | null;
  to_state: MembershipState;
  derived: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface NdaVersionsTable {
  community_id: string;
  version: number;
  text: string;
  hash: string;
  published_at: Timestamp;
  published_by: string | null;
}

export interface NdaAcceptancesTable {
  community_id: string;
  version: number;
  user_id: string;
  hash: string;
  accepted_at: Timestamp;
}

export interface CaseTentsTable {
  case_id: string;
  tent_id: string;
  position: number;
  /** TentSpec (src/domain/tents.ts), as JSON. */
  spec: Json;
  opened_at: Timestamp | null;
  opened_early: ColumnType<unknown, string | null | undefined, string | null>;
  scheduled_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BriefingPacketsTable {
  id: Generated<string>;
  case_id: string;
  tent_id: string;
  org_id: string;
  /** The packet as JSON, sealed under the case's data key. */
  content_sealed: Buffer;
  created_at: Timestamp;
}

export interface CommunitiesDB {
  community_stewards: CommunityStewardsTable;
  membership_events: MembershipEventsTable;
  nda_versions: NdaVersionsTable;
  nda_acceptances: NdaAcceptancesTable;
  case_tents: CaseTentsTable;
  briefing_packets: BriefingPacketsTable;
}
