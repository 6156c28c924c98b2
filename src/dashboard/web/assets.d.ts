/** Style sheets imported by the page for esbuild to bundle into dist/dashboard/app.css. */
declare module '*.css';
