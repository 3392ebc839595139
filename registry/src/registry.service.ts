import { createHash } from 'node:crypto';
import { type GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppBreak } from './apps.service';

export type { AppBreak };
import { apiSchema, checkOperations, contractBreaks, type RegisteredOperation, type SchemaChange, schemaChanges, subgraphChanges } from './checks';
import { type Composed, composeSdl, CompositionError } from './composition';
import { operationCoordinates } from './coordinates';
import { LOCK_NAMESPACE } from './database';
import { type ChangeKind, CompositionEntity, CompositionSubgraphEntity, type CompositionStatus } from './entities/composition.entity';
import { SubgraphVersionEntity } from './entities/subgraph-version.entity';
import { VariantEntity } from './entities/variant.entity';
import { RegistryErrorCode, registryError } from './errors';
import { type CoordinateUsage, requireCoordinate, type UsageBreak, type UsageRules, type UsageRulesInput, type UsageStore, windowSeconds } from './usage';
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
  /** Breaking changes to coordinates clients used in the window: they refuse a publish (USAGE_BROKEN). */
  usageBreaks: UsageBreak[];
  /** Breaking changes nobody used in the window: they pass, as a warning. */
  unusedBreakingChanges: SchemaChange[];
  /** Active app versions' operations that would stop validating: they refuse a publish (APP_BROKEN). */
  appBreaks: AppBreak[];
}

/**
 * How the active app versions (app manifests) of a variant stand against a proposed API: the
 * operations that would stop validating, and every coordinate their operations use (which always
 * counts as used, as registered operations do). The apps' part of the judgement, given to the
 * service by whoever keeps the manifests; without one, no app is judged.
 */
export type AppJudge = (input: {
  variant: string;
  current: GraphQLSchema | null;
  proposed: GraphQLSchema;
  /**
   * Where to read: in a publish or delete, its transaction. Read through it, never through the
   * pool: the publishes waiting for the variant's lock each hold a pooled connection, so the
   * one holding the lock could wait for a connection forever.
   */
  manager: EntityManager;
}) => Promise<{ breaks: AppBreak[]; usedCoordinates: Iterable<string> }>;

/** A deprecated coordinate of an API schema, with its usage (Deprecation of registry.graphql). */
export interface Deprecation {
  coordinate: string;
  reason: string | null;
  usage: CoordinateUsage;
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
  /** Usage reported by gateways: breaking changes clients used refuse a publish. Without it, none is judged by usage. */
  usage?: UsageStore;
  /** The apps' judgement (see AppJudge). */
  apps?: AppJudge;
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
  /** The usage rules the breaking changes were judged under, kept with a refusal. */
  usageRules?: UsageRules;
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
  /** The coordinates the registered operations use, by composition id (of its API). */
  private readonly registeredCoordinates = new Map<string, Set<string>>();

  constructor(
    private readonly db: DataSource,
    private readonly options: RegistryServiceOptions,
  ) {}

  /** Composes the variant with this version of the subgraph; refused (recorded, nothing served changes) with COMPOSITION_FAILED, CONTRACT_BROKEN, OPERATION_BROKEN, USAGE_BROKEN or APP_BROKEN. */
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
      const evaluation = await this.evaluate(variant, state, members, tx);
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
    return (await this.evaluate(variant, state, members, this.db.manager)).check;
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
      const evaluation = await this.evaluate(variant, state, members, tx);
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

  /** Who used a coordinate of the variant since now minus `since` (`30d`, `12h`): every client, no rule applied. */
  async fieldUsage(variantName: string, coordinate: string, since = '30d'): Promise<CoordinateUsage> {
    const variant = this.requireVariant(variantName);
    return this.usageStore().coordinateUsage(variant, requireCoordinate(coordinate), this.sinceSeconds(since));
  }

  /** Every deprecated coordinate of the variant's current API schema, with its use since now minus `since`. */
  async deprecations(variantName: string, since = '400d'): Promise<Deprecation[]> {
    const variant = this.requireVariant(variantName);
    const seconds = this.sinceSeconds(since);
    const state = await this.state(this.db.manager, variant);
    if (!state.composition) return [];
    const deprecations: Deprecation[] = [];
    for (const { coordinate, reason } of deprecatedCoordinates(this.api(state.composition))) {
      deprecations.push({ coordinate, reason, usage: await this.usageStore().coordinateUsage(variant, coordinate, seconds) });
    }
    return deprecations;
  }

  async usageRules(variantName: string): Promise<UsageRules> {
    return this.usageStore().rules(this.requireVariant(variantName));
  }

  /** Replaces the variant's usage rules (the resolver asks for registry:admin); omitted fields keep their value. */
  async setUsageRules(variantName: string, rules: UsageRulesInput, by: string): Promise<UsageRules> {
    const variant = this.requireVariant(variantName);
    requireText(by, 'publisher');
    return this.usageStore().setRules(variant, rules ?? {}, by);
  }

  /** Reports each variant's current composition (metrics at start). */
  async reportCurrent(): Promise<void> {
    for (const variant of await this.variants()) {
      if (variant.currentCompositionId) this.options.observer?.current?.(variant.name, variant.currentCompositionId);
    }
  }

  private usageStore(): UsageStore {
    if (!this.options.usage) throw new Error('This registry service was made without a usage store.');
    return this.options.usage;
  }

  /** A `since` argument as seconds: a usage duration no longer than the usage kept. */
  private sinceSeconds(since: string | null | undefined): number {
    const text = since ?? '30d';
    requireText(text, 'since');
    const seconds = windowSeconds(text);
    if (seconds === null) throw registryError(RegistryErrorCode.INVALID_INPUT, `since: "${text.slice(0, 40)}" is not a duration: whole hours or days, e.g. 12h, 30d, 400d.`, { field: 'since' });
    // Asking further back than usage is kept is allowed: the answer is what is kept.
    return seconds;
  }

  /** What the registered operations use of the current API: it always counts as used. */
  private coordinatesOfRegistered(compositionId: string, current: GraphQLSchema): Set<string> {
    let used = this.registeredCoordinates.get(compositionId);
    if (!used) {
      used = new Set<string>();
      for (const operation of this.options.operations) {
        try {
          for (const coordinate of operationCoordinates(current, parse(operation.text))) used.add(coordinate);
        } catch {
          // An operation that does not parse uses nothing; checkOperations reports it.
        }
      }
      if (this.registeredCoordinates.size > 50) this.registeredCoordinates.clear();
      this.registeredCoordinates.set(compositionId, used);
    }
    return used;
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

  /**
   * Composes the proposed set and judges it against the variant's current API: the contract and
   * the registered operations (contract variants), what clients used in the window under the
   * variant's usage rules, and the active apps' operations (every variant).
   */
  private async evaluate(variant: string, state: VariantState, members: Member[], manager: EntityManager): Promise<Evaluation> {
    const started = performance.now();
    const contractVariant = this.options.contractVariants.includes(variant);
    const check: CheckResult = { ...unchangedCheck(), ok: false, unchanged: false };
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
    // Usage and apps are read on `manager`, a publish's own connection: see AppJudge.manager.
    const apps = (await this.options.apps?.({ variant, current, proposed, manager })) ?? { breaks: [], usedCoordinates: [] };
    let usageRules: UsageRules | undefined;
    check.appBreaks = apps.breaks;
    if (this.options.usage) {
      const alsoUsed = new Set([...(state.composition && current ? this.coordinatesOfRegistered(state.composition.id, current) : []), ...apps.usedCoordinates]);
      const judgement = await this.options.usage.judge(variant, check.changes, alsoUsed, manager);
      check.usageBreaks = judgement.usageBreaks;
      check.unusedBreakingChanges = judgement.unusedBreakingChanges;
      usageRules = judgement.rules;
    }
    // The contract and the registered operations bind contract variants; usage and apps bind every variant.
    const blocking = [
      ...(contractVariant ? check.contractBreaks.map((change) => `Contract: ${change.type}: ${change.message}`) : []),
      ...(contractVariant ? operations.broken.map((o) => `Operation: ${o.message}`) : []),
      ...check.usageBreaks.map((usageBreak) => `Usage: ${usageBreak.change.message} ${describeUse(usageBreak)}`),
      ...check.appBreaks.map((appBreak) => `App: ${appBreak.app} ${appBreak.version}: ${appBreak.message}`),
    ];
    check.ok = blocking.length === 0;
    if (check.ok) return { composed, check, errors: [] };
    const contractRefused = contractVariant && (check.contractBreaks.length > 0 || check.brokenOperations.length > 0);
    const code = !contractRefused
      ? check.usageBreaks.length
        ? RegistryErrorCode.USAGE_BROKEN
        : RegistryErrorCode.APP_BROKEN
      : check.contractBreaks.length
        ? RegistryErrorCode.CONTRACT_BROKEN
        : RegistryErrorCode.OPERATION_BROKEN;
    const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
    const what = [
      contractVariant && check.contractBreaks.length ? `${plural(check.contractBreaks.length, 'break')} of the contract` : '',
      contractVariant && check.brokenOperations.length ? `${plural(check.brokenOperations.length, 'registered operation')} broken` : '',
      check.usageBreaks.length ? `${plural(check.usageBreaks.length, 'breaking change')} to what clients used in the window` : '',
      check.appBreaks.length ? `${plural(check.appBreaks.length, 'operation')} of active app versions broken` : '',
    ].filter(Boolean);
    const keeps = contractVariant ? 'the contract, the registered operations, what clients use and the active apps' : 'what clients use and the active apps';
    return {
      composed,
      check,
      usageRules,
      errors: blocking,
      refusal: {
        code,
        message: `${variant} keeps ${keeps}, and this change would not: ${what.join(' and ')}. Nothing served changed.`,
        extensions: {
          changes: contractVariant ? check.contractBreaks : [],
          operations: contractVariant ? check.brokenOperations : [],
          usage: check.usageBreaks,
          apps: check.appBreaks,
        },
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
        refusal: evaluation.refusal
          ? { code: evaluation.refusal.code, usageRules: evaluation.usageRules ?? null, usageBreaks: evaluation.check.usageBreaks, appBreaks: evaluation.check.appBreaks }
          : null,
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
  return {
    ok: true,
    unchanged: true,
    compositionErrors: [],
    contractBreaks: [],
    changes: [],
    brokenOperations: [],
    operationsChecked: 0,
    usageBreaks: [],
    unusedBreakingChanges: [],
    appBreaks: [],
  };
}

/** Who a usage break breaks, as people read it: the busiest operations, with client, version, count and last use. */
function describeUse({ operations }: UsageBreak): string {
  const shown = operations.slice(0, 3).map(
    (o) => `${o.operationName ?? o.operationHash.slice(0, 12)} by ${o.client}${o.clientVersion ? ` ${o.clientVersion}` : ''} (${o.count} request${o.count === 1 ? '' : 's'}, last ${o.lastSeen.toISOString()})`,
  );
  const more = operations.length > shown.length ? `, and ${operations.length - shown.length} more` : '';
  return `Used by ${shown.join(', ')}${more}.`;
}

/** Every deprecated field, argument, input field and enum value of an API schema, by coordinate. */
function deprecatedCoordinates(schema: GraphQLSchema): { coordinate: string; reason: string | null }[] {
  const found: { coordinate: string; reason: string | null }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.deprecationReason != null) found.push({ coordinate: `${type.name}.${field.name}`, reason: field.deprecationReason });
        for (const arg of field.args) {
          if (arg.deprecationReason != null) found.push({ coordinate: `${type.name}.${field.name}.${arg.name}`, reason: arg.deprecationReason });
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.deprecationReason != null) found.push({ coordinate: `${type.name}.${field.name}`, reason: field.deprecationReason });
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (value.deprecationReason != null) found.push({ coordinate: `${type.name}.${value.name}`, reason: value.deprecationReason });
      }
    }
  }
  return found.sort((a, b) => (a.coordinate < b.coordinate ? -1 : a.coordinate > b.coordinate ? 1 : 0));
}

function pageSize(first: number | null | undefined): number {
  return Math.min(Math.max(first ?? 20, 1), MAX_PAGE);
}

function refused(refusal: NonNullable<Evaluation['refusal']>, composition: CompositionEntity) {
  return registryError(refusal.code, refusal.message, { ...refusal.extensions, compositionId: composition.id });
}
