export type Child = Node | string | null | undefined | false;

/** Builds an element with attributes and text or element children; never parses HTML, so no registry string becomes markup. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

export function link(href: string, text: string, attributes: Record<string, string> = {}): HTMLAnchorElement {
  return h('a', { href, ...attributes }, text);
}
