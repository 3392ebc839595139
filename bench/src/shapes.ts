import {
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { seededRandom } from '@zigong/reference-data';

/** The root fields a shape starts from, with the variables the traffic can fill for them. */
export interface Root {
  field: string;
  /** `$name: Type` declarations and the arguments passed, e.g. `(id: $id)`. */
  variables: Record<string, string>;
  args: string;
  /** Connections are selected through `edges { node { … } }`. */
  connection?: boolean;
}

export const ROOTS: Root[] = [
  { field: 'village', variables: { id: 'ID!' }, args: '(id: $id)' },
  { field: 'villages', variables: { regionId: 'ID!', first: 'Int!' }, args: '(regionId: $regionId, first: $first)', connection: true },
  { field: 'region', variables: { regionId: 'ID!' }, args: '(id: $regionId)' },
  { field: 'industrialParks', variables: { regionId: 'ID!' }, args: '(regionId: $regionId)' },
];

/** How deep below the root a shape may go, and how many fields of a type it takes at most. */
const MAX_DEPTH = 3;
const MAX_FIELDS = 5;
/** Lists along any path, the root's included: a list of lists of lists is past any gateway's cost limit. */
const MAX_LISTS = 2;

const isList = (field: GraphQLField<unknown, unknown>) => isListType(isNonNullType(field.type) ? field.type.ofType : field.type);

/** A generated operation: its text and which root's variables it needs. */
export interface Shape {
  query: string;
  root: Root;
  /** Whether it takes `$year` (a field with a required year argument was chosen). */
  year: boolean;
}

/**
 * Distinct operation texts generated from the schema with a seeded generator: each starts at one
 * of ROOTS and takes a random subset of each type's fields (leaves and objects, MAX_DEPTH deep);
 * a field whose only required argument is `year` is asked for `$year`, other fields with
 * required arguments are left out. `accept` keeps only the shapes a client may send (the bench:
 * within the gateway's cost limit). The same schema, seed and rule give the same shapes, in order.
 */
export function generateShapes(schema: GraphQLSchema, count: number, seed: number, accept: (query: string) => boolean = () => true): Shape[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const query = schema.getQueryType()!;
  const shapes: Shape[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; shapes.length < count && attempt < count * 50; attempt++) {
    const root = pick(ROOTS);
    let year = false;
    const select = (type: GraphQLObjectType, depth: number, lists: number): string => {
      const usable = Object.values(type.getFields()).filter(
        (f) => askable(f) && (isLeafType(getNamedType(f.type)) || (depth < MAX_DEPTH && lists + (isList(f) ? 1 : 0) <= MAX_LISTS)),
      );
      const chosen = usable.filter(() => random() < 0.45).slice(0, MAX_FIELDS);
      if (!chosen.some((f) => isLeafType(getNamedType(f.type)))) {
        const leaves = usable.filter((f) => isLeafType(getNamedType(f.type)));
        chosen.unshift(leaves.length ? pick(leaves) : usable[0]);
      }
      return [...new Set(chosen)]
        .map((field) => {
          const named = getNamedType(field.type);
          const args = field.args.some((a) => a.name === 'year' && isNonNullType(a.type)) ? '(year: $year)' : '';
          if (args) year = true;
          return isObjectType(named) ? `${field.name}${args} { ${select(named, depth + 1, lists + (isList(field) ? 1 : 0))} }` : `${field.name}${args}`;
        })
        .join(' ');
    };
    const rootField = query.getFields()[root.field];
    let type = getNamedType(rootField.type) as GraphQLObjectType;
    if (root.connection) {
      const edge = getNamedType(type.getFields().edges.type) as GraphQLObjectType;
      type = getNamedType(edge.getFields().node.type) as GraphQLObjectType;
    }
    const body = select(type, 1, isList(rootField) || root.connection ? 1 : 0);
    const name = `Shape${shapes.length + 1}`;
    const declarations = { ...root.variables, ...(year ? { year: 'Int!' } : {}) };
    const selection = root.connection ? `edges { node { ${body} } }` : body;
    const key = `${root.field}${root.args} { ${selection} }`;
    if (seen.has(key)) continue;
    seen.add(key);
    const variables = Object.entries(declarations).map(([v, t]) => `$${v}: ${t}`).join(', ');
    const text = `query ${name}(${variables}) { ${root.field}${root.args} { ${selection} } }`;
    if (accept(text)) shapes.push({ query: text, root, year });
  }
  if (shapes.length < count) throw new Error(`only ${shapes.length} distinct shapes of ${count} could be generated from the schema`);
  return shapes;
}

/** A field a shape may ask for: no required argument other than `year`, no introspection, no entity plumbing. */
function askable(field: GraphQLField<unknown, unknown>): boolean {
  if (field.name.startsWith('_')) return false;
  return field.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined || (a.name === 'year' && getNamedType(a.type).name === 'Int'));
}
