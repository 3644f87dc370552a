import { render, type VNode } from 'preact';

/**
 * Renders a page into its `#app` element. The first render clears the static "Loading…" the HTML
 * ships with (Preact would keep it beside the app).
 */
export function pageMount(root: HTMLElement = document.getElementById('app')!): (vnode: VNode) => void {
  let mounted = false;
  return (vnode) => {
    if (!mounted) root.replaceChildren();
    mounted = true;
    render(vnode, root);
  };
}
