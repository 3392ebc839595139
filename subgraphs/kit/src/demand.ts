import { Directive } from 'type-graphql';
import type { PageOptions } from './pagination';

/**
 * Apollo's demand-control `@listSize`: how many items a list field returns, so the gateway (and
 * Apollo Router) can estimate a query's cost before running it. Composition carries it into the
 * supergraph; the gateway's cost model reads it there.
 */
export interface ListSizeOptions {
  /** The most items the field returns when no slicing argument says otherwise. */
  assumedSize?: number;
  /** Arguments whose value is the number of items returned, e.g. `['first']`. */
  slicingArguments?: string[];
  /** Fields of the returned type (a connection's `edges`) that the size applies to, instead of the field itself. */
  sizedFields?: string[];
  /**
   * Whether a query must give exactly one slicing argument. Apollo's default is true; the kit's is
   * false, because every slicing argument here is optional and has a default page.
   */
  requireOneSlicingArgument?: boolean;
}

const stringList = (values: string[]) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;

/** The `@listSize(...)` text for `options`: exported for the kit's tests and `stubField`. */
export function listSizeDirective({ assumedSize, slicingArguments, sizedFields, requireOneSlicingArgument = false }: ListSizeOptions): string {
  if (assumedSize === undefined && !slicingArguments?.length) throw new Error('@listSize needs an assumedSize or slicingArguments: a list without a bound cannot be costed.');
  if (assumedSize !== undefined && !(Number.isInteger(assumedSize) && assumedSize >= 0)) throw new Error(`@listSize assumedSize must be a whole number ≥ 0, not ${assumedSize}.`);
  const args = [
    assumedSize !== undefined ? `assumedSize: ${assumedSize}` : '',
    slicingArguments?.length ? `slicingArguments: ${stringList(slicingArguments)}` : '',
    sizedFields?.length ? `sizedFields: ${stringList(sizedFields)}` : '',
    slicingArguments?.length ? `requireOneSlicingArgument: ${requireOneSlicingArgument}` : '',
  ].filter(Boolean);
  return `@listSize(${args.join(', ')})`;
}

/** Declares a list field's size: `@ListSize({ assumedSize: 50 })` on a field or field resolver. */
export function ListSize(options: ListSizeOptions): MethodDecorator & PropertyDecorator {
  return Directive(listSizeDirective(options)) as MethodDecorator & PropertyDecorator;
}

/**
 * A list sliced by an optional `first` argument, `page.defaultSize` items when it is omitted; for
 * a connection, pass `sizedFields: ['edges']`.
 */
export function pagedListSize(page: PageOptions, sizedFields?: string[]): ListSizeOptions {
  return { slicingArguments: ['first'], assumedSize: page.defaultSize, sizedFields };
}

/** Declares a field's (or a type's) weight in the cost estimate, where it costs more than its fields: Apollo's `@cost`. */
export function Cost(weight: number): MethodDecorator & PropertyDecorator & ClassDecorator {
  if (!(Number.isInteger(weight) && weight >= 0)) throw new Error(`@cost weight must be a whole number ≥ 0, not ${weight}.`);
  return Directive(`@cost(weight: ${weight})`) as MethodDecorator & PropertyDecorator & ClassDecorator;
}

/** The page every plain list of the departments uses unless it says otherwise: 20 items, at most 100. */
export const DEFAULT_PAGE: PageOptions = { defaultSize: 20, maxSize: 100 };
