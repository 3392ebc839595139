import {
  getNamedType,
  getVariableValues,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  GraphQLNonNull,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import { hash } from './world';

/** A seeded PRNG (sfc32): the same seed gives the same queries on every machine. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    this.a = hash(`${seed}/a`);
    this.b = hash(`${seed}/b`);
    this.c = hash(`${seed}/c`);
    this.d = hash(`${seed}/d`);
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
}

/** One request the suite sends: a valid document, the operation to run, its variables. */
export interface GeneratedQuery {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  /** Other values for the same variables: a request that differs only in its variables. */
  alternateVariables?: Record<string, unknown>;
  mutation: boolean;
}

export interface GenerateOptions {
  /** Deepest level of fields (root fields are level 1). */
  maxDepth?: number;
  /** Share of operations that are mutations, where the schema has any. */
  mutationShare?: number;
  /** Share of operations with a single root field: most of the direct route's candidates. */
  singleRootField?: number;
  /** How often a selection has a fragment on an interface or union that overlaps its type. */
  overlapping?: number;
}

const STRINGS = ['', 'a', 'zigong', 'Zìgòng 自贡', 'quote " and \\ backslash', 'line\nbreak', '😀', 'x'.repeat(40)];

interface Variable {
  name: string;
  type: GraphQLInputType;
  definition: string;
  /** Never sent as null (a @skip/@include condition must be a Boolean). */
  neverNull: boolean;
  hasDefault: boolean;
}

/** One operation's text as it is built: its variables, and the document's shared fragments. */
class OperationBuilder {
  readonly variables: Variable[] = [];
  private fragmentDepth = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly random: Random,
    private readonly document: { fragments: string[]; counter: number },
    private readonly options: Required<Pick<GenerateOptions, 'maxDepth' | 'singleRootField' | 'overlapping'>>,
  ) {}

  private fresh(prefix: string): string {
    return `${prefix}${++this.document.counter}`;
  }

  selectionSet(type: GraphQLCompositeType, depth: number): string {
    const { random } = this;
    const parts: string[] = [];
    if (!isUnionType(type)) {
      const usable = Object.values(type.getFields()).filter((field) => depth < this.options.maxDepth || isLeafType(getNamedType(field.type)));
      // Fewer fields deeper down: planning cost grows fast with the width of nested abstract selections.
      const widest = depth === 1 && random.chance(this.options.singleRootField) ? 1 : depth >= 2 ? 2 : 3;
      const count = usable.length ? 1 + random.int(Math.min(widest, usable.length)) : 0;
      for (const field of random.shuffle(usable).slice(0, count)) parts.push(this.field(field, depth));
    }
    if (this.fragmentDepth < 2) {
      this.fragmentDepth++;
      if (isAbstractType(type)) {
        for (const possible of this.schema.getPossibleTypes(type)) if (random.chance(isUnionType(type) ? 0.4 : 0.2)) parts.push(this.fragment(possible, depth));
      }
      // Type conditions the object may or may not satisfy: interfaces and unions that overlap.
      const overlapping = this.overlapping(type);
      if (overlapping.length && random.chance(this.options.overlapping)) parts.push(this.fragment(random.pick(overlapping), depth));
      // Fragments on the type itself, and without a type condition: more of them at the root,
      // where the type's name is the one a subgraph may have renamed (schema { query: RootQuery }).
      if (random.chance(depth === 1 ? 0.15 : 0.06)) parts.push(this.fragment(type, depth));
      if (random.chance(depth === 1 ? 0.3 : 0.04)) parts.push(`...${this.directives(true)} ${this.selectionSet(type, depth)}`);
      this.fragmentDepth--;
    }
    // __typename more often at the root and inside fragments, where a subgraph's own type names could leak.
    if (!parts.length || random.chance(depth === 1 || this.fragmentDepth > 0 ? 0.4 : 0.15)) parts.splice(random.int(parts.length + 1), 0, this.typename());
    return `{ ${parts.join(' ')} }`;
  }

  /** Composite types a fragment inside `type` may name: they share at least one object type. */
  private overlapping(type: GraphQLCompositeType): GraphQLCompositeType[] {
    const mine = new Set(isObjectType(type) ? [type.name] : this.schema.getPossibleTypes(type).map((t) => t.name));
    return Object.values(this.schema.getTypeMap()).filter(
      (candidate): candidate is GraphQLCompositeType =>
        isAbstractType(candidate) && !candidate.name.startsWith('__') && candidate !== type && this.schema.getPossibleTypes(candidate).some((t) => mine.has(t.name)),
    );
  }

  private typename(): string {
    return this.random.chance(0.3) ? `${this.fresh('tn')}: __typename` : '__typename';
  }

  private fragment(type: GraphQLCompositeType, depth: number): string {
    const body = this.selectionSet(type, depth);
    if (this.random.chance(0.3)) {
      const name = this.fresh(`F_${type.name}_`);
      this.document.fragments.push(`fragment ${name} on ${type.name} ${body}`);
      return `...${name}${this.directives(false)}`;
    }
    return `... on ${type.name}${this.directives(false)} ${body}`;
  }

  private field(field: GraphQLField<unknown, unknown>, depth: number): string {
    const { random } = this;
    const named = getNamedType(field.type);
    const one = () => {
      const alias = random.chance(0.12) ? `${this.fresh('al')}: ` : '';
      const selection = isCompositeType(named) ? ` ${this.selectionSet(named, depth + 1)}` : '';
      return `${alias}${field.name}${this.arguments(field.args)}${this.directives(false)}${selection}`;
    };
    let text = one();
    // The same field twice under two aliases, with other arguments (and selections).
    if (field.args.length && random.chance(0.12)) text += ` ${this.fresh('twin')}: ${field.name}${this.arguments(field.args, true)}${isCompositeType(named) ? ` ${this.selectionSet(named, depth + 1)}` : ''}`;
    return text;
  }

  private arguments(args: readonly GraphQLArgument[], atLeastOne = false): string {
    const parts: string[] = [];
    for (const arg of args) {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (!required && !this.random.chance(atLeastOne ? 0.8 : 0.5)) continue;
      parts.push(`${arg.name}: ${this.random.chance(0.35) ? this.variable(arg.type) : literal(this.inputValue(arg.type, 0), arg.type)}`);
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  private variable(type: GraphQLInputType, neverNull = false): string {
    const { random } = this;
    const name = this.fresh('v');
    let declared = type;
    let definition = String(type);
    let hasDefault = false;
    if (!isNonNullType(type) && random.chance(0.2)) {
      declared = nonNull(type);
      definition = String(declared);
    } else if (!isNonNullType(type) ? random.chance(0.3) : random.chance(0.15)) {
      // A nullable variable with a default may stand where the argument is non-null.
      const nullable = isNonNullType(type) ? type.ofType : type;
      declared = nullable;
      definition = `${nullable} = ${literal(this.inputValue(nullable, 0, false), nullable)}`;
      hasDefault = true;
    }
    this.variables.push({ name, type: declared, definition, neverNull, hasDefault });
    return `$${name}`;
  }

  private directives(always: boolean): string {
    const { random } = this;
    if (!always && !random.chance(0.1)) return '';
    const name = random.chance(0.5) ? 'skip' : 'include';
    const condition = random.chance(0.5) ? String(random.chance(0.5)) : this.variable(nonNull(this.schema.getType('Boolean') as GraphQLInputType), true);
    return ` @${name}(if: ${condition})`;
  }

  /** A value for an input type, as JavaScript (the variables' JSON, or printed as a literal). */
  inputValue(type: GraphQLInputType, depth: number, nullable = true): unknown {
    const { random } = this;
    if (isNonNullType(type)) return this.inputValue(type.ofType, depth, false);
    if (nullable && random.chance(0.08)) return null;
    if (isListType(type)) {
      // A single item where a list is expected is coerced to a list of one.
      if (random.chance(0.15)) return this.inputValue(type.ofType, depth + 1);
      return Array.from({ length: random.int(4) }, () => this.inputValue(type.ofType, depth + 1));
    }
    if (isInputObjectType(type)) {
      const value: Record<string, unknown> = {};
      for (const field of Object.values(type.getFields())) {
        const required = isNonNullType(field.type) && field.defaultValue === undefined;
        if (required || (depth < 3 && random.chance(0.4))) value[field.name] = this.inputValue(field.type, depth + 1);
      }
      return value;
    }
    if (isEnumType(type)) return random.pick(type.getValues()).name;
    switch (type.name) {
      case 'Int':
        return random.int(40) - 3;
      case 'Float':
        return random.pick([0, 1, 2.5, -7.25, 1e3, 0.1]);
      case 'Boolean':
        return random.chance(0.5);
      case 'String':
        return random.chance(0.2) ? this.keyText() : random.pick(STRINGS);
      case 'ID':
        return random.chance(0.6) ? this.keyText() : random.chance(0.5) ? random.int(30) : random.pick(STRINGS);
      default:
        return random.pick<unknown>(['2024-05-01T08:00:00Z', 42, { b: [1, 'two'], a: { nested: true } }, [3, 2, 1], 'plain']);
    }
  }

  /** Text shaped like the world's key values, so some arguments name an existing entity. */
  private keyText(): string {
    const objects = Object.values(this.schema.getTypeMap()).filter((t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__'));
    const type = this.random.pick(objects);
    const fields = Object.values(type.getFields()).filter((f) => ['ID', 'String'].includes(getNamedType(f.type).name));
    return `${type.name}:${fields.length ? this.random.pick(fields).name : 'id'}:${1 + this.random.int(24)}`;
  }

  /** Values for the operation's variables; optional ones are sometimes left out or null. */
  variableValues(): Record<string, unknown> | undefined {
    if (!this.variables.length) return undefined;
    const values: Record<string, unknown> = {};
    for (const variable of this.variables) {
      const optional = !isNonNullType(variable.type);
      if (optional && this.random.chance(variable.hasDefault ? 0.4 : 0.2)) continue;
      values[variable.name] = this.inputValue(variable.type, 0, !variable.neverNull);
    }
    return values;
  }
}

const nonNull = (type: GraphQLInputType): GraphQLInputType => (isNonNullType(type) ? type : (new GraphQLNonNull(type) as GraphQLInputType));

/** A JavaScript input value printed as a GraphQL literal of the given type. */
export function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  if (isNonNullType(type)) return literal(value, type.ofType);
  if (isListType(type)) return Array.isArray(value) ? `[${value.map((item) => literal(item, type.ofType)).join(', ')}]` : literal(value, type.ofType);
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([name, inner]) => `${name}: ${literal(inner, fields[name].type)}`)
      .join(', ')}}`;
  }
  if (isEnumType(type)) return String(value);
  if (isScalarType(type) && ['Int', 'Float', 'Boolean', 'String', 'ID'].includes(type.name)) return typeof value === 'string' ? JSON.stringify(value) : String(value);
  return untyped(value);
}

function untyped(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(untyped).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${untyped(v)}`).join(', ')}}`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Queries (and mutations) for one API schema: random field subsets at every level, arguments as
 * literals and variables (with and without defaults, optional ones left out), aliases and the
 * same field twice under two aliases, inline and named fragments on every possible type and on
 * overlapping interfaces and unions, `__typename` (aliased or not), @skip/@include with literals
 * and variables, sometimes several operations in one document. Every document is validated
 * against the API schema; invalid ones are dropped and generation goes on until `count`.
 */
export function generateQueries(schema: GraphQLSchema, random: Random, count: number, options: GenerateOptions = {}): GeneratedQuery[] {
  const settings = { maxDepth: options.maxDepth ?? 4, singleRootField: options.singleRootField ?? 0.5, overlapping: options.overlapping ?? 0.2 };
  const mutationType = schema.getMutationType();
  const queryType = schema.getQueryType()!;
  const queries: GeneratedQuery[] = [];
  for (let attempt = 0; queries.length < count && attempt < count * 30; attempt++) {
    const document = { fragments: [] as string[], counter: 0 };
    const operationCount = random.chance(0.1) ? 2 + random.int(2) : 1;
    const operations = Array.from({ length: operationCount }, (_, i) => {
      const builder = new OperationBuilder(schema, random, document, settings);
      const mutation = !!mutationType && random.chance(options.mutationShare ?? 0.35);
      const selection = builder.selectionSet(mutation ? mutationType : queryType, 1);
      const name = operationCount > 1 || random.chance(0.4) ? `Op${i + 1}` : undefined;
      const variables = builder.variables.length ? `(${builder.variables.map((v) => `$${v.name}: ${v.definition}`).join(', ')})` : '';
      const keyword = mutation ? 'mutation' : 'query';
      const text = !name && !variables && !mutation && random.chance(0.5) ? selection : `${keyword}${name ? ` ${name}` : ''}${variables} ${selection}`;
      return { builder, name, text, mutation };
    });
    const chosen = random.pick(operations);
    const definitions = [...operations.map((o) => o.text), ...document.fragments];
    const query = (random.chance(0.2) ? random.shuffle(definitions) : definitions).join('\n');
    const operationName = operations.length > 1 || (chosen.name && random.chance(0.6)) ? chosen.name : undefined;
    let parsed;
    try {
      parsed = parse(query);
    } catch {
      continue;
    }
    if (validate(schema, parsed).length) continue;
    const variables = chosen.builder.variableValues();
    const alternateVariables = chosen.builder.variableValues();
    const definition = parsed.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || d.name?.value === operationName),
    )!;
    const coerce = (values: Record<string, unknown> | undefined) => !getVariableValues(schema, definition.variableDefinitions ?? [], values ?? {}).errors;
    if (!coerce(variables) || !coerce(alternateVariables)) continue;
    queries.push({ query, operationName, variables, alternateVariables, mutation: chosen.mutation });
  }
  return queries;
}
