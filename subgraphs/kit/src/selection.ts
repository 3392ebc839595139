import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * Whether the query asks, below the field being resolved, for the fields at `path` (field names,
 * not aliases; through fragments). A resolver uses it to fetch ahead what the client will ask
 * for next. Fields under @skip/@include count as asked: fetching ahead is only ever a saving.
 */
export function selectsPath(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): boolean {
  const below = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): boolean => {
    if (!set) return false;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== path[depth]) continue;
        if (depth === path.length - 1 || below(selection.selectionSet, depth + 1, seen)) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (below(selection.selectionSet, depth, seen)) return true;
      } else if (!seen.has(selection.name.value)) {
        const fragment = info.fragments[selection.name.value];
        if (fragment && below(fragment.selectionSet, depth, new Set(seen).add(selection.name.value))) return true;
      }
    }
    return false;
  };
  return path.length > 0 && info.fieldNodes.some((node) => below(node.selectionSet, 0, new Set()));
}
