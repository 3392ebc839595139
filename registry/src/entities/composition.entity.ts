import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AppBreak } from '../apps.service';
import type { SchemaChange } from '../checks';
import type { UsageBreak, UsageRules } from '../usage';

export type CompositionStatus = 'ACCEPTED' | 'REFUSED';
export type ChangeKind = 'PUBLISH' | 'DELETE' | 'ROLLBACK';

export interface CompositionRefusal {
  code: string;
  usageRules: UsageRules | null;
  usageBreaks: UsageBreak[];
  appBreaks: AppBreak[];
}

/** One attempt to change a variant (publish, delete, rollback), accepted or refused. */
@Entity({ name: 'composition' })
export class CompositionEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('text')
  variant: string;

  @Column('text')
  status: CompositionStatus;

  @Column('text')
  kind: ChangeKind;

  /** The subgraph published or deleted; null for a rollback. */
  @Column('text', { nullable: true })
  subgraph: string | null;

  @Column('bigint', { name: 'restored_from', nullable: true })
  restoredFrom: string | null;

  /** sha256 of the supergraph SDL, hex (the ETag gateways see); null when refused. */
  @Column('text', { nullable: true })
  hash: string | null;

  @Column('text', { name: 'supergraph_sdl', nullable: true })
  supergraphSdl: string | null;

  @Column('text', { name: 'api_sdl', nullable: true })
  apiSdl: string | null;

  @Column('jsonb')
  errors: string[];

  @Column('jsonb')
  changes: SchemaChange[];

  /**
   * Why a refused change was refused, as judged then: the clients' use and the app operations it
   * would have broken, and the usage rules in force. Kept because usage and rules move on, and a
   * refusal read a year later must still name who it protected. Null when accepted (and for
   * refusals recorded before the registry kept it).
   */
  @Column('jsonb', { nullable: true })
  refusal: CompositionRefusal | null;

  @Column('text')
  publisher: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** Which subgraph versions a composition was built from (or, refused, would have been). */
@Entity({ name: 'composition_subgraph' })
export class CompositionSubgraphEntity {
  @Column('bigint', { name: 'composition_id', primary: true })
  compositionId: string;

  @Column('bigint', { name: 'subgraph_version_id', primary: true })
  subgraphVersionId: string;
}
