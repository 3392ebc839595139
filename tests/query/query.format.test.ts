import { displayWidth, formatData, spreadsheetCell, toCsv, toTextTable } from '../../packages/cli/src/query.format';
import { HOSTILE_CELLS, readCsv, startsFormula } from './read-csv';

/** Unit tier: the csv, table and json outputs, without a gateway or a build. */

const BOM = '\uFEFF';

describe('CSV', () => {
  it('quotes commas, quotes and line breaks (CR and LF) as RFC 4180 says, and leaves Chinese text as it is', () => {
    const table = { columns: ['name', 'note'], rows: [['干塘村', '蛋, "鸡"\n李子'], ['草堂村', ''], ['cr\r', 'say "hi"'], ['plain', 'a,b']] };
    const csv = toCsv(table);
    expect(csv).toBe('name,note\r\n干塘村,"蛋, ""鸡""\n李子"\r\n草堂村,\r\n"cr\r","say ""hi"""\r\nplain,"a,b"\r\n');
    expect(readCsv(csv)).toEqual([table.columns, ...table.rows]);
    expect(Buffer.from(csv, 'utf8').includes(Buffer.from('干塘村', 'utf8'))).toBe(true);
  });

  it('keeps dotted column names as they are, and Decimal strings exact (the @list column is escaped, below)', () => {
    const csv = toCsv({ columns: ['@list', 'town.name', 'collectiveIncomeSummary.total'], rows: [['districts', '荣边镇', '153962418.36'], ['counties', '', '-0.10']] });
    expect(csv).toBe(`"'@list",town.name,collectiveIncomeSummary.total\r\ndistricts,荣边镇,153962418.36\r\ncounties,,-0.10\r\n`);
  });

  it('starts with a UTF-8 byte order mark with bom, so Excel reads 汉字 as UTF-8', () => {
    const csv = toCsv({ columns: ['name'], rows: [['自贡市']] }, { bom: true });
    expect(csv).toBe(`${BOM}name\r\n自贡市\r\n`);
    expect([...Buffer.from(csv, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(readCsv(csv.slice(1))).toEqual([['name'], ['自贡市']]);
    expect(toCsv({ columns: ['name'], rows: [['自贡市']] })).not.toContain(BOM);
  });

  it('writes nothing for no columns', () => {
    expect(toCsv({ columns: [], rows: [] })).toBe('');
    expect(toCsv({ columns: [], rows: [] }, { bom: true })).toBe('');
  });
});

describe('CSV formula injection (OWASP)', () => {
  it('prefixes every formula-leading cell with a quote and quotes the field, so a spreadsheet shows it as text', () => {
    const table = { columns: ['name', 'purpose'], rows: HOSTILE_CELLS.map((cell) => [cell, `${cell} again`]) };
    const csv = toCsv(table, { bom: true });
    const [header, ...rows] = readCsv(csv.slice(1));
    expect(header).toEqual(['name', 'purpose']);
    expect(rows).toEqual(HOSTILE_CELLS.map((cell) => [`'${cell}`, `'${cell} again`]));
    expect(rows.flat().filter(startsFormula)).toEqual([]);
    // Quoted as OWASP asks: each escaped field opens with a double quote.
    for (const cell of HOSTILE_CELLS) expect(csv).toContain(`"'${cell.replace(/"/g, '""')}"`);
    expect(csv.split('\r\n')[1]).toBe(`"'=HYPERLINK(""http://evil"",""x"")","'=HYPERLINK(""http://evil"",""x"") again"`);
  });

  it('leaves plain numbers, negative ones included, as numbers, and text that only contains a formula sign as it is', () => {
    for (const number of ['-12.5', '-0.10', '-1e5', '0', '153962418.36']) expect(spreadsheetCell(number)).toBe(number);
    for (const text of ['a=1', 'HYPERLINK', '荣县 -2+3', "'quoted", '']) expect(spreadsheetCell(text)).toBe(text);
    expect(toCsv({ columns: ['total', 'growthRate'], rows: [['-0.10', '-0.0512']] })).toBe('total,growthRate\r\n-0.10,-0.0512\r\n');
  });

  it('escapes the header like any cell: a column named @list would be an Excel formula', () => {
    expect(toCsv({ columns: ['@list', 'name'], rows: [['districts', '荣县']] })).toBe(`"'@list",name\r\ndistricts,荣县\r\n`);
  });

  it('quotes a semicolon, so Excel splitting on it (comma-decimal locales) cannot start a new formula cell', () => {
    const csv = toCsv({ columns: ['purpose'], rows: [['seed;=1+1'], ['a; b']] });
    expect(csv).toBe('purpose\r\n"seed;=1+1"\r\n"a; b"\r\n');
    // Read as Excel would with ';' as the separator: no field starts a formula.
    const fields = csv.split('\r\n').flatMap((line) => (line.startsWith('"') ? [line] : line.split(';')));
    expect(fields.filter(startsFormula)).toEqual([]);
  });

  it('escapes hostile values through formatData, while a JSON number stays a number', () => {
    const data = { allocations: HOSTILE_CELLS.map((purpose, i) => ({ purpose, amount: -i - 0.5 })) };
    const [header, ...rows] = readCsv(formatData(data, 'csv'));
    expect(header).toEqual(['purpose', 'amount']);
    expect(rows).toEqual(HOSTILE_CELLS.map((purpose, i) => [`'${purpose}`, String(-i - 0.5)]));
  });
});

describe('the text table', () => {
  it('measures two columns per Chinese or full-width character and none for a combining mark', () => {
    expect([displayWidth('abc'), displayWidth('自贡市'), displayWidth('荣县 1'), displayWidth('，'), displayWidth('ｓ'), displayWidth('e\u0301'), displayWidth('')]).toEqual([3, 6, 6, 2, 2, 1, 0]);
  });

  it('aligns by display width, numbers to the right', () => {
    const text = toTextTable({ columns: ['name', 'total'], rows: [['自流井区', '25000000.10'], ['荣县', '9.00']] });
    expect(text).toBe(['name            total', '--------  -----------', '自流井区  25000000.10', '荣县             9.00', '(2 rows)', ''].join('\n'));
  });

  it('shows line breaks as ↵, keeps text columns left-aligned, and says when there is no data', () => {
    const text = toTextTable({ columns: ['id', 'note'], rows: [['7', '蛋\n李子'], ['', 'x']] });
    expect(text).toBe(['id  note', '--  -------', ' 7  蛋↵李子', '    x', '(2 rows)', ''].join('\n'));
    expect(toTextTable({ columns: [], rows: [] })).toBe('(no data)\n');
  });
});

describe('formatData', () => {
  const data = { districts: [{ name: '自流井区', total: '25000000.10' }] };

  it('prints json pretty-printed, csv and table from the rows', () => {
    expect(formatData(data, 'json')).toBe(`${JSON.stringify(data, null, 2)}\n`);
    expect(formatData(data, 'csv')).toBe('name,total\r\n自流井区,25000000.10\r\n');
    expect(formatData(data, 'csv', { bom: true })).toBe(`${BOM}name,total\r\n自流井区,25000000.10\r\n`);
    expect(formatData(data, 'table')).toBe(['name            total', '--------  -----------', '自流井区  25000000.10', '(1 row)', ''].join('\n'));
  });
});
