import { dirname } from 'node:path';

/**
 * @apollo/gateway's last step, `computeResponse` (dist/resultShaping.js): shaping the merged
 * subgraph data into the operation's response. Apollo's version walks the operation's
 * selections once per object of the data and re-derives, every time, what does not change within
 * a request (directives, response names, type wrappers), allocating a result record and an assert
 * closure per value; on a page of 100 villages it was a quarter of the gateway's CPU. This is the
 * same algorithm with those facts worked out once per selection and per request, and with
 * ordinary objects for the output (Apollo's are prototype-less, which V8 keeps in slow dictionary
 * mode, and which then also slow down JSON.stringify). The answers, errors and their messages are
 * the same; `result-shaping.test.ts` compares the two on data with nulls, wrong types and
 * fragments.
 *
 * It is used only for the gateways that ask for it (`shapeResultsOf`, RESULT_SHAPING=false turns
 * it off), is tied to the exact version it was written against, and leaves Apollo's in place on
 * any other, with a warning at start.
 */
const GATEWAY_VERSION = '2.14.4';

type Internals = any;

const gatewayDir = dirname(require.resolve('@apollo/gateway/package.json'));
// The very module instances @apollo/gateway uses: `instanceof Variable` must agree with its.
const fi: Internals = require(require.resolve('@apollo/federation-internals', { paths: [gatewayDir] }));
const { assert, isSubtype, isObjectType, isNonNullType, isListType, isCompositeType, isValidLeafValue, ERRORS, Variable, typenameFieldName } = fi;

const OK = 0;
const NULL_BUBBLE_UP = 1;

interface SkipInfo {
  skipped: boolean | undefined;
  element: any;
}

interface FieldPlan extends SkipInfo {
  field: true;
  selection: any;
  responseName: string;
  introspection: boolean;
  typename: boolean;
  type: any;
  sub: SetPlan | undefined;
}

interface FragmentPlan extends SkipInfo {
  field: false;
  typeCondition: any;
  sub: SetPlan;
  /** Whether the type condition applies, by __typename (when the data has one) or parent type name. */
  byTypename: Map<string, boolean>;
  byParent: Map<any, boolean>;
}

type SetPlan = Array<FieldPlan | FragmentPlan>;

interface Parameters {
  schema: any;
  variables: Record<string, unknown>;
  errors: any[];
  introspectionHandling: (selection: any) => any;
  plans: WeakMap<object, SetPlan>;
  /** Output objects: ordinary ones unless a response name is also a property of Object.prototype. */
  nullPrototype: boolean;
  skipDirective: any;
  includeDirective: any;
}

function planOf(selectionSet: any, parameters: Parameters): SetPlan {
  let plan = parameters.plans.get(selectionSet);
  if (plan) return plan;
  plan = [];
  for (const selection of selectionSet.selections()) {
    const element = selection.element;
    if (selection.kind === 'FieldSelection') {
      const responseName: string = element.responseName();
      if (responseName in Object.prototype) parameters.nullPrototype = true;
      plan.push({
        field: true,
        selection,
        element,
        skipped: undefined,
        responseName,
        introspection: element.definition.isSchemaIntrospectionField(),
        typename: element.name === typenameFieldName,
        type: element.definition.type,
        sub: selection.selectionSet ? planOf(selection.selectionSet, parameters) : undefined,
      });
    } else {
      plan.push({
        field: false,
        element,
        skipped: undefined,
        typeCondition: element.typeCondition,
        sub: planOf(selection.selectionSet, parameters),
        byTypename: new Map(),
        byParent: new Map(),
      });
    }
  }
  parameters.plans.set(selectionSet, plan);
  return plan;
}

/** Apollo's `shouldSkip`, once per selection and request: it depends on the variables alone. */
function skipped(info: SkipInfo, parameters: Parameters): boolean {
  if (info.skipped === undefined) {
    const skip = info.element.appliedDirectivesOf(parameters.skipDirective)[0];
    const include = info.element.appliedDirectivesOf(parameters.includeDirective)[0];
    info.skipped = !!((skip && ifValue(skip, parameters.variables)) || (include && !ifValue(include, parameters.variables)));
  }
  return info.skipped;
}

function ifValue(directive: any, variables: Record<string, unknown>): boolean {
  const ifArg = directive.arguments().if;
  if (ifArg instanceof Variable) {
    const value = variables[ifArg.name];
    assert(value !== undefined && typeof value === 'boolean', () => `Unexpected value ${value} for variable ${ifArg} of ${directive}`);
    return value as boolean;
  }
  return ifArg;
}

function typeConditionApplies(fragment: FragmentPlan, schema: any, typename: string | undefined, parentType: any): boolean {
  if (!fragment.typeCondition) return true;
  if (typename) {
    let applies = fragment.byTypename.get(typename);
    if (applies === undefined) {
      const type = schema.type(typename);
      applies = !!type && !!isSubtype(fragment.typeCondition, type);
      fragment.byTypename.set(typename, applies);
    }
    return applies!;
  }
  let applies = fragment.byParent.get(parentType);
  if (applies === undefined) {
    applies = !!isSubtype(fragment.typeCondition, parentType);
    fragment.byParent.set(parentType, applies);
  }
  return applies;
}

function pathLastElementDescription(path: Array<string | number>, currentType: any, parentType: any): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

const hasOwn = Object.prototype.hasOwnProperty;

function applySelectionSet(input: any, plan: SetPlan, output: any, parameters: Parameters, path: Array<string | number>, parentType: any): number {
  for (let i = 0; i < plan.length; i++) {
    const entry = plan[i];
    if (skipped(entry, parameters)) continue;
    if (entry.field) {
      const responseName = entry.responseName;
      const outputValue = output[responseName];
      if (entry.introspection) {
        if (outputValue === undefined) output[responseName] = parameters.introspectionHandling(entry.selection);
        continue;
      }
      let inputValue = hasOwn.call(input, responseName) ? input[responseName] ?? null : null;
      if (entry.typename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          const type = inputValue !== null && typeof inputValue === 'string' ? parameters.schema.type(inputValue) ?? parentType : parentType;
          if (!isObjectType(type)) return NULL_BUBBLE_UP;
          output[responseName] = type.name;
        }
        continue;
      }
      path.push(responseName);
      const updated = updateOutputValue(outputValue, entry.type, inputValue, entry.sub, path, parameters, parentType);
      output[responseName] = updated;
      path.pop();
      if (lastInvalid) return NULL_BUBBLE_UP;
    } else {
      const typename = input[typenameFieldName];
      if (typename && typeof typename !== 'string') assert(false, () => `Got unexpected value for __typename: ${typename}`);
      if (typeConditionApplies(entry, parameters.schema, typename, parentType)) {
        if (applySelectionSet(input, entry.sub, output, parameters, path, entry.typeCondition ?? parentType) === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

// What Apollo returns as `{ updated, isInvalid, hasErrors }`: the value is returned, the two flags
// are left here by every return of updateOutputValue (synchronous, so nothing interleaves).
let lastInvalid = false;
let lastErrors = false;

function done(updated: unknown, isInvalid: boolean, hasErrors: boolean): any {
  lastInvalid = isInvalid;
  lastErrors = hasErrors;
  return updated;
}

function updateOutputValue(
  outputValue: any,
  type: any,
  inputValue: any,
  sub: SetPlan | undefined,
  path: Array<string | number>,
  parameters: Parameters,
  parentType: any,
): any {
  if (inputValue === undefined) assert(false, 'Should not pass undefined for `inputValue` to this method');
  if (outputValue === null || (outputValue !== undefined && !sub)) return done(outputValue, false, false);
  if (isNonNullType(type)) {
    const updated = updateOutputValue(outputValue, type.ofType, inputValue, sub, path, parameters, parentType);
    if (updated === null) {
      if (!lastErrors) {
        parameters.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${pathLastElementDescription(path, type.ofType, parentType)}.`, { path: Array.from(path) }),
        );
      }
      return done(null, true, true);
    }
    return done(updated, false, false);
  }
  if (inputValue === null) return done(null, false, false);
  if (isListType(type)) {
    if (!Array.isArray(inputValue)) assert(false, () => `Invalid non-list value ${inputValue} returned by subgraph for list type ${type}`);
    if (outputValue !== undefined && !Array.isArray(outputValue)) {
      assert(false, () => `Invalid non-list value ${outputValue} returned by subgraph for list type ${type}`);
    }
    const length = inputValue.length;
    if (outputValue !== undefined && length !== outputValue.length) {
      assert(false, () => `[${inputValue}].length (${inputValue.length}) !== [${outputValue}].length (${outputValue.length})`);
    }
    const ofType = type.ofType;
    const updated = new Array(length);
    let shouldNullify = false;
    let hasErrors = false;
    for (let idx = 0; idx < length; idx++) {
      path.push(idx);
      updated[idx] = updateOutputValue(outputValue === undefined ? undefined : outputValue[idx], ofType, inputValue[idx], sub, path, parameters, parentType);
      path.pop();
      shouldNullify ||= lastInvalid;
      hasErrors ||= lastErrors;
    }
    return done(shouldNullify ? null : updated, false, hasErrors);
  }
  if (isCompositeType(type)) {
    if (!sub) assert(false, () => `Invalid empty selection set for composite type ${type}`);
    if (typeof inputValue !== 'object') assert(false, () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    if (outputValue !== undefined && typeof outputValue !== 'object') {
      assert(false, () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    }
    const inputTypename = inputValue[typenameFieldName];
    if (inputTypename !== undefined && typeof inputTypename !== 'string') assert(false, () => `Invalid non-string value ${inputTypename} for __typename at ${path}`);
    let objType = type;
    if (inputTypename) {
      const typenameType = parameters.schema.type(inputTypename);
      if (!typenameType || !isCompositeType(typenameType)) {
        parameters.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${pathLastElementDescription(path, type, parentType)}.`, { path: Array.from(path) }),
        );
        return done(null, false, true);
      }
      objType = typenameType;
    }
    const outputValueObject = outputValue === undefined ? (parameters.nullPrototype ? Object.create(null) : {}) : outputValue;
    const hasErrors = applySelectionSet(inputValue, sub!, outputValueObject, parameters, path, objType) === NULL_BUBBLE_UP;
    return done(hasErrors ? null : outputValueObject, false, hasErrors);
  }
  if (outputValue !== undefined) assert(false, () => `Excepted output to be undefined but got ${type} for type ${type}`);
  const isValidValue = isValidLeafValue(parameters.schema, inputValue, type);
  if (!isValidValue) {
    parameters.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${pathLastElementDescription(path, type, parentType)}.`, { path: Array.from(path) }));
  }
  return done(isValidValue ? inputValue : null, false, !isValidValue);
}

export interface ComputeResponseArgs {
  operation: any;
  variables?: Record<string, unknown>;
  input: any;
  introspectionHandling: (selection: any) => any;
}

/** Drop-in for @apollo/gateway's `computeResponse`. */
export function computeResponse({ operation, variables, input, introspectionHandling }: ComputeResponseArgs): { data: any; errors: any[] } {
  if (!input) return { data: input, errors: [] };
  const schema = operation.schema();
  const parameters: Parameters = {
    schema,
    variables: { __proto__: null, ...operation.collectDefaultedVariableValues(), ...variables } as Record<string, unknown>,
    errors: [],
    introspectionHandling,
    plans: new WeakMap(),
    nullPrototype: false,
    skipDirective: schema.skipDirective(),
    includeDirective: schema.includeDirective(),
  };
  // Planned before any output object is made, so all of them are of one kind.
  const plan = planOf(operation.selectionSet, parameters);
  const data = parameters.nullPrototype ? Object.create(null) : {};
  const res = applySelectionSet(input, plan, data, parameters, [], schema.schemaDefinition.rootType(operation.rootKind));
  return { data: res === NULL_BUBBLE_UP ? null : data, errors: parameters.errors };
}

/** Apollo's computeResponse, and the API schemas of the gateways that asked for ours. */
let apolloComputeResponse: ((args: ComputeResponseArgs) => { data: any; errors: any[] }) | undefined;
const ours = new WeakSet<object>();

export interface ResultShapingSupport {
  supported: boolean;
  /** The installed @apollo/gateway's version. */
  version: string;
  expected: string;
}

/** Whether the installed @apollo/gateway is the one this shaping was written against. */
export function resultShapingSupport(): ResultShapingSupport {
  const version: string = require(require.resolve('@apollo/gateway/package.json')).version;
  const module = version === GATEWAY_VERSION ? require(require.resolve('@apollo/gateway/dist/resultShaping.js')) : undefined;
  return { supported: typeof module?.computeResponse === 'function', version, expected: GATEWAY_VERSION };
}

/**
 * Shapes the results of operations on `apiSchema` (one gateway's federation-internals API schema)
 * with this module's computeResponse. @apollo/gateway's executeQueryPlan calls computeResponse
 * through its module's exports, so that export becomes, once per process, a dispatch on the
 * operation's schema: any other gateway in the process still gets Apollo's own. Returns false,
 * changing nothing, on another version of @apollo/gateway.
 */
export function shapeResultsOf(apiSchema: object): boolean {
  if (!resultShapingSupport().supported) return false;
  if (!apolloComputeResponse) {
    const shaping = require(require.resolve('@apollo/gateway/dist/resultShaping.js'));
    const apollo = shaping.computeResponse;
    apolloComputeResponse = apollo;
    shaping.computeResponse = (args: ComputeResponseArgs) => (ours.has(args.operation.schema()) ? computeResponse(args) : apollo(args));
  }
  ours.add(apiSchema);
  return true;
}
