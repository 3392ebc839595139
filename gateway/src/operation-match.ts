import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  type GraphQLCompositeType,
  GraphQLFloat,
  GraphQLID,
  type GraphQLInputType,
  type GraphQLSchema,
  isCompositeType,
  isInputObjectType,
  isInputType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionNode,
  typeFromAST,
  type ValueNode,
} from 'graphql';
import { fragmentsOf } from '@zigong/platform';

/**
 * A selection set reduced to what decides the answer's shape: fields by response key in order of
 * first appearance (as graphql-js collects them), named fragments inlined, fragments on the parent's
 * own type spliced in. Other fragments stay where they are, never merged: Apollo's result shaping
 * orders merged fragments differently from graphql-js, so two fragments on one type must not prove
 * anything. `typename` records an unaliased, undirected `__typename` at this level.
 */
interface Level {
  typename: boolean;
  entries: Entry[];
}

type Entry = { field: string; sub?: Level } | { fragment: string; sub: Level };

interface Context {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  /** The API schema's root type names: a subgraph may name its roots otherwise (`RootQuery`). */
  roots: Set<string>;
}

type Flat = FieldNode | { on: string | undefined; directives: readonly DirectiveNode[]; selections: readonly SelectionNode[] };

/**
 * A literal as the field receives it. The planner prints an ID that looks like a number without
 * quotes (`id: 510302`), which an ID argument takes as the same string.
 */
function literal(value: ValueNode, type: GraphQLInputType | undefined): string {
  const named = type && getNamedType(type);
  if (named === GraphQLID && (value.kind === Kind.INT || value.kind === Kind.STRING)) return JSON.stringify(value.value);
  if (named === GraphQLFloat && (value.kind === Kind.INT || value.kind === Kind.FLOAT)) return String(Number(value.value));
  const inner = type && getNullableType(type);
  if (value.kind === Kind.LIST) return `[${value.values.map((v) => literal(v, isListType(inner) ? inner.ofType : undefined)).join(',')}]`;
  if (value.kind === Kind.OBJECT) {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    const entries = [...value.fields].sort((a, b) => a.name.value.localeCompare(b.name.value));
    return `{${entries.map((f) => `${f.name.value}:${literal(f.value, fields[f.name.value]?.type)}`).join(',')}}`;
  }
  return print(value);
}

/** Thrown where the reduction cannot vouch for a selection; the operations are then "not proven equal". */
class Unprovable extends Error {}

const printDirectives = (directives: readonly DirectiveNode[] | undefined) => (directives ?? []).map((d) => print(d)).join(' ');

function flatten(selections: readonly SelectionNode[], parent: GraphQLCompositeType, context: Context, out: Flat[] = []): Flat[] {
  for (const selection of selections) {
    let on: string | undefined;
    let inner: readonly SelectionNode[];
    if (selection.kind === Kind.FIELD) {
      out.push(selection);
      continue;
    } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = context.fragments.get(selection.name.value);
      if (!fragment) throw new Unprovable();
      on = fragment.typeCondition.name.value;
      inner = fragment.selectionSet.selections;
    } else {
      on = selection.typeCondition?.name.value;
      inner = selection.selectionSet.selections;
    }
    // `... on Query` means nothing to a subgraph whose root is `RootQuery`: the planner rewrites it.
    if (on !== undefined && context.roots.has(on)) throw new Unprovable();
    const directives = selection.directives ?? [];
    if (!directives.length && (on === undefined || on === parent.name)) flatten(inner, parent, context, out);
    else out.push({ on, directives, selections: inner });
  }
  return out;
}

function reduce(selections: readonly SelectionNode[], parent: GraphQLCompositeType, context: Context): Level {
  const level: Level = { typename: false, entries: [] };
  // Fields of one response key are merged (graphql-js answers them as one, at the first one's place).
  const byKey = new Map<string, { signature: string; nodes: FieldNode[]; entry: Entry }>();
  for (const item of flatten(selections, parent, context)) {
    if ('kind' in item) {
      // A root's __typename is the gateway's to answer: a subgraph would give its own root's name.
      if (item.name.value === '__typename' && context.roots.has(parent.name)) throw new Unprovable();
      const key = item.alias?.value ?? item.name.value;
      if (item.name.value === '__typename' && !item.alias && !item.directives?.length) {
        level.typename = true;
        continue;
      }
      const definitions = 'getFields' in parent ? parent.getFields()[item.name.value]?.args : undefined;
      const args = [...(item.arguments ?? [])]
        .sort((a, b) => a.name.value.localeCompare(b.name.value))
        .map((a) => `${a.name.value}:${literal(a.value, definitions?.find((d) => d.name === a.name.value)?.type)}`);
      const signature = `${key}:${item.name.value}(${args.join(',')})${printDirectives(item.directives)}`;
      const known = byKey.get(key);
      if (known) {
        // The same key for two different fields is valid only where their parents never coincide; too subtle to vouch for.
        if (known.signature !== signature) throw new Unprovable();
        known.nodes.push(item);
        continue;
      }
      const entry: Entry = { field: signature };
      byKey.set(key, { signature, nodes: [item], entry });
      level.entries.push(entry);
    } else {
      const type = item.on === undefined ? parent : context.schema.getType(item.on);
      if (!type || !isCompositeType(type)) throw new Unprovable();
      level.entries.push({ fragment: `${item.on ?? ''}${printDirectives(item.directives)}`, sub: reduce(item.selections, type, context) });
    }
  }
  for (const { nodes, entry } of byKey.values()) {
    if (!('field' in entry) || !nodes.some((n) => n.selectionSet)) continue;
    const name = nodes[0].name.value;
    const definition = 'getFields' in parent ? parent.getFields()[name] : undefined;
    const type = definition && getNamedType(definition.type);
    if (!type || !isCompositeType(type)) throw new Unprovable();
    entry.sub = reduce(
      nodes.flatMap((n) => n.selectionSet?.selections ?? []),
      type,
      context,
    );
  }
  return level;
}

/**
 * Whether `fetch` asks for exactly what `client` asks for, where `fetch` may add `__typename`:
 * same kind, variables, directives, and selections after `reduce`. A `__typename` the client asks
 * for must be one the fetch asks for at the same level.
 */
function sameLevel(client: Level, fetch: Level): boolean {
  if (client.typename && !fetch.typename) return false;
  if (client.entries.length !== fetch.entries.length) return false;
  return client.entries.every((entry, i) => {
    const other = fetch.entries[i];
    if ('field' in entry) {
      if (!('field' in other) || entry.field !== other.field || !entry.sub !== !other.sub) return false;
      return !entry.sub || sameLevel(entry.sub, other.sub!);
    }
    return 'fragment' in other && entry.fragment === other.fragment && sameLevel(entry.sub, other.sub);
  });
}

function operationLevel(document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema): Level {
  const root = schema.getRootType(operation.operation);
  if (!root) throw new Unprovable();
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => (type ? [type.name] : [])));
  return reduce(operation.selectionSet.selections, root, { schema, fragments: fragmentsOf(document), roots });
}

const variableDefinitions = (operation: OperationDefinitionNode, schema: GraphQLSchema) =>
  (operation.variableDefinitions ?? [])
    .map((d) => {
      const type = typeFromAST(schema, d.type);
      const defaultValue = d.defaultValue ? `=${literal(d.defaultValue, type && isInputType(type) ? type : undefined)}` : '';
      return `$${d.variable.name.value}:${print(d.type)}${defaultValue}${printDirectives(d.directives)}`;
    })
    .sort()
    .join(',');

/**
 * True when the single subgraph fetch the planner made for `operation` (`fetchText`, in the
 * subgraph's terms) is the client's operation itself, modulo the `__typename`s the planner adds:
 * then the subgraph answering the client's text answers what Apollo would have shaped from the
 * fetch. Any rewrite (a fragment on an interface turned into its implementations, an alias the
 * planner invented, a field moved) fails the match, and the request takes Apollo's route.
 * `schema` is the API schema the client's operation was validated against.
 */
export function fetchIsClientOperation(document: DocumentNode, operation: OperationDefinitionNode, fetchText: string, schema: GraphQLSchema): boolean {
  try {
    const fetchDocument = parse(fetchText, { noLocation: true });
    const fetch = fetchDocument.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!fetch || fetch.operation !== operation.operation) return false;
    if (printDirectives(fetch.directives) !== printDirectives(operation.directives)) return false;
    if (variableDefinitions(fetch, schema) !== variableDefinitions(operation, schema)) return false;
    return sameLevel(operationLevel(document, operation, schema), operationLevel(fetchDocument, fetch, schema));
  } catch (error) {
    if (error instanceof Unprovable) return false;
    throw error;
  }
}
