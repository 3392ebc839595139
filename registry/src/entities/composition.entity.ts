import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SchemaChange } from '../checks';

export type CompositionStatus = 'ACCEPTED' | 'REFUSED';
export type ChangeKind = 'PUBLISH' | 'DELETE' | 'ROLLBACK';

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
