/**
 * yaml's parser, for modules that load it lazily. Imported dynamically from here rather than as
 * `import('yaml')`: yaml is CommonJS, and a bundled dynamic import of a CommonJS package exposes only
 * its default export, while a static import (this module) keeps the named ones.
 */
export { LineCounter, parseDocument } from 'yaml';
