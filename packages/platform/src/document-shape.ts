import { type DocumentNode, type FragmentDefinitionNode, Kind, type SelectionSetNode } from 'graphql';

/** The fragment definitions of a document, by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** What a document asks for, before anything runs it. */
export interface Shape {
  depth: number;
  aliases: number;
  rootFields: number;
  /** Fields once per path through the fragments. */
  fields: number;
}

/**
 * Depth, aliases and root fields of every operation, counted before validation (which is
 * quadratic in the worst case) and safe on documents validation has not yet seen: fragment
 * cycles and unknown fragments are simply not followed. Each fragment is measured once and its
 * figures reused wherever it is spread, so a document whose fragments fan out (ten spreads of a
 * fragment that spreads another ten times, nine levels down) costs time linear in its length, not
 * in the 10⁹ paths through it. Aliases count once per path, as execution would answer them.
 */
export function measureShape(document: DocumentNode): Shape {
  const fragments = fragmentsOf(document);
  /** Levels of fields below and including this set; aliases and fields on every path through it; its own fields. */
  type Measure = { depth: number; aliases: number; fields: number; own: number };
  const measured = new Map<string, Measure>();
  const measuring = new Set<string>();
  // Introspection is deep by nature (type references nest), so its depth is graphql-js's to
  // limit; its aliases count like any others.
  const measure = (set: SelectionSetNode, introspection: boolean): Measure => {
    const total: Measure = { depth: 0, aliases: 0, fields: 0, own: 0 };
    const add = (part: Measure) => {
      total.depth = Math.max(total.depth, part.depth);
      total.aliases += part.aliases;
      total.fields += part.fields;
      total.own += part.own;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const inside = introspection || selection.name.value.startsWith('__');
        const below = selection.selectionSet ? measure(selection.selectionSet, inside) : { depth: 0, aliases: 0, fields: 0 };
        add({ depth: inside ? 0 : 1 + below.depth, aliases: (selection.alias ? 1 : 0) + below.aliases, fields: 1 + below.fields, own: 1 });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(measure(selection.selectionSet, introspection));
      } else {
        const key = `${introspection}:${selection.name.value}`;
        const fragment = fragments.get(selection.name.value);
        if (!fragment || measuring.has(key)) continue;
        let known = measured.get(key);
        if (!known) {
          measuring.add(key);
          known = measure(fragment.selectionSet, introspection);
          measuring.delete(key);
          measured.set(key, known);
        }
        add(known);
      }
    }
    return total;
  };
  const shape: Shape = { depth: 0, aliases: 0, rootFields: 0, fields: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const operation = measure(definition.selectionSet, false);
    shape.depth = Math.max(shape.depth, operation.depth);
    shape.aliases += operation.aliases;
    shape.rootFields += operation.own;
    shape.fields += operation.fields;
  }
  return shape;
}
