import { type DocumentNode, getNamedType, type GraphQLSchema, isEnumType, isInputObjectType, TypeInfo, typeFromAST, visit, visitWithTypeInfo } from 'graphql';

/**
 * The schema coordinates an operation document uses, read against a schema, in the form gateways
 * report them (usage.ts): the types it selects from and names in fragments and variables,
 * `Type.field`, `Type.field.arg`, `Input.field` of input objects written in it, `Enum.VALUE` of
 * enum values written as literals. What the document names that the schema lacks is left out.
 * The registry uses it for registered operations (and app manifests), which always count as used.
 */
export function operationCoordinates(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const used = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field || node.name.value.startsWith('__')) return;
        used.add(parent.name);
        used.add(`${parent.name}.${field.name}`);
        used.add(getNamedType(field.type).name);
      },
      Argument(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (parent && field && typeInfo.getArgument()) used.add(`${parent.name}.${field.name}.${node.name.value}`);
      },
      ObjectField(node) {
        const input = typeInfo.getParentInputType();
        const named = input && getNamedType(input);
        if (named && isInputObjectType(named) && named.getFields()[node.name.value]) {
          used.add(named.name);
          used.add(`${named.name}.${node.name.value}`);
        }
      },
      EnumValue(node) {
        const named = typeInfo.getInputType() && getNamedType(typeInfo.getInputType()!);
        if (named && isEnumType(named) && named.getValue(node.value)) used.add(`${named.name}.${node.value}`);
      },
      InlineFragment(node) {
        if (node.typeCondition && schema.getType(node.typeCondition.name.value)) used.add(node.typeCondition.name.value);
      },
      FragmentDefinition(node) {
        if (schema.getType(node.typeCondition.name.value)) used.add(node.typeCondition.name.value);
      },
      VariableDefinition(node) {
        const type = typeFromAST(schema, node.type);
        if (type) used.add(getNamedType(type).name);
      },
    }),
  );
  return used;
}
