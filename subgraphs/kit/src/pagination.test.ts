import { decodeCursor, encodeCursor, pageSize } from './pagination';

const options = { defaultSize: 20, maxSize: 100 };

describe('pagination', () => {
  it('defaults and bounds the page size', () => {
    expect(pageSize(undefined, options)).toBe(20);
    expect(pageSize(100, options)).toBe(100);
    expect(() => pageSize(101, options)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'PAGE_SIZE_TOO_LARGE' }) }));
    expect(() => pageSize(-1, options)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });

  it('round-trips cursors and rejects any it did not issue', () => {
    const cursor = encodeCursor(['干塘村', '510302101201']);
    expect(decodeCursor(cursor, 2)).toEqual(['干塘村', '510302101201']);
    for (const bad of ['not-a-cursor', encodeCursor(['only-one']), Buffer.from('{"a":1}').toString('base64url'), '']) {
      expect(() => decodeCursor(bad, 2)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'INVALID_CURSOR' }) }));
    }
  });
});
