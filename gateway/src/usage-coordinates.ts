import { usageReportingSignature } from '@apollo/utils.usagereporting';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getNamedType,
  getOperationAST,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInputObjectType,
  isSpecifiedScalarType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { createHash } from 'node:crypto';

/** What the registry is told of one operation: the same for every request of it, whatever its literals. */
export interface OperationUsage {
  /** sha256 hex of `signature`: the operation's identity in the registry. */
  hash: string;
  name: string | null;
  /** @apollo/utils.usagereporting's signature: literals stripped, aliases dropped, fields sorted. */
  signature: string;
  /** The schema coordinates the operation touches, sorted (see `coordinatesOf`). */
  coordinates: string[];
}

/** The fragments the operation spreads, directly or through other fragments. */
function reachableFragments(document: DocumentNode, operation: OperationDefinitionNode): FragmentDefinitionNode[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const reached = new Map<string, FragmentDefinitionNode>();
  const spreadsIn = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !reached.has(fragment.name.value)) {
          reached.set(fragment.name.value, fragment);
          spreadsIn(fragment.selectionSet);
        }
      } else if (selection.selectionSet) spreadsIn(selection.selectionSet);
    }
  };
  spreadsIn(operation.selectionSet);
  return [...reached.values()];
}

/**
 * The schema coordinates `operation` touches in `schema` (its API schema), in the registry's forms:
 * `Type` for every type it names or selects from (the root types and the built-in scalars aside:
 * no change removes them), `Type.field` for every field it selects (on the type it is selected
 * on: an interface's field stays the interface's), `Type.field.arg` for every argument it passes,
 * `Input.field` for every input field it writes as a literal, and for a variable of an input type,
 * every field of that type and of the input types within it (a variable's value is never looked
 * at, so any of them may be used), and `Enum.VALUE` for enum values written as literals only.
 * Fragments count where the operation spreads them; other operations of the document do not count.
 * What the schema does not know (a document validated against another supergraph) is left out.
 */
export function coordinatesOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));
  const found = new Set<string>();
  const addType = (type: GraphQLNamedType | null | undefined) => {
    if (type && !roots.has(type as never) && !isSpecifiedScalarType(type) && !type.name.startsWith('__')) found.add(type.name);
  };
  const expanded = new Set<string>();
  // A variable's input type: all of it may be sent, so all of it counts (cycles are allowed in input types).
  const addInputType = (type: GraphQLNamedType | null | undefined) => {
    addType(type);
    if (!isInputObjectType(type) || expanded.has(type.name)) return;
    expanded.add(type.name);
    for (const field of Object.values(type.getFields())) {
      found.add(`${type.name}.${field.name}`);
      addInputType(getNamedType(field.type));
    }
  };
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    VariableDefinition() {
      const type = typeInfo.getInputType();
      addInputType(type && getNamedType(type));
    },
    Field(node) {
      const parent = typeInfo.getParentType();
      const definition = typeInfo.getFieldDef();
      if (!parent || !definition || node.name.value.startsWith('__')) return;
      addType(parent);
      found.add(`${parent.name}.${definition.name}`);
      addType(getNamedType(definition.type));
    },
    InlineFragment() {
      addType(typeInfo.getType() as GraphQLNamedType | null);
    },
    FragmentDefinition() {
      addType(typeInfo.getType() as GraphQLNamedType | null);
    },
    Argument(node) {
      // A directive's argument (@include(if:)) is no coordinate of the schema's types.
      if (typeInfo.getDirective()) return;
      const parent = typeInfo.getParentType();
      const field = typeInfo.getFieldDef();
      const argument = typeInfo.getArgument();
      if (!parent || !field || !argument) return;
      found.add(`${parent.name}.${field.name}.${node.name.value}`);
      addType(getNamedType(argument.type));
    },
    ObjectField(node) {
      const input = typeInfo.getParentInputType();
      const named = input && getNamedType(input);
      if (!isInputObjectType(named) || !named.getFields()[node.name.value]) return;
      addType(named);
      found.add(`${named.name}.${node.name.value}`);
      const type = typeInfo.getInputType();
      addType(type && getNamedType(type));
    },
    EnumValue(node) {
      const type = typeInfo.getInputType();
      const named = type && getNamedType(type);
      if (named && 'getValue' in named && named.getValue(node.value)) {
        addType(named);
        found.add(`${named.name}.${node.value}`);
      }
    },
  });
  for (const definition of [operation, ...reachableFragments(document, operation)]) visit(definition, visitor);
  return [...found].sort();
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The operation a request ran, as the registry is told of it; undefined where the document holds
 * no operation of that name (such a request never reached validation).
 */
export function operationUsage(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): OperationUsage | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const name = operation.name?.value ?? null;
  // The signature picks the operation by name: an anonymous one is the document's only operation.
  const signature = usageReportingSignature(document, name ?? '');
  return { hash: sha256(signature), name, signature, coordinates: coordinatesOf(schema, document, operation) };
}
