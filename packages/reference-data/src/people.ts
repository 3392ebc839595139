import { pick } from './random';

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈'.split('');
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏琴燕云飞雪梅海波'.split('');

/** A plausible Chinese personal name; every record that uses one is marked generated. */
export function personName(random: () => number): string {
  const given = random() < 0.5 ? pick(random, GIVEN) : pick(random, GIVEN) + pick(random, GIVEN);
  return pick(random, SURNAMES) + given;
}
