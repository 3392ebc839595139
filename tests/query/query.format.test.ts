import { displayWidth, formatData, toCsv, toTextTable } from '../../infra/local/src/query.format';
import { readCsv } from './read-csv';

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

  it('keeps dotted and @list column names as they are, and Decimal strings exact', () => {
    const csv = toCsv({ columns: ['@list', 'town.name', 'collectiveIncomeSummary.total'], rows: [['districts', '荣边镇', '153962418.36'], ['counties', '', '-0.10']] });
    expect(csv).toBe('@list,town.name,collectiveIncomeSummary.total\r\ndistricts,荣边镇,153962418.36\r\ncounties,,-0.10\r\n');
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
