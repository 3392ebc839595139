/**
 * The places the article names, with the division codes the data set gives them. Zigong's city,
 * district and county codes are the published ones; town and village codes below them are
 * assigned by this data set.
 */
export const CITY = { code: '510300000000', name: '自贡市' } as const;

export const DISTRICTS = [
  { code: '510302000000', name: '自流井区', level: 'DISTRICT' },
  { code: '510303000000', name: '贡井区', level: 'DISTRICT' },
  { code: '510304000000', name: '大安区', level: 'DISTRICT' },
  { code: '510311000000', name: '沿滩区', level: 'DISTRICT' },
  { code: '510321000000', name: '荣县', level: 'COUNTY' },
  { code: '510322000000', name: '富顺县', level: 'COUNTY' },
] as const;

export const ZILIUJING = '510302000000';
export const YANTAN = '510311000000';

/** Rongbian town (荣边镇), Ziliujing: home of Gantang village. */
export const RONGBIAN = '510302101000';
/** Feilongxia town (飞龙峡镇), Ziliujing: home of Caotang village. */
export const FEILONGXIA = '510302102000';
/** Gantang village (干塘村): the laying hen – plum park (F1–F4). */
export const GANTANG = '510302101201';
/** Caotang village (草堂村): centre of the Feilongxia cultural-tourism alliance (F11, F12). */
export const CAOTANG = '510302102201';

/** Villages in the whole data set at scale 1: 1.54 亿 ÷ 21.9 万 ≈ 703. */
export const VILLAGE_COUNT = 703;

/** Town names per district, in code order; the first two of Ziliujing are the article's. */
export const TOWN_NAMES: Record<string, readonly string[]> = {
  '510302000000': ['仲权镇', '荣边镇', '飞龙峡镇', '漆树镇', '舒坪镇'],
  '510303000000': ['艾叶镇', '建设镇', '成佳镇', '桥头镇', '五宝镇', '龙潭镇', '长土镇', '章佳镇'],
  '510304000000': ['牛佛镇', '何市镇', '庙坝镇', '新民镇', '回龙镇', '三多寨镇', '团结镇', '大山铺镇', '天池镇'],
  '510311000000': ['沿滩镇', '仙市镇', '黄市镇', '王井镇', '兴隆镇', '永安镇', '联络镇', '富全镇', '九洪乡', '瓦市镇'],
  '510321000000': [
    '旭阳镇', '双石镇', '鼎新镇', '乐德镇', '长山镇', '正紫镇', '度佳镇', '观山镇', '来牟镇', '古文镇', '铁厂镇', '东佳镇',
    '河口镇', '留佳镇', '新桥镇', '保华镇', '过水镇', '复兴镇', '金台镇', '高山镇',
  ],
  '510322000000': [
    '富世镇', '琵琶镇', '狮市镇', '骑龙镇', '代寺镇', '童寺镇', '古佛镇', '永年镇', '板桥镇', '兜山镇', '赵化镇', '长滩镇',
    '怀德镇', '安溪镇', '彭庙镇', '李桥镇', '福善镇', '万寿镇', '互助镇', '飞龙镇', '龙万乡',
  ],
};
