import {
  DirectiveLocation,
  type DirectiveNode,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLSchema,
  GraphQLString,
  Kind,
  parse,
  print,
  type SelectionNode,
  type SelectionSetNode,
  validate,
  visit,
} from 'graphql';
import type { GeneratedQuery, Random } from './generate';

/** @defer as graphql 17 and the federation spec define it (graphql 16 has no definition of its own). */
const DEFER = new GraphQLDirective({
  name: 'defer',
  locations: [DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT],
  args: { label: { type: GraphQLString }, if: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: true } },
});

/** The API schema with @defer, to validate the deferred queries against. */
export function withDeferDirective(api: GraphQLSchema): GraphQLSchema {
  return new GraphQLSchema({ ...api.toConfig(), directives: [...api.getDirectives(), DEFER] });
}

/**
 * A generated query with @defer added at random: some selections of some selection sets wrapped
 * in `... @defer { }` (nested ones too), some existing fragments deferred, some with a label, a
 * few with `if: false`. Undefined where the operation is not a query, or no @defer was placed.
 */
export function deferSome(query: GeneratedQuery, schema: GraphQLSchema, random: Random): string | undefined {
  if (query.mutation) return undefined;
  let labels = 0;
  let placed = 0;
  const directive = (): DirectiveNode => {
    placed++;
    const args = [];
    if (random.chance(0.4)) args.push({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value: { kind: Kind.STRING, value: `d${++labels}` } } as const);
    if (random.chance(0.08)) args.push({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'if' }, value: { kind: Kind.BOOLEAN, value: false } } as const);
    return { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: 'defer' }, arguments: args };
  };
  const document = parse(query.query, { noLocation: true });
  const deferred = visit(document, {
    OperationDefinition(node) {
      // Only the operation that runs: another one of the document may be a mutation.
      if (query.operationName !== undefined && node.name?.value !== query.operationName) return false;
      return undefined;
    },
    SelectionSet: {
      leave(node: SelectionSetNode): SelectionSetNode {
        let selections: SelectionNode[] = node.selections.map((selection) =>
          selection.kind !== Kind.FIELD && random.chance(0.25) ? { ...selection, directives: [...(selection.directives ?? []), directive()] } : selection,
        );
        if (random.chance(0.3) && selections.length) {
          // A run of neighbouring selections, so the operation without @defer orders its fields as the original does.
          const from = random.int(selections.length);
          const to = from + 1 + random.int(selections.length - from);
          const fragment: SelectionNode = { kind: Kind.INLINE_FRAGMENT, directives: [directive()], selectionSet: { kind: Kind.SELECTION_SET, selections: selections.slice(from, to) } };
          selections = [...selections.slice(0, from), fragment, ...selections.slice(to)];
        }
        return { ...node, selections };
      },
    },
  });
  if (!placed) return undefined;
  const text = print(deferred);
  return validate(schema, parse(text)).length ? undefined : text;
}
