import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One published SDL of one subgraph in one variant; never changed or removed once written. */
@Entity({ name: 'subgraph_version' })
export class SubgraphVersionEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('text')
  variant: string;

  @Column('text')
  subgraph: string;

  @Column('text')
  sdl: string;

  /** sha256 of the SDL, hex: how an identical publish is recognised without comparing megabytes. */
  @Column('text', { name: 'sdl_hash' })
  sdlHash: string;

  @Column('text', { name: 'routing_url' })
  routingUrl: string;

  /** The publishing token's `sub`. */
  @Column('text')
  publisher: string;

  @Column('text', { nullable: true })
  commit: string | null;

  @Column('text', { nullable: true })
  branch: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** False for a version whose publish was refused: it is kept, to be read, and never served. */
  @Column('boolean')
  accepted: boolean;
}
