import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A line of compositions gateways can follow (production, staging), each composed on its own. */
@Entity({ name: 'variant' })
export class VariantEntity {
  @PrimaryColumn('text')
  name: string;

  /** Whether publishes must keep schema/contract.graphql (CONTRACT_VARIANTS). */
  @Column('boolean')
  contract: boolean;

  /** What gateways are served now; null before the first accepted publish. */
  @Column('bigint', { name: 'current_composition_id', nullable: true })
  currentCompositionId: string | null;
}
