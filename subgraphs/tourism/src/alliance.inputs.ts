import { DecimalScalar, decimalToCents, ErrorCode, parseDecimal, userError } from '@zigong/kit';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A new cultural-tourism alliance; its lead village becomes its first member.' })
export class CreateTourismAllianceInput {
  @Field({ description: 'e.g. 飞龙峡文旅联盟.' }) name: string;
  @Field({ description: 'The industry chain it works, e.g. 休闲康养.' }) theme: string;
  @Field(() => ID, { description: 'The 12-digit division code of the village at its centre.' }) leadVillageId: string;
}

/** Years an income contribution may be recorded for. */
export const CONTRIBUTION_YEARS = { min: 2000, max: 2100 } as const;

export function requireContributionYear(year: number): number {
  const { min, max } = CONTRIBUTION_YEARS;
  if (!Number.isInteger(year) || year < min || year > max) {
    throw userError(ErrorCode.BAD_USER_INPUT, `year must be from ${min} to ${max}, got ${year}.`, { field: 'year' });
  }
  return year;
}

/** A contribution in yuan: a decimal with at most 2 places, never negative. Returns canonical text. */
export function requireContributionAmount(amount: string): string {
  const text = parseDecimal(amount);
  if (decimalToCents(text) < 0n) {
    throw userError(ErrorCode.BAD_USER_INPUT, `amount must not be negative, got ${text}.`, { field: 'amount' });
  }
  return text;
}

@ArgsType()
export class AllianceMemberArgs {
  @Field(() => ID) allianceId: string;
  @Field(() => ID, { description: 'The 12-digit division code of the village that joins.' }) villageId: string;
}

@ArgsType()
export class TourismPlatformArgs {
  @Field(() => ID) allianceId: string;
  @Field({ description: 'e.g. 康养飞龙峡; unique within the alliance.' }) name: string;
}

@ArgsType()
export class IncomeContributionArgs {
  @Field(() => ID) allianceId: string;
  @Field(() => Int, { description: `From ${CONTRIBUTION_YEARS.min} to ${CONTRIBUTION_YEARS.max}.` }) year: number;
  @Field(() => DecimalScalar, { description: 'Yuan, at least 0.' }) amount: string;
}
