import { checkShape, costModelOf, estimateCost, loadGatewayConfig, measureShape } from '@zigong/gateway';
import { buildSchema, Kind, type OperationDefinitionNode, parse, validate, valueFromASTUntyped } from 'graphql';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The analysts' saved questions, served by the explorer page. */
const OPERATIONS_DIR = join(__dirname, '../../schema/operations');
/** The committed API schema: what clients may use (tests/schema keeps it equal to the code). */
const api = buildSchema(readFileSync(join(__dirname, '../../schema/api.graphql'), 'utf8'));
/** What the committed supergraph declares with @cost and @listSize, which the API schema drops. */
const costModel = costModelOf(readFileSync(join(__dirname, '../../schema/supergraph.graphql'), 'utf8'));
const files = readdirSync(OPERATIONS_DIR).filter((name) => name.endsWith('.graphql')).sort();
const read = (file: string) => readFileSync(join(OPERATIONS_DIR, file), 'utf8');

const operationsOf = (file: string) =>
  parse(read(file)).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

describe('schema/operations', () => {
  it('holds the questions the article raises, and nothing but .graphql files', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'CityIncomeSummary.graphql',
        'DistrictIncomeRanking.graphql',
        'GantangAcrossDepartments.graphql',
        'FeilongxiaAlliance.graphql',
        'TaskForcesAndMembers.graphql',
        'FundsAndAllocations.graphql',
      ]),
    );
    expect(readdirSync(OPERATIONS_DIR).filter((name) => !name.endsWith('.graphql'))).toEqual([]);
  });

  describe.each(files)('%s', (file) => {
    it('parses and holds exactly one operation, named like the file', () => {
      const operations = operationsOf(file);
      expect(operations).toHaveLength(1);
      expect(operations[0].name?.value).toBe(basename(file, '.graphql'));
    });

    it('starts with a # comment saying which question it answers', () => {
      expect(read(file)).toMatch(/^# \S.{20,}\n/);
    });

    it('validates against the API schema', () => {
      expect(validate(api, parse(read(file))).map((error) => error.message)).toEqual([]);
    });

    it("passes the gateway's default demand control with its default variables", () => {
      const { limits } = loadGatewayConfig({ GATEWAY_MODE: 'local', GATEWAY_SIGNING_SECRET: 'a-signing-secret-of-at-least-32-bytes' });
      const document = parse(read(file));
      const [operation] = operationsOf(file);
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.defaultValue ? valueFromASTUntyped(v.defaultValue) : null]),
      );
      expect(checkShape(measureShape(document), limits)).toBeNull();
      expect(estimateCost(api, document, operation, variables, limits, costModel)).toBeLessThanOrEqual(limits.maxCost);
    });
  });
});
