import { ErrorCode, userError } from '@zigong/platform';

/**
 * 12-digit statistical division codes (统计用区划代码): PPCCDDTTTVVV. The prefix of a code names
 * every region above it, so any department can place a village without asking another.
 */
export type DivisionLevel = 'CITY' | 'DISTRICT' | 'COUNTY' | 'TOWN' | 'VILLAGE';

const CODE = /^\d{12}$/;

export interface Division {
  code: string;
  level: DivisionLevel;
  /** Digits shared by every code at or below this one. */
  prefix: string;
  /** The code of the region directly above, or null for a city. */
  parent: string | null;
}

export function isDivisionCode(value: string): boolean {
  return CODE.test(value) && value.slice(2, 4) !== '00';
}

export function parseDivisionCode(code: string): Division {
  if (!isDivisionCode(code)) {
    throw userError(
      ErrorCode.INVALID_DIVISION_CODE,
      `"${truncate(code)}" is not a 12-digit division code (统计用区划代码), e.g. 510302000000.`,
      { value: truncate(code) },
    );
  }
  if (code.endsWith('00000000')) return { code, level: 'CITY', prefix: code.slice(0, 4), parent: null };
  if (code.endsWith('000000')) {
    // Within a city, 01–20 are districts (市辖区); 21 and up are counties and county-level cities.
    const level = Number(code.slice(4, 6)) <= 20 ? 'DISTRICT' : 'COUNTY';
    return { code, level, prefix: code.slice(0, 6), parent: code.slice(0, 4) + '00000000' };
  }
  if (code.endsWith('000')) return { code, level: 'TOWN', prefix: code.slice(0, 9), parent: code.slice(0, 6) + '000000' };
  return { code, level: 'VILLAGE', prefix: code, parent: code.slice(0, 9) + '000' };
}

/** The district or county code a village or town code lies in. */
export function districtOf(code: string): string {
  return parseDivisionCode(code).code.slice(0, 6) + '000000';
}

/** The town code of a village code. */
export function townOf(villageCode: string): string {
  return villageCode.slice(0, 9) + '000';
}

/** Checks an argument meant to name a village; returns it unchanged. */
export function requireVillageCode(code: string): string {
  const division = parseDivisionCode(code);
  if (division.level !== 'VILLAGE') {
    throw userError(ErrorCode.INVALID_DIVISION_CODE, `"${code}" is a ${division.level.toLowerCase()} code, not a village code.`, {
      value: code,
    });
  }
  return code;
}

function truncate(value: string): string {
  return value.length > 40 ? value.slice(0, 40) + '…' : value;
}
