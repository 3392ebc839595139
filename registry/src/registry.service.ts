import { createHash } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppBreak } from './apps.service';
import { apiSchema, checkOperations, contractBreaks, type RegisteredOperation, type SchemaChange, schemaChanges, subgraphChanges } from './checks';
import { type Composed, composeSdl, CompositionError } from './composition';
import { LOCK_NAMESPACE } from './database';
import { type ChangeKind, CompositionEntity, CompositionSubgraphEntity, type CompositionStatus } from './entities/composition.entity';
import { SubgraphVersionEntity } from './entities/subgraph-version.entity';
import { VariantEntity } from './entities/variant.entity';
import { RegistryErrorCode, registryError } from './errors';
import { optionalLabel, requireRoutingUrl, requireSdl, requireSubgraphName, requireText, requireVariantName } from './validation';

export interface PublishInput {
  variant: string;
  subgraph: string;
  sdl: string;
  routingUrl: string;
  commit?: string | null;
  branch?: string | null;
}

export interface CheckInput {
  variant: string;
  subgraph: string;
  sdl: string;
  routingUrl?: string | null;
}

export interface OperationProblem {
  name: string;
  message: string;
}

/** CheckResult of registry.graphql. */
export interface CheckResult {
  ok: boolean;
  unchanged: boolean;
  compositionErrors: string[];
  contractBreaks: SchemaChange[];
  changes: SchemaChange[];
  brokenOperations: OperationProblem[];
  operationsChecked: number;
  /** Operations of active app versions that would stop validating (apps.service.ts). */
  appBreaks: AppBreak[];
}

export interface PublishResult {
  outcome: 'PUBLISHED' | 'UNCHANGED';
  version: SubgraphVersionEntity | null;
  composition: CompositionEntity;
  check: CheckResult;
}

/** What gateways are served for a variant: GET /supergraph. */
export interface ServedSupergraph {
  compositionId: string;
  hash: string;
  sdl?: string;
}

/** What the service reports as it works, for the process's metrics. */
export interface RegistryObserver {
  /** A publish, delete or rollback ended: published, unchanged or refused. */
  outcome?(kind: ChangeKind, outcome: 'published' | 'unchanged' | 'refused'): void;
  composed?(seconds: number): void;
  /** A variant's current composition changed (or was read at start). */
  current?(variant: string, compositionId: string): void;
}

export interface RegistryServiceOptions {
  /** The variants that exist (REGISTRY_VARIANTS); any other is UNKNOWN_VARIANT. */
  variants: string[];
  /** Those whose publishes must keep the contract and the registered operations. */
  contractVariants: string[];
  /** schema/contract.graphql's text. */
  contractSdl: string;
  /** The registered operations (schema/operations). */
  operations: RegisteredOperation[];
  maxSdlBytes: number;
  observer?: RegistryObserver;
  /** The judgement's app breaks (AppsService.appBreaks): they refuse a change in every variant (APP_BROKEN). None when absent. */
  appBreaks?: (variant: string, current: GraphQLSchema | null, proposed: GraphQLSchema) => Promise<AppBreak[]>;
}

/** The placeholder routing URL a check of a subgraph not published yet is composed with. */
const PLACEHOLDER_URL = (subgraph: string) => `http://${subgraph}.invalid/graphql`;
const MAX_PAGE = 100;
const ID = /^[1-9][0-9]{0,17}$/;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The versions a composition is built from, to compose (a stored version, or the one proposed). */
interface Member {
  subgraph: string;
  sdl: string;
  routingUrl: string;
  /** The stored version; absent for the one being proposed. */
  version?: SubgraphVersionEntity;
}

/** A variant's state as read under its lock: its current composition and the versions it was built from. */
interface VariantState {
  variant: VariantEntity;
  composition: CompositionEntity | null;
  members: SubgraphVersionEntity[];
}

/** What a proposed set of versions would do to a variant. */
interface Evaluation {
  composed?: Composed<{ name: string; routingUrl: string; sdl: string }>;
  check: CheckResult;
  /** Every composition error, contract break and broken operation, as people read them. */
  errors: string[];
  refusal?: { code: RegistryErrorCode; message: string; extensions: Record<string, unknown> };
}

/**
 * The registry's logic, apart from HTTP: every subgraph version and composition of each variant,
 * in Postgres. A change to a variant (publish, delete, rollback) runs in one transaction holding
 * the variant's advisory lock, reading the current composition under it, so changes to one
 * variant are serial across every replica and none is lost; a refused change is recorded and
 * leaves what gateways are served as it was. Bad input is refused before anything is written.
 */
export class RegistryService {
  private contract?: GraphQLSchema;
  /** API schemas by composition id: an API is built once, not on every check. */
  private readonly apis = new Map<string, GraphQLSchema>();

  constructor(
    private readonly db: DataSource,
    private readonly options: RegistryServiceOptions,
  ) {}

  /** Composes the variant with this version of the subgraph; refused (recorded, nothing served changes) with COMPOSITION_FAILED, CONTRACT_BROKEN or OPERATION_BROKEN. */
  async publish(input: PublishInput, publisher: string): Promise<PublishResult> {
    const variant = this.requireVariant(input.variant);
    const subgraph = requireSubgraphName(input.subgraph);
    const sdl = requireSdl(input.sdl, this.options.maxSdlBytes);
    const routingUrl = requireRoutingUrl(input.routingUrl);
    const commit = optionalLabel(input.commit, 'commit');
    const branch = optionalLabel(input.branch, 'branch');
    requireText(publisher, 'publisher');
    const sdlHash = sha256(sdl);

    const result = await this.changeVariant(variant, async (tx, state) => {
      const current = state.members.find((member) => member.subgraph === subgraph);
      if (current && state.composition && current.sdlHash === sdlHash && current.routingUrl === routingUrl) {
        return { outcome: 'UNCHANGED' as const, version: current, composition: state.composition, check: unchangedCheck() };
      }
      const members: Member[] = [...state.members.filter((member) => member.subgraph !== subgraph).map(asMember), { subgraph, sdl, routingUrl }];
      const evaluation = await this.evaluate(variant, state, members);
      const version = await tx.getRepository(SubgraphVersionEntity).save(
        tx.getRepository(SubgraphVersionEntity).create({ variant, subgraph, sdl, sdlHash, routingUrl, publisher, commit, branch, accepted: !evaluation.refusal }),
      );
      const composition = await this.record(tx, state, { kind: 'PUBLISH', subgraph, publisher }, evaluation, [
        ...members.flatMap((member) => (member.version ? [member.version.id] : [])),
        version.id,
      ]);
      return { outcome: 'PUBLISHED' as const, version, composition, check: evaluation.check, refusal: evaluation.refusal };
    });
    this.options.observer?.outcome?.('PUBLISH', result.refusal ? 'refused' : result.outcome === 'UNCHANGED' ? 'unchanged' : 'published');
    if (!result.refusal) this.options.observer?.current?.(variant, result.composition.id);
    if (result.refusal) throw refused(result.refusal, result.composition);
    return { outcome: result.outcome, version: result.version, composition: result.composition, check: result.check };
  }

  /** A dry run of publish: what it would do, and whether it would be accepted. Writes nothing. */
  async check(input: CheckInput): Promise<CheckResult> {
    const variant = this.requireVariant(input.variant);
    const subgraph = requireSubgraphName(input.subgraph);
    const sdl = requireSdl(input.sdl, this.options.maxSdlBytes);
    const state = await this.state(this.db.manager, variant);
    const current = state.members.find((member) => member.subgraph === subgraph);
    const routingUrl = input.routingUrl == null || input.routingUrl === '' ? (current?.routingUrl ?? PLACEHOLDER_URL(subgraph)) : requireRoutingUrl(input.routingUrl);
    if (current && current.sdlHash === sha256(sdl) && current.routingUrl === routingUrl) return unchangedCheck();
    const members = [...state.members.filter((member) => member.subgraph !== subgraph).map(asMember), { subgraph, sdl, routingUrl }];
    return (await this.evaluate(variant, state, members)).check;
  }

  /** Composes the variant without the subgraph; refused as publish is. */
  async deleteSubgraph(variantName: string, subgraphName: string, publisher: string): Promise<CompositionEntity> {
    const variant = this.requireVariant(variantName);
    const subgraph = requireSubgraphName(subgraphName);
    requireText(publisher, 'publisher');
    const result = await this.changeVariant(variant, async (tx, state) => {
      if (!state.members.some((member) => member.subgraph === subgraph)) {
        return { missing: true as const };
      }
      const members = state.members.filter((member) => member.subgraph !== subgraph).map(asMember);
      const evaluation = await this.evaluate(variant, state, members);
      const composition = await this.record(tx, state, { kind: 'DELETE', subgraph, publisher }, evaluation, members.map((member) => member.version!.id));
      return { missing: false as const, composition, refusal: evaluation.refusal };
    });
    if (result.missing) throw registryError(RegistryErrorCode.UNKNOWN_SUBGRAPH, `${variant} serves no subgraph "${subgraph}".`, { variant, subgraph });
    this.options.observer?.outcome?.('DELETE', result.refusal ? 'refused' : 'published');
    if (!result.refusal) this.options.observer?.current?.(variant, result.composition.id);
    if (result.refusal) throw refused(result.refusal, result.composition);
    return result.composition;
  }

  /**
   * Serves an earlier accepted composition of the variant again, as a new composition built from
   * the same versions. Neither the contract nor the registered operations are checked: a rollback
   * is the way back from a bad publish, and what it restores was served before.
   */
  async rollback(variantName: string, to: string, publisher: string): Promise<CompositionEntity> {
    const variant = this.requireVariant(variantName);
    requireText(publisher, 'publisher');
    const target = ID.test(to) ? await this.db.getRepository(CompositionEntity).findOneBy({ id: to, variant }) : null;
    if (!target) throw registryError(RegistryErrorCode.UNKNOWN_COMPOSITION, `${variant} has no composition ${to}.`, { variant, id: to });
    if (target.status !== 'ACCEPTED') {
      throw registryError(RegistryErrorCode.UNKNOWN_COMPOSITION, `Composition ${to} was refused, never served: only an accepted composition can be restored.`, { variant, id: to });
    }
    const versionIds = (await this.db.getRepository(CompositionSubgraphEntity).findBy({ compositionId: target.id })).map((row) => row.subgraphVersionId);
    const composition = await this.changeVariant(variant, async (tx, state) => {
      const started = performance.now();
      const changes = await schemaChanges(state.composition ? this.api(state.composition) : null, this.api(target));
      this.options.observer?.composed?.((performance.now() - started) / 1000);
      const evaluation: Evaluation = {
        composed: { subgraphs: [], supergraphSdl: target.supergraphSdl!, apiSdl: target.apiSdl! },
        check: { ...unchangedCheck(), unchanged: false, changes },
        errors: [],
      };
      return this.record(tx, state, { kind: 'ROLLBACK', restoredFrom: target.id, publisher }, evaluation, versionIds);
    });
    this.options.observer?.outcome?.('ROLLBACK', 'published');
    this.options.observer?.current?.(variant, composition.id);
    return composition;
  }

  /** What gateways are served for the variant; the SDL only when `knownHash` (If-None-Match) differs. */
  async served(variantName: string, knownHash?: string): Promise<ServedSupergraph | null> {
    const variant = this.requireVariant(variantName);
    const [row] = await this.db.query(
      `SELECT c.id, c.hash FROM registry.variant v JOIN registry.composition c ON c.id = v.current_composition_id WHERE v.name = $1`,
      [variant],
    );
    if (!row) return null;
    if (knownHash === row.hash) return { compositionId: String(row.id), hash: row.hash };
    const [full] = await this.db.query(`SELECT supergraph_sdl FROM registry.composition WHERE id = $1`, [row.id]);
    return { compositionId: String(row.id), hash: row.hash, sdl: full.supergraph_sdl };
  }

  async variants(): Promise<VariantEntity[]> {
    const rows = await this.db.getRepository(VariantEntity).find();
    return this.options.variants.flatMap((name) => rows.filter((row) => row.name === name));
  }

  async variant(name: string): Promise<VariantEntity | null> {
    if (!this.options.variants.includes(name)) return null;
    return this.db.getRepository(VariantEntity).findOneBy({ name });
  }

  async compositionOf(variant: VariantEntity): Promise<CompositionEntity | null> {
    return variant.currentCompositionId ? this.db.getRepository(CompositionEntity).findOneBy({ id: variant.currentCompositionId }) : null;
  }

  /** The versions a composition was built from (the proposed set, for a refused one), by subgraph name. */
  async versionsOf(compositionId: string | null): Promise<SubgraphVersionEntity[]> {
    if (!compositionId) return [];
    return this.db
      .getRepository(SubgraphVersionEntity)
      .createQueryBuilder('v')
      .innerJoin(CompositionSubgraphEntity, 'cs', 'cs.subgraph_version_id = v.id')
      .where('cs.composition_id = :id', { id: compositionId })
      .orderBy('v.subgraph')
      .getMany();
  }

  async isCurrent(composition: CompositionEntity): Promise<boolean> {
    const variant = await this.db.getRepository(VariantEntity).findOneBy({ name: composition.variant });
    return variant?.currentCompositionId === composition.id;
  }

  /** A subgraph's versions in a variant, newest first, refused ones included. */
  async subgraphVersions(variantName: string, subgraphName: string, first = 20): Promise<SubgraphVersionEntity[]> {
    const variant = this.requireVariant(variantName);
    const subgraph = requireSubgraphName(subgraphName);
    return this.db.getRepository(SubgraphVersionEntity).find({ where: { variant, subgraph }, order: { id: 'DESC' }, take: pageSize(first) });
  }

  async subgraphVersion(id: string): Promise<SubgraphVersionEntity | null> {
    return ID.test(id) ? this.db.getRepository(SubgraphVersionEntity).findOneBy({ id }) : null;
  }

  async composition(id: string): Promise<CompositionEntity | null> {
    return ID.test(id) ? this.db.getRepository(CompositionEntity).findOneBy({ id }) : null;
  }

  /** The variant's changelog, newest first; with `subgraph`, only that subgraph's changes. */
  async history(variantName: string, subgraphName?: string | null, first = 20): Promise<CompositionEntity[]> {
    const variant = this.requireVariant(variantName);
    const subgraph = subgraphName == null ? undefined : requireSubgraphName(subgraphName);
    return this.db.getRepository(CompositionEntity).find({ where: { variant, ...(subgraph ? { subgraph } : {}) }, order: { id: 'DESC' }, take: pageSize(first) });
  }

  /** Every change between two versions' SDL (of any subgraphs). */
  async diff(from: string, to: string): Promise<SchemaChange[]> {
    const [a, b] = await Promise.all([this.subgraphVersion(from), this.subgraphVersion(to)]);
    for (const [id, version] of [[from, a], [to, b]] as const) {
      if (!version) throw registryError(RegistryErrorCode.UNKNOWN_SUBGRAPH, `There is no subgraph version ${id}.`, { id });
    }
    return subgraphChanges(a!.sdl, b!.sdl);
  }

  /** Reports each variant's current composition (metrics at start). */
  async reportCurrent(): Promise<void> {
    for (const variant of await this.variants()) {
      if (variant.currentCompositionId) this.options.observer?.current?.(variant.name, variant.currentCompositionId);
    }
  }

  private requireVariant(name: string): string {
    requireVariantName(name);
    if (!this.options.variants.includes(name)) {
      throw registryError(RegistryErrorCode.UNKNOWN_VARIANT, `There is no variant "${name}"; the variants are ${this.options.variants.join(', ')}.`, { variant: name });
    }
    return name;
  }

  /**
   * One change to a variant: a transaction holding the variant's advisory lock (released at
   * commit or rollback), in which `change` sees the variant as the last change left it.
   */
  private changeVariant<T>(variant: string, change: (tx: EntityManager, state: VariantState) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, `variant:${variant}`]);
      return change(tx, await this.state(tx, variant));
    });
  }

  private async state(manager: EntityManager, name: string): Promise<VariantState> {
    const variant = await manager.getRepository(VariantEntity).findOneByOrFail({ name });
    const composition = variant.currentCompositionId ? await manager.getRepository(CompositionEntity).findOneByOrFail({ id: variant.currentCompositionId }) : null;
    const members = composition
      ? await manager
          .getRepository(SubgraphVersionEntity)
          .createQueryBuilder('v')
          .innerJoin(CompositionSubgraphEntity, 'cs', 'cs.subgraph_version_id = v.id')
          .where('cs.composition_id = :id', { id: composition.id })
          .orderBy('v.subgraph')
          .getMany()
      : [];
    return { variant, composition, members };
  }

  /** Composes the proposed set and judges it against the variant's current API, the contract and the registered operations. */
  private async evaluate(variant: string, state: VariantState, members: Member[]): Promise<Evaluation> {
    const started = performance.now();
    const contractVariant = this.options.contractVariants.includes(variant);
    const check: CheckResult = { ok: false, unchanged: false, compositionErrors: [], contractBreaks: [], changes: [], brokenOperations: [], operationsChecked: 0, appBreaks: [] };
    // Sorted by name, so the supergraph (and its hash) depends on the set, not on publish order.
    const sorted = [...members].sort((a, b) => a.subgraph.localeCompare(b.subgraph, 'en'));
    let composed: Evaluation['composed'];
    try {
      composed = composeSdl(sorted.map((member) => ({ name: member.subgraph, routingUrl: member.routingUrl, sdl: member.sdl })));
    } catch (error) {
      if (!(error instanceof CompositionError)) throw error;
      check.compositionErrors = error.messages;
    } finally {
      this.options.observer?.composed?.((performance.now() - started) / 1000);
    }
    if (!composed) {
      return {
        check,
        errors: check.compositionErrors,
        refusal: {
          code: RegistryErrorCode.COMPOSITION_FAILED,
          message: `${variant} would not compose: ${check.compositionErrors.length} error${check.compositionErrors.length === 1 ? '' : 's'}. Nothing served changed.`,
          extensions: { errors: check.compositionErrors },
        },
      };
    }
    const current = state.composition ? this.api(state.composition) : null;
    const proposed = apiSchema(composed.apiSdl);
    check.changes = await schemaChanges(current, proposed);
    if (contractVariant) check.contractBreaks = contractBreaks(this.contractSchema(), current, proposed);
    const operations = checkOperations(this.options.operations, current, proposed);
    check.operationsChecked = operations.checked;
    check.brokenOperations = operations.broken.map(({ name, message }) => ({ name, message }));
    const blocking = contractVariant ? [...check.contractBreaks.map((change) => `Contract: ${change.type}: ${change.message}`), ...operations.broken.map((o) => `Operation: ${o.message}`)] : [];
    // App manifests (#28): an active app version's operations are kept in every variant.
    check.appBreaks = (await this.options.appBreaks?.(variant, current, proposed)) ?? [];
    const contractBlocks = blocking.length > 0;
    blocking.push(...check.appBreaks.map((appBreak) => `App: ${appBreak.message}`));
    check.ok = blocking.length === 0;
    if (check.ok) return { composed, check, errors: [] };
    const code = !contractBlocks ? RegistryErrorCode.APP_BROKEN : check.contractBreaks.length ? RegistryErrorCode.CONTRACT_BROKEN : RegistryErrorCode.OPERATION_BROKEN;
    const what = [
      contractBlocks && check.contractBreaks.length ? `${check.contractBreaks.length} break${check.contractBreaks.length === 1 ? '' : 's'} of the contract` : '',
      contractBlocks && check.brokenOperations.length ? `${check.brokenOperations.length} registered operation${check.brokenOperations.length === 1 ? '' : 's'} broken` : '',
      check.appBreaks.length ? `${check.appBreaks.length} operation${check.appBreaks.length === 1 ? '' : 's'} of active app versions broken` : '',
    ].filter(Boolean);
    return {
      composed,
      check,
      errors: blocking,
      refusal: {
        code,
        message: contractBlocks
          ? `${variant} keeps the contract and the registered operations, and this change would not: ${what.join(' and ')}. Nothing served changed.`
          : `${variant} keeps the operations of its active app versions, and this change would not: ${what.join(' and ')}. Nothing served changed.`,
        extensions: { changes: check.contractBreaks, operations: check.brokenOperations, apps: check.appBreaks },
      },
    };
  }

  /** Stores a composition (accepted or refused) with its versions; an accepted one becomes the variant's current. */
  private async record(
    tx: EntityManager,
    state: VariantState,
    what: { kind: ChangeKind; subgraph?: string; restoredFrom?: string; publisher: string },
    evaluation: Evaluation,
    versionIds: string[],
  ): Promise<CompositionEntity> {
    const status: CompositionStatus = evaluation.refusal ? 'REFUSED' : 'ACCEPTED';
    const repository = tx.getRepository(CompositionEntity);
    const composition = await repository.save(
      repository.create({
        variant: state.variant.name,
        status,
        kind: what.kind,
        subgraph: what.subgraph ?? null,
        restoredFrom: what.restoredFrom ?? null,
        hash: status === 'ACCEPTED' ? sha256(evaluation.composed!.supergraphSdl) : null,
        supergraphSdl: evaluation.composed?.supergraphSdl ?? null,
        apiSdl: evaluation.composed?.apiSdl ?? null,
        errors: evaluation.errors,
        changes: evaluation.check.changes,
        publisher: what.publisher,
      }),
    );
    if (versionIds.length) {
      await tx.getRepository(CompositionSubgraphEntity).insert(versionIds.map((subgraphVersionId) => ({ compositionId: composition.id, subgraphVersionId })));
    }
    if (status === 'ACCEPTED') {
      await tx.getRepository(VariantEntity).update({ name: state.variant.name }, { currentCompositionId: composition.id });
    }
    return composition;
  }

  private api(composition: CompositionEntity): GraphQLSchema {
    let schema = this.apis.get(composition.id);
    if (!schema) {
      schema = apiSchema(composition.apiSdl!);
      if (this.apis.size > 50) this.apis.clear();
      this.apis.set(composition.id, schema);
    }
    return schema;
  }

  private contractSchema(): GraphQLSchema {
    return (this.contract ??= apiSchema(this.options.contractSdl));
  }
}

function asMember(version: SubgraphVersionEntity): Member {
  return { subgraph: version.subgraph, sdl: version.sdl, routingUrl: version.routingUrl, version };
}

function unchangedCheck(): CheckResult {
  return { ok: true, unchanged: true, compositionErrors: [], contractBreaks: [], changes: [], brokenOperations: [], operationsChecked: 0, appBreaks: [] };
}

function pageSize(first: number | null | undefined): number {
  return Math.min(Math.max(first ?? 20, 1), MAX_PAGE);
}

function refused(refusal: NonNullable<Evaluation['refusal']>, composition: CompositionEntity) {
  return registryError(refusal.code, refusal.message, { ...refusal.extensions, compositionId: composition.id });
}
