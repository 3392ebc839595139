import { ErrorCode, requireText, requireVillageCode, userError } from '@zigong/kit';
import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A new industrial park in a village.' })
export class CreateIndustrialParkInput {
  @Field(() => ID, { description: "The village's 12-digit division code, e.g. 510302101201." }) villageId: string;
  @Field({ description: 'Unique within the village.' }) name: string;
  @Field(() => [String], { description: 'At least one product, each named once.' }) products: string[];
}

@InputType({ description: 'A new project (phase) of an industrial park.' })
export class AddParkProjectInput {
  @Field(() => ID) parkId: string;
  @Field() name: string;
  @Field(() => Int, { description: 'A positive whole number, unique within the park.' }) phase: number;
}

@InputType({ description: 'A product a park ships regularly.' })
export class RecordSupplyChainInput {
  @Field(() => ID) parkId: string;
  @Field() product: string;
  @Field(() => Int, { description: 'Volume shipped per day, in unit; not negative.' }) dailyVolume: number;
  @Field({ description: 'e.g. 枚, 公斤, 头.' }) unit: string;
  @Field(() => [String], { description: 'At least one, each named once.' }) destinations: string[];
}

/** Input limits; generous for real names, tight enough to keep junk out. */
export const LIMITS = { name: 100, product: 30, products: 20, unit: 10, destination: 50, destinations: 20 } as const;

/** Checked, trimmed values of a `createIndustrialPark` input. */
export function checkNewPark(input: CreateIndustrialParkInput) {
  return {
    villageId: requireVillageCode(input.villageId),
    name: requireText(input.name, 'name', LIMITS.name),
    products: requireTextList(input.products, 'products', LIMITS.products, LIMITS.product),
  };
}

export function checkNewProject(input: AddParkProjectInput) {
  return {
    parkId: requireText(input.parkId, 'parkId'),
    name: requireText(input.name, 'name', LIMITS.name),
    phase: requirePhase(input.phase),
  };
}

export function checkNewSupplyChain(input: RecordSupplyChainInput) {
  return {
    parkId: requireText(input.parkId, 'parkId'),
    product: requireText(input.product, 'product', LIMITS.product),
    dailyVolume: requireVolume(input.dailyVolume),
    unit: requireText(input.unit, 'unit', LIMITS.unit),
    destinations: requireTextList(input.destinations, 'destinations', LIMITS.destinations, LIMITS.destination),
  };
}

export function requirePhase(phase: number): number {
  if (!Number.isInteger(phase) || phase < 1) {
    throw userError(ErrorCode.BAD_USER_INPUT, `phase must be a positive whole number (1 for the first phase), got ${phase}.`, { field: 'phase' });
  }
  return phase;
}

export function requireVolume(dailyVolume: number): number {
  if (!Number.isInteger(dailyVolume) || dailyVolume < 0) {
    throw userError(ErrorCode.BAD_USER_INPUT, `dailyVolume must be a whole number, 0 or more, got ${dailyVolume}.`, { field: 'dailyVolume' });
  }
  return dailyVolume;
}

/** A non-empty list of distinct non-blank texts, trimmed. */
export function requireTextList(values: readonly string[], field: string, maxItems: number, maxLength: number): string[] {
  if (values.length === 0) throw userError(ErrorCode.BAD_USER_INPUT, `${field} must name at least one.`, { field });
  if (values.length > maxItems) throw userError(ErrorCode.BAD_USER_INPUT, `${field} lists more than ${maxItems}.`, { field });
  const texts = values.map((value, i) => requireText(value, `${field}[${i}]`, maxLength));
  const repeated = texts.find((text, i) => texts.indexOf(text) !== i);
  if (repeated !== undefined) throw userError(ErrorCode.BAD_USER_INPUT, `${field} names "${repeated}" twice.`, { field });
  return texts;
}
