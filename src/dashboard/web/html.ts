/// <reference lib="dom" />
/**
 * The page's `html` template tag: htm's uncached build (`htm/mini`) over Preact's `h`.
 *
 * Why not `htm/preact`: the cached build keeps each fully static element (a `<thead>`, an `<h3>`) as one vnode and
 * hands that same object back on every render. Preact mounts it the first time and leaves its parent pointer on
 * it, so it keeps the first render's tree, and through the child lists that memoized sections pass on from render
 * to render, every later tree and the DOM elements they had: the page's heap and DOM grew with every ledger event
 * (2.6 → 227 MB and 600 → 18,957 nodes over a 10-minute canary). Parsing the template on each call costs little
 * here (the page renders per event, not per frame).
 */
import mini from 'htm/mini';
import { h, type VNode } from 'preact';

// htm's declarations read as CommonJS under NodeNext, so the default import is typed as the module; the bundle
// (esbuild, browser build of htm) gets the function itself.
const htm = mini as unknown as typeof mini.default;

export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
