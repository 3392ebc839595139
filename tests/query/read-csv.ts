/** An RFC 4180 reader, written independently of the writer under test. */
export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field), records.push(record), (record = []), (field = ''), i++;
    } else field += c;
  }
  if (field || record.length) throw new Error(`CSV does not end with CRLF: ${JSON.stringify(text.slice(-20))}`);
  return records;
}

/** Cells a department writer could plant in a name or a purpose, as the CSV-injection attack used them. */
export const HOSTILE_CELLS = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", '-2+3', '@SUM(A1)', '\t=1', '\r=1'];

/** Would a spreadsheet read this cell (as a CSV reader gives it) as a formula? A plain number is a number. */
export const startsFormula = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(cell);
