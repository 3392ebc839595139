// negotiator ships no types; this is the part of its API the compiled path uses (as Apollo Server does).
declare module 'negotiator' {
  class Negotiator {
    constructor(request: { headers: { accept?: string } });
    mediaType(available: string[]): string | undefined;
  }
  export = Negotiator;
}
